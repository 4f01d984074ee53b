# The control: the same DDP from random initialisation (no ImageNet weights).
_base_ = './ddp_efficientnet-lite0_foodseg103-mini.py'
model = dict(backbone=dict(init_cfg=None))
