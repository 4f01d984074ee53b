"""tools/infer.py on the 65 real FoodSeg103 sample photos, and the overlays of
tools/test.py --show-dir, with the micro toy checkpoint (CPU).

The photos go through tests/configs/micro_toy_dccd_infer.py: the micro toy
model with a test pipeline that resizes each photo to fit 128x128; masks and
overlays come back at each photo's size (204x307 up to 1024x1365). With one
torch thread (tests/conftest.py) all 65 photos take about 10 s. Error paths and the second infer run
are called in-process (``main(argv)``) to save interpreter start-ups; the
unknown-ingredient case runs as a real command to check its stderr.
"""
import glob
import json
import os
import os.path as osp
import shutil

import cv2
import numpy as np
import pytest
import torch

from conftest import REPO, load_tool, run_tool_here, toy_data_options

INFER_CONFIG = osp.join(REPO, 'tests', 'configs', 'micro_toy_dccd_infer.py')
NUM_CLASSES = 12


INFER = load_tool('infer.py')


def _photos(root):
    return sorted(glob.glob(osp.join(root, 'images', '*.jpg')))


def _check_result_files(out_dir, photo, branch, steps, ingredients=None):
    """The three files of one photo: mask, overlay, JSON; returns the JSON."""
    stem = osp.splitext(osp.basename(photo))[0]
    h, w = cv2.imread(photo).shape[:2]
    mask = cv2.imread(osp.join(out_dir, f'{stem}_mask.png'), cv2.IMREAD_UNCHANGED)
    assert mask is not None and mask.dtype == np.uint8 and mask.shape == (h, w)
    assert mask.max() < NUM_CLASSES
    overlay = cv2.imread(osp.join(out_dir, f'{stem}_overlay.jpg'))
    assert overlay is not None and overlay.shape == (h, w, 3)
    with open(osp.join(out_dir, f'{stem}.json')) as f:
        info = json.load(f)
    assert (info['branch'], info['steps'], info['ingredients_given']) == (
        branch, steps, ingredients)
    assert (info['height'], info['width']) == (h, w)
    assert info['image'] == osp.abspath(photo)
    shares = info['shares']
    # % of image: background + every ingredient = the whole image
    assert info['background_percent_of_image'] + sum(
        s['percent_of_image'] for s in shares) == pytest.approx(100, abs=0.1)
    # % of food: the ingredients share the non-background area
    if shares:
        assert sum(s['percent_of_food'] for s in shares) == pytest.approx(100, abs=0.1)
    else:
        assert info['background_percent_of_image'] == 100
    assert [s['pixels'] for s in shares] == sorted((s['pixels'] for s in shares), reverse=True)
    counts = np.bincount(mask.ravel(), minlength=NUM_CLASSES)
    assert {s['class_id']: s['pixels'] for s in shares} == {
        i: int(c) for i, c in enumerate(counts) if c and i != 0}
    return info


def _no_results(out_dir):
    return not osp.exists(out_dir) or not os.listdir(out_dir)


def test_infer_all_sample_photos(toy_checkpoint, foodseg_sample, tmp_path):
    photos = _photos(foodseg_sample)
    assert len(photos) == 65
    folder = tmp_path / 'photos'  # a folder input: images by extension, sorted
    folder.mkdir()
    for photo in photos:
        os.symlink(photo, folder / osp.basename(photo))
    (folder / 'notes.txt').write_text('not an image: skipped')
    out_dir = str(tmp_path / 'out')
    result = run_tool_here('infer.py', INFER_CONFIG, toy_checkpoint[1], str(folder),
                           '--out-dir', out_dir)
    assert result.returncode == 0, result.stderr[-3000:]
    assert '65/65' in result.stdout  # the progress bar
    assert 'segmented 65 image(s) with the student branch, 3 DDIM step(s)' in result.stdout
    assert len(os.listdir(out_dir)) == 3 * 65  # no temporary files left
    infos = [_check_result_files(out_dir, str(folder / osp.basename(p)), 'student', 3)
             for p in photos]
    assert sum(bool(info['shares']) for info in infos) > 0


def test_infer_teacher_with_ingredients(toy_checkpoint, foodseg_sample, tmp_path, capsys):
    photos = _photos(foodseg_sample)[:2]
    out_dir = str(tmp_path / 'teacher')
    INFER.main([INFER_CONFIG, toy_checkpoint[1], *photos, '--out-dir', out_dir,
                '--ingredients', 'Rice, broccoli ,STEAK', '--steps', '2'])
    assert 'with the teacher branch, 2 DDIM step(s)' in capsys.readouterr().out
    for photo in photos:
        _check_result_files(out_dir, photo, 'teacher', 2, ['broccoli', 'rice', 'steak'])


def test_unknown_ingredient_is_one_line_exit_2(toy_checkpoint, foodseg_sample, tmp_path):
    out_dir = str(tmp_path / 'bad')
    result = run_tool_here('infer.py', INFER_CONFIG, toy_checkpoint[1], _photos(foodseg_sample)[0],
                           '--out-dir', out_dir, '--ingredients', 'rice, brocoli')
    assert result.returncode == 2
    lines = result.stderr.strip().splitlines()
    assert len(lines) == 1, result.stderr
    assert lines[0].startswith('error: --ingredients: unknown ingredient')
    assert "'brocoli' (closest: broccoli" in lines[0]
    assert _no_results(out_dir)


def test_unreadable_image_fails_before_any_output(toy_checkpoint, foodseg_sample, tmp_path,
                                                  capsys):
    photos = _photos(foodseg_sample)[:2]
    folder = tmp_path / 'photos'
    folder.mkdir()
    for photo in photos:
        shutil.copy(photo, folder)
    data = open(photos[1], 'rb').read()
    broken = folder / 'zz_truncated.jpg'
    broken.write_bytes(data[:len(data) // 2])
    out_dir = str(tmp_path / 'out')
    with pytest.raises(SystemExit) as exit_info:
        INFER.main([INFER_CONFIG, toy_checkpoint[1], str(folder), '--out-dir', out_dir])
    assert exit_info.value.code == 2
    assert capsys.readouterr().err.splitlines() == [
        f'error: truncated JPEG (no end-of-image marker after the image data): {broken}']
    assert _no_results(out_dir)
    cases = [([str(tmp_path / 'missing.jpg')], 'input not found'),
             ([photos[0], str(folder / osp.basename(photos[0]))], 'same result files'),
             ([photos[0], '--steps', '0'], '--steps must be >= 1'),
             ([photos[0], '--cfg-options', 'model.decode_head.ffn_channels=32'],
              'does not fit the config')]
    if not torch.cuda.is_available():
        cases.append(([photos[0], '--device', 'cuda'], 'CUDA is not available'))
    for args, expected in cases:
        with pytest.raises(SystemExit) as exit_info:
            INFER.main([INFER_CONFIG, toy_checkpoint[1], *args, '--out-dir', out_dir])
        assert exit_info.value.code == 2
        err = capsys.readouterr().err.splitlines()
        assert len(err) == 1 and expected in err[0], err
        assert _no_results(out_dir)


def test_test_tool_show_dir_writes_infer_overlays(toy_checkpoint, toy_root, tmp_path):
    config, ckpt, _ = toy_checkpoint
    show_dir = str(tmp_path / 'show')
    result = run_tool_here('test.py', config, ckpt, '--work-dir', str(tmp_path / 'work'),
                           '--show-dir', show_dir, *toy_data_options(toy_root))
    assert result.returncode == 0, result.stderr[-3000:]
    images = sorted(glob.glob(osp.join(toy_root, 'Images', 'img_dir', 'test', '*.png')))
    assert len(images) == 8
    names = [osp.splitext(osp.basename(p))[0] + '_overlay.png' for p in images]
    assert sorted(os.listdir(show_dir)) == names
    # the same drawing as tools/infer.py (same model, same seeded DDIM)
    out_dir = str(tmp_path / 'infer')
    INFER.main([config, ckpt, *images, '--out-dir', out_dir])
    for image, name in zip(images, names):
        shown = cv2.imread(osp.join(show_dir, name))
        inferred = cv2.imread(osp.join(out_dir, name))
        assert shown.shape == inferred.shape == cv2.imread(image).shape
        assert (shown == inferred).all(axis=2).mean() > 0.99
