# FoodSeg103-mini: 1,035 train / 65 test real FoodSeg103 photos, ALL drawn
# from the FoodSeg103 release's TEST split (re-split), so numbers on it are
# not comparable with published FoodSeg103 results. Build it from a release
# (tools/dataset_converters/foodseg103_mini.py) or link a copy:
#   ln -s /path/to/foodseg103_mini data/foodseg103_mini
# FoodSeg103's layout, classes and loaders (./foodseg103.py); photos keep
# their aspect, scaled for a CPU: train resizes the short side to 168-280
# and crops 128x128 (batch 8), test resizes the short side to 224 (a
# 640x480 photo becomes 299x224: dishes stay legible). A seeded 10 % of the
# train ids (configs/foodseg103-mini/splits/val.txt) is held out of training.
_base_ = './foodseg103.py'
data_root = 'data/foodseg103_mini'
crop_size = (128, 128)
split_dir = '{{ fileDirname }}/../../foodseg103-mini/splits'
train_pipeline = [
    dict(type='LoadCheckedImageFromFile'),
    dict(type='LoadAnnotations'),
    dict(type='ExtractIngredients', num_classes=_base_.num_classes),
    dict(type='RandomResize', scale=(1024, 224), ratio_range=(0.75, 1.25), keep_ratio=True),
    dict(type='RandomCrop', crop_size=crop_size, cat_max_ratio=0.75),
    dict(type='RandomFlip', prob=0.5),
    dict(type='PhotoMetricDistortion'),
    dict(type='PackFoodSegInputs'),
]
test_pipeline = [
    dict(type='LoadCheckedImageFromFile'),
    dict(type='Resize', scale=(1024, 224), keep_ratio=True),
    dict(type='LoadAnnotations'),
    dict(type='ExtractIngredients', num_classes=_base_.num_classes),
    dict(type='PackFoodSegInputs'),
]
train_dataloader = dict(batch_size=8, dataset=dict(
    data_root=data_root, ann_file=split_dir + '/train.txt', pipeline=train_pipeline))
val_dataloader = dict(dataset=dict(data_root=data_root, pipeline=test_pipeline))
test_dataloader = val_dataloader
heldout_dataloader = dict(dataset=dict(
    data_root=data_root, ann_file=split_dir + '/val.txt', pipeline=test_pipeline))
