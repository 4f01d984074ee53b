"""FoodSegLocalVisualizer: overlay of the photo's size, food coloured, a legend."""
import numpy as np
import pytest
import torch
from mmengine.structures import PixelData
from mmseg.registry import VISUALIZERS
from mmseg.structures import SegDataSample

from dccd.utils import TOY_FOOD_CLASSES, get_palette
from dccd.visualization import FoodSegLocalVisualizer

META = dict(classes=TOY_FOOD_CLASSES, palette=get_palette(len(TOY_FOOD_CLASSES)))


def _photo_and_mask(h=240, w=320):
    rng = np.random.default_rng(0)
    photo = rng.integers(0, 256, (h, w, 3), dtype=np.uint8)
    mask = np.zeros((h, w), np.int64)
    mask[120:, :160] = 9   # rice, bottom left: 25 % of the image
    mask[150:, 200:] = 8   # broccoli, bottom right
    return photo, mask


def test_overlay_colours_food_keeps_background_and_draws_legend():
    vis = FoodSegLocalVisualizer(name='test_overlay', alpha=0.5)
    vis.dataset_meta = META
    photo, mask = _photo_and_mask()
    out = vis.draw_overlay(photo, mask)
    assert out.shape == photo.shape and out.dtype == np.uint8
    rice = np.array(META['palette'][9], np.float64)
    expected = np.round(photo[200:, 20:100] * 0.5 + rice * 0.5)
    np.testing.assert_allclose(out[200:, 20:100], expected, atol=1)
    # background away from the legend box is untouched
    np.testing.assert_array_equal(out[:110, 200:], photo[:110, 200:])
    # the legend (top left, over background) darkens the photo
    assert np.median(out[:12, :60]) < np.median(photo[:12, :60]) - 50
    # legend off: the top left stays the photo
    plain = FoodSegLocalVisualizer(name='test_overlay_plain', legend=False)
    plain.dataset_meta = META
    np.testing.assert_array_equal(plain.draw_overlay(photo, mask)[:110], photo[:110])


def test_registered_and_drawn_through_add_datasample():
    vis = VISUALIZERS.build(dict(type='FoodSegLocalVisualizer', name='test_overlay_reg'))
    vis.dataset_meta = META
    photo, mask = _photo_and_mask(64, 80)
    sample = SegDataSample()
    sample.pred_sem_seg = PixelData(data=torch.from_numpy(mask)[None])
    vis.add_datasample('x', photo, sample, draw_gt=False)
    np.testing.assert_array_equal(vis.draw_prediction(photo, sample),
                                  vis.draw_overlay(photo, mask))
    assert vis.get_image().shape == photo.shape
    with pytest.raises(ValueError, match='mask'):
        vis.draw_overlay(photo, mask[:10])
