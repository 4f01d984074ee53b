# The random-init control of `ddp-lr1e-3-lean-ema-scale0.5-2_…`: no ImageNet
# weights and nothing frozen, as `ddp-random-lr1e-3-lean-ema_…` is for its
# parent (a test checks it).
_base_ = './ddp-lr1e-3-lean-ema-scale0.5-2_efficientnet-lite0_foodseg103-mini.py'
model = dict(backbone=dict(init_cfg=None, frozen_modules=[]))
