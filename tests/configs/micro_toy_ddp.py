# micro_toy_dccd.py without the text path (DDP, image only): the micro DCCD
# checkpoint, less its text_encoder / text_fusion weights, loads into it.
_base_ = ['./micro_toy_dccd.py']
model = dict(distill_loss=None, text_encoder=None, text_fusion=None)
