"""tools/test.py --ingredients-file and tools/analysis_tools/ingredient_robustness.py.

The shared micro toy checkpoint (6 iterations) still predicts background
everywhere, whatever its inputs, so its metrics cannot react to the text. The
tests use a copy whose classifier can never pick background (its row zeroed,
bias -10): the argmax then runs over the food classes and depends on the
decoder's input, hence on the ingredient text. Nothing else changes.
"""
import glob
import json
import os.path as osp
import sys

import cv2
import pytest
import torch

from conftest import load_tool, metrics_of, run_tool_here, toy_data_options
from dccd.utils import ingredient_ids
from dccd.utils.results import render

ROBUSTNESS = 'analysis_tools/ingredient_robustness.py'
DCC_CONFIG = osp.join(osp.dirname(osp.dirname(osp.abspath(__file__))), 'configs',
                      'micro_toy_dcc.py')


@pytest.fixture(scope='module')
def text_checkpoint(no_background_checkpoint):
    return no_background_checkpoint


@pytest.fixture(scope='module')
def true_lists(toy_root):
    """Image file name -> its GT ingredient ids, for the toy test split."""
    masks = sorted(glob.glob(osp.join(toy_root, 'Images', 'ann_dir', 'test', '*.png')))
    assert masks
    return {osp.basename(m): ingredient_ids(cv2.imread(m, cv2.IMREAD_UNCHANGED))
            for m in masks}


def run_test(config, ckpt, toy_root, work_dir, *extra):
    """tools/test.py on the toy test split; ``extra`` follows --cfg-options
    (more KEY=VALUE pairs or further options)."""
    return run_tool_here('test.py', config, ckpt, '--work-dir', work_dir,
                         *toy_data_options(toy_root), *extra)


@pytest.fixture(scope='module')
def oracle_teacher(text_checkpoint, toy_root, tmp_path_factory):
    config, ckpt = text_checkpoint
    result = run_test(config, ckpt, toy_root, tmp_path_factory.mktemp('oracle'),
                      'model.test_cfg.branch=teacher')
    assert "the teacher (image + ingredient text) with each image's GT ingredient list: " \
        'an ORACLE result' in result.stdout + result.stderr
    return metrics_of(result)


def test_dcc_with_tta_is_logged_as_the_oracle_teacher(text_checkpoint, toy_root, tmp_path):
    """A DCC config leaves test_cfg.branch unset: the built model runs the
    teacher, and the log says so, also under --tta."""
    _, ckpt = text_checkpoint
    result = run_tool_here('test.py', DCC_CONFIG, ckpt, '--work-dir', tmp_path, '--tta',
                           *toy_data_options(toy_root))
    log = result.stdout + result.stderr
    assert result.returncode == 0, log[-3000:]
    assert "evaluating: the teacher (image + ingredient text) with each image's GT " \
        'ingredient list: an ORACLE result' in log


def test_true_lists_reproduce_the_oracle_exactly(
        text_checkpoint, toy_root, true_lists, oracle_teacher, tmp_path):
    config, ckpt = text_checkpoint
    # names for half the images, ids for the others, shuffled order
    classes = ('background', 'peach', 'mango', 'cucumber', 'zucchini', 'tofu',
               'chicken', 'tomato', 'broccoli', 'rice', 'blueberry', 'steak')
    content = {name: ([classes[i] for i in ids[::-1]] if k % 2 else ids[::-1])
               for k, (name, ids) in enumerate(true_lists.items())}
    path = tmp_path / 'true.json'
    path.write_text(json.dumps(content))
    result = run_test(config, ckpt, toy_root, tmp_path / 'w', '--ingredients-file', path)
    assert f'the teacher (image + ingredient text) with the lists of {path}: not oracle' in (
        result.stdout + result.stderr)
    assert metrics_of(result) == oracle_teacher  # same numbers, to the last digit


def test_wrong_lists_change_the_metrics(
        text_checkpoint, toy_root, true_lists, oracle_teacher, tmp_path):
    config, ckpt = text_checkpoint
    # every image gets three foods it does not contain
    wrong = {name: [i for i in range(1, 12) if i not in ids][:3]
             for name, ids in true_lists.items()}
    path = tmp_path / 'wrong.json'
    path.write_text(json.dumps(wrong))
    result = run_test(config, ckpt, toy_root, tmp_path / 'w', '--ingredients-file', path)
    assert metrics_of(result) != oracle_teacher


def test_unknown_name_is_one_line_exit_2(text_checkpoint, tmp_path, monkeypatch, capsys):
    """Checked before any model is built (so run in-process)."""
    config, ckpt = text_checkpoint
    path = tmp_path / 'typo.json'
    path.write_text(json.dumps({'00016.png': ['peach', 'brocoli']}))
    monkeypatch.setattr(sys, 'argv', ['test.py', config, ckpt,
                                      '--ingredients-file', str(path)])
    with pytest.raises(SystemExit) as info:
        load_tool('test.py').main()
    assert info.value.code == 2
    assert capsys.readouterr().err == (
        f"error: ingredients file {path}, image '00016.png': unknown ingredient "
        "'brocoli' (closest: broccoli)\n")


def test_robustness_tool_matches_test_runs(
        text_checkpoint, toy_root, oracle_teacher, tmp_path):
    config, ckpt = text_checkpoint
    student = metrics_of(run_test(config, ckpt, toy_root, tmp_path / 'student'))
    out_dir = tmp_path / 'robustness'
    result = run_tool_here(ROBUSTNESS, config, ckpt, '--rates', '0', '0.5', '--seed', '0',
                           '--out-dir', out_dir, *toy_data_options(toy_root))
    assert result.returncode == 0, result.stderr[-3000:]
    report = json.loads((out_dir / 'ingredient_robustness.json').read_text())
    oracle, corrupted = report['teacher']
    assert oracle['rate'] == 0 and oracle['dropped'] == oracle['added'] == 0
    assert {k: oracle[k] for k in oracle_teacher} == oracle_teacher
    assert {k: report['student'][k] for k in student} == student
    # rate 0.5 over 8 images: about half of the true ingredients replaced
    assert corrupted['rate'] == 0.5 and corrupted['images'] == 8
    assert corrupted['dropped'] == corrupted['added']
    assert 0.3 < corrupted['dropped'] / corrupted['true'] < 0.7
    assert corrupted['true'] == oracle['true']
    # the markdown table, ready to paste, rendered from the JSON
    table = render(report, 'bare')
    assert table in result.stdout
    assert table.splitlines()[0] == (
        '| ingredient list | dropped | added | mIoU | mAcc | aAcc | mIoU - student |')
    assert (f'| teacher, GT lists (oracle) | 0.0 % | 0.0 % | {oracle_teacher["mIoU"]:.2f} | '
            in table)
    assert f'| student (image only) | - | - | {student["mIoU"]:.2f} | ' in table
    # the auto row: the threshold chosen on the 2 held-out plates, and the
    # metrics of tools/test.py --ingredients auto at that threshold
    auto = report['auto']
    assert (auto['method'], auto['chosen_on'], auto['heldout_images']) == ('area', 'held-out', 2)
    assert auto['images'] == 8  # evaluated on the test split
    assert auto['threshold'] == max(auto['candidates'], key=lambda c: c['micro_f1'])['threshold']
    by_test = metrics_of(run_test(config, ckpt, toy_root, tmp_path / 'auto',
                                  f'model.test_cfg.auto.threshold={auto["threshold"]}',
                                  '--ingredients', 'auto'))
    assert {k: auto[k] for k in by_test} == by_test
    assert f'| teacher, auto lists (area, threshold {auto["threshold"]:g}, chosen on ' \
        f'held-out) | ' in table
    png = cv2.imread(str(out_dir / 'ingredient_robustness.png'))
    assert png is not None and png.shape[0] > 100


def test_robustness_needs_a_teacher(tmp_path, capsys):
    with pytest.raises(SystemExit) as info:
        load_tool(ROBUSTNESS).main(['configs/toy/toy_ddp.py', str(tmp_path / 'x.pth')])
    assert info.value.code == 2
    err = capsys.readouterr().err
    assert 'needs a model with an ingredient-text teacher' in err and err.count('\n') == 1
