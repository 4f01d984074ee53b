"""Compatibility with the installed OpenMMLab / PyTorch stack: the one place for it.

DCCD runs on mmcv-lite (no compiled ops) or a full mmcv build, and on torch
releases from before and after the switch to safe checkpoint loading. Two
things need help, and both are done here, once, by :func:`apply` (called from
``import dccd``):

1. **mmcv-lite has no ``mmcv._ext``.** ``import mmseg.models`` reaches
   ``mmcv.ops``, whose modules call ``mmcv.utils.ext_loader.load_ext`` at import
   time. When, and only when, the real extension is missing, a stand-in module
   is registered under ``sys.modules['mmcv._ext']``: any attribute lookup
   returns a function that raises a clear error if a compiled op is actually
   called. DCCD's own layers are pure PyTorch, so nothing calls them.
   :data:`HAS_MMCV_OPS` tells whether the real ops exist (checked before the
   stand-in is installed). A compiled ``_ext`` that is present but cannot
   be loaded (built for another torch or CUDA: "undefined symbol") counts as
   missing: ``import dccd`` warns once, naming the file, and goes on with the
   stand-in. One that loads but was built without CUDA fails on the first
   CUDA call; :func:`deform_attn_kernel_usable` tries mmcv's deformable
   attention kernel once per device type on a tiny input and, if it fails,
   warns once naming the file, and DCCD's pure-PyTorch op is used instead.

2. **torch >= 2.6 loads checkpoints with ``weights_only=True``.** mmengine's
   ``torch.load`` calls rely on the default, and its checkpoints hold a few
   objects besides tensors: the message hub's ``HistoryBuffer`` and numpy
   arrays, scalars and dtypes. Instead of switching safe loading off, exactly
   those types are added to torch's allow-list with the public
   ``torch.serialization.add_safe_globals``; any other pickled object in a
   checkpoint is still refused. One more step is needed: ``HistoryBuffer``
   pickles its class-wide table of statistics *functions*, which unpickling
   reaches through ``getattr`` (allow-listing ``getattr`` would re-open
   arbitrary code execution). A ``copyreg`` reducer, pickle's public hook for
   types one does not own, saves a buffer as ``HistoryBuffer(log_history,
   count_history, max_length)`` instead: the same data, no functions.
   Checkpoints written by stock mmengine on torch >= 2.6 still carry the
   functions and are refused by safe loading.
"""
import copyreg
import importlib
import importlib.machinery
import importlib.util
import sys
import types
import warnings
from typing import Dict, Optional

import numpy as np
import torch

__all__ = [
    'HAS_MMCV_OPS', 'MMCV_EXT_FILE', 'apply', 'deform_attn_kernel_usable',
    'safe_checkpoint_globals'
]


def _first_line(exc: BaseException) -> str:
    text = str(exc).strip().splitlines()
    return f'{type(exc).__name__}: {text[0] if text else ""}'[:200]


def _warn_unusable(path: Optional[str], what: str, exc: BaseException) -> None:
    warnings.warn(
        f"mmcv's compiled ops in {path or 'mmcv._ext'} {what} ({_first_line(exc)}); "
        "DCCD uses its pure-PyTorch deformable attention instead", RuntimeWarning,
        stacklevel=3)


def _find_mmcv_ext() -> Optional[importlib.machinery.ModuleSpec]:
    try:
        return importlib.util.find_spec('mmcv._ext')
    except (ImportError, ValueError):
        return None


def _real_mmcv_ext_present() -> bool:
    """Whether a real ``mmcv._ext`` loads; one warning naming the file when it
    is present but cannot be loaded (its import raises)."""
    if 'mmcv._ext' in sys.modules:
        return not getattr(sys.modules['mmcv._ext'], '__dccd_stand_in__', False)
    spec = _find_mmcv_ext()
    if spec is None:
        return False
    try:
        importlib.import_module('mmcv._ext')
    except Exception as exc:  # ImportError, OSError: built for another torch / CUDA
        sys.modules.pop('mmcv._ext', None)
        _warn_unusable(spec.origin, 'cannot be loaded', exc)
        return False
    return True


HAS_MMCV_OPS: bool = _real_mmcv_ext_present()
#: The compiled extension's file, when one loaded (for reports and warnings).
MMCV_EXT_FILE: Optional[str] = (
    getattr(sys.modules.get('mmcv._ext'), '__file__', None) if HAS_MMCV_OPS else None)
_kernel_usable: Dict[str, bool] = {}


def _run_tiny_kernel(device: torch.device) -> None:
    from mmcv.ops.multi_scale_deform_attn import MultiScaleDeformableAttnFunction
    value = torch.ones(1, 1, 1, 2, device=device)
    shapes = torch.ones(1, 2, dtype=torch.long, device=device)
    starts = torch.zeros(1, dtype=torch.long, device=device)
    locations = torch.full((1, 1, 1, 1, 1, 2), 0.5, device=device)
    weights = torch.ones(1, 1, 1, 1, 1, device=device)
    with torch.no_grad():
        MultiScaleDeformableAttnFunction.apply(value, shapes, starts, locations, weights, 1)


def deform_attn_kernel_usable(device: torch.device) -> bool:
    """Whether mmcv's compiled multi-scale deformable attention runs on
    ``device``: a compiled mmcv is loaded, the device is CUDA, and the kernel
    ran once there (checked on first use, per device type; a CPU-only build
    fails that check with one warning naming the file)."""
    if not HAS_MMCV_OPS or device.type != 'cuda':
        return False
    if device.type not in _kernel_usable:
        try:
            _run_tiny_kernel(device)
            _kernel_usable[device.type] = True
        except Exception as exc:  # e.g. "not compiled with GPU support"
            _warn_unusable(MMCV_EXT_FILE, f'cannot run on {device.type}', exc)
            _kernel_usable[device.type] = False
    return _kernel_usable[device.type]


def _ext_stand_in() -> types.ModuleType:
    module = types.ModuleType(
        'mmcv._ext', 'DCCD stand-in for the compiled mmcv ops missing from mmcv-lite.')
    module.__dccd_stand_in__ = True
    # A spec without a loader: importlib/pkgutil lookups (mmengine's
    # ``mmcv_full_available``) then report the ops as absent, as they are.
    module.__spec__ = importlib.machinery.ModuleSpec('mmcv._ext', None)

    def __getattr__(name):
        if name.startswith('__'):
            raise AttributeError(name)

        def missing_op(*args, **kwargs):
            raise RuntimeError(
                f"mmcv op '{name}' needs a compiled mmcv (mmcv-lite has none); "
                'install a CUDA build of mmcv 2.1 to use it.')

        missing_op.__name__ = name
        return missing_op

    module.__getattr__ = __getattr__
    return module


def _install_ext_stand_in() -> None:
    if not HAS_MMCV_OPS and 'mmcv._ext' not in sys.modules:
        sys.modules['mmcv._ext'] = _ext_stand_in()


def safe_checkpoint_globals() -> list:
    """Types that mmengine / DCCD checkpoints may hold besides tensors."""
    from mmengine.logging import HistoryBuffer
    numpy_core = getattr(np, '_core', None) or np.core
    dtype_classes = [type(np.dtype(name)) for name in (
        'bool', 'int8', 'int16', 'int32', 'int64', 'uint8', 'uint16',
        'uint32', 'uint64', 'float16', 'float32', 'float64')]
    return [
        HistoryBuffer,
        numpy_core.multiarray._reconstruct,
        numpy_core.multiarray.scalar,
        np.ndarray,
        np.dtype,
        *dtype_classes,
    ]


def _reduce_history_buffer(buffer):
    # HistoryBuffer.__init__ rebuilds its arrays and default statistics
    return type(buffer), (buffer._log_history, buffer._count_history,
                          buffer.max_length)


def _allow_checkpoint_types() -> None:
    from mmengine.logging import HistoryBuffer
    copyreg.pickle(HistoryBuffer, _reduce_history_buffer)
    add_safe_globals = getattr(torch.serialization, 'add_safe_globals', None)
    if add_safe_globals is not None:  # torch >= 2.4
        add_safe_globals(safe_checkpoint_globals())


_applied = False


def apply() -> None:
    """Install the two fixes above; safe to call more than once."""
    global _applied
    if _applied:
        return
    _install_ext_stand_in()
    _allow_checkpoint_types()
    _applied = True
