"""Ingredient lists: the class ids a mask contains, their names, users' lists, pixel shares.

Written for DCCD (Apache-2.0). DCCD's teacher branch reads, for every image,
the list of food classes present in its ground-truth mask (Hou et al. 2024,
"Ingredient-guided multimodal self-distillation for food image segmentation").
Ids are sorted ascending, background and the ignore label excluded: the paper's
prompt "wine, pork, potato, green beans" is FoodSeg103 ids ``[11, 47, 70, 95]``.
This module is neutral ground: the data pipeline
(:class:`~dccd.datasets.transforms.ExtractIngredients`), the model (prompts),
the API and the tools all use it, and it imports neither models nor datasets.
"""
from typing import Iterable, List, NamedTuple, Optional, Sequence, Tuple

import numpy as np

from .class_names import background_index, name_lookup, normalise_name
from .errors import InputError, closest

__all__ = [
    'present_ids', 'ingredient_ids', 'ingredient_names', 'match_ingredients',
    'IngredientShare', 'ingredient_shares', 'propose_by_area'
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
        seg_map: (H, W) integer label map (or the labels present in one, as
            :func:`present_ids` gives them).
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
        classes: class names indexed by id.

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


def _suggest(name: str, classes: Sequence[str], background: Optional[int]) -> str:
    foods = [c for i, c in enumerate(classes) if i != background]
    close = closest(name, foods, n=3, cutoff=0.5)
    return f"closest: {', '.join(close)}" if close else 'no class name is close'


def match_ingredients(items: Iterable, classes: Sequence[str], where: str = '') -> List[int]:
    """A user's ingredient list (class names and/or ids) as class ids.

    Names match ignoring case and runs of spaces (:func:`normalise_name`);
    blank names are skipped; duplicates are dropped. The background is never
    an ingredient (the teacher never saw it in a prompt).

    Args:
        items: class names (str) and/or class ids (int).
        classes: class names indexed by id.
        where: what the list is, for messages (e.g. "--ingredients").

    Returns:
        list[int]: distinct class ids, ascending (the training prompts' order).

    Raises:
        InputError: one line listing every unknown name (with the closest
            class names), id out of range, background or item of another type.
    """
    lookup = name_lookup(classes)
    background = background_index(classes)
    ids, problems = set(), []
    for item in items:
        if isinstance(item, (bool, float)) or not isinstance(item, (int, np.integer, str)):
            problems.append(f'{item!r} is neither an ingredient name nor a class id')
            continue
        if isinstance(item, str):
            key = normalise_name(item)
            if not key:
                continue
            if key == 'auto' and key not in lookup:
                problems.append("'auto' is a reserved word, not an ingredient: give it "
                                'alone for a list proposed from the image')
                continue
            if key not in lookup:
                problems.append(f"unknown ingredient '{item.strip()}' "
                                f'({_suggest(key, classes, background)})')
                continue
            index, label = lookup[key], f"'{item.strip()}'"
        else:
            index, label = int(item), f'class id {int(item)}'
            if not 0 <= index < len(classes):
                problems.append(f'{label} is outside 0..{len(classes) - 1}')
                continue
        if index == background:
            problems.append(f'{label} is the background, not an ingredient')
        else:
            ids.add(index)
    if problems:
        prefix = f'{where}: ' if where else ''
        raise InputError(prefix + '; '.join(problems))
    return sorted(ids)


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


def propose_by_area(mask: np.ndarray, num_classes: int, threshold: float,
                    background: Optional[int] = 0, share: str = 'food'
                    ) -> Tuple[List[int], dict]:
    """The classes whose area in a (predicted) mask passes ``threshold``.

    Args:
        mask: (H, W) class ids.
        num_classes: number of classes.
        threshold: minimum share, in [0, 1].
        background: the background id (never proposed); None if every class
            is a food.
        share: 'food' (of the non-background pixels) or 'image' (of all).

    Returns:
        tuple: the sorted proposed ids, and ``{class id: share}`` of every
        food class present in the mask.
    """
    if share not in ('food', 'image'):
        raise ValueError(f"share must be 'food' or 'image', got {share!r}")
    counts = np.bincount(np.asarray(mask).ravel().astype(np.int64), minlength=num_classes)
    total = counts.sum() - (counts[background] if share == 'food' and background is not None
                            else 0)
    scores = {int(c): round(float(counts[c]) / total, 4) for c in np.flatnonzero(counts)
              if c != background and total > 0}
    return sorted(c for c, s in scores.items() if s >= threshold), scores
