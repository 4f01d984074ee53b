# The control at twice the schedule: DDP from random initialisation.
_base_ = './ddp_efficientnet-lite0_560it_foodseg103-mini.py'
model = dict(backbone=dict(init_cfg=None))
