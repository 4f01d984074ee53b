# DCC on FoodSeg103-mini: + the ingredient text (prompt -> small random frozen
# open_clip tower -> linear -> added to every pixel). Trained and tested as the
# teacher, with each image's GT ingredient list (an oracle).
_base_ = './ddp_efficientnet-lite0_foodseg103-mini.py'
model = dict(text_encoder=_base_.small_clip_text_encoder, text_fusion=_base_.text_fusion_add)
