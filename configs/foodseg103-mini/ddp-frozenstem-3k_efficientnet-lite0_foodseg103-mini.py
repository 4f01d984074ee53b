# A schedule lead (issue 19): DDP with 3,000 iterations in place of 2,000,
# paid for by freezing the stem and the stride-2 and stride-4 blocks (their
# high-resolution backward, the dearest part of a CPU step, never runs).
_base_ = './ddp_efficientnet-lite0_foodseg103-mini.py'
model = dict(backbone=dict(frozen_modules=['conv_stem', 'bn1', 'blocks.0', 'blocks.1']))
train_cfg = dict(max_iters=3000)
