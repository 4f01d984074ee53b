# DDP, 2,500 iterations with scale jitter, its decoder trained with CE plus
# the Lovasz-softmax loss (Berman et al. 2018, mmseg's LovaszLoss: a surrogate
# of each class's IoU, averaged over the classes present in the batch), a
# lead for mIoU over 104 classes: the Lovasz term weighs a rare class present
# in a batch as much as the plate, as mIoU does. Its curve and test row:
# configs/foodseg103-mini/README.md.
_base_ = './ddp-lr1e-3-lean-ema-scale0.5-2-2.5k_efficientnet-lite0_foodseg103-mini.py'
model = dict(decode_head=dict(loss_decode=[
    dict(type='CrossEntropyLoss', use_sigmoid=False, loss_weight=1.0),
    # per_image=False: one Lovasz extension over the batch's pixels (mmseg
    # then requires reduction='none')
    dict(type='LovaszLoss', loss_type='multi_class', classes='present', per_image=False,
         reduction='none', loss_weight=1.0)]))
