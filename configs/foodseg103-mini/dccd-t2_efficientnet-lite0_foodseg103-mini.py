# DCCD on FoodSeg103-mini, distillation ablation: KL at temperature 2 (1 in
# DCCD): softer teacher distributions, T^2-scaled.
_base_ = './dccd_efficientnet-lite0_foodseg103-mini.py'
model = dict(distill_loss=dict(temperature=2.0))
