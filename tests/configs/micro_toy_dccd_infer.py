# micro_toy_dccd.py for inference on real photos: the test pipeline resizes any
# photo to fit 128x128 (as FoodSeg103's resizes to 2048x1024), so the 65
# FoodSeg103 sample photos run in seconds on a CPU; masks come back at each
# photo's own size. Test inputs are padded to 128x128 (mmseg's
# data_preprocessor.test_cfg), so every photo has the same tensor shapes and
# the CPU kernels are not re-tuned per photo. Same model: the micro toy
# checkpoint loads unchanged.
_base_ = ['./micro_toy_dccd.py']
model = dict(data_preprocessor=dict(test_cfg=dict(size=(128, 128))))
test_pipeline = [
    dict(type='LoadCheckedImageFromFile'),
    dict(type='Resize', scale=(128, 128), keep_ratio=True),
    dict(type='LoadAnnotations'),
    dict(type='ExtractIngredients', num_classes=12),
    dict(type='PackFoodSegInputs'),
]
val_dataloader = dict(dataset=dict(pipeline=test_pipeline))
test_dataloader = dict(dataset=dict(pipeline=test_pipeline))
