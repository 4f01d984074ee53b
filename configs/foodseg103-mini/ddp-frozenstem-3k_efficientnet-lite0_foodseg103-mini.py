# A schedule lead (issue 19): DDP with 3,000 iterations in place of 2,000,
# paid for by freezing the stem and the stride-2 and stride-4 blocks (their
# high-resolution backward, the dearest part of a CPU step, never runs).
_base_ = './ddp_efficientnet-lite0_foodseg103-mini.py'
max_iters = 3000
model = dict(backbone=dict(frozen_modules=['conv_stem', 'bn1', 'blocks.0', 'blocks.1']))
param_scheduler = [
    dict(type='LinearLR', start_factor=1e-3, by_epoch=False, begin=0, end=100),
    dict(type='PolyLR', power=1.0, eta_min=0.0, by_epoch=False, begin=100, end=max_iters),
]
train_cfg = dict(max_iters=max_iters)
