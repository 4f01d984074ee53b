# A schedule lead (issue 19): DCCD on the cheaper step with its weights
# averaged (`dccd-lr1e-3-lean-ema_…`) for 2,500 iterations in place of 2,000,
# the schedule of `ddp-lr1e-3-lean-ema-2.5k_…` (its DDP to compare with).
_base_ = './dccd-lr1e-3-lean-ema_efficientnet-lite0_foodseg103-mini.py'
max_iters = 2500
param_scheduler = [
    dict(type='LinearLR', start_factor=1e-3, by_epoch=False, begin=0, end=100),
    dict(type='PolyLR', power=1.0, eta_min=0.0, by_epoch=False, begin=100, end=max_iters),
]
train_cfg = dict(max_iters=max_iters)
