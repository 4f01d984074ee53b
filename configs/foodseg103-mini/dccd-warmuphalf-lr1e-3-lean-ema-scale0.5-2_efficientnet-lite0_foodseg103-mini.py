# The KL warm-up lead (no KL for the first half of training) on the schedule
# of `dccd-lr1e-3-lean-ema-scale0.5-2_…` (the cheaper step, its weights
# averaged, mmseg's scale jitter 0.5-2x).
_base_ = './dccd-lr1e-3-lean-ema-scale0.5-2_efficientnet-lite0_foodseg103-mini.py'
custom_hooks = _base_.custom_hooks + [
    dict(type='DistillWarmupHook', warmup_iters=_base_.max_iters // 2)]
