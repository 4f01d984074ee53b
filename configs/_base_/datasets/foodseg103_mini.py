# FoodSeg103-mini: 1,035 train / 65 test real FoodSeg103 photos, ALL drawn
# from the FoodSeg103 release's TEST split (re-split), so numbers on it are
# not comparable with published FoodSeg103 results. Build it from a release
# (tools/dataset_converters/foodseg103_mini.py) or link a copy:
#   ln -s /path/to/foodseg103_mini data/foodseg103_mini
# FoodSeg103's layout, classes and loaders (./foodseg103.py); photos keep
# their aspect, scaled for a CPU: train resizes the short side to 160-240
# and crops 160x160 (batch 8), test resizes the short side to 224 (a
# 640x480 photo becomes 299x224: dishes stay legible; --tta: below). A seeded 10 % of the
# train ids (configs/foodseg103-mini/splits/val.txt) is held out of training;
# validation during training reads it (the learning curve), the test split
# (the 65 photos) is read once, by tools/test.py or the table tool.
_base_ = './foodseg103.py'
data_root = 'data/foodseg103_mini'
crop_size = (160, 160)
split_dir = '{{ fileDirname }}/../../foodseg103-mini/splits'
train_pipeline = [
    dict(type='LoadCheckedImageFromFile'),
    dict(type='LoadAnnotations'),
    dict(type='ExtractIngredients', num_classes=_base_.num_classes),
    dict(type='RandomResize', scale=(1024, 200), ratio_range=(0.8, 1.2), keep_ratio=True),
    dict(type='RandomCrop', crop_size=crop_size, cat_max_ratio=0.75),
    dict(type='RandomFlip', prob=0.5),
    dict(type='PhotoMetricDistortion'),
    dict(type='PackFoodSegInputs'),
]
# mmseg's usual scale jitter, 0.5-2x (short sides 100-400), in place of
# 0.8-1.2x: the train pipeline of the `*-scale0.5-2_…` configs.
scale_jitter_train_pipeline = train_pipeline[:3] + [
    dict(type='RandomResize', scale=(1024, 200), ratio_range=(0.5, 2.0), keep_ratio=True),
] + train_pipeline[4:]
test_pipeline = [
    dict(type='LoadCheckedImageFromFile'),
    dict(type='Resize', scale=(1024, 224), keep_ratio=True),
    dict(type='LoadAnnotations'),
    dict(type='ExtractIngredients', num_classes=_base_.num_classes),
    dict(type='PackFoodSegInputs'),
]
# tools/test.py --tta (and the table's `tta` rows): short sides 160-256 (the
# sizes training sees, and one above) and their mirror images, the class
# probabilities averaged by mmseg's SegTTAModel. FoodSeg103's own
# tta_pipeline scales the original photo (0.5-1.75x): for mini photos that is
# short sides of about 240-840, far from what the model was trained on.
# Only the first stage (the resizes) differs from FoodSeg103's.
tta_short_sides = (160, 192, 224, 256)
tta_pipeline = [
    _base_.tta_pipeline[0],
    dict(_base_.tta_pipeline[1], transforms=[
        [dict(type='Resize', scale=(1024, s), keep_ratio=True) for s in tta_short_sides],
        *_base_.tta_pipeline[1]['transforms'][1:],
    ])
]
train_dataloader = dict(batch_size=8, dataset=dict(
    data_root=data_root, ann_file=split_dir + '/train.txt', pipeline=train_pipeline))
test_dataloader = dict(dataset=dict(data_root=data_root, pipeline=test_pipeline))
heldout_dataloader = dict(dataset=dict(
    data_root=data_root, ann_file=split_dir + '/val.txt', pipeline=test_pipeline))
val_dataloader = dict(dataset=dict(
    data_root=data_root, data_prefix=_base_.heldout_dataloader['dataset']['data_prefix'],
    ann_file=split_dir + '/val.txt', pipeline=test_pipeline))
