# A schedule lead (issue 19): DDP at a quarter of the mini learning rate
# (AdamW 1e-3, the backbone still at 0.1x): the backbone at 0.5x learned
# slower, and 4e-3 was never measured against a lower rate.
_base_ = './ddp_efficientnet-lite0_foodseg103-mini.py'
optim_wrapper = dict(optimizer=dict(lr=1e-3))
