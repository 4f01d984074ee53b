# DCCD on FoodSeg103-mini + an ingredient-presence head (not a paper config):
# the pooled image feature predicts which of the 103 foods are on the plate
# (multi-label BCE, weight 0.5), so the teacher can run on lists proposed from
# the photo alone (`--ingredients auto`, method 'presence'). Its targets are
# the classes visible in the 128x128 crop the network sees (`crop_ingredients`),
# not the full photo's list.
_base_ = './dccd_efficientnet-lite0_foodseg103-mini.py'
train_pipeline = _base_.train_pipeline[:-1] + [
    dict(type='ExtractIngredients', num_classes=_base_.num_classes, after_crop=True,
         key='crop_ingredients'),
    _base_.train_pipeline[-1],
]
train_dataloader = dict(dataset=dict(pipeline=train_pipeline))
model = dict(presence_head=dict(type='IngredientPresenceHead', in_channels=_base_.channels,
                                num_classes=_base_.num_classes, hidden_channels=256,
                                loss_weight=0.5))
