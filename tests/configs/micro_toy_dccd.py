# configs/toy/toy_dccd.py at micro size, for tests that need a trained
# checkpoint: 64x64 toy plates, one decoder layer, 6 iterations.
_base_ = ['../../configs/toy/toy_dccd.py']
crop_size = (64, 64)
model = dict(
    data_preprocessor=dict(size=crop_size),
    decode_head=dict(num_layers=1, ffn_channels=64))
train_cfg = dict(max_iters=6, val_interval=6)
param_scheduler = [
    dict(type='LinearLR', start_factor=1e-3, by_epoch=False, begin=0, end=2),
    dict(type='PolyLR', power=1.0, eta_min=0.0, by_epoch=False, begin=2, end=6),
]
default_hooks = dict(
    logger=dict(interval=1),
    checkpoint=dict(interval=3))
