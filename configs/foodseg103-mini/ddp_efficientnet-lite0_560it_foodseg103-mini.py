# DDP on FoodSeg103-mini from ImageNet EfficientNet-Lite0 with twice the
# schedule (560 iterations, about four passes over the training photos,
# twice the default's time): does the gap to random init grow with training?
_base_ = './ddp_efficientnet-lite0_foodseg103-mini.py'
max_iters = 560
train_cfg = dict(max_iters=max_iters, val_interval=max_iters)
param_scheduler = [
    dict(type='LinearLR', start_factor=1e-3, by_epoch=False, begin=0, end=30),
    dict(type='PolyLR', power=1.0, eta_min=0.0, by_epoch=False, begin=30, end=max_iters),
]
default_hooks = dict(checkpoint=dict(interval=max_iters))
