"""tools/dataset_converters/foodseg103.py --check: the real sample, broken copies."""
import os
import os.path as osp
import sys

import cv2
import numpy as np
import pytest

from conftest import load_tool, run_tool_here

TOOL = 'dataset_converters/foodseg103.py'


fs_tool = load_tool(TOOL)


def lay_out(sample, root, skip=()):
    """Symlink the sample as the test split, leaving out the files in ``skip``."""
    for src, dst in (('images', 'img_dir'), ('masks', 'ann_dir')):
        folder = osp.join(root, 'Images', dst, 'test')
        os.makedirs(folder)
        for name in sorted(os.listdir(osp.join(sample, src))):
            if name not in skip:
                os.symlink(osp.join(sample, src, name), osp.join(folder, name))
    return root


def test_cli_on_the_real_sample(foodseg_sample, tmp_path):
    root = lay_out(foodseg_sample, str(tmp_path / 'FoodSeg103'))
    result = run_tool_here(TOOL, '--check', root, '--nproc', '2')
    log = result.stdout + result.stderr
    assert result.returncode == 0, log
    assert 'test: 65 pairs, 0 problems' in log
    assert 'total: 65 pairs, 0 problems' in log
    assert 'problem:' not in log


def test_deleted_and_resized_masks_are_exactly_the_problems(
        foodseg_sample, tmp_path, monkeypatch):
    root = lay_out(foodseg_sample, str(tmp_path / 'FoodSeg103'),
                   skip=('00004463.png', '00005519.png'))
    ann = osp.join(root, 'Images', 'ann_dir', 'test')
    mask = cv2.imread(osp.join(foodseg_sample, 'masks', '00005519.png'),
                      cv2.IMREAD_UNCHANGED)
    cv2.imwrite(osp.join(ann, '00005519.png'),
                cv2.resize(mask, (128, 128), interpolation=cv2.INTER_NEAREST))
    img = osp.join(root, 'Images', 'img_dir', 'test')
    report, problems = fs_tool.check(root, nproc=1)
    assert problems == 2
    assert [line for line in report if line.startswith('problem: ')] == [
        f'problem: image {img}/00004463.jpg has no mask {ann}/00004463.png',
        f'problem: size mismatch: image {img}/00005519.jpg is 256x256 but mask '
        f'{ann}/00005519.png is 128x128 (WxH)']
    assert 'test: 64 pairs, 2 problems' in report
    assert f'train: not present ({root}/Images/img_dir/train)' in report
    monkeypatch.setattr(sys, 'argv', ['foodseg103.py', '--check', root, '--nproc', '1'])
    with pytest.raises(SystemExit) as info:
        fs_tool.main()
    assert info.value.code == 1


def write(path, arr):
    os.makedirs(osp.dirname(path), exist_ok=True)
    cv2.imwrite(path, arr)
    return path


def test_bad_ids_unreadable_and_orphans(tmp_path):
    root = str(tmp_path)
    img_dir, ann_dir = f'{root}/Images/img_dir/train', f'{root}/Images/ann_dir/train'
    rng = np.random.default_rng(0)
    for name in ('a', 'b', 'c', 'd'):
        write(f'{img_dir}/{name}.jpg',
              rng.integers(0, 255, (64, 64, 3), dtype=np.uint8))
        write(f'{ann_dir}/{name}.png', np.full((64, 64), 3, np.uint8))
    bad_ids = np.array([[0, 104], [255, 200]], np.uint8)
    write(f'{ann_dir}/b.png', bad_ids.repeat(32, 0).repeat(32, 1))
    data = open(f'{img_dir}/c.jpg', 'rb').read()
    open(f'{img_dir}/c.jpg', 'wb').write(data[:len(data) // 2])
    open(f'{ann_dir}/d.png', 'wb').write(b'not a png')
    write(f'{ann_dir}/e.png', np.zeros((8, 8), np.uint8))
    report, problems = fs_tool.check(root)
    assert report[:-3] == [
        f'problem: mask {ann_dir}/e.png has no image {img_dir}/e.jpg',
        f'problem: mask {ann_dir}/b.png has label id(s) [104, 200]; valid ids are '
        '0..103 and 255 (ignore)',
        f'problem: truncated JPEG (no end-of-image marker after the image data): '
        f'{img_dir}/c.jpg',
        f'problem: cannot decode mask: {ann_dir}/d.png']
    assert problems == 4 and report[-3] == 'train: 4 pairs, 4 problems'


def test_bad_root(tmp_path, monkeypatch, capsys):
    cases = ((tmp_path / 'nowhere', f'FoodSeg103 root not found: {tmp_path}/nowhere'),
             (tmp_path, f'no FoodSeg103 split under {tmp_path}: expected Images/'
              'img_dir/{train,test} and Images/ann_dir/{train,test}'))
    for root, message in cases:
        monkeypatch.setattr(sys, 'argv', ['foodseg103.py', '--check', str(root)])
        with pytest.raises(SystemExit) as info:
            fs_tool.main()
        assert info.value.code == 2
        assert capsys.readouterr().err == f'error: {message}\n'
