# FoodSeg103 (Wu et al., ACM MM 2021): 104 classes (0 = background),
# 4,983 train / 2,135 test images, official release layout:
#   data/FoodSeg103/Images/img_dir/{train,test}/*.jpg
#   data/FoodSeg103/Images/ann_dir/{train,test}/*.png
# Pipelines as the FoodSeg103 benchmark (LARC-CMU-SMU/FoodSeg103-Benchmark-v1):
# scale (2048, 1024), ratio 0.5-2.0, 512x1024 crops, batch 2; whole-image
# test at (2048, 1024), no flip. ExtractIngredients records each image's
# ingredient ids from its FULL mask, before any crop; PackFoodSegInputs packs
# them as metainfo['ingredients'].
dataset_type = 'FoodSeg103Dataset'
data_root = 'data/FoodSeg103'
num_classes = 104
crop_size = (512, 1024)
train_pipeline = [
    dict(type='LoadCheckedImageFromFile'),
    dict(type='LoadAnnotations'),
    dict(type='ExtractIngredients', num_classes=num_classes),
    dict(type='RandomResize', scale=(2048, 1024), ratio_range=(0.5, 2.0), keep_ratio=True),
    dict(type='RandomCrop', crop_size=crop_size, cat_max_ratio=0.75),
    dict(type='RandomFlip', prob=0.5),
    dict(type='PhotoMetricDistortion'),
    dict(type='PackFoodSegInputs'),
]
test_pipeline = [
    dict(type='LoadCheckedImageFromFile'),
    dict(type='Resize', scale=(2048, 1024), keep_ratio=True),
    # the GT (and the ingredient list) stay at the original size
    dict(type='LoadAnnotations'),
    dict(type='ExtractIngredients', num_classes=num_classes),
    dict(type='PackFoodSegInputs'),
]
img_ratios = [0.5, 0.75, 1.0, 1.25, 1.5, 1.75]
tta_pipeline = [
    dict(type='LoadCheckedImageFromFile', backend_args=None),
    dict(
        type='TestTimeAug',
        transforms=[
            [dict(type='Resize', scale_factor=r, keep_ratio=True) for r in img_ratios],
            [dict(type='RandomFlip', prob=0., direction='horizontal'),
             dict(type='RandomFlip', prob=1., direction='horizontal')],
            [dict(type='LoadAnnotations')],
            [dict(type='ExtractIngredients', num_classes=num_classes)],
            [dict(type='PackFoodSegInputs')],
        ])
]
train_dataloader = dict(
    batch_size=2,
    num_workers=2,
    persistent_workers=True,
    sampler=dict(type='InfiniteSampler', shuffle=True),
    dataset=dict(
        type=dataset_type,
        data_root=data_root,
        data_prefix=dict(img_path='Images/img_dir/train', seg_map_path='Images/ann_dir/train'),
        ann_file='',  # or 'splits/train.txt': see heldout_dataloader
        pipeline=train_pipeline))
val_dataloader = dict(
    batch_size=1,
    num_workers=2,
    persistent_workers=True,
    sampler=dict(type='DefaultSampler', shuffle=False),
    dataset=dict(
        type=dataset_type,
        data_root=data_root,
        data_prefix=dict(img_path='Images/img_dir/test', seg_map_path='Images/ann_dir/test'),
        pipeline=test_pipeline))
test_dataloader = val_dataloader
# FoodSeg103 has no validation split, and val_dataloader above is the test split:
# it reports the last iteration, it never selects one. To choose anything on
# held-out training images instead, write a seeded 10 % split once,
#   python tools/dataset_converters/val_split.py <train image folder> <data_root>/splits
# and set train_dataloader.dataset.ann_file=splits/train.txt, so the held-out
# images are never trained on; tools then read them through this loader.
heldout_dataloader = dict(
    val_dataloader,
    dataset=dict(val_dataloader['dataset'], data_prefix=dict(img_path='Images/img_dir/train', seg_map_path='Images/ann_dir/train'),
                 ann_file='splits/val.txt'))
val_evaluator = dict(type='IoUMetric', iou_metrics=['mIoU'])
test_evaluator = val_evaluator
