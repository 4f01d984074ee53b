"""A deterministic colour palette for DCCD's food datasets.

Written for DCCD (Apache-2.0). Colours step around the hue circle by the
golden ratio, so neighbouring class ids get well separated colours, with
three saturation and two brightness levels for variety. Class 0 (background)
is black. The palette only colours visualisations; it never affects training.
"""
import colorsys
from typing import List

__all__ = ['food_palette']

_GOLDEN = 0.6180339887498949


def food_palette(num_classes: int) -> List[List[int]]:
    """RGB colours for ``num_classes`` classes, background (id 0) black.

    Args:
        num_classes: number of classes, background included.

    Returns:
        list[list[int]]: ``num_classes`` ``[r, g, b]`` triples in 0..255.
    """
    if num_classes < 1:
        raise ValueError(f'num_classes must be >= 1, got {num_classes}')
    palette = [[0, 0, 0]]
    for i in range(1, num_classes):
        hue = (i * _GOLDEN) % 1.0
        sat = (0.55, 0.8, 1.0)[i % 3]
        val = (1.0, 0.75)[(i // 3) % 2]
        palette.append([round(c * 255) for c in colorsys.hsv_to_rgb(hue, sat, val)])
    return palette
