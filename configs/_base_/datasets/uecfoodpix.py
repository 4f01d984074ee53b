# UEC-FoodPIX Complete (Okamoto & Yanai, ICPR 2020): 103 classes
# (0 = background), 9,000 train / 1,000 test images. Release layout
#   data/UECFoodPIXCOMPLETE/{train,test}/{img,mask}
# with the class id in the RED channel of the RGB masks. Write single-channel
# masks once (and fix the masks whose width and height are swapped):
#   python tools/dataset_converters/uecfoodpix.py data/UECFoodPIXCOMPLETE
# which adds {train,test}/mask_id/. 320x320 crops, batch 8 (the paper).
# The paper gives no resize policy: we resize the short side around 320
# (ratio 0.5-2.0) before cropping, and test on the whole image at that scale.
dataset_type = 'UECFoodPIXDataset'
data_root = 'data/UECFoodPIXCOMPLETE'
num_classes = 103
crop_size = (320, 320)
train_pipeline = [
    dict(type='LoadCheckedImageFromFile'),
    dict(type='LoadAnnotations'),
    dict(type='ExtractIngredients', num_classes=num_classes),
    dict(type='RandomResize', scale=(640, 320), ratio_range=(0.5, 2.0), keep_ratio=True),
    dict(type='RandomCrop', crop_size=crop_size, cat_max_ratio=0.75),
    dict(type='RandomFlip', prob=0.5),
    dict(type='PhotoMetricDistortion'),
    dict(type='PackFoodSegInputs'),
]
test_pipeline = [
    dict(type='LoadCheckedImageFromFile'),
    dict(type='Resize', scale=(640, 320), keep_ratio=True),
    dict(type='LoadAnnotations'),
    dict(type='ExtractIngredients', num_classes=num_classes),
    dict(type='PackFoodSegInputs'),
]
# tools/test.py --tta: 0.5-1.75x the test scale (short side 320) and the
# mirror images, the class probabilities averaged (mmseg's SegTTAModel)
img_ratios = [0.5, 0.75, 1.0, 1.25, 1.5, 1.75]
tta_pipeline = [
    dict(type='LoadCheckedImageFromFile'),
    dict(type='TestTimeAug', transforms=[
        [dict(type='Resize', scale=(int(640 * r), int(320 * r)), keep_ratio=True)
         for r in img_ratios],
        [dict(type='RandomFlip', prob=0., direction='horizontal'),
         dict(type='RandomFlip', prob=1., direction='horizontal')],
        [dict(type='LoadAnnotations')],
        [dict(type='ExtractIngredients', num_classes=num_classes)],
        [dict(type='PackFoodSegInputs')],
    ])
]
train_dataloader = dict(
    batch_size=8,
    num_workers=4,
    persistent_workers=True,
    sampler=dict(type='InfiniteSampler', shuffle=True),
    dataset=dict(
        type=dataset_type,
        data_root=data_root,
        data_prefix=dict(img_path='train/img', seg_map_path='train/mask_id'),
        ann_file='',  # or 'splits/train.txt': see heldout_dataloader
        pipeline=train_pipeline))
val_dataloader = dict(
    batch_size=1,
    num_workers=4,
    persistent_workers=True,
    sampler=dict(type='DefaultSampler', shuffle=False),
    dataset=dict(
        type=dataset_type,
        data_root=data_root,
        data_prefix=dict(img_path='test/img', seg_map_path='test/mask_id'),
        pipeline=test_pipeline))
test_dataloader = val_dataloader
# UEC-FoodPIX has no validation split, and val_dataloader above is the test split:
# it reports the last iteration, it never selects one. To choose anything on
# held-out training images instead, write a seeded 10 % split once,
#   python tools/dataset_converters/val_split.py <train image folder> <data_root>/splits
# and set train_dataloader.dataset.ann_file=splits/train.txt, so the held-out
# images are never trained on; tools then read them through this loader.
heldout_dataloader = dict(
    val_dataloader,
    dataset=dict(val_dataloader['dataset'], data_prefix=dict(img_path='train/img', seg_map_path='train/mask_id'),
                 ann_file='splits/val.txt'))
val_evaluator = dict(type='IoUMetric', iou_metrics=['mIoU'])
test_evaluator = val_evaluator
