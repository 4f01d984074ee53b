# A lead (issue 19): the scale-jitter lead (`ddp-lr1e-3-lean-ema-scale0.5-2_…`)
# with a wider image feature and decoder, 128 channels in place of 96 (4 heads
# of 32): the other answer to the underfitting that `ddp-lr2e-3-lean-ema-scale0.5-2_…`
# describes.
_base_ = './ddp-lr1e-3-lean-ema-scale0.5-2_efficientnet-lite0_foodseg103-mini.py'
channels = 128
model = dict(
    neck=[
        dict(type='MultiStageMerging', in_channels=[24, 40, 112, 320],
             out_channels=channels, norm_cfg=dict(type='GN', num_groups=32)),
        dict(type='CBAM', in_channels=channels, reduction=16),
    ],
    decode_head=dict(in_channels=channels, channels=channels))
