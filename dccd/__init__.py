"""DCCD: ingredient-guided multimodal self-distillation for food image segmentation.

``import dccd`` applies the stack fixes of :mod:`dccd.compat` and registers
every DCCD component in mmsegmentation's registries.
"""
try:
    import mmcv  # noqa: F401
except ImportError:
    raise ImportError(
        "DCCD needs mmcv 2.0/2.1: run `pip install 'mmcv-lite>=2.0.0,<2.2.0'` "
        '(CPU, pure Python) or install a CUDA build of mmcv 2.1.') from None

from . import compat

compat.apply()

from . import (datasets, engine, evaluation, models,  # noqa: E402,F401  (registers)
               visualization)
from .utils import InputError  # noqa: E402
from .version import __version__  # noqa: E402

__all__ = ['InputError', '__version__']
