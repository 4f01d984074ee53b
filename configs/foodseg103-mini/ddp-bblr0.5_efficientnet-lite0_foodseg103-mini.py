# A schedule lead (issue 19): DDP with the pretrained backbone at 0.5x the
# learning rate (0.1x in the mini schedule): does the backbone's low rate
# hold back a held-out curve that still rises at the end?
_base_ = './ddp_efficientnet-lite0_foodseg103-mini.py'
optim_wrapper = dict(paramwise_cfg=dict(custom_keys={'backbone': dict(lr_mult=0.5)}))
