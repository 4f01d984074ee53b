# DCCD on the schedule of `ddp-lr1e-3-lean-ema-scale0.5-2_…`: mmseg's scale
# jitter (0.5-2x, short sides 100-400); the same changes from
# `dccd-lr1e-3-lean-ema_…` as that config makes from `ddp-lr1e-3-lean-ema_…`
# (a test checks it).
_base_ = './dccd-lr1e-3-lean-ema_efficientnet-lite0_foodseg103-mini.py'
train_pipeline = _base_.scale_jitter_train_pipeline
train_dataloader = dict(dataset=dict(pipeline=train_pipeline))
