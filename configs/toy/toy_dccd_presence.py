# Toy DCCD + an ingredient-presence head (not a paper config): the pooled image
# feature predicts which ingredients are on the plate (multi-label BCE, weight
# 0.5), so the teacher can run on lists proposed from the image alone
# (`--ingredients auto`, method 'presence'). Its targets are the classes left
# after the train pipeline's crop/flip (`crop_ingredients`).
_base_ = ['./toy_dccd.py']
train_pipeline = _base_.train_pipeline[:-1] + [
    dict(type='ExtractIngredients', num_classes=_base_.num_classes, after_crop=True,
         key='crop_ingredients'),
    _base_.train_pipeline[-1],
]
train_dataloader = dict(dataset=dict(pipeline=train_pipeline))
model = dict(presence_head=dict(type='IngredientPresenceHead', in_channels=64,
                                num_classes=_base_.num_classes, hidden_channels=128,
                                loss_weight=0.5))
