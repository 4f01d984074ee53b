# DDP-FPN + CBAM on FoodSeg103: channel then spatial attention (Woo et al. 2018)
# on the merged image feature. Image only. Paper ablation (Table 3), "+CBAM".
_base_ = './foodseg103_ddp-nofpn.py'
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
