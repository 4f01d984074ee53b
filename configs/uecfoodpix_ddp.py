# DDP baseline on UEC-FoodPIX (FPN neck + stage merging), image only.
# Paper Table 1, "DDP": 74.64 mIoU.
_base_ = [
    './_base_/models/ddp_convnext-l.py', './_base_/datasets/uecfoodpix.py',
    './_base_/schedules/schedule_80k.py', './_base_/default_runtime.py'
]
model = dict(
    data_preprocessor=dict(size=(320, 320)),
    decode_head=dict(num_classes=103),
    auxiliary_head=dict(num_classes=103),
    # names of the class ids, for the ingredient prompts of the text configs
    class_names='uecfoodpix')
