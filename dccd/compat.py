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
   stand-in is installed).

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
import importlib.machinery
import copyreg
import importlib.util
import sys
import types

import numpy as np
import torch

__all__ = ['HAS_MMCV_OPS', 'apply', 'safe_checkpoint_globals']


def _real_mmcv_ext_present() -> bool:
    if 'mmcv._ext' in sys.modules:
        return not getattr(sys.modules['mmcv._ext'], '__dccd_stand_in__', False)
    try:
        return importlib.util.find_spec('mmcv._ext') is not None
    except (ImportError, ValueError):
        return False


HAS_MMCV_OPS: bool = _real_mmcv_ext_present()


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
