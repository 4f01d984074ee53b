"""Ingredient lists: which classes a ground-truth mask contains, and their names.

Written for DCCD (Apache-2.0). DCCD's teacher branch reads, for every image,
the list of food classes present in its ground-truth mask (Hou et al. 2024,
"Ingredient-guided multimodal self-distillation for food image segmentation").
Ids are sorted ascending, background and the ignore label excluded: the paper's
prompt "wine, pork, potato, green beans" is FoodSeg103 ids ``[11, 47, 70, 95]``.
:class:`~dccd.datasets.transforms.ExtractIngredients` computes the ids in a data
pipeline; the model turns them into names with :func:`ingredient_names` and the
dataset's ``metainfo['classes']``.
"""
from typing import List, Optional, Sequence

import numpy as np

__all__ = ['present_ids', 'ingredient_ids', 'ingredient_names']


def present_ids(seg_map: np.ndarray) -> List[int]:
    """Sorted label values that occur in ``seg_map`` (any shape).

    Args:
        seg_map: integer label map.

    Returns:
        list[int]: the distinct values, ascending.
    """
    flat = np.asarray(seg_map).ravel()
    if flat.dtype == np.uint8:  # bincount is much faster than unique here
        return np.flatnonzero(np.bincount(flat, minlength=256)).tolist()
    return [int(v) for v in np.unique(flat)]


def ingredient_ids(seg_map: np.ndarray, ignore_index: int = 255,
                   background_index: Optional[int] = 0) -> List[int]:
    """Sorted class ids present in ``seg_map``, background and ignore excluded.

    Args:
        seg_map: (H, W) integer label map.
        ignore_index: label of unlabelled pixels, never an ingredient.
        background_index: label of the background, never an ingredient;
            None when every class is a food.

    Returns:
        list[int]: ascending class ids.
    """
    return [i for i in present_ids(seg_map)
            if i != ignore_index and i != background_index]


def ingredient_names(ids: Sequence[int], classes: Sequence[str]) -> List[str]:
    """Class names of ingredient ids, in the order given.

    Args:
        ids: class ids, e.g. ``data_sample.metainfo['ingredients']``.
        classes: class names indexed by id, e.g. ``dataset.metainfo['classes']``.

    Returns:
        list[str]: ``[classes[i] for i in ids]``.

    Example:
        >>> ingredient_names([11, 47, 70, 95], FOODSEG103_CLASSES)
        ['wine', 'pork', 'potato', 'green beans']
    """
    names = []
    for i in ids:
        if not 0 <= int(i) < len(classes):
            raise ValueError(
                f'ingredient id {i} is outside the {len(classes)} classes')
        names.append(classes[int(i)])
    return names
