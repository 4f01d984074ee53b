# A cheaper step (issue 19), two changes of the model, both config keys: the
# stem and the stride-2 and stride-4 blocks frozen (their high-resolution
# backward, the dearest part of a CPU step, never runs; ImageNet's low-level
# filters kept) and no auxiliary FCN head (its 3x3 convolution at 1/4 cost
# about a tenth of the step; the decoder's CE supervises the same feature).
_base_ = './ddp-lr1e-3_efficientnet-lite0_foodseg103-mini.py'
model = dict(
    backbone=dict(frozen_modules=['conv_stem', 'bn1', 'blocks.0', 'blocks.1']),
    auxiliary_head=None)
