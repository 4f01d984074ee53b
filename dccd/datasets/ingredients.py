"""Ingredient lists: which classes a ground-truth mask contains, and their names.

Written for DCCD (Apache-2.0). DCCD's teacher branch reads, for every image,
the list of food classes present in its ground-truth mask (Hou et al. 2024,
"Ingredient-guided multimodal self-distillation for food image segmentation").
Ids are sorted ascending, background and the ignore label excluded: the paper's
prompt "wine, pork, potato, green beans" is FoodSeg103 ids ``[11, 47, 70, 95]``.
:class:`~dccd.datasets.transforms.ExtractIngredients` computes the ids in a data
pipeline; the model turns them into names with :func:`ingredient_names` and the
dataset's ``metainfo['classes']``. :func:`ingredient_shares` measures how
much of a (predicted) mask each ingredient covers, for the inference tools.
"""
from typing import List, NamedTuple, Optional, Sequence, Tuple, Union

import numpy as np
from mmseg.registry import DATASETS

from ..utils import InputError

__all__ = [
    'present_ids', 'ingredient_ids', 'ingredient_names', 'resolve_classes',
    'image_key', 'normalise_name', 'name_lookup', 'background_index',
    'IngredientShare', 'ingredient_shares'
]


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


def image_key(img_path: str) -> str:
    """The base name of an image path ('a/b/00600.png' -> '00600.png')."""
    return str(img_path).replace('\\', '/').rsplit('/', 1)[-1]


def resolve_classes(classes: Union[str, Sequence[str]]) -> List[str]:
    """Class names, or those of a registered dataset type ('ToyFoodDataset')."""
    if isinstance(classes, str):
        dataset = DATASETS.get(classes)
        if dataset is None:
            raise InputError(f"class names: no dataset type '{classes}'")
        return list(dataset.METAINFO['classes'])
    if classes is None or not len(classes):
        raise InputError('class names are needed to read ingredient names')
    return [str(name) for name in classes]


def normalise_name(name: str) -> str:
    """A class name as users may type it: case and runs of spaces ignored."""
    return ' '.join(str(name).split()).lower()


def name_lookup(classes: Sequence[str]) -> dict:
    """``normalise_name(class name) -> class id``, to match users' names."""
    return {normalise_name(name): i for i, name in enumerate(classes)}


def background_index(classes: Sequence[str]) -> Optional[int]:
    """0 if class 0 is named 'background' (every DCCD dataset), else None."""
    return 0 if len(classes) and str(classes[0]).strip().lower() == 'background' else None


class IngredientShare(NamedTuple):
    """How much of a mask one ingredient covers.

    Attributes:
        class_id: the class id.
        name: the class name.
        pixels: its pixel count.
        percent_of_image: ``100 * pixels / (H * W)``.
        percent_of_food: ``100 * pixels / food pixels``, where the food
            pixels are all pixels that are not background.
    """
    class_id: int
    name: str
    pixels: int
    percent_of_image: float
    percent_of_food: float


def ingredient_shares(mask: np.ndarray, classes: Sequence[str],
                      background: Optional[int] = 0
                      ) -> Tuple[List[IngredientShare], float]:
    """Pixel share of every ingredient in a label mask.

    Definitions, for a mask of H x W pixels: the *food area* is every pixel
    whose label is not ``background`` (the whole image when ``background``
    is None). Then, exactly (before any rounding)::

        background % of image + sum(percent_of_image over ingredients) = 100
        sum(percent_of_food over ingredients) = 100   (if the food area > 0)

    Args:
        mask: (H, W) integer class ids, all ``< len(classes)``.
        classes: class names indexed by id.
        background: the background id, or None when every class is a food.

    Returns:
        tuple: the ingredients present (background excluded), largest first
        (ties by class id), and the background's percent of the image
        (0.0 when ``background`` is None).
    """
    mask = np.asarray(mask)
    if mask.ndim != 2 or mask.size == 0:
        raise ValueError(f'ingredient_shares needs a non-empty (H, W) mask, got {mask.shape}')
    if mask.min() < 0 or mask.max() >= len(classes):
        raise ValueError(f'mask labels must be in [0, {len(classes)}), '
                         f'got [{mask.min()}, {mask.max()}]')
    counts = np.bincount(mask.ravel().astype(np.int64), minlength=len(classes))
    total = int(mask.size)
    background_pixels = int(counts[background]) if background is not None else 0
    food = total - background_pixels
    shares = [
        IngredientShare(int(i), str(classes[i]), int(counts[i]),
                        100.0 * float(counts[i]) / total, 100.0 * float(counts[i]) / food)
        for i in np.flatnonzero(counts) if i != background
    ]
    shares.sort(key=lambda s: (-s.pixels, s.class_id))
    return shares, 100.0 * background_pixels / total
