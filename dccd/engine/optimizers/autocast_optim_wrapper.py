"""Mixed precision without a loss scaler: autocast around the forward pass.

Written for DCCD (Apache-2.0) on mmengine's ``OptimWrapper`` (Apache-2.0).
mmengine's ``AmpOptimWrapper`` always builds a ``GradScaler``, also for
bfloat16, which has float32's exponent range and needs no scaling: every
step then pays an unscale pass over the gradients and a host sync for the
inf check. This wrapper is ``OptimWrapper`` (plain backward and step) with
``torch.autocast`` in :meth:`optim_context`, the context mmengine's models
run their forward in (``BaseModel.train_step``). ``tools/train.py --amp``
picks it for bfloat16 (:func:`dccd.engine.precision.use_amp`).
"""
import contextlib
from typing import Union

import torch
from mmengine.optim import OptimWrapper
from torch import nn

from mmseg.registry import OPTIM_WRAPPERS

__all__ = ['AutocastOptimWrapper']


@OPTIM_WRAPPERS.register_module()
class AutocastOptimWrapper(OptimWrapper):
    """``OptimWrapper`` whose forward runs under ``torch.autocast(dtype)``.

    Args:
        dtype (str | torch.dtype): autocast dtype; 'bfloat16' (default). Use
            mmengine's ``AmpOptimWrapper`` for float16, which needs loss
            scaling.
        **kwargs: ``OptimWrapper``'s (``optimizer``, ``clip_grad``,
            ``accumulative_counts``).
    """

    def __init__(self, dtype: Union[str, torch.dtype] = 'bfloat16', **kwargs) -> None:
        super().__init__(**kwargs)
        self.cast_dtype = getattr(torch, dtype) if isinstance(dtype, str) else dtype
        if not isinstance(self.cast_dtype, torch.dtype):
            raise TypeError(f'dtype must be a torch dtype or its name, got {dtype!r}')

    @contextlib.contextmanager
    def optim_context(self, model: nn.Module):
        """``OptimWrapper``'s context (gradient accumulation) plus autocast on
        the device of the model's parameters."""
        device = next(model.parameters()).device.type
        with super().optim_context(model), torch.autocast(device, dtype=self.cast_dtype):
            yield
