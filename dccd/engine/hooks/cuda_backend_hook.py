"""CUDA backend settings of a run: TF32, and cuDNN autotuning for training only.

Written for DCCD (Apache-2.0) on mmengine's ``Hook`` (Apache-2.0).

- **TF32** (``env_cfg.tf32``, default True): set before the run, see
  :mod:`dccd.engine.precision`.
- **cuDNN benchmark**: ``env_cfg.cudnn_benchmark=True`` lets cuDNN time its
  convolution algorithms once per input shape. Training crops have one shape;
  test images do not (the 65 FoodSeg103 sample photos give 26 shapes after
  the test resize), and each new shape is re-tuned. The hook switches the
  autotuner off for validation and testing and back to the config's setting
  afterwards.

Added to every DCCD config by ``configs/_base_/default_runtime.py``.
Without CUDA it changes nothing.
"""
import torch
from mmengine.hooks import Hook

from mmseg.registry import HOOKS

from ..precision import apply_tf32, tf32_from_cfg

__all__ = ['CudaBackendHook']


@HOOKS.register_module()
class CudaBackendHook(Hook):
    """TF32 from ``env_cfg.tf32``; cuDNN benchmark off while evaluating.

    Args:
        eval_cudnn_benchmark (bool): cuDNN benchmark during validation and
            testing. Default False (many image shapes).
    """

    priority = 'VERY_HIGH'

    def __init__(self, eval_cudnn_benchmark: bool = False) -> None:
        self.eval_cudnn_benchmark = eval_cudnn_benchmark
        self._saved = None

    def before_run(self, runner) -> None:
        """Apply ``env_cfg.tf32`` (CUDA only)."""
        apply_tf32(tf32_from_cfg(runner.cfg))

    def _evaluating(self) -> None:
        self._saved = torch.backends.cudnn.benchmark
        torch.backends.cudnn.benchmark = self.eval_cudnn_benchmark

    def _done(self) -> None:
        if self._saved is not None:
            torch.backends.cudnn.benchmark = self._saved
            self._saved = None

    def before_val(self, runner) -> None:
        """cuDNN benchmark off for validation."""
        self._evaluating()

    def after_val(self, runner) -> None:
        """The training setting back."""
        self._done()

    def before_test(self, runner) -> None:
        """cuDNN benchmark off for testing."""
        self._evaluating()

    def after_test(self, runner) -> None:
        """The previous setting back."""
        self._done()
