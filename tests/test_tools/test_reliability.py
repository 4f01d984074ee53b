"""Crash and resume, determinism, NaN stop and two processes, through the tools.

All on the micro toy DCCD config (tests/configs/micro_toy_dccd.py, 6
iterations, checkpoints at 3 and 6) and compared with the session's
``toy_checkpoint`` run, the uninterrupted reference.
"""
import glob
import json
import os.path as osp
import re
import shutil
import signal
import subprocess
import sys

import pytest
import torch

from conftest import (MICRO_TOY_CONFIG, REPO, run_tool, run_tool_here, tool_env,
                      toy_data_options)
from dccd.utils.weights import read_checkpoint

CRASH_CONFIG = osp.join(REPO, 'tests', 'configs', 'micro_toy_crash.py')
HELPERS = osp.join(REPO, 'tests', 'helpers')


def scalars(work_dir):
    """Train and val records of every run in ``work_dir``, by iteration."""
    train, val = {}, {}
    for path in sorted(glob.glob(osp.join(work_dir, '*', 'vis_data', 'scalars.json'))):
        with open(path) as f:
            for line in f:
                record = json.loads(line)
                if 'iter' in record:
                    train[record['iter']] = record
                elif 'mIoU' in record:
                    val[record['step']] = record
    return train, val


def numeric(record):
    """The losses, accuracies and learning rates of a train record."""
    return {k: v for k, v in record.items()
            if 'loss' in k or 'acc' in k or k.endswith('lr')}


@pytest.fixture(scope='module')
def crashed_and_resumed(toy_root, tmp_path_factory):
    """Train until SIGKILL right after iter_3.pth is written (the config's own
    hook, so no timing is involved), then --resume."""
    work_dir = str(tmp_path_factory.mktemp('crash'))
    crashed = run_tool('train.py', CRASH_CONFIG, '--work-dir', work_dir,
                       *toy_data_options(toy_root), env=dict(PYTHONPATH=HELPERS))
    assert crashed.returncode == -signal.SIGKILL, crashed.stderr[-3000:]
    killed_train, _ = scalars(work_dir)
    resumed = run_tool_here('train.py', MICRO_TOY_CONFIG, '--work-dir', work_dir, '--resume',
                            *toy_data_options(toy_root))
    assert resumed.returncode == 0, resumed.stderr[-3000:]
    return work_dir, killed_train, resumed.stdout + resumed.stderr


def test_resumed_losses_equal_the_uninterrupted_run(toy_checkpoint, crashed_and_resumed):
    work_dir, _, log = crashed_and_resumed
    assert 'resumed epoch: 0, iter: 3' in log
    assert 'RandomStateHook: restored the random state of iteration 3' in log
    assert re.search(r'Iter\(train\) \[4/6\]', log) and 'Iter(train) [1/6]' not in log
    reference_train, reference_val = scalars(toy_checkpoint[2])
    train, val = scalars(work_dir)
    for it in (4, 5, 6):
        expected = numeric(reference_train[it])
        got = numeric(train[it])
        assert got.keys() == expected.keys() and 'loss_ce_student' in got
        for key, value in expected.items():
            assert got[key] == pytest.approx(value, abs=1e-6, rel=0), (it, key)
    assert val[6]['mIoU'] == reference_val[6]['mIoU']
    # optimizer, scheduler and RNG restored: the final weights are the same
    ours = torch.load(osp.join(work_dir, 'iter_6.pth'), weights_only=True)['state_dict']
    ref = torch.load(toy_checkpoint[1], weights_only=True)['state_dict']
    assert ours.keys() == ref.keys()
    for key in ref:
        torch.testing.assert_close(ours[key], ref[key], rtol=0, atol=1e-6, msg=key)


def test_same_seed_twice_gives_identical_loss_logs(toy_checkpoint, crashed_and_resumed):
    _, killed_train, _ = crashed_and_resumed
    reference_train, _ = scalars(toy_checkpoint[2])
    assert set(killed_train) == {1, 2, 3}  # killed right after iteration 3
    for it in killed_train:
        assert numeric(killed_train[it]) == numeric(reference_train[it]), it


def test_checkpoints_are_complete_and_safe_loadable(crashed_and_resumed):
    work_dir = crashed_and_resumed[0]
    assert open(osp.join(work_dir, 'last_checkpoint')).read() == osp.join(
        work_dir, 'iter_6.pth')
    assert not glob.glob(osp.join(work_dir, '.*.tmp'))
    # weights_only=True: the RNG record needs no allow-list entry
    ckpt = read_checkpoint(osp.join(work_dir, 'iter_3.pth'))
    state = ckpt['rng_state']
    assert ckpt['meta']['iter'] == 3
    assert state['torch'].dtype == torch.uint8 and state['torch'].numel() > 0
    assert state['data_stream']['numpy']['bit_generator'] == 'MT19937'
    assert state['data_stream']['python']['state'].shape == (625, )


def test_nan_loss_stops_and_keeps_the_last_good_checkpoint(toy_checkpoint, toy_root,
                                                           tmp_path):
    # resume the reference run from iter_3 with a NaN loss weight: iteration 4
    # is the first bad step; a checkpoint is due after every step
    shutil.copy(osp.join(toy_checkpoint[2], 'iter_3.pth'), tmp_path)
    good = str(tmp_path / 'iter_3.pth')
    (tmp_path / 'last_checkpoint').write_text(good)
    result = run_tool_here('train.py', MICRO_TOY_CONFIG, '--work-dir', tmp_path, '--resume',
                           *toy_data_options(toy_root),
                           'model.decode_head.loss_decode.loss_weight=nan',
                           'default_hooks.checkpoint.interval=1')
    assert result.returncode == 1
    # one line (after the libraries' start-up warnings), no traceback
    assert 'Traceback' not in result.stderr, result.stderr[-3000:]
    assert result.stderr.splitlines()[-1] == (
        'error: non-finite loss at iteration 4: loss_ce_teacher=nan, '
        f'loss_ce_student=nan, loss=nan; training stopped (last good checkpoint: {good})')
    assert sorted(p.name for p in tmp_path.glob('*.pth*')) == ['iter_3.pth']
    assert (tmp_path / 'last_checkpoint').read_text() == good


def test_two_processes_train_and_evaluate_every_image_once(tmp_path):
    from dccd.datasets import generate_toy_food

    # 5 test images: 3 + 2 over two ranks, the sampler pads rank 1 with a repeat
    root = generate_toy_food(str(tmp_path / 'toy5'), seed=1, num_train=4, num_test=5,
                             size=64, val_fraction=0.25)
    data = toy_data_options(root)
    env = tool_env(PYTHON=sys.executable)  # no PORT: torchrun --standalone picks one
    work_dir = tmp_path / 'dist'
    result = subprocess.run(
        ['bash', osp.join(REPO, 'tools', 'dist_train.sh'), MICRO_TOY_CONFIG, '2',
         '--work-dir', str(work_dir), *data, 'train_cfg.max_iters=2',
         'train_dataloader.batch_size=2'],
        cwd=REPO, env=env, capture_output=True, text=True, timeout=600)
    assert result.returncode == 0, result.stderr[-3000:]
    train, val = scalars(str(work_dir))
    assert sorted(train) == [1, 2] and sorted(val) == [2]
    # rank 0's log: the validation over both ranks; metrics of one process on
    # the checkpoint are the same
    single = run_tool_here('test.py', MICRO_TOY_CONFIG, work_dir / 'iter_2.pth',
                           '--work-dir', tmp_path / 'single', *data)
    assert single.returncode == 0, single.stderr[-3000:]
    metrics = json.load(open(glob.glob(str(tmp_path / 'single' / '*' / '*.json'))[0]))
    for key in ('aAcc', 'mIoU', 'mAcc'):
        assert val[2][key] == metrics[key], key
    table = re.compile(r'\| *Class *\|[^\n]*\n\+[-+]+\n((?:\|[^\n]*\n)+)')
    assert table.search(result.stdout).group(1) == table.search(single.stdout).group(1)
