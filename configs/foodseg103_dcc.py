# DCC on FoodSeg103: DDP-FPN + CLIP (add) + CBAM: merge -> CBAM -> add text ->
# diffusion decoder. Trained and tested as the teacher (image + ingredient
# text); test-time ingredients come from the GT mask, an ORACLE result.
# Paper Table 1, "DCC": 48.46 mIoU.
_base_ = './foodseg103_ddp-nofpn_clip.py'
model = dict(neck=[
    dict(
        type='MultiStageMerging',
        in_channels=[192, 384, 768, 1536],
        out_channels=256,
        kernel_size=1,
        norm_cfg=dict(type='GN', num_groups=32),
        act_cfg=None),
    dict(type='CBAM', in_channels=256, reduction=16, spatial_kernel=7),
])
