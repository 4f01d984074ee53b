"""UEC-FoodPIX: converter round trip, swapped-mask fix, --check, dataset loading."""
import os
import os.path as osp
import sys

import cv2
import numpy as np
import pytest
from mmengine.registry import init_default_scope

from conftest import load_tool, run_tool_here
from dccd.datasets import UECFoodPIXDataset
from dccd.utils import UECFOODPIX_CLASSES
from dccd.utils import InputError

init_default_scope('mmseg')
TOOL = 'dataset_converters/uecfoodpix.py'
SIZES = {'train': [(30, 40), (36, 36), (24, 50)], 'test': [(40, 28)]}  # (H, W)
SWAPPED = ('train', '2')  # this mask is stored W x H


def class_ids(split, i, hw):
    rng = np.random.default_rng([len(split), i])
    ids = np.zeros(hw, np.uint8)
    ids[2:hw[0] // 2, 3:hw[1] - 3] = rng.integers(1, 101)
    ids[hw[0] // 2:, :hw[1] // 2] = 102  # beverage
    ids[-1, -1] = 255
    return ids


def write_release(root):
    """RGB masks: red = class id, green/blue = noise that must be ignored."""
    for split, sizes in SIZES.items():
        os.makedirs(osp.join(root, split, 'img'))
        os.makedirs(osp.join(root, split, 'mask'))
        for i, hw in enumerate(sizes):
            rng = np.random.default_rng(i)
            cv2.imwrite(osp.join(root, split, 'img', f'{i}.jpg'),
                        rng.integers(0, 255, (*hw, 3), dtype=np.uint8))
            ids = class_ids(split, i, hw)
            bgr = np.stack([rng.integers(0, 255, hw), rng.integers(0, 255, hw), ids],
                           -1).astype(np.uint8)
            if (split, str(i)) == SWAPPED:
                bgr = bgr.transpose(1, 0, 2)
            cv2.imwrite(osp.join(root, split, 'mask', f'{i}.png'), bgr)
    return root


uec_tool = load_tool(TOOL)


@pytest.fixture(scope='module')
def converted(tmp_path_factory):
    """A fake release: its raw --check report, then converted by the CLI."""
    root = write_release(str(tmp_path_factory.mktemp('uec') / 'UECFOODPIXCOMPLETE'))
    before = uec_tool.check(root)
    result = run_tool_here(TOOL, root, '--nproc', '2')
    return root, before, result


def test_converter_round_trip_and_swapped_fix(converted):
    root, _, result = converted
    assert result.returncode == 0, result.stderr
    log = result.stdout + result.stderr
    mask = osp.join(root, 'train', 'mask', '2.png')
    assert (f'transposed: size mismatch (width and height swapped): image '
            f'{root}/train/img/2.jpg is 50x24 but mask {mask} is 24x50 (WxH)') in log
    assert f'train: 3 pairs -> {root}/train/mask_id: 3 written (1 swapped masks ' \
           'transposed), 0 already there, 0 problems' in log
    assert 'test: 1 pairs' in log and 'total: 0 problems' in log
    for split, sizes in SIZES.items():
        assert sorted(os.listdir(osp.join(root, split, 'mask_id'))) == [
            f'{i}.png' for i in range(len(sizes))]  # no temporary files left
        for i, hw in enumerate(sizes):
            out = cv2.imread(osp.join(root, split, 'mask_id', f'{i}.png'),
                             cv2.IMREAD_UNCHANGED)
            assert out.ndim == 2 and out.dtype == np.uint8
            np.testing.assert_array_equal(out, class_ids(split, i, hw))


def test_converter_writes_once(converted):
    root = converted[0]
    path = osp.join(root, 'test', 'mask_id', '0.png')
    mtime = os.stat(path).st_mtime_ns
    report, problems = uec_tool.convert(root)
    assert problems == 0
    assert report[-1].endswith(
        '0 written (0 swapped masks transposed), 1 already there, 0 problems')
    assert os.stat(path).st_mtime_ns == mtime
    report, _ = uec_tool.convert(root, overwrite=True)
    assert report[-1].endswith(
        '1 written (0 swapped masks transposed), 0 already there, 0 problems')


def test_check_reports_swapped_raw_mask_then_clean(converted):
    root, (report, problems), _ = converted
    assert problems == 1
    assert 'train: 3 images, 3 raw masks, not converted' in report
    assert [line for line in report if line.startswith('problem: ')] == [
        'problem: size mismatch (width and height swapped): image '
        f'{root}/train/img/2.jpg is 50x24 but mask {root}/train/mask/2.png is 24x50 '
        '(WxH)']
    assert (f'train: 3 pairs checked against {root}/train/mask, 1 problems (run the '
            'converter: it transposes swapped masks)') in report
    report, problems = uec_tool.check(root)
    assert problems == 0, report
    assert report == [
        'train: 3 images, 3 raw masks, 3 converted masks',
        f'train: 3 pairs checked against {root}/train/mask_id, 0 problems',
        'test: 1 images, 1 raw masks, 1 converted masks',
        f'test: 1 pairs checked against {root}/test/mask_id, 0 problems']


def test_converter_reports_bad_pairs(tmp_path):
    root = write_release(str(tmp_path / 'uec'))
    os.remove(osp.join(root, 'test', 'img', '0.jpg'))
    bad = np.zeros((30, 40, 3), np.uint8)
    bad[5, 5, 2] = 103  # red = id 103 > 102
    cv2.imwrite(osp.join(root, 'train', 'mask', '0.png'), bad)
    report, problems = uec_tool.convert(root)
    assert problems == 2
    assert (f'problem: mask {root}/train/mask/0.png has label id(s) [103]; '
            'valid ids are 0..102 and 255 (ignore)') in report
    assert (f'problem: mask {root}/test/mask/0.png has no image '
            f'{root}/test/img/0.jpg') in report
    assert not osp.exists(osp.join(root, 'train', 'mask_id', '0.png'))


def test_converter_bad_root(tmp_path, monkeypatch, capsys):
    monkeypatch.setattr(sys, 'argv', ['uecfoodpix.py', str(tmp_path / 'nowhere')])
    with pytest.raises(SystemExit) as info:
        uec_tool.main()
    assert info.value.code == 2
    assert capsys.readouterr().err == (
        f'error: UEC-FoodPIX root not found: {tmp_path}/nowhere\n')


def pipeline(raw=False):
    return [dict(type='LoadCheckedImageFromFile'), dict(type='LoadAnnotations')] + (
        [dict(type='SegMapFromRedChannel')] if raw else []) + [
        dict(type='ExtractIngredients', num_classes=103),
        dict(type='PackFoodSegInputs')]


def test_dataset_on_converted_and_raw_masks(converted):
    root = converted[0]
    dataset = UECFoodPIXDataset(
        data_root=root, pipeline=pipeline(),
        data_prefix=dict(img_path='train/img', seg_map_path='train/mask_id'))
    raw = UECFoodPIXDataset(
        data_root=root, pipeline=pipeline(raw=True),
        data_prefix=dict(img_path='train/img', seg_map_path='train/mask'))
    assert len(dataset) == len(raw) == 3
    assert dataset.metainfo['classes'] == UECFOODPIX_CLASSES
    for i, hw in enumerate(SIZES['train']):
        sample = dataset[i]['data_samples']
        ids = class_ids('train', i, hw)
        np.testing.assert_array_equal(sample.gt_sem_seg.data[0].numpy(), ids)
        assert sample.metainfo['ingredients'] == sorted({int(ids[5, 5]), 102})
        if ('train', str(i)) != SWAPPED:
            raw_sample = raw[i]['data_samples']
            np.testing.assert_array_equal(raw_sample.gt_sem_seg.data,
                                          sample.gt_sem_seg.data)
            assert raw_sample.metainfo['ingredients'] == sample.metainfo['ingredients']
    with pytest.raises(InputError, match=r'size mismatch \(width and height swapped\)'):
        raw[2]


def test_unconverted_dataset_points_at_the_converter(tmp_path):
    root = write_release(str(tmp_path / 'uec'))
    with pytest.raises(InputError) as info:
        UECFoodPIXDataset(data_root=root, data_prefix=dict(
            img_path='test/img', seg_map_path='test/mask_id'))
    assert str(info.value) == (
        f'UECFoodPIXDataset: mask folder not found: {root}/test/mask_id; write the '
        'single-channel masks first: '
        f'python tools/dataset_converters/uecfoodpix.py {root}')
