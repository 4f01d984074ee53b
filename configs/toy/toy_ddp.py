# Toy experiment, image only ("DDP"): the embedded default that trains on a
# CPU in minutes. The toy food plates (dccd/datasets/toy_food.py) are
# generated into data/toy_food on first use: 12 classes, 128x128, 600 train /
# 150 test, with three look-alike pairs that only the ingredient list tells
# apart. A small ConvNeXt (timm convnext_atto, random init), stage merging
# and CBAM to 64 channels, a 2-layer diffusion decoder, 3 DDIM steps.
# toy_dcc.py adds the text teacher and toy_dccd.py the distillation: the image
# path is the same in all three, so the table compares the text branch alone.
_base_ = ['../_base_/default_runtime.py']
data_root = 'data/toy_food'
num_classes = 12
crop_size = (128, 128)
norm_cfg = dict(type='BN', requires_grad=True)
model = dict(
    type='SelfDistillSegmentor',
    data_preprocessor=dict(
        type='SegDataPreProcessor', mean=[123.675, 116.28, 103.53],
        std=[58.395, 57.12, 57.375], bgr_to_rgb=True, pad_val=0,
        seg_pad_val=255, size=crop_size),
    backbone=dict(type='TimmConvNeXt', arch='convnext_atto', drop_path_rate=0.0),
    neck=[
        dict(type='MultiStageMerging', in_channels=[40, 80, 160, 320],
             out_channels=64, norm_cfg=dict(type='GN', num_groups=16)),
        dict(type='CBAM', in_channels=64, reduction=8),
    ],
    decode_head=dict(
        type='DeformableDiffusionHead', in_channels=64, channels=64,
        num_layers=2, num_heads=4, num_points=4, ffn_channels=256,
        bit_scale=0.01, num_classes=num_classes, dropout_ratio=0.0,
        norm_cfg=norm_cfg, align_corners=False,
        loss_decode=dict(type='CrossEntropyLoss', use_sigmoid=False, loss_weight=1.0)),
    auxiliary_head=dict(
        type='FCNHead', in_channels=64, in_index=0, channels=64, num_convs=1,
        concat_input=False, dropout_ratio=0.1, num_classes=num_classes,
        norm_cfg=norm_cfg, align_corners=False,
        loss_decode=dict(type='CrossEntropyLoss', use_sigmoid=False, loss_weight=0.4)),
    class_names='ToyFoodDataset',
    train_cfg=dict(),
    test_cfg=dict(mode='whole', branch=None, steps=3, seed=0))

meta_keys = ('img_path', 'seg_map_path', 'ori_shape', 'img_shape', 'pad_shape',
             'scale_factor', 'flip', 'flip_direction', 'reduce_zero_label',
             'ingredients')
train_pipeline = [
    dict(type='LoadCheckedImageFromFile'),
    dict(type='LoadAnnotations'),
    dict(type='ExtractIngredients', num_classes=num_classes),
    dict(type='RandomFlip', prob=0.5),
    dict(type='PackSegInputs', meta_keys=meta_keys),
]
test_pipeline = [
    dict(type='LoadCheckedImageFromFile'),
    dict(type='LoadAnnotations'),
    dict(type='ExtractIngredients', num_classes=num_classes),
    dict(type='PackSegInputs', meta_keys=meta_keys),
]
train_dataloader = dict(
    batch_size=8,
    num_workers=0,
    sampler=dict(type='InfiniteSampler', shuffle=True),
    dataset=dict(
        type='ToyFoodDataset',
        data_root=data_root,
        data_prefix=dict(img_path='Images/img_dir/train', seg_map_path='Images/ann_dir/train'),
        pipeline=train_pipeline))
val_dataloader = dict(
    batch_size=8,
    num_workers=0,
    sampler=dict(type='DefaultSampler', shuffle=False),
    dataset=dict(
        type='ToyFoodDataset',
        data_root=data_root,
        data_prefix=dict(img_path='Images/img_dir/test', seg_map_path='Images/ann_dir/test'),
        pipeline=test_pipeline))
test_dataloader = val_dataloader
val_evaluator = dict(type='IoUMetric', iou_metrics=['mIoU'])
test_evaluator = val_evaluator

max_iters = 1000
optim_wrapper = dict(
    type='OptimWrapper',
    optimizer=dict(type='AdamW', lr=1e-3, betas=(0.9, 0.999), weight_decay=0.01),
    paramwise_cfg=dict(custom_keys={'norm': dict(decay_mult=0.)}))
param_scheduler = [
    dict(type='LinearLR', start_factor=1e-3, by_epoch=False, begin=0, end=50),
    dict(type='PolyLR', power=1.0, eta_min=0.0, by_epoch=False, begin=50, end=max_iters),
]
train_cfg = dict(type='IterBasedTrainLoop', max_iters=max_iters, val_interval=max_iters)
val_cfg = dict(type='ValLoop')
test_cfg = dict(type='TestLoop')
default_hooks = dict(
    timer=dict(type='IterTimerHook'),
    logger=dict(type='LoggerHook', interval=50, log_metric_by_epoch=False),
    param_scheduler=dict(type='ParamSchedulerHook'),
    checkpoint=dict(type='AtomicCheckpointHook', by_epoch=False, interval=max_iters),
    sampler_seed=dict(type='DistSamplerSeedHook'),
    visualization=dict(type='SegVisualizationHook'))
env_cfg = dict(cudnn_benchmark=False, dist_cfg=dict(backend='gloo'))
