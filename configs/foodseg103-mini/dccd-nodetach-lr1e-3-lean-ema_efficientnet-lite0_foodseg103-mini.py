# The teacher-not-detached lead on the schedule of `dccd-lr1e-3-lean-ema_…`
# (the cheaper step, its weights averaged).
_base_ = './dccd-lr1e-3-lean-ema_efficientnet-lite0_foodseg103-mini.py'
model = dict(distill_loss=dict(detach_teacher=False))
