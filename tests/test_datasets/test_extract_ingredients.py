"""ExtractIngredients: ids, validation of the full mask, after-crop switch, packing."""
import inspect

import cv2
import numpy as np
import pytest
from mmengine.dataset import Compose
from mmengine.registry import init_default_scope

from dccd.datasets import ExtractIngredients, PackFoodSegInputs, SegMapFromRedChannel
from dccd.utils import InputError, ingredient_ids, present_ids
from mmseg.datasets.transforms import PackSegInputs  # after dccd (mmcv-lite fixes)

init_default_scope('mmseg')


def seeded_mask(seed=0, shape=(40, 60)):
    rng = np.random.default_rng(seed)
    mask = np.zeros(shape, np.uint8)
    for label in (7, 3, 12):
        y, x = rng.integers(0, shape[0] - 10), rng.integers(0, shape[1] - 10)
        mask[y:y + 10, x:x + 10] = label
    mask[:2, :2] = 255
    return mask


def write_pair(tmp_path, mask, img_hw=None, name='x'):
    img_hw = img_hw or mask.shape[:2]
    img = np.random.default_rng(1).integers(0, 255, (*img_hw, 3), dtype=np.uint8)
    img_path, mask_path = str(tmp_path / f'{name}.jpg'), str(tmp_path / f'{name}.png')
    cv2.imwrite(img_path, img)
    cv2.imwrite(mask_path, mask)
    return dict(img_path=img_path, seg_map_path=mask_path, reduce_zero_label=False,
                seg_fields=[])


def load(num_classes=13, **kwargs):
    return Compose([dict(type='LoadCheckedImageFromFile'), dict(type='LoadAnnotations'),
                    dict(type='ExtractIngredients', num_classes=num_classes, **kwargs)])


def test_ids_sorted_without_background_and_ignore(tmp_path):
    mask = seeded_mask()
    results = load()(write_pair(tmp_path, mask))
    assert results['ingredients'] == [3, 7, 12]
    assert all(type(i) is int for i in results['ingredients'])
    assert present_ids(mask) == [0, 3, 7, 12, 255]
    assert ingredient_ids(mask.astype(np.int64)) == [3, 7, 12]
    assert ingredient_ids(mask, background_index=None) == [0, 3, 7, 12]


def test_background_only_gives_empty_list():
    results = ExtractIngredients(5)(dict(gt_seg_map=np.zeros((4, 4), np.uint8)))
    assert results['ingredients'] == []


def test_bad_id_names_mask_and_id(tmp_path):
    mask = seeded_mask()
    mask[20, 20] = 13  # num_classes = 13: ids 0..12
    pair = write_pair(tmp_path, mask)
    with pytest.raises(InputError) as info:
        load()(pair)
    assert str(info.value) == (f"mask {pair['seg_map_path']} has label id(s) [13]; "
                               'valid ids are 0..12 and 255 (ignore)')
    results = load(num_classes=14)(write_pair(tmp_path, mask))
    assert results['ingredients'] == [3, 7, 12, 13]


def test_size_mismatch_names_both_files(tmp_path):
    pair = write_pair(tmp_path, seeded_mask(), img_hw=(40, 61))
    with pytest.raises(InputError) as info:
        load()(pair)
    assert str(info.value) == (f"size mismatch: image {pair['img_path']} is 61x40 but "
                               f"mask {pair['seg_map_path']} is 60x40 (WxH)")
    pair = write_pair(tmp_path, seeded_mask(), img_hw=(60, 40), name='swapped')
    with pytest.raises(InputError, match=r'\(width and height swapped\).*swapped\.png'):
        load()(pair)


def test_test_pipeline_resizes_the_image_before_loading_the_mask(tmp_path):
    """mmseg's test pipelines load the mask after Resize: no false mismatch."""
    pipeline = Compose([
        dict(type='LoadCheckedImageFromFile'),
        dict(type='Resize', scale=(30, 20), keep_ratio=True),
        dict(type='LoadAnnotations'),
        dict(type='ExtractIngredients', num_classes=13),
        dict(type='PackFoodSegInputs')])
    sample = pipeline(write_pair(tmp_path, seeded_mask()))['data_samples']
    assert sample.metainfo['ingredients'] == [3, 7, 12]
    assert sample.metainfo['img_shape'] == (20, 30)


def test_rgb_mask_is_refused_unless_red_channel_taken(tmp_path):
    mask = seeded_mask()
    rgb = np.stack([np.full_like(mask, 9), np.full_like(mask, 200), mask], -1)  # BGR
    pair = write_pair(tmp_path, rgb)
    with pytest.raises(InputError, match=r'x\.png has shape \(40, 60, 3\)'):
        load()(pair)
    pipeline = Compose([dict(type='LoadCheckedImageFromFile'),
                        dict(type='LoadAnnotations'), dict(type='SegMapFromRedChannel'),
                        dict(type='ExtractIngredients', num_classes=13)])
    results = pipeline(write_pair(tmp_path, rgb))
    np.testing.assert_array_equal(results['gt_seg_map'], mask)
    assert results['ingredients'] == [3, 7, 12]
    assert repr(SegMapFromRedChannel()) == 'SegMapFromRedChannel()'


def test_after_crop_instance_overwrites_with_crop_classes(tmp_path):
    mask = np.zeros((40, 60), np.uint8)
    mask[:, :20], mask[:, 40:] = 4, 9
    pair = write_pair(tmp_path, mask)
    crop = dict(type='RandomCrop', crop_size=(40, 20))
    before = Compose([dict(type='LoadCheckedImageFromFile'),
                      dict(type='LoadAnnotations'),
                      dict(type='ExtractIngredients', num_classes=13), crop,
                      dict(type='PackFoodSegInputs')])
    after = Compose(before.transforms[:4] + [
        ExtractIngredients(13, after_crop=True), before.transforms[4]])
    own_key = Compose(before.transforms[:4] + [
        ExtractIngredients(13, after_crop=True, key='crop_ingredients'),
        before.transforms[4]])
    seen = set()
    for seed in range(12):
        np.random.seed(seed)
        full = before(dict(pair))['data_samples']
        np.random.seed(seed)
        cropped = after(dict(pair))['data_samples']
        np.random.seed(seed)
        both = own_key(dict(pair))['data_samples']
        in_crop = [int(v) for v in np.unique(cropped.gt_sem_seg.data) if v]
        assert full.metainfo['ingredients'] == [4, 9]
        assert cropped.metainfo['ingredients'] == in_crop
        # the presence targets under their own key; the teacher's list untouched
        assert both.metainfo['crop_ingredients'] == in_crop
        assert both.metainfo['ingredients'] == [4, 9]
        seen.add(tuple(in_crop))
    assert len(seen) > 1 and any(len(s) < 2 for s in seen)


def test_meta_keys_are_mmseg_defaults_plus_ingredient_keys():
    default = inspect.signature(PackSegInputs).parameters['meta_keys'].default
    ingredient_keys = ('ingredients', 'ingredients_dropped', 'ingredients_added',
                       'crop_ingredients')
    assert PackFoodSegInputs().meta_keys == tuple(default) + ingredient_keys
    assert PackFoodSegInputs(meta_keys=('img_path', 'ingredients')).meta_keys == (
        'img_path', ) + ingredient_keys


def test_arguments_and_repr():
    with pytest.raises(ValueError):
        ExtractIngredients(0)
    with pytest.raises(InputError, match='right after LoadAnnotations'):
        ExtractIngredients(3)(dict(img_path='x.jpg'))
    assert repr(ExtractIngredients(104)) == (
        'ExtractIngredients(num_classes=104, ignore_index=255, background_index=0, '
        "after_crop=False, key='ingredients')")
    t = ExtractIngredients(10, ignore_index=0, background_index=None, after_crop=True)
    seg_map = np.array([[0, 1], [9, 9]], np.uint8)
    assert t(dict(gt_seg_map=seg_map))['ingredients'] == [1, 9]
