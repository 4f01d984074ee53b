# micro_toy_dccd.py with its backbone initialised from a weights file, as the
# paper configs are offline (tests point the file elsewhere with
# --cfg-options model.backbone.init_cfg.checkpoint=...).
_base_ = ['./micro_toy_dccd.py']
model = dict(
    backbone=dict(init_cfg=dict(type='Pretrained', checkpoint='checkpoints/convnext_atto.pth')))
