"""``tools/train.py --vis tensorboard``: the run's scalars as TensorBoard event files.

The session's micro toy training (``toy_checkpoint``, 6 iterations, logged
every iteration, validated at 6) runs with the switch.
"""
import glob
import importlib.util
import json
import os
import os.path as osp

import pytest

from conftest import MICRO_TOY_CONFIG, load_tool

TRAIN = load_tool('train.py')


def event_scalars(work_dir: str) -> dict:
    """{tag: [(step, value), ...]} of the run's one event file, read back
    with TensorBoard's own reader."""
    from tensorboard.backend.event_processing.event_accumulator import EventAccumulator
    files = glob.glob(osp.join(work_dir, '*', 'vis_data', 'events.out.tfevents.*'))
    assert len(files) == 1, files
    events = EventAccumulator(files[0])
    events.Reload()
    return {tag: [(e.step, e.value) for e in events.Scalars(tag)]
            for tag in events.Tags()['scalars']}


def test_vis_tensorboard_writes_losses_lr_and_val_metrics(toy_checkpoint):
    work_dir = toy_checkpoint[2]
    scalars = event_scalars(work_dir)
    for tag in ('loss', 'loss_ce_teacher', 'loss_ce_student', 'loss_kl', 'aux.loss_ce',
                'lr'):
        assert [step for step, _ in scalars[tag]] == [1, 2, 3, 4, 5, 6], tag
    assert [step for step, _ in scalars['mIoU']] == [6]
    # the same numbers as mmengine's own scalars.json, from iteration 1 on
    json_file, = glob.glob(osp.join(work_dir, '*', 'vis_data', 'scalars.json'))
    with open(json_file) as f:
        first = json.loads(f.readline())
    assert first['step'] == 1 and first['loss'] > 0
    assert scalars['loss'][0] == (1, pytest.approx(first['loss'], rel=1e-6))
    assert scalars['lr'][0] == (1, pytest.approx(first['lr'], rel=1e-6))


def test_vis_tensorboard_without_the_package_is_one_line(toy_root, tmp_path, capsys,
                                                         monkeypatch):
    find_spec = importlib.util.find_spec
    monkeypatch.setattr(importlib.util, 'find_spec',
                        lambda name, *a: None if name == 'tensorboard' else find_spec(name, *a))
    work_dir = tmp_path / 'run'
    with pytest.raises(SystemExit) as info:
        TRAIN.main([MICRO_TOY_CONFIG, '--work-dir', str(work_dir), '--vis', 'tensorboard'])
    lines = capsys.readouterr().err.strip().splitlines()
    assert info.value.code == 2 and len(lines) == 1
    assert lines[0] == ('error: --vis tensorboard needs the tensorboard package: pip install '
                        '-c constraints.txt -e ".[tensorboard]"')
    assert not osp.exists(work_dir) and os.listdir(tmp_path) == []
