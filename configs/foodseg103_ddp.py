# DDP baseline on FoodSeg103 (FPN neck + stage merging), image only.
# Paper Table 1, "DDP": 47.82 mIoU.
_base_ = [
    './_base_/models/ddp_convnext-l.py', './_base_/datasets/foodseg103.py',
    './_base_/schedules/schedule_80k.py', './_base_/default_runtime.py'
]
model = dict(
    data_preprocessor=dict(size=(512, 1024)),
    decode_head=dict(num_classes=104),
    auxiliary_head=dict(num_classes=104),
    # names of the class ids, for the ingredient prompts of the text configs
    class_names='foodseg103')
