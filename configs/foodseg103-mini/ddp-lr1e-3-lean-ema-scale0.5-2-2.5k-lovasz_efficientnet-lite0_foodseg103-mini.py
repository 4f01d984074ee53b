# DDP, 2,500 iterations with scale jitter, its decoder trained with CE plus
# the Lovasz-softmax loss (`ce_lovasz_losses` of the mini model), a lead for
# mIoU over 104 classes: the Lovasz term weighs a rare class present in a
# batch as much as the plate, as mIoU does. Its curve and test row:
# configs/foodseg103-mini/README.md.
_base_ = './ddp-lr1e-3-lean-ema-scale0.5-2-2.5k_efficientnet-lite0_foodseg103-mini.py'
model = dict(decode_head=dict(loss_decode=_base_.ce_lovasz_losses))
