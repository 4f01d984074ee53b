# DCCD on FoodSeg103-mini, distillation ablation: the teacher not detached in
# the KL (detached in DCCD): the KL pulls both branches towards each other.
_base_ = './dccd_efficientnet-lite0_foodseg103-mini.py'
model = dict(distill_loss=dict(detach_teacher=False))
