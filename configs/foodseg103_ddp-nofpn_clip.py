# DDP-FPN + CLIP on FoodSeg103: the image's ingredient list, as the prompt
# "a photo of <names sorted by class id, joined by ', '>", is encoded by the
# frozen CLIP ViT-L/14 text tower (OpenAI weights), mapped 768 -> 256 and
# ADDED to every pixel of the image feature. Trained and tested as the
# teacher; test-time ingredients come from the GT mask (an oracle).
# Paper ablation (Table 3), "+CLIP"; also Table 4's "add" row.
_base_ = './foodseg103_ddp-nofpn.py'
model = dict(text_encoder=_base_.clip_text_encoder, text_fusion=_base_.text_fusion_add)
