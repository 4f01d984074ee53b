# The teacher-not-detached lead on the schedule of
# `dccd-lr1e-3-lean-ema-scale0.5-2_…` (the cheaper step, its weights
# averaged, mmseg's scale jitter 0.5-2x).
_base_ = './dccd-lr1e-3-lean-ema-scale0.5-2_efficientnet-lite0_foodseg103-mini.py'
model = dict(distill_loss=dict(detach_teacher=False))
