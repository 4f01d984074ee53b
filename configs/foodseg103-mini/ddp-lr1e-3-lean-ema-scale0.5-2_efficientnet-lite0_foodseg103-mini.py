# A lead (issue 19): the cheaper step with averaged weights (`ddp-lr1e-3-lean-ema_…`)
# on mmseg's usual scale jitter, 0.5-2x (short sides 100-400) in place of
# 0.8-1.2x (160-240): DDP's held-out curves on 931 photos peak before 2,000
# iterations and fall after (`-lean-ema-2.5k_…`), and wider jitter is the
# standard remedy for a small training set. Test size unchanged.
_base_ = './ddp-lr1e-3-lean-ema_efficientnet-lite0_foodseg103-mini.py'
train_pipeline = _base_.scale_jitter_train_pipeline
train_dataloader = dict(dataset=dict(pipeline=train_pipeline))
