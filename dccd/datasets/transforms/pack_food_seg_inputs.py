"""Pack a sample with its ingredient lists: mmseg's ``PackSegInputs`` plus DCCD's keys.

Written for DCCD (Apache-2.0) on mmsegmentation's ``PackSegInputs``
(``mmseg/datasets/transforms/formatting.py``, Apache-2.0), which copies only
the ``meta_keys`` it is given into each ``SegDataSample``'s metainfo. DCCD's
teacher (Hou et al. 2024) reads ``metainfo['ingredients']``, so every DCCD
pipeline ends in :class:`PackFoodSegInputs`, which adds the ingredient keys to
mmseg's default meta keys; the list of keys is written here once, not in
every config.
"""
import inspect
from typing import Optional, Sequence

from mmseg.datasets.transforms import PackSegInputs
from mmseg.registry import TRANSFORMS

__all__ = ['PackFoodSegInputs', 'INGREDIENT_KEYS']

#: Ingredient keys packed when a transform has set them: the list the teacher
#: reads (``ExtractIngredients``, ``IngredientsFromFile``), what
#: ``CorruptIngredients`` changed, and the classes left in a training crop
#: (the presence head's targets).
INGREDIENT_KEYS = ('ingredients', 'ingredients_dropped', 'ingredients_added',
                   'crop_ingredients')
_MMSEG_META_KEYS = inspect.signature(PackSegInputs.__init__).parameters['meta_keys'].default


@TRANSFORMS.register_module()
class PackFoodSegInputs(PackSegInputs):
    """``PackSegInputs`` whose metainfo also carries the ingredient keys.

    Required Keys: as ``PackSegInputs``; the ingredient keys are packed when
    present.

    Added Keys: ``inputs``, ``data_samples`` (as ``PackSegInputs``).

    Args:
        meta_keys (Sequence[str], optional): mmseg's meta keys; None for
            ``PackSegInputs``' default.
        ingredient_keys (Sequence[str]): appended to ``meta_keys``.
            Default: :data:`INGREDIENT_KEYS`.
    """

    def __init__(self, meta_keys: Optional[Sequence[str]] = None,
                 ingredient_keys: Sequence[str] = INGREDIENT_KEYS) -> None:
        keys = tuple(_MMSEG_META_KEYS if meta_keys is None else meta_keys)
        super().__init__(meta_keys=keys + tuple(k for k in ingredient_keys if k not in keys))
