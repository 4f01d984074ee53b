# DCC on the schedule of `ddp-lr1e-3-lean-ema-2.5k_…`: the cheaper step (the
# stem and the stride-2/4 blocks frozen, no auxiliary head), its weights
# averaged (EMAHook) and 2,500 iterations; the same changes from
# `dcc-lr1e-3_…` as that chain makes from `ddp-lr1e-3_…` (a test checks it).
_base_ = './dcc-lr1e-3_efficientnet-lite0_foodseg103-mini.py'
model = dict(
    backbone=dict(frozen_modules=['conv_stem', 'bn1', 'blocks.0', 'blocks.1']),
    auxiliary_head=None)
custom_hooks = _base_.custom_hooks + [dict(type='EMAHook', momentum=0.002, priority=49)]
max_iters = 2500
param_scheduler = [
    dict(type='LinearLR', start_factor=1e-3, by_epoch=False, begin=0, end=100),
    dict(type='PolyLR', power=1.0, eta_min=0.0, by_epoch=False, begin=100, end=max_iters),
]
train_cfg = dict(max_iters=max_iters)
