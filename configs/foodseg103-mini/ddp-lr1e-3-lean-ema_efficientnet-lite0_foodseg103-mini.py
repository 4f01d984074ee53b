# A lead (issue 19): the cheaper step (`ddp-lr1e-3-lean_…`) with the weight
# average of `ddp-lr1e-3-ema_…` (mmengine's EMAHook, momentum 0.002); the
# average is validated, saved and tested.
_base_ = './ddp-lr1e-3-lean_efficientnet-lite0_foodseg103-mini.py'
custom_hooks = _base_.custom_hooks + [dict(type='EMAHook', momentum=0.002, priority=49)]
