"""tools/analysis_tools/analyze_logs.py: parsed series and written plots."""
import json

import cv2
import pytest

from conftest import load_tool

KEYS = ['loss_ce_teacher', 'loss_ce_student', 'loss_kl', 'aux.loss_ce', 'lr', 'mIoU']


def train_record(step, teacher, student, kl, aux, lr):
    # the layout mmengine's LocalVisBackend writes for a DCCD iteration
    return dict(base_lr=lr, lr=lr, data_time=0.01, loss=teacher + student + kl + aux,
                loss_ce_teacher=teacher, acc_seg_teacher=50.0, loss_ce_student=student,
                acc_seg_student=40.0, loss_kl=kl, **{'aux.loss_ce': aux},
                **{'aux.acc_seg': 30.0}, time=0.5, iter=step, step=step)


def write_scalars(folder, records):
    folder.mkdir(parents=True)
    with open(folder / 'scalars.json', 'w') as file:
        file.writelines(json.dumps(r) + '\n' for r in records)


@pytest.fixture()
def runs(tmp_path):
    """A DCCD run resumed once (two timestamp folders) and a DDP run."""
    dccd_run = tmp_path / 'dccd'
    write_scalars(dccd_run / '20240101_000000' / 'vis_data', [
        train_record(1, 2.0, 2.5, 0.1, 1.0, 1e-3),
        train_record(2, 1.5, 2.0, 0.2, 0.9, 1e-3),
        dict(aAcc=80.0, mIoU=10.0, mAcc=12.0, data_time=0.1, time=3.0, step=2),
        train_record(3, 1.2, 1.8, 0.3, 0.8, 5e-4),  # lost: the run stopped
    ])
    write_scalars(dccd_run / '20240102_000000' / 'vis_data', [  # resumed from iter 2
        train_record(3, 1.0, 1.6, 0.25, 0.7, 5e-4),
        train_record(4, 0.8, 1.2, 0.2, 0.6, 0.0),
        dict(aAcc=85.0, mIoU=20.5, mAcc=25.0, data_time=0.1, time=3.0, step=4),
    ])
    ddp_run = tmp_path / 'ddp' / 'scalars.json'
    ddp_run.parent.mkdir()
    ddp_run.write_text(json.dumps(dict(lr=1e-3, loss=2.0, loss_ce_student=1.7,
                                       **{'aux.loss_ce': 0.3}, time=0.5, iter=1,
                                       step=1)) + '\n')
    return str(dccd_run), str(ddp_run)


def test_parsed_series(runs):
    series = load_tool('analysis_tools/analyze_logs.py').load_scalars(runs[0])
    assert series['loss_ce_teacher'] == ([1, 2, 3, 4], [2.0, 1.5, 1.0, 0.8])
    assert series['loss_ce_student'] == ([1, 2, 3, 4], [2.5, 2.0, 1.6, 1.2])
    assert series['loss_kl'] == ([1, 2, 3, 4], [0.1, 0.2, 0.25, 0.2])
    assert series['aux.loss_ce'] == ([1, 2, 3, 4], [1.0, 0.9, 0.7, 0.6])
    assert series['lr'] == ([1, 2, 3, 4], [1e-3, 1e-3, 5e-4, 0.0])
    assert series['mIoU'] == ([2, 4], [10.0, 20.5])
    # validation timing kept apart from the training iterations'
    assert series['time'] == ([1, 2, 3, 4], [0.5] * 4)
    assert series['val/time'] == ([2, 4], [3.0, 3.0])
    assert 'iter' not in series and 'step' not in series


def test_plots_one_png_per_key_and_run_summary(runs, tmp_path, capsys):
    out = tmp_path / 'curves'
    load_tool('analysis_tools/analyze_logs.py').main([*runs, '--legend', 'DCCD', 'DDP', '--out-dir', str(out)])
    for key in KEYS:
        picture = cv2.imread(str(out / f'{key}.png'))
        assert picture is not None and picture.shape == (400, 640, 3), key
    printed = capsys.readouterr().out
    assert 'DCCD: mIoU last 20.5 (iter 4), best 20.5 (iter 4)' in printed
    assert 'DCCD: loss_kl last 0.2 (iter 4)' in printed
    assert 'DDP: loss_ce_student last 1.7 (iter 1)' in printed
    assert 'DDP: loss_ce_teacher' not in printed  # a DDP run has no teacher
    assert 'wrote 6 plot(s)' in printed


def test_unknown_keys_and_missing_logs_exit_2(runs, tmp_path, capsys):
    tool = load_tool('analysis_tools/analyze_logs.py')
    with pytest.raises(SystemExit) as info:
        tool.main([runs[1], '--keys', 'loss_nope', '--out-dir', str(tmp_path)])
    assert info.value.code == 2
    assert "none of the keys ['loss_nope'] was logged" in capsys.readouterr().err
    with pytest.raises(SystemExit):
        tool.main([str(tmp_path / 'empty_dir_that_is_missing')])
    assert 'log not found' in capsys.readouterr().err


def test_real_training_log(toy_checkpoint):
    """The micro toy run's own work dir (6 iterations, validation at 6)."""
    series = load_tool('analysis_tools/analyze_logs.py').load_scalars(toy_checkpoint[2])
    for key in KEYS[:5]:
        assert series[key][0] == [1, 2, 3, 4, 5, 6], key
    assert series['mIoU'][0] == [6]
    assert series['lr'][1][-1] == 0.0  # PolyLR to 0 at the last iteration
