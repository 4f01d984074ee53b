# DDP-FPN + CBAM on FoodSeg103: channel then spatial attention (Woo et al. 2018)
# on the merged image feature. Image only. Paper ablation (Table 3), "+CBAM".
_base_ = './foodseg103_ddp-nofpn.py'
model = dict(neck=[_base_.stage_merging_neck, _base_.cbam_neck])
