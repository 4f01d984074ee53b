# A schedule lead (issue 19): DDP at learning rate 1e-3 (where its held-out
# curve reaches its plateau) with the pretrained backbone at 0.4x, i.e.
# 4e-4 (1e-4 in `ddp-lr1e-3_…`): the backbone's rate of the 4e-3 schedule,
# the head's rate of the 1e-3 one. Does the backbone's low rate set the
# height of the plateau?
_base_ = './ddp-lr1e-3_efficientnet-lite0_foodseg103-mini.py'
optim_wrapper = dict(paramwise_cfg=dict(custom_keys={'backbone': dict(lr_mult=0.4)}))
