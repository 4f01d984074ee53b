"""Numeric precision on a GPU: TF32, and which mixed precision ``--amp`` means.

Written for DCCD (Apache-2.0). One place for the choices the tools and the
API share:

- **TF32** (:func:`apply_tf32`): on by default on CUDA, for matrix products
  and cuDNN convolutions (Ampere and newer run fp32 matmuls on tensor cores
  with a 10-bit mantissa). The config key is ``env_cfg.tf32`` (default True;
  ``--cfg-options env_cfg.tf32=False`` keeps strict fp32). On a machine
  without CUDA nothing is changed, so CPU runs stay bit-identical.
- **--amp** (:func:`amp_dtype`, :func:`use_amp`): bfloat16 where the device
  computes it natively (CUDA compute capability 8.0 and newer, and the CPU),
  with no loss scaler (bf16 has fp32's range: mmengine's ``AmpOptimWrapper``
  would still unscale and check every step); float16 with mmengine's dynamic
  loss scaling elsewhere (V100, T4).
"""
import contextlib
from typing import Optional, Union

import torch

from ..utils import InputError

__all__ = ['apply_tf32', 'tf32_from_cfg', 'amp_dtype', 'use_amp', 'autocast']


def tf32_from_cfg(cfg) -> bool:
    """``env_cfg.tf32`` of a config (True when absent)."""
    env_cfg = cfg.get('env_cfg') or {}
    return bool(env_cfg.get('tf32', True))


def apply_tf32(enabled: bool = True) -> None:
    """TF32 for CUDA matmuls and cuDNN convolutions on or off; nothing
    without CUDA."""
    if not torch.cuda.is_available():
        return
    torch.backends.cuda.matmul.allow_tf32 = bool(enabled)
    torch.backends.cudnn.allow_tf32 = bool(enabled)


def amp_dtype(device: Union[str, torch.device]) -> torch.dtype:
    """bfloat16 where ``device`` computes it natively (CUDA capability >= 8.0,
    or the CPU), else float16."""
    device = torch.device(device)
    if device.type != 'cuda':
        return torch.bfloat16
    major, _ = torch.cuda.get_device_capability(device)
    return torch.bfloat16 if major >= 8 else torch.float16


def use_amp(optim_wrapper: dict, device: Union[str, torch.device]) -> str:
    """Turn an ``OptimWrapper`` config into ``--amp`` training, in place.

    bfloat16: :class:`~dccd.engine.optimizers.AutocastOptimWrapper` (autocast,
    no loss scaler); float16: mmengine's ``AmpOptimWrapper`` with dynamic loss
    scaling. A config that already uses either is left alone.

    Returns:
        str: 'bfloat16' or 'float16' (the config's own dtype if it was set).

    Raises:
        InputError: another optimiser wrapper type.
    """
    kind = optim_wrapper.get('type')
    if kind in ('AmpOptimWrapper', 'AutocastOptimWrapper'):
        return str(optim_wrapper.get('dtype') or 'float16')
    if kind != 'OptimWrapper':
        raise InputError(f'--amp needs optim_wrapper.type OptimWrapper, the config has {kind}')
    dtype = amp_dtype(device)
    if dtype == torch.bfloat16:
        optim_wrapper.update(type='AutocastOptimWrapper', dtype='bfloat16')
        return 'bfloat16'
    optim_wrapper.update(type='AmpOptimWrapper', dtype='float16', loss_scale='dynamic')
    return 'float16'


def autocast(device: Union[str, torch.device], enabled: bool = True,
             dtype: Optional[torch.dtype] = None):
    """``torch.autocast`` on ``device`` in :func:`amp_dtype` (or ``dtype``);
    a null context when not ``enabled``."""
    if not enabled:
        return contextlib.nullcontext()
    device = torch.device(device)
    return torch.autocast(device.type, dtype=dtype or amp_dtype(device))
