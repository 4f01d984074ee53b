# The random-init control on the learning-rate-1e-3 schedule of `ddp-lr1e-3_…`.
_base_ = './ddp-random_efficientnet-lite0_foodseg103-mini.py'
optim_wrapper = dict(optimizer=dict(lr=1e-3))
