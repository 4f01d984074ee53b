# DDP (image only) on FoodSeg103-mini from ImageNet EfficientNet-Lite0.
# Results: configs/foodseg103-mini/README.md (not comparable with published
# FoodSeg103 numbers: mini's train split comes from FoodSeg103's test split).
_base_ = [
    '../_base_/models/ddp_efficientnet-lite0_mini.py',
    '../_base_/datasets/foodseg103_mini.py',
    '../_base_/schedules/schedule_mini.py', '../_base_/default_runtime.py'
]
model = dict(
    data_preprocessor=dict(size=_base_.crop_size),
    decode_head=dict(num_classes=_base_.num_classes),
    auxiliary_head=dict(num_classes=_base_.num_classes))
env_cfg = dict(cudnn_benchmark=False, dist_cfg=dict(backend='gloo'))  # a CPU run
