# Toy DCC: toy_ddp + the ingredient-text teacher. A small random, frozen
# open_clip text tower (2 layers, width 64) stands in for CLIP ViT-L/14: it
# still maps different ingredient lists to different vectors, which is all
# the teacher needs here. Trained and tested as the teacher, with each image's
# ingredients taken from its GT mask (an oracle).
_base_ = ['./toy_ddp.py']
model = dict(
    text_encoder=dict(
        type='CLIPIngredientEncoder', model_name='ViT-B-32', pretrained=None,
        text_cfg=dict(width=64, heads=2, layers=2, context_length=32),
        embed_dim=64, frozen=True),
    text_fusion=dict(type='TextFusion', text_dims=64, channels=64, mode='add'))
