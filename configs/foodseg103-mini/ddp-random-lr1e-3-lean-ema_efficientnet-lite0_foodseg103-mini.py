# The random-init control of the cheaper step with averaged weights
# (`ddp-lr1e-3-lean-ema_…`): no ImageNet weights, and nothing frozen (frozen
# random filters would only handicap the control); no auxiliary head and the
# weight average as there.
_base_ = './ddp-lr1e-3-lean-ema_efficientnet-lite0_foodseg103-mini.py'
model = dict(backbone=dict(init_cfg=None, frozen_modules=[]))
