# DCCD on FoodSeg103-mini, distillation ablation: teacher warm-up, no KL for
# the first half of training (DistillWarmupHook), full KL after.
_base_ = './dccd_efficientnet-lite0_foodseg103-mini.py'
custom_hooks = _base_.custom_hooks + [
    dict(type='DistillWarmupHook', warmup_iters=_base_.max_iters // 2)]
