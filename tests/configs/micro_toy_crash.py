# micro_toy_dccd.py that kills itself (SIGKILL) right after iteration 3 and its
# checkpoint: the crash of the resume test, at a known point on any machine.
# The hook comes from tests/helpers (on PYTHONPATH in that test).
_base_ = ['./micro_toy_dccd.py']
custom_imports = dict(imports=['dccd', 'kill_hook'], allow_failed_imports=False)
custom_hooks = _base_.custom_hooks + [dict(type='KillAfterCheckpointHook', iteration=3)]
