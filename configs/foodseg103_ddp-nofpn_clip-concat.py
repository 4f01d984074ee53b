# DDP-FPN + CLIP on FoodSeg103 with CONCAT fusion: the projected text vector is
# broadcast, concatenated with the image feature and merged back to 256 by a
# 1x1 conv. Paper Table 4, "concat" row (its "add" row is
# foodseg103_ddp-nofpn_clip.py). Teacher, tested with GT ingredients (oracle).
_base_ = './foodseg103_ddp-nofpn_clip.py'
model = dict(text_fusion=dict(mode='concat'))
