"""tools/train.py, --resume and tools/test.py on a tiny plain-mmseg model (CPU).

The stock stack (mmengine 0.10.7 + torch >= 2.6) cannot resume its own
checkpoints (UnpicklingError); dccd.compat fixes that without turning safe
loading off.
"""
import glob
import json
import os.path as osp
import pickle
import re

import cv2
import numpy as np
import pytest
import torch

from conftest import REPO, metrics_of, run_tool_here
from dccd.utils import InputError
from dccd.utils.weights import read_checkpoint

CONFIG = osp.join(REPO, 'tests', 'configs', 'tiny_mmseg.py')


def _data_opts(root):
    return ['--cfg-options', f'train_dataloader.dataset.data_root={root}',
            f'val_dataloader.dataset.data_root={root}',
            f'test_dataloader.dataset.data_root={root}']


@pytest.fixture(scope='module')
def trained(tiny_seg_root, tmp_path_factory):
    """Train 8 iterations, then resume to 12: returns the work dir."""
    work_dir = str(tmp_path_factory.mktemp('tiny_train'))
    first = run_tool_here('train.py', CONFIG, '--work-dir', work_dir, *_data_opts(tiny_seg_root))
    assert first.returncode == 0, first.stderr[-3000:]
    assert osp.isfile(osp.join(work_dir, 'iter_8.pth'))
    second = run_tool_here('train.py', CONFIG, '--work-dir', work_dir, '--resume',
                           *_data_opts(tiny_seg_root), 'train_cfg.max_iters=12')
    assert second.returncode == 0, second.stderr[-3000:]
    return work_dir, first.stdout + first.stderr, second.stdout + second.stderr


def test_resume_continues_from_checkpoint(trained):
    work_dir, _, log = trained
    assert 'resumed epoch: 0, iter: 8' in log
    assert re.search(r'Iter\(train\) \[ ?9/12\]', log)
    assert not re.search(r'Iter\(train\) \[ ?1/12\]', log)
    ckpt = read_checkpoint(osp.join(work_dir, 'iter_12.pth'))
    assert ckpt['meta']['iter'] == 12
    # the message hub's loss history survives the round trip through safe loading
    history = ckpt['message_hub']['log_scalars']['train/loss']
    assert len(history.data[0]) == 12


def _miou_from_pngs(pred_dir, gt_dir, num_classes):
    inter = np.zeros(num_classes)
    union = np.zeros(num_classes)
    correct = total = 0
    acc_hit = np.zeros(num_classes)
    acc_all = np.zeros(num_classes)
    for gt_path in sorted(glob.glob(osp.join(gt_dir, '*.png'))):
        gt = cv2.imread(gt_path, cv2.IMREAD_UNCHANGED)
        pred = cv2.imread(osp.join(pred_dir, osp.basename(gt_path)), cv2.IMREAD_UNCHANGED)
        assert pred is not None and pred.shape == gt.shape
        for c in range(num_classes):
            inter[c] += np.sum((pred == c) & (gt == c))
            union[c] += np.sum((pred == c) | (gt == c))
            acc_hit[c] += np.sum((pred == c) & (gt == c))
            acc_all[c] += np.sum(gt == c)
        correct += np.sum(pred == gt)
        total += gt.size
    with np.errstate(invalid='ignore', divide='ignore'):
        iou = inter / union
        acc = acc_hit / acc_all
    return 100 * np.nanmean(iou), 100 * np.nanmean(acc), 100 * correct / total


def test_test_tool_metrics_match_saved_predictions(trained, tiny_seg_root, tmp_path):
    work_dir = trained[0]
    out_dir = tmp_path / 'pred'
    result = run_tool_here('test.py', CONFIG, osp.join(work_dir, 'iter_12.pth'),
                           '--work-dir', tmp_path, '--out', out_dir,
                           *_data_opts(tiny_seg_root))
    m = metrics_of(result)
    a_acc, m_iou, m_acc = m['aAcc'], m['mIoU'], m['mAcc']
    assert '|   Class    |  IoU  |  Acc  |' in result.stdout + result.stderr  # per-class table
    exp_miou, exp_macc, exp_aacc = _miou_from_pngs(
        str(out_dir), osp.join(tiny_seg_root, 'ann', 'test'), 3)
    assert m_iou == pytest.approx(exp_miou, abs=0.01)
    assert m_acc == pytest.approx(exp_macc, abs=0.01)
    assert a_acc == pytest.approx(exp_aacc, abs=0.01)
    # mmengine also dumps the metrics as JSON in the work dir
    jsons = glob.glob(osp.join(str(tmp_path), '*', '*.json'))
    assert jsons and json.load(open(jsons[0]))['mIoU'] == pytest.approx(m_iou)


def test_test_tool_evaluates_the_averaged_weights_of_an_ema_run(tiny_seg_root, tmp_path):
    """Under mmengine's EMAHook a checkpoint's state_dict holds the averaged
    weights (the raw ones go to ema_state_dict): tools/test.py on that config
    predicts what the averaged weights, saved alone, predict without the hook."""
    config = tmp_path / 'tiny_ema.py'
    config.write_text(f"_base_ = {CONFIG!r}\n"
                      "custom_hooks = [dict(type='EMAHook', momentum=0.5)]\n")
    work_dir = tmp_path / 'train'
    train = run_tool_here('train.py', config, '--work-dir', work_dir,
                          *_data_opts(tiny_seg_root), 'train_cfg.max_iters=4')
    assert train.returncode == 0, train.stderr[-3000:]
    ckpt = read_checkpoint(str(work_dir / 'iter_4.pth'))
    averaged = ckpt['state_dict']
    raw = {key[len('module.'):]: value for key, value in ckpt['ema_state_dict'].items()
           if key.startswith('module.')}
    assert any(not torch.equal(averaged[key], raw[key]) for key in raw)
    plain = tmp_path / 'averaged.pth'
    torch.save({'state_dict': averaged, 'meta': {}}, plain)

    runs = {}
    for name, cfg, path in (('ema', config, work_dir / 'iter_4.pth'), ('plain', CONFIG, plain)):
        runs[name] = metrics_of(run_tool_here(
            'test.py', cfg, path, '--work-dir', tmp_path / name, '--out', tmp_path / f'{name}_pred',
            *_data_opts(tiny_seg_root)))
    assert runs['ema'] == runs['plain']
    for png in sorted(glob.glob(str(tmp_path / 'plain_pred' / '*.png'))):
        expected = cv2.imread(png, cv2.IMREAD_UNCHANGED)
        got = cv2.imread(str(tmp_path / 'ema_pred' / osp.basename(png)), cv2.IMREAD_UNCHANGED)
        assert got is not None and np.array_equal(got, expected), png


class _Payload:
    """An arbitrary object: safe loading must refuse it."""

    def __reduce__(self):
        return (print, ('pwned',))


def test_arbitrary_pickled_object_is_refused(trained, tmp_path):
    ckpt = torch.load(osp.join(trained[0], 'iter_12.pth'), weights_only=True)
    ckpt['meta']['evil'] = _Payload()
    path = tmp_path / 'evil.pth'
    torch.save(ckpt, path)
    with pytest.raises(pickle.UnpicklingError):
        torch.load(path, weights_only=True)
    with pytest.raises(InputError, match='refusing to load'):
        read_checkpoint(str(path))
    result = run_tool_here('test.py', CONFIG, path)
    assert result.returncode == 2
    assert result.stderr.strip().count('\n') == 0
    assert 'refusing to load' in result.stderr and 'pwned' not in result.stdout


def test_bad_tool_input_is_one_line(tmp_path):
    missing = run_tool_here('train.py', 'configs/nope.py')
    assert missing.returncode == 2
    assert missing.stderr.strip() == 'error: config file not found: configs/nope.py'
    typo = run_tool_here('train.py', CONFIG, '--cfg-options', 'train_cfg.max_iter=3')
    assert typo.returncode == 2 and typo.stderr.count('\n') == 1
    assert "'train_cfg.max_iter' is not a key" in typo.stderr
    assert "did you mean 'max_iters'" in typo.stderr
    not_ckpt = tmp_path / 'notes.pth'
    not_ckpt.write_text('hello')
    bad = run_tool_here('test.py', CONFIG, not_ckpt)
    assert bad.returncode == 2 and 'is not a checkpoint' in bad.stderr
