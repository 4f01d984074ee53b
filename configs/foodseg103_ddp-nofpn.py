# "DDP-FPN" on FoodSeg103: DDP with its FPN removed; the four ConvNeXt-L stages
# (192/384/768/1536) are resized to 1/4, concatenated and merged by one 1x1
# conv (+GN) to 256. Paper ablation (Table 3), first row.
_base_ = './foodseg103_ddp.py'
model = dict(neck=[
    dict(
        type='MultiStageMerging',
        in_channels=[192, 384, 768, 1536],
        out_channels=256,
        kernel_size=1,
        norm_cfg=dict(type='GN', num_groups=32),
        act_cfg=None),
])
