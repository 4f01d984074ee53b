# Toy food plates (dccd/datasets/toy_food.py), generated into data/toy_food_64 on
# first use: 12 classes, 64x64, 600 train / 150 test plates, three look-alike
# pairs that only the ingredient list tells apart. A seeded 10 % of the train
# plates (splits/val.txt, written with the data) is held out of training: the
# `heldout_dataloader` that tools choose thresholds on, never the test split.
# Batch 8, flips only.
dataset_type = 'ToyFoodDataset'
data_root = 'data/toy_food_64'
num_classes = 12
crop_size = (64, 64)
toy_data = dict(type=dataset_type, data_root=data_root, generated_root=data_root,
                generate_args=dict(size=64, val_fraction=0.1))
train_prefix = dict(img_path='Images/img_dir/train', seg_map_path='Images/ann_dir/train')
train_pipeline = [
    dict(type='LoadCheckedImageFromFile'),
    dict(type='LoadAnnotations'),
    dict(type='ExtractIngredients', num_classes=num_classes),
    dict(type='RandomFlip', prob=0.5),
    dict(type='PackFoodSegInputs'),
]
test_pipeline = [
    dict(type='LoadCheckedImageFromFile'),
    # the plates are 64x64 already (a no-op for them); a user's photo is
    # shrunk to fit, not run at 6000x4000 (masks come back at its size)
    dict(type='Resize', scale=crop_size, keep_ratio=True),
    dict(type='LoadAnnotations'),
    dict(type='ExtractIngredients', num_classes=num_classes),
    dict(type='PackFoodSegInputs'),
]
tta_pipeline = [  # tools/test.py --tta: the plate and its mirror image
    dict(type='LoadCheckedImageFromFile'),
    dict(
        type='TestTimeAug',
        transforms=[
            [dict(type='RandomFlip', prob=0., direction='horizontal'),
             dict(type='RandomFlip', prob=1., direction='horizontal')],
            [dict(type='LoadAnnotations')],
            [dict(type='ExtractIngredients', num_classes=num_classes)],
            [dict(type='PackFoodSegInputs')],
        ])
]
train_dataloader = dict(
    batch_size=8,
    num_workers=0,
    sampler=dict(type='InfiniteSampler', shuffle=True),
    dataset=dict(**toy_data, data_prefix=train_prefix, ann_file='splits/train.txt',
                 pipeline=train_pipeline))
val_dataloader = dict(
    batch_size=8,
    num_workers=0,
    sampler=dict(type='DefaultSampler', shuffle=False),
    dataset=dict(**toy_data, pipeline=test_pipeline, data_prefix=dict(
        img_path='Images/img_dir/test', seg_map_path='Images/ann_dir/test')))
test_dataloader = val_dataloader
heldout_dataloader = dict(
    val_dataloader, dataset=dict(**toy_data, data_prefix=train_prefix,
                                 ann_file='splits/val.txt', pipeline=test_pipeline))
val_evaluator = dict(type='IoUMetric', iou_metrics=['mIoU'])
test_evaluator = val_evaluator
