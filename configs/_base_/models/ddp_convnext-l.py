# DDP (Ji et al., ICCV 2023) with a ConvNeXt-L backbone, as DDP's
# ddp_convnext_l_4x4_512x1024_160k_cityscapes config: ImageNet-22k ConvNeXt-L
# (drop path 0.4) -> FPN (256 each) -> multi-stage merging (1/4, 256) ->
# 6-layer time-conditioned deformable-attention diffusion decoder, 3 DDIM
# steps, bit scale 0.01, and an auxiliary FCN head (weight 0.4) on the merged
# feature. The DCCD paper's Eq. 6 leaves the auxiliary loss out; DDP trains
# with it and so do all our rows.
#
# Weights: the backbone's `checkpoint` is a timm tag (downloaded when online)
# or a local file; see README "Pretrained weights offline".
#
# The parts the DCCD leaves swap in are named here once (leaves refer to them
# as _base_.<name>): the stage-merging neck without FPN ("DDP-FPN"), CBAM, and
# the frozen CLIP ViT-L/14 text path (prompt -> 768-d -> linear 256 -> add).
norm_cfg = dict(type='SyncBN', requires_grad=True)
stage_merging_neck = dict(
    type='MultiStageMerging',
    in_channels=[192, 384, 768, 1536],
    out_channels=256,
    kernel_size=1,
    norm_cfg=dict(type='GN', num_groups=32),
    act_cfg=None)
cbam_neck = dict(type='CBAM', in_channels=256, reduction=16, spatial_kernel=7)
clip_text_encoder = dict(
    type='CLIPIngredientEncoder',
    model_name='ViT-L-14',
    pretrained='openai',  # or a local file, see README
    quick_gelu=True,  # OpenAI's CLIP uses QuickGELU
    frozen=True,
    template='a photo of {}',
    separator=', ')
text_fusion_add = dict(type='TextFusion', text_dims=768, channels=256, mode='add')
data_preprocessor = dict(
    type='SegDataPreProcessor',
    mean=[123.675, 116.28, 103.53],
    std=[58.395, 57.12, 57.375],
    bgr_to_rgb=True,
    pad_val=0,
    seg_pad_val=255)
model = dict(
    type='SelfDistillSegmentor',
    data_preprocessor=data_preprocessor,
    backbone=dict(
        type='TimmConvNeXt',
        arch='convnext_large',
        out_indices=(0, 1, 2, 3),
        drop_path_rate=0.4,
        with_cp=False,
        init_cfg=dict(type='Pretrained', checkpoint='convnext_large.fb_in22k')),
    neck=[
        dict(
            type='FPN',
            in_channels=[192, 384, 768, 1536],
            out_channels=256,
            num_outs=4,
            norm_cfg=dict(type='GN', num_groups=32),
            act_cfg=None),
        dict(stage_merging_neck, in_channels=[256, 256, 256, 256]),
    ],
    decode_head=dict(
        type='DeformableDiffusionHead',
        in_channels=256,
        channels=256,
        num_layers=6,
        num_heads=8,
        num_points=4,
        ffn_channels=1024,
        bit_scale=0.01,
        sample_range=(0.0, 0.999),
        time_difference=1,
        # DDP's CE on logits up-sampled to the GT; True takes it at 1/4 size
        # (the FoodSeg103-mini configs do, to save CPU time)
        loss_at_feature_size=False,
        with_cp=False,
        attn_recompute=None,  # None: on for CUDA without mmcv's kernel, off on CPU
        torch_compile=False,  # True or a dict of torch.compile options: opt-in
        num_classes=104,
        dropout_ratio=0.0,
        norm_cfg=norm_cfg,
        align_corners=False,
        loss_decode=dict(type='CrossEntropyLoss', use_sigmoid=False, loss_weight=1.0)),
    auxiliary_head=dict(
        type='FCNHead',
        in_channels=256,
        in_index=0,
        channels=256,
        num_convs=1,
        concat_input=False,
        dropout_ratio=0.1,
        num_classes=104,
        norm_cfg=norm_cfg,
        align_corners=False,
        loss_decode=dict(type='CrossEntropyLoss', use_sigmoid=False, loss_weight=0.4)),
    # the auxiliary CE, as mmseg and DDP, on logits up-sampled to the GT
    train_cfg=dict(aux_loss_at_feature_size=False),
    # branch None: the image-only student (the teacher for DCC); lists
    # 'metainfo' (the pipeline's) or 'auto' (proposed from the image; auto's
    # None = the default: method 'presence' with a presence head, else
    # 'area', and that method's threshold)
    test_cfg=dict(mode='whole', branch=None, steps=3, seed=0, lists='metainfo',
                  auto=dict(method=None, threshold=None)))
