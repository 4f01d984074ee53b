# DCCD on the schedule of `ddp-lr1e-3-lean-ema-scale0.5-2-2.5k-lovasz_…`:
# 2,500 iterations, the Lovasz-softmax loss added to the decoder's CE (the
# teacher's and the student's: they share the decode head); the same changes
# from `dccd-lr1e-3-lean-ema-scale0.5-2_…` as that config makes from
# `ddp-lr1e-3-lean-ema-scale0.5-2_…` (a test checks it).
_base_ = './dccd-lr1e-3-lean-ema-scale0.5-2_efficientnet-lite0_foodseg103-mini.py'
model = dict(decode_head=dict(loss_decode=_base_.ce_lovasz_losses))
train_cfg = dict(max_iters=2500)
