# DCC on UEC-FoodPIX: DDP-FPN + CLIP (add) + CBAM: merge -> CBAM -> add text ->
# diffusion decoder. Trained and tested as the teacher (image + ingredient
# text); test-time ingredients come from the GT mask, an ORACLE result.
# Paper Table 1, "DCC": 76.62 mIoU.
_base_ = './uecfoodpix_ddp-nofpn_clip.py'
model = dict(neck=[_base_.stage_merging_neck, _base_.cbam_neck])
