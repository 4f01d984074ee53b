# Micro DCCD model for unit tests: convnext_atto, 32 channels, one decoder
# layer, a 1-layer random CLIP text tower; 5 classes. Tests derive DDP / DCC
# from it by removing distill_loss / text_encoder + text_fusion.
norm_cfg = dict(type='BN', requires_grad=True)
model = dict(
    type='SelfDistillSegmentor',
    data_preprocessor=dict(
        type='SegDataPreProcessor', mean=[123.675, 116.28, 103.53],
        std=[58.395, 57.12, 57.375], bgr_to_rgb=True, pad_val=0,
        seg_pad_val=255, size=(32, 32)),
    backbone=dict(type='TimmConvNeXt', arch='convnext_atto', drop_path_rate=0.0),
    neck=[
        dict(type='MultiStageMerging', in_channels=[40, 80, 160, 320],
             out_channels=32, norm_cfg=dict(type='GN', num_groups=8)),
        dict(type='CBAM', in_channels=32, reduction=4),
    ],
    decode_head=dict(
        type='DeformableDiffusionHead', in_channels=32, channels=32,
        num_layers=1, num_heads=2, num_points=2, ffn_channels=64,
        num_classes=5, dropout_ratio=0.0, norm_cfg=norm_cfg,
        loss_decode=dict(type='CrossEntropyLoss', use_sigmoid=False, loss_weight=1.0)),
    auxiliary_head=dict(
        type='FCNHead', in_channels=32, in_index=0, channels=16, num_convs=1,
        concat_input=False, dropout_ratio=0.0, num_classes=5, norm_cfg=norm_cfg,
        loss_decode=dict(type='CrossEntropyLoss', use_sigmoid=False, loss_weight=0.4)),
    text_encoder=dict(
        type='CLIPIngredientEncoder', model_name='ViT-B-32', pretrained=None,
        text_cfg=dict(width=32, heads=2, layers=1, context_length=16), embed_dim=24),
    text_fusion=dict(type='TextFusion', text_dims=24, channels=32, mode='add'),
    distill_loss=dict(type='DistillKLLoss', temperature=1.0, loss_weight=1.0),
    class_names=('background', 'rice', 'egg', 'peach', 'mango'),
    train_cfg=dict(),
    test_cfg=dict(mode='whole', branch=None, steps=3, seed=0))
