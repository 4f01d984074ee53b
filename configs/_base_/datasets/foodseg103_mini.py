# FoodSeg103-mini: 1,035 train / 65 test real FoodSeg103 photos, ALL drawn
# from the FoodSeg103 release's TEST split (re-split), so numbers on it are
# not comparable with published FoodSeg103 results. Build it from a release
# (tools/dataset_converters/foodseg103_mini.py) or link a copy:
#   ln -s /path/to/foodseg103_mini data/foodseg103_mini
# Same layout and classes as FoodSeg103 (104, 0 = background). Photos keep
# their aspect, scaled for a CPU: train resizes the short side to 168-280
# and crops 128x128 (batch 8), test resizes the short side to 224 (a
# 640x480 photo becomes 299x224: dishes stay legible). A seeded 10 % of the
# train ids (configs/foodseg103-mini/splits/val.txt) is held out of training.
dataset_type = 'FoodSeg103Dataset'
data_root = 'data/foodseg103_mini'
num_classes = 104
crop_size = (128, 128)
split_dir = '{{ fileDirname }}/../../foodseg103-mini/splits'
train_prefix = dict(img_path='Images/img_dir/train', seg_map_path='Images/ann_dir/train')
train_pipeline = [
    dict(type='LoadCheckedImageFromFile'),
    dict(type='LoadAnnotations'),
    dict(type='ExtractIngredients', num_classes=num_classes),
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
    dict(type='ExtractIngredients', num_classes=num_classes),
    dict(type='PackFoodSegInputs'),
]
train_dataloader = dict(
    batch_size=8,
    num_workers=2,
    persistent_workers=True,
    sampler=dict(type='InfiniteSampler', shuffle=True),
    dataset=dict(type=dataset_type, data_root=data_root, data_prefix=train_prefix,
                 ann_file=split_dir + '/train.txt', pipeline=train_pipeline))
val_dataloader = dict(
    batch_size=1,
    num_workers=2,
    persistent_workers=True,
    sampler=dict(type='DefaultSampler', shuffle=False),
    dataset=dict(type=dataset_type, data_root=data_root, pipeline=test_pipeline,
                 data_prefix=dict(img_path='Images/img_dir/test',
                                  seg_map_path='Images/ann_dir/test')))
test_dataloader = val_dataloader
heldout_dataloader = dict(
    val_dataloader,
    dataset=dict(val_dataloader['dataset'], data_prefix=train_prefix,
                 ann_file=split_dir + '/val.txt'))
val_evaluator = dict(type='IoUMetric', iou_metrics=['mIoU'])
test_evaluator = val_evaluator
