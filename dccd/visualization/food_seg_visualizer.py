"""A food segmentation overlay with a legend of the ingredients present.

Written for DCCD (Apache-2.0) on mmsegmentation's ``SegLocalVisualizer``
(``mmseg/visualization/local_visualizer.py``, Apache-2.0). mmseg writes each
class name at the centre of its region, which becomes unreadable with many
small food regions; :class:`FoodSegLocalVisualizer` instead colours the food
(the background stays as photographed) and draws a legend box in the corner
that hides the least food: one colour swatch and "name  share %" per
ingredient, largest first, where the share is the percent of the food area
(:func:`~dccd.utils.ingredient_shares`); ingredients under 0.05 % are counted
in one "+k under 0.1%" row. The overlay keeps the photo's
size, so it lines up pixel for pixel with the photo and the mask.

``tools/infer.py``, :mod:`dccd.apis` and ``tools/test.py --show-dir`` (through
:class:`~dccd.engine.hooks.FoodSegVisualizationHook`) all draw with
:meth:`FoodSegLocalVisualizer.draw_overlay`.
"""
from typing import List, Optional, Sequence

import cv2
import numpy as np
from mmengine.structures import PixelData
from mmseg.registry import VISUALIZERS
from mmseg.structures import SegDataSample
from mmseg.visualization import SegLocalVisualizer

from ..utils import background_index, get_palette, ingredient_shares

__all__ = ['FoodSegLocalVisualizer']

_FONT = cv2.FONT_HERSHEY_SIMPLEX
_FONT_HEIGHT = 22  # pixel height of FONT_HERSHEY_SIMPLEX capitals at scale 1
_BOX_COLOUR = (20, 20, 20)
_TEXT_COLOUR = (255, 255, 255)


def _emptiest_corner(food: np.ndarray, box_h: int, box_w: int) -> tuple:
    """(top, left) of the ``box_h`` x ``box_w`` corner of the image that
    covers the fewest ``food`` pixels; top left first on a tie."""
    h, w = food.shape
    corners = [(0, 0), (0, w - box_w), (h - box_h, 0), (h - box_h, w - box_w)]
    return min(corners, key=lambda c: int(food[c[0]:c[0] + box_h, c[1]:c[1] + box_w].sum()))


@VISUALIZERS.register_module()
class FoodSegLocalVisualizer(SegLocalVisualizer):
    """``SegLocalVisualizer`` whose masks are drawn with an ingredient legend.

    Args:
        name, image, vis_backends, save_dir, classes, palette, dataset_name:
            As :class:`SegLocalVisualizer`. Without classes/palette (and
            before the runner sets ``dataset_meta``) mmseg's default
            (Cityscapes) applies; the runner, :mod:`dccd.apis` and
            ``tools/infer.py`` always set the dataset's.
        alpha (float): Opacity of the class colours over the food, in (0, 1].
            Default: 0.5.
        legend (bool): Draw the legend box. Default: True.
        legend_opacity (float): Opacity of the legend's dark box. Default: 0.7.
    """

    def __init__(self,
                 name: str = 'visualizer',
                 image: Optional[np.ndarray] = None,
                 vis_backends: Optional[List[dict]] = None,
                 save_dir: Optional[str] = None,
                 classes: Optional[Sequence[str]] = None,
                 palette: Optional[Sequence[Sequence[int]]] = None,
                 dataset_name: Optional[str] = None,
                 alpha: float = 0.5,
                 legend: bool = True,
                 legend_opacity: float = 0.7,
                 **kwargs):
        if not 0 < alpha <= 1:
            raise ValueError(f'alpha must be in (0, 1], got {alpha}')
        super().__init__(name=name, image=image, vis_backends=vis_backends,
                         save_dir=save_dir, classes=classes, palette=palette,
                         dataset_name=dataset_name, alpha=alpha, **kwargs)
        self.legend = legend
        self.legend_opacity = legend_opacity

    # ------------------------------------------------------------ drawing
    def draw_overlay(self, image: np.ndarray, mask: np.ndarray,
                     classes: Optional[Sequence[str]] = None,
                     palette: Optional[Sequence[Sequence[int]]] = None) -> np.ndarray:
        """Colour the food in ``image`` by ``mask`` and add the legend.

        Args:
            image: (H, W, 3) uint8, RGB.
            mask: (H, W) integer class ids (< number of classes).
            classes: class names; default ``dataset_meta['classes']``.
            palette: RGB colour per class; default ``dataset_meta['palette']``
                (or :func:`~dccd.utils.get_palette` if it is shorter than ``classes``).

        Returns:
            np.ndarray: (H, W, 3) uint8 RGB overlay of the photo's size.
        """
        classes = list(classes if classes is not None else self.dataset_meta['classes'])
        palette = palette if palette is not None else self.dataset_meta.get('palette')
        if palette is None or len(palette) < len(classes):
            palette = get_palette(len(classes))
        image = np.ascontiguousarray(image, dtype=np.uint8)
        mask = np.asarray(mask)
        if image.ndim != 3 or image.shape[2] != 3 or mask.shape != image.shape[:2]:
            raise ValueError(f'draw_overlay needs an (H, W, 3) image and an (H, W) '
                             f'mask, got {image.shape} and {mask.shape}')
        background = background_index(classes)
        colours = np.asarray(palette[:len(classes)], dtype=np.float32)
        food = mask != background if background is not None else np.ones(mask.shape, bool)
        out = image.copy()
        blended = (image[food].astype(np.float32) * (1 - self.alpha)
                   + colours[mask[food]] * self.alpha)
        out[food] = np.clip(np.round(blended), 0, 255).astype(np.uint8)
        if self.legend:
            shares, _ = ingredient_shares(mask, classes, background)
            shown = [s for s in shares if s.percent_of_food >= 0.05]  # not "0.0%"
            entries = [(f'{s.name} {s.percent_of_food:.1f}%', palette[s.class_id])
                       for s in shown]
            if len(shown) < len(shares):
                entries.append((f'+{len(shares) - len(shown)} under 0.1%', None))
            self._draw_legend(out, entries or [('no food found', None)], food)
        return out

    def _draw_legend(self, canvas: np.ndarray, entries: list,
                     food: Optional[np.ndarray] = None) -> None:
        """Draw ``(text, rgb or None)`` rows in a box, in place: in the corner
        covering the fewest ``food`` pixels (top left on a tie).

        The text height follows the image (about 1/28 of its short side,
        8-40 px); rows that do not fit end in a "+k more" row.
        """
        h, w = canvas.shape[:2]
        text_h = int(np.clip(round(min(h, w) / 28), 8, 40))
        scale = text_h / _FONT_HEIGHT
        thickness = max(1, round(text_h / 14))
        pad = max(2, text_h // 3)
        row_h = text_h + pad
        max_rows = max(1, (h - 2 * pad) // row_h)
        if len(entries) > max_rows:
            rest = len(entries) - (max_rows - 1)
            entries = entries[:max_rows - 1] + [(f'+{rest} more', None)]
        swatch = text_h
        widths = [cv2.getTextSize(text, _FONT, scale, thickness)[0][0] for text, _ in entries]
        box_w = min(w, pad * 3 + swatch + max(widths))
        box_h = min(h, pad + row_h * len(entries))
        y0, x0 = _emptiest_corner(food, box_h, box_w) if food is not None else (0, 0)
        canvas[y0:y0 + box_h, x0:x0 + box_w] = self._draw_box(
            canvas[y0:y0 + box_h, x0:x0 + box_w], entries, text_h, pad, row_h, scale,
            thickness)

    def _draw_box(self, under: np.ndarray, entries: list, text_h: int, pad: int,
                  row_h: int, scale: float, thickness: int) -> np.ndarray:
        """The legend box: the rows on ``under`` (the photo there) darkened."""
        swatch = text_h
        dark = np.empty_like(under)
        dark[:] = _BOX_COLOUR
        region = cv2.addWeighted(dark, self.legend_opacity, np.ascontiguousarray(under),
                                 1 - self.legend_opacity, 0)
        for row, (text, colour) in enumerate(entries):
            top = pad + row * row_h
            x_text = pad
            if colour is not None:
                cv2.rectangle(region, (pad, top), (pad + swatch - 1, top + text_h - 1),
                              tuple(int(c) for c in colour), -1)
                cv2.rectangle(region, (pad, top), (pad + swatch - 1, top + text_h - 1),
                              _TEXT_COLOUR, 1)
                x_text = pad * 2 + swatch
            cv2.putText(region, text, (x_text, top + text_h - 1), _FONT, scale,
                        _TEXT_COLOUR, thickness, cv2.LINE_AA)
        return region

    def draw_prediction(self, image: np.ndarray, data_sample: SegDataSample) -> np.ndarray:
        """Overlay of ``data_sample.pred_sem_seg`` on ``image`` (RGB, (H, W, 3))."""
        mask = data_sample.pred_sem_seg.cpu().data[0]
        return self.draw_overlay(image, np.asarray(mask))

    # ------------------------------------------------- mmseg's drawing hook
    def _draw_sem_seg(self, image: np.ndarray, sem_seg: PixelData,
                      classes: Optional[List], palette: Optional[List],
                      with_labels: Optional[bool] = True) -> np.ndarray:
        """Draw a GT or predicted mask (called by ``add_datasample``).

        The legend replaces mmseg's per-region labels, so ``with_labels`` is
        ignored.

        Returns:
            np.ndarray: (H, W, 3) uint8 RGB.
        """
        drawn = self.draw_overlay(image, np.asarray(sem_seg.cpu().data[0]), classes, palette)
        self.set_image(drawn)
        return drawn
