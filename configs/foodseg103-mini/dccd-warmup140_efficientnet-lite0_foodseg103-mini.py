# DCCD on FoodSeg103-mini, distillation ablation: teacher warm-up, no KL for
# the first 140 of the 280 iterations (DistillWarmupHook), full KL after.
_base_ = './dccd_efficientnet-lite0_foodseg103-mini.py'
custom_hooks = _base_.custom_hooks + [dict(type='DistillWarmupHook', warmup_iters=140)]
