"""FoodSeg103Dataset on the real 65-image sample, class lists, bad dataset input."""
import os
import os.path as osp

import cv2
import numpy as np
import pytest
from mmengine.registry import init_default_scope

from conftest import require_shared
from dccd.datasets import FoodSeg103Dataset
from dccd.utils import (FOODSEG103_CLASSES, UECFOODPIX_CLASSES, InputError, get_palette,
                        ingredient_names)

init_default_scope('mmseg')

TEST_PREFIX = dict(img_path='Images/img_dir/test', seg_map_path='Images/ann_dir/test')


def lay_out(sample: str, root: str) -> str:
    """Symlink the sample as the FoodSeg103 test split under ``root``."""
    for src, dst in (('images', 'img_dir'), ('masks', 'ann_dir')):
        folder = osp.join(root, 'Images', dst, 'test')
        os.makedirs(folder)
        for name in os.listdir(osp.join(sample, src)):
            os.symlink(osp.join(sample, src, name), osp.join(folder, name))
    return root


@pytest.fixture(scope='module')
def foodseg_root(foodseg_sample, tmp_path_factory):
    return lay_out(foodseg_sample, str(tmp_path_factory.mktemp('FoodSeg103')))


def test_class_lists_match_shared_files():
    assert len(FOODSEG103_CLASSES) == 104 and len(UECFOODPIX_CLASSES) == 103
    assert FOODSEG103_CLASSES[0] == UECFOODPIX_CLASSES[0] == 'background'
    assert FOODSEG103_CLASSES[103] == 'other ingredients'
    assert UECFOODPIX_CLASSES[101:] == ('others', 'beverage')
    classes_dir = require_shared('classes')
    for name, classes in (('foodseg103', FOODSEG103_CLASSES),
                          ('uecfoodpix', UECFOODPIX_CLASSES)):
        with open(osp.join(classes_dir, f'{name}.txt')) as f:
            assert tuple(f.read().splitlines()) == classes


def test_palette_is_deterministic_and_distinct():
    palette = FoodSeg103Dataset.METAINFO['palette']
    assert palette == get_palette(104)
    assert palette[0] == [0, 0, 0]
    assert len({tuple(c) for c in palette}) == 104
    assert all(0 <= v <= 255 for c in palette for v in c)


def test_paper_prompt_example():
    assert ingredient_names([11, 47, 70, 95], FOODSEG103_CLASSES) == [
        'wine', 'pork', 'potato', 'green beans']
    with pytest.raises(ValueError, match='104'):
        ingredient_names([104], FOODSEG103_CLASSES)


def expected_ingredients(mask_path: str):
    mask = cv2.imread(mask_path, cv2.IMREAD_UNCHANGED)
    return [int(v) for v in np.unique(mask) if v not in (0, 255)]


def test_sample_loads_every_pair_with_ingredients(foodseg_root):
    pipeline = [
        dict(type='LoadCheckedImageFromFile'),
        dict(type='Resize', scale=(128, 128), keep_ratio=True),
        dict(type='LoadAnnotations'),
        dict(type='ExtractIngredients', num_classes=104),
        dict(type='PackFoodSegInputs'),
    ]
    dataset = FoodSeg103Dataset(data_root=foodseg_root, data_prefix=TEST_PREFIX,
                                pipeline=pipeline, test_mode=True)
    assert len(dataset) == 65
    assert dataset.metainfo['classes'] == FOODSEG103_CLASSES
    assert dataset.reduce_zero_label is False
    names = {}
    for i in range(len(dataset)):
        sample = dataset[i]['data_samples']
        info = dataset.get_data_info(i)
        assert (osp.splitext(osp.basename(info['img_path']))[0]
                == osp.splitext(osp.basename(info['seg_map_path']))[0])
        ingredients = sample.metainfo['ingredients']
        assert ingredients == expected_ingredients(info['seg_map_path'])
        assert ingredients and ingredients == sorted(ingredients)
        names[osp.basename(info['img_path'])] = ingredient_names(
            ingredients, dataset.metainfo['classes'])
    # checked by eye against the pictures
    assert names['00004562.jpg'] == ['steak', 'potato', 'French beans']
    assert names['00005519.jpg'] == ['strawberry', 'blueberry', 'raspberry']
    assert names['00005057.jpg'] == ['strawberry', 'grape', 'orange']
    assert names['00004430.jpg'] == ['pork', 'corn', 'pasta']


def test_known_pixels(foodseg_root):
    """The green beans, mash and steak of 00004562 are where the picture has them."""
    dataset = FoodSeg103Dataset(data_root=foodseg_root, data_prefix=TEST_PREFIX,
                                pipeline=[dict(type='LoadAnnotations')])
    names = [osp.basename(d['img_path']) for d in dataset.load_data_list()]
    idx = names.index('00004562.jpg')
    seg = dataset[idx]['gt_seg_map']
    classes = dataset.metainfo['classes']
    assert classes[seg[120, 100]] == 'French beans'
    assert classes[seg[60, 110]] == 'potato'
    assert classes[seg[140, 200]] == 'steak'
    assert classes[seg[30, 30]] == 'background'


def test_ingredients_are_taken_before_the_crop(foodseg_root):
    pipeline = [
        dict(type='LoadCheckedImageFromFile'),
        dict(type='LoadAnnotations'),
        dict(type='ExtractIngredients', num_classes=104),
        dict(type='RandomResize', scale=(256, 256), ratio_range=(0.5, 1.0),
             keep_ratio=True),
        dict(type='RandomCrop', crop_size=(48, 48)),
        dict(type='RandomFlip', prob=0.5),
        dict(type='PackFoodSegInputs'),
    ]
    dataset = FoodSeg103Dataset(data_root=foodseg_root, data_prefix=TEST_PREFIX,
                                pipeline=pipeline, indices=12)
    fewer_in_crop = 0
    for i in range(len(dataset)):
        sample = dataset[i]['data_samples']
        full = expected_ingredients(dataset.get_data_info(i)['seg_map_path'])
        crop = [int(v) for v in np.unique(sample.gt_sem_seg.data) if v not in (0, 255)]
        assert sample.gt_sem_seg.data.shape[-2:] == (48, 48)
        assert sample.metainfo['ingredients'] == full
        assert set(crop) <= set(full)
        fewer_in_crop += len(crop) < len(full)
    assert fewer_in_crop > 0  # the crop did lose classes, the list did not


# ---------------------------------------------------------------- bad input


def write_pair(root: str, name: str, img: bool = True, mask: bool = True,
               split: str = 'train') -> None:
    for kind, ext, wanted in (('img_dir', '.jpg', img), ('ann_dir', '.png', mask)):
        folder = osp.join(root, 'Images', kind, split)
        os.makedirs(folder, exist_ok=True)
        if wanted:
            arr = np.full((8, 8, 3) if kind == 'img_dir' else (8, 8), 1, np.uint8)
            cv2.imwrite(osp.join(folder, name + ext), arr)


TRAIN_PREFIX = dict(img_path='Images/img_dir/train',
                    seg_map_path='Images/ann_dir/train')


def build(root, prefix=TRAIN_PREFIX, lazy_init=False):
    return FoodSeg103Dataset(data_root=root, data_prefix=prefix, lazy_init=lazy_init)


def test_missing_data_root(tmp_path):
    root = str(tmp_path / 'nowhere')
    with pytest.raises(InputError, match=f'data root not found: {root}$'):
        build(root)
    build(root, lazy_init=True)  # nothing is read before full_init


def test_missing_split(tmp_path):
    write_pair(str(tmp_path), 'a')
    with pytest.raises(InputError) as info:
        build(str(tmp_path), dict(img_path='Images/img_dir/val',
                                  seg_map_path='Images/ann_dir/val'))
    assert str(info.value) == ('FoodSeg103Dataset: image folder not found: '
                               f'{tmp_path}/Images/img_dir/val')
    os.makedirs(tmp_path / 'Images' / 'img_dir' / 'val')
    with pytest.raises(InputError, match='mask folder not found: .*ann_dir/val$'):
        build(str(tmp_path), dict(img_path='Images/img_dir/val',
                                  seg_map_path='Images/ann_dir/val'))


def test_image_without_mask(tmp_path):
    write_pair(str(tmp_path), 'a')
    write_pair(str(tmp_path), 'b', mask=False)
    with pytest.raises(InputError) as info:
        build(str(tmp_path))
    assert str(info.value) == (
        f'FoodSeg103Dataset: image {tmp_path}/Images/img_dir/train/b.jpg has no '
        f'mask {tmp_path}/Images/ann_dir/train/b.png')


def test_mask_without_image(tmp_path):
    write_pair(str(tmp_path), 'a')
    write_pair(str(tmp_path), 'c', img=False)
    write_pair(str(tmp_path), 'd', img=False)
    with pytest.raises(InputError) as info:
        build(str(tmp_path))
    assert str(info.value) == (
        f'FoodSeg103Dataset: mask {tmp_path}/Images/ann_dir/train/c.png has no '
        f'image {tmp_path}/Images/img_dir/train/c.jpg (and 1 more)')


def test_empty_split_and_hidden_files(tmp_path):
    write_pair(str(tmp_path), 'a')
    # macOS metadata files are not images and have no partner: ignored
    open(tmp_path / 'Images' / 'img_dir' / 'train' / '._a.jpg', 'wb').close()
    dataset = build(str(tmp_path))
    assert [osp.basename(d['img_path']) for d in dataset.load_data_list()] == ['a.jpg']
    os.makedirs(tmp_path / 'Images' / 'img_dir' / 'empty')
    os.makedirs(tmp_path / 'Images' / 'ann_dir' / 'empty')
    with pytest.raises(InputError, match=r'no \*\.jpg images in .*img_dir/empty$'):
        build(str(tmp_path), dict(img_path='Images/img_dir/empty',
                                  seg_map_path='Images/ann_dir/empty'))
