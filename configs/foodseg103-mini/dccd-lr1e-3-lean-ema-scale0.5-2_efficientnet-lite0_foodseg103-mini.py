# DCCD on the schedule of `ddp-lr1e-3-lean-ema-scale0.5-2_…`: mmseg's scale
# jitter (0.5-2x, short sides 100-400); the same changes from
# `dccd-lr1e-3-lean-ema_…` as that config makes from `ddp-lr1e-3-lean-ema_…`
# (a test checks it).
_base_ = './dccd-lr1e-3-lean-ema_efficientnet-lite0_foodseg103-mini.py'
train_pipeline = _base_.train_pipeline[:3] + [
    dict(type='RandomResize', scale=(1024, 200), ratio_range=(0.5, 2.0), keep_ratio=True),
] + _base_.train_pipeline[4:]
train_dataloader = dict(dataset=dict(pipeline=train_pipeline))
