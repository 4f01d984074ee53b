"""tools/analysis_tools/side_by_side.py: GT and model overlays in one JPEG."""
import os.path as osp

import cv2
import numpy as np
import pytest

from conftest import MICRO_TOY_CONFIG, load_tool

TOOL = load_tool('analysis_tools/side_by_side.py')


def test_gt_and_two_models_side_by_side(toy_checkpoint, toy_root, tmp_path):
    image = osp.join(toy_root, 'Images', 'img_dir', 'test', '00016.png')
    masks = osp.join(toy_root, 'Images', 'ann_dir', 'test')
    ckpt = toy_checkpoint[1]
    TOOL.main([image, '--out-dir', str(tmp_path), '--masks', masks, '--height', '96',
               '--model', 'DDP', MICRO_TOY_CONFIG, ckpt,
               '--model', 'DCCD student', MICRO_TOY_CONFIG, ckpt])
    out = cv2.imread(str(tmp_path / '00016_side_by_side.jpg'))
    # three 96x96 panels (the 64x64 plate scaled), each under a 22 px title bar
    assert out.shape == (96 + TOOL.TITLE_H, 3 * 96, 3)
    # the two models are the same checkpoint: identical panels
    left, right = out[TOOL.TITLE_H:, 96:192].astype(int), out[TOOL.TITLE_H:, 192:].astype(int)
    assert np.abs(left - right).mean() < 2  # JPEG noise only
    assert out[:TOOL.TITLE_H].min() < 100  # a title is written on the white bar


def test_missing_gt_mask_is_one_line(toy_checkpoint, toy_root, tmp_path, capsys):
    image = osp.join(toy_root, 'Images', 'img_dir', 'test', '00016.png')
    with pytest.raises(SystemExit) as info:
        TOOL.main([image, '--out-dir', str(tmp_path / 'o'), '--masks', str(tmp_path),
                   '--model', 'DDP', MICRO_TOY_CONFIG, toy_checkpoint[1]])
    assert info.value.code == 2
    assert capsys.readouterr().err.startswith('error: GT mask not found or unreadable:')
    assert not (tmp_path / 'o').exists()
