# Toy experiment, image only ("DDP"): the embedded default that trains on a
# CPU in minutes, on generated toy food plates (see the _base_ files).
# toy_dcc.py adds the text teacher and toy_dccd.py the distillation: the image
# path is the same in all three, so the table compares the text branch alone.
_base_ = [
    '../_base_/models/ddp_convnext-atto_toy.py', '../_base_/datasets/toy_food.py',
    '../_base_/schedules/schedule_toy.py', '../_base_/default_runtime.py'
]
model = dict(
    data_preprocessor=dict(size=_base_.crop_size),
    decode_head=dict(num_classes=_base_.num_classes),
    auxiliary_head=dict(num_classes=_base_.num_classes),
    class_names='toy_food')
env_cfg = dict(cudnn_benchmark=False, dist_cfg=dict(backend='gloo'))  # a CPU run
