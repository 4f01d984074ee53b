# DCCD on FoodSeg103: DCC + self-distillation. Teacher (image + text) and student
# (image only) share every weight and see the same noised map and time;
# L = CE(gt, teacher) + CE(gt, student) + KL(teacher || student) (Eq. 6,
# unweighted) + 0.4 * auxiliary FCN CE. Tested as the student, on images
# alone. Paper Table 1, "DCCD": 47.93 mIoU.
_base_ = './foodseg103_dcc.py'
model = dict(distill_loss=dict(type='DistillKLLoss', temperature=1.0, loss_weight=1.0))
