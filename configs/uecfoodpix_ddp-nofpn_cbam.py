# DDP-FPN + CBAM on UEC-FoodPIX: channel then spatial attention (Woo et al. 2018)
# on the merged image feature. Image only. Paper ablation (Table 3), "+CBAM".
_base_ = './uecfoodpix_ddp-nofpn.py'
model = dict(neck=[_base_.stage_merging_neck, _base_.cbam_neck])
