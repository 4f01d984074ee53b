# DCCD at the learning rate of the DDP schedule lead `ddp-lr1e-3_…` (AdamW
# 1e-3 in place of 4e-3, the backbone still at 0.1x): is the student's gain
# over DDP still there at the rate where DDP reaches its plateau?
_base_ = './dccd_efficientnet-lite0_foodseg103-mini.py'
optim_wrapper = dict(optimizer=dict(lr=1e-3))
