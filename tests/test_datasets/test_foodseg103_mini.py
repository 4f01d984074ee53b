"""FoodSeg103-mini: the configs read the real files, and the builder rebuilds
it from a release (a fake one made of the real sample pairs)."""
import filecmp
import os
import os.path as osp
import shutil

import cv2
import numpy as np
import pytest
from mmengine.config import Config
from mmseg.registry import DATASETS

from conftest import REPO, load_tool, require_shared

MINI = osp.join(REPO, 'configs', 'foodseg103-mini')
DDP = osp.join(MINI, 'ddp_efficientnet-lite0_foodseg103-mini.py')


def stems(dataset):
    return {osp.basename(dataset.get_data_info(i)['img_path'])[:-4]
            for i in range(len(dataset))}


def test_mini_configs_read_the_real_files_and_hold_out_their_split():
    root = require_shared('foodseg103_mini')
    cfg = Config.fromfile(DDP)
    built = {}
    for loader in ('train_dataloader', 'heldout_dataloader', 'test_dataloader',
                   'val_dataloader'):
        cfg[loader].dataset.data_root = root
        built[loader] = DATASETS.build(cfg[loader].dataset)
    train, held, test, val = (built[k] for k in ('train_dataloader', 'heldout_dataloader',
                                                  'test_dataloader', 'val_dataloader'))
    assert (len(train), len(held), len(test)) == (931, 104, 65)
    assert not stems(train) & stems(held)
    # the learning curve is measured on the held-out photos, never on test
    assert stems(val) == stems(held) and not stems(val) & stems(test)
    with open(osp.join(MINI, 'splits', 'mini_train_ids.txt')) as f:
        assert stems(train) | stems(held) == set(f.read().split())
    np.random.seed(0)
    sample = train[0]
    assert tuple(sample['inputs'].shape[1:]) <= (160, 160)  # cropped
    assert sample['data_samples'].metainfo['ingredients']
    shape = test[0]['inputs'].shape[1:]
    assert min(shape) == 224 and max(shape) <= 1024  # short side 224, aspect kept


def fake_release(sample, root, ids):
    for kind, folder, ext in (('img_dir', 'images', '.jpg'), ('ann_dir', 'masks', '.png')):
        dst = osp.join(root, 'Images', kind, 'test')
        os.makedirs(dst)
        for i in ids:
            shutil.copy(osp.join(sample, folder, i + ext), dst)


def test_builder_resizes_train_copies_test_and_refuses_a_partial_release(
        tmp_path, monkeypatch, capsys):
    sample = require_shared('foodseg103_sample')
    tool = load_tool('dataset_converters/foodseg103_mini.py')
    splits = tmp_path / 'splits'
    splits.mkdir()
    (splits / 'mini_train_ids.txt').write_text('00000048\n00004430\n')  # 512x485, 1365x1024
    (splits / 'mini_test_ids.txt').write_text('00004463\n')
    monkeypatch.setattr(tool, 'SPLITS', str(splits))
    release = str(tmp_path / 'FoodSeg103')
    fake_release(sample, release, ['00000048', '00004430', '00004463'])
    out = tmp_path / 'mini'
    tool.main([release, str(out)])
    img = cv2.imread(str(out / 'Images' / 'img_dir' / 'train' / '00004430.jpg'))
    mask = cv2.imread(str(out / 'Images' / 'ann_dir' / 'train' / '00004430.png'),
                      cv2.IMREAD_UNCHANGED)
    assert img.shape[:2] == mask.shape == (480, 640)  # long side 640
    original = cv2.imread(osp.join(sample, 'masks', '00004430.png'), cv2.IMREAD_UNCHANGED)
    assert set(np.unique(mask)) <= set(np.unique(original))  # nearest: no new labels
    small = out / 'Images' / 'img_dir' / 'train' / '00000048.jpg'  # long side <= 640
    assert filecmp.cmp(small, osp.join(sample, 'images', '00000048.jpg'), False)
    for kind, name in (('img_dir', '00004463.jpg'), ('ann_dir', '00004463.png')):
        copied = out / 'Images' / kind / 'test' / name
        assert filecmp.cmp(copied, osp.join(release, 'Images', kind, 'test', name), False)
    os.remove(osp.join(release, 'Images', 'ann_dir', 'test', '00004463.png'))
    with pytest.raises(SystemExit) as info:
        tool.main([release, str(tmp_path / 'mini2')])
    assert info.value.code == 2
    assert 'FoodSeg103 release file not found' in capsys.readouterr().err
    assert not (tmp_path / 'mini2').exists()
