# The control at three times the schedule: DDP from random initialisation.
_base_ = './ddp_efficientnet-lite0_840it_foodseg103-mini.py'
model = dict(backbone=dict(init_cfg=None))
