# DCC on the schedule of `ddp-lr1e-3-lean-ema_…`: the cheaper step (the stem
# and the stride-2/4 blocks frozen, no auxiliary head) with its weights
# averaged (EMAHook); the same changes from `dcc-lr1e-3_…` as that config
# makes from `ddp-lr1e-3_…` (a test checks it).
_base_ = './dcc-lr1e-3_efficientnet-lite0_foodseg103-mini.py'
model = dict(
    backbone=dict(frozen_modules=['conv_stem', 'bn1', 'blocks.0', 'blocks.1']),
    auxiliary_head=None)
custom_hooks = _base_.custom_hooks + [dict(type='EMAHook', momentum=0.002, priority=49)]
