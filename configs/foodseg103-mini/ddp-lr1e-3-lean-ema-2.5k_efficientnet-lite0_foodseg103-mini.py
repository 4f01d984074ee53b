# A schedule lead (issue 19): the cheaper step with its weights averaged
# (`ddp-lr1e-3-lean-ema_…`) for 2,500 iterations in place of 2,000 (about 21
# passes over the training photos in place of 17). The cheaper step pays for
# them: 2,500 of its iterations fit the 30-minute budget of a DDP run on the
# 2-core CPU.
_base_ = './ddp-lr1e-3-lean-ema_efficientnet-lite0_foodseg103-mini.py'
train_cfg = dict(max_iters=2500)
