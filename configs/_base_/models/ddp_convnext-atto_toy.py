# The toy DDP model: DCCD's image path at CPU size. A small ConvNeXt (timm
# convnext_atto, random init), stage merging (no FPN) and CBAM to 64 channels,
# a 2-layer time-conditioned deformable-attention diffusion decoder (4 heads,
# FFN 128), 3 DDIM steps, and DDP's auxiliary FCN head (weight 0.4). BN, not
# SyncBN: the toy runs in one process. For configs/toy/.
norm_cfg = dict(type='BN', requires_grad=True)
model = dict(
    type='SelfDistillSegmentor',
    data_preprocessor=dict(
        type='SegDataPreProcessor', mean=[123.675, 116.28, 103.53],
        std=[58.395, 57.12, 57.375], bgr_to_rgb=True, pad_val=0,
        seg_pad_val=255),
    backbone=dict(type='TimmConvNeXt', arch='convnext_atto', drop_path_rate=0.0),
    neck=[
        dict(type='MultiStageMerging', in_channels=[40, 80, 160, 320],
             out_channels=64, norm_cfg=dict(type='GN', num_groups=16)),
        dict(type='CBAM', in_channels=64, reduction=8),
    ],
    decode_head=dict(
        type='DeformableDiffusionHead', in_channels=64, channels=64,
        num_layers=2, num_heads=4, num_points=4, ffn_channels=128,
        bit_scale=0.01, dropout_ratio=0.0, norm_cfg=norm_cfg, align_corners=False,
        loss_decode=dict(type='CrossEntropyLoss', use_sigmoid=False, loss_weight=1.0)),
    auxiliary_head=dict(
        type='FCNHead', in_channels=64, in_index=0, channels=64, num_convs=1,
        concat_input=False, dropout_ratio=0.1, norm_cfg=norm_cfg, align_corners=False,
        loss_decode=dict(type='CrossEntropyLoss', use_sigmoid=False, loss_weight=0.4)),
    train_cfg=dict(),
    # branch None: the image-only student (the teacher for DCC); lists
    # 'metainfo' (the pipeline's) or 'auto' (proposed from the image; auto's
    # None = the default: method 'presence' with a presence head, else
    # 'area', and that method's threshold)
    test_cfg=dict(mode='whole', branch=None, steps=3, seed=0, lists='metainfo',
                  auto=dict(method=None, threshold=None)))
