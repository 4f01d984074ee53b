# micro_toy_dccd.py as DCC (no distillation): trained and tested as the
# teacher. The micro DCCD checkpoint holds every weight it needs.
_base_ = ['./micro_toy_dccd.py']
model = dict(distill_loss=None)
