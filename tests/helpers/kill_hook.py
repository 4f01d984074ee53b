"""A test-only hook: a crash at a known point, with no polling from outside.

``KillAfterCheckpointHook(iteration=N)`` sends SIGKILL to its own training
process right after iteration N, once every other hook (the checkpoint hook
included) is done with it, so a test can resume from ``iter_N.pth`` on a
machine of any speed or load. Imported by the subprocess through
``custom_imports`` (``tests/configs/micro_toy_crash.py``).
"""
import os
import signal

from mmengine.hooks import Hook
from mmengine.registry import HOOKS


@HOOKS.register_module()
class KillAfterCheckpointHook(Hook):
    """SIGKILL the process after train iteration ``iteration`` (1-based)."""

    priority = 'LOWEST'  # after the checkpoint hook has written the file

    def __init__(self, iteration: int) -> None:
        self.iteration = iteration

    def after_train_iter(self, runner, batch_idx, data_batch=None, outputs=None) -> None:
        if runner.iter + 1 == self.iteration:
            os.kill(os.getpid(), signal.SIGKILL)
