# A tiny plain-mmsegmentation model on a generated 3-class dataset: tests the
# tools (train / resume / test) independently of the DCCD model.
data_root = 'data/tiny_seg'  # tests override it with --cfg-options
crop_size = (32, 32)
norm_cfg = dict(type='BN', requires_grad=True)
data_preprocessor = dict(
    type='SegDataPreProcessor', mean=[127.5] * 3, std=[127.5] * 3,
    bgr_to_rgb=True, pad_val=0, seg_pad_val=255, size=crop_size)
model = dict(
    type='EncoderDecoder',
    data_preprocessor=data_preprocessor,
    backbone=dict(
        type='ResNetV1c', depth=18, stem_channels=8, base_channels=8,
        num_stages=2, strides=(1, 2), dilations=(1, 1), out_indices=(1, ),
        norm_cfg=norm_cfg, contract_dilation=True),
    decode_head=dict(
        type='FCNHead', in_channels=16, channels=16, num_convs=1,
        concat_input=False, num_classes=3, norm_cfg=norm_cfg,
        loss_decode=dict(type='CrossEntropyLoss', loss_weight=1.0)),
    train_cfg=dict(),
    test_cfg=dict(mode='whole'))

dataset = dict(
    type='BaseSegDataset', data_root=data_root,
    metainfo=dict(classes=('background', 'bread', 'jam'),
                  palette=[[0, 0, 0], [200, 160, 90], [160, 20, 40]]),
    img_suffix='.png', seg_map_suffix='.png')
train_dataloader = dict(
    batch_size=2, num_workers=0,
    sampler=dict(type='InfiniteSampler', shuffle=True),
    dataset=dict(
        **dataset, data_prefix=dict(img_path='img/train', seg_map_path='ann/train'),
        pipeline=[
            dict(type='LoadImageFromFile'),
            dict(type='LoadAnnotations'),
            dict(type='RandomFlip', prob=0.5),
            dict(type='PackSegInputs'),
        ]))
test_pipeline = [
    dict(type='LoadImageFromFile'),
    dict(type='LoadAnnotations'),
    dict(type='PackSegInputs'),
]
val_dataloader = dict(
    batch_size=1, num_workers=0,
    sampler=dict(type='DefaultSampler', shuffle=False),
    dataset=dict(
        **dataset, data_prefix=dict(img_path='img/test', seg_map_path='ann/test'),
        pipeline=test_pipeline))
test_dataloader = val_dataloader
val_evaluator = dict(type='IoUMetric', iou_metrics=['mIoU'])
test_evaluator = val_evaluator

optim_wrapper = dict(type='OptimWrapper', optimizer=dict(type='AdamW', lr=1e-2))
param_scheduler = [dict(type='PolyLR', power=1.0, begin=0, end=8, by_epoch=False)]
train_cfg = dict(type='IterBasedTrainLoop', max_iters=8, val_interval=100)
val_cfg = dict(type='ValLoop')
test_cfg = dict(type='TestLoop')

default_scope = 'mmseg'
env_cfg = dict(cudnn_benchmark=False, dist_cfg=dict(backend='gloo'))
log_level = 'INFO'
log_processor = dict(by_epoch=False)
randomness = dict(seed=0)
default_hooks = dict(
    timer=dict(type='IterTimerHook'),
    logger=dict(type='LoggerHook', interval=1, log_metric_by_epoch=False),
    param_scheduler=dict(type='ParamSchedulerHook'),
    checkpoint=dict(type='CheckpointHook', by_epoch=False, interval=4),
    sampler_seed=dict(type='DistSamplerSeedHook'),
    visualization=dict(type='SegVisualizationHook'))
vis_backends = [dict(type='LocalVisBackend')]
visualizer = dict(type='SegLocalVisualizer', vis_backends=vis_backends, name='visualizer')
load_from = None
resume = False
