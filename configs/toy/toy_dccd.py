# Toy DCCD: toy_dcc + self-distillation (CE teacher + CE student +
# KL(teacher || student)); tested as the image-only student.
_base_ = ['./toy_dcc.py']
model = dict(distill_loss=dict(type='DistillKLLoss', temperature=1.0, loss_weight=1.0))
