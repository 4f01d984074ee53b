# DCCD on FoodSeg103-mini, distillation ablation: KL weight 2 (1.0 in DCCD):
# the teacher pulls the student more.
_base_ = './dccd_efficientnet-lite0_foodseg103-mini.py'
model = dict(distill_loss=dict(loss_weight=2.0))
