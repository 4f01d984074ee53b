# DCCD on FoodSeg103-mini: DCC + self-distillation (CE + CE + KL); tested as
# the image-only student.
_base_ = './dcc_efficientnet-lite0_foodseg103-mini.py'
model = dict(distill_loss=dict(type='DistillKLLoss', temperature=1.0, loss_weight=1.0))
