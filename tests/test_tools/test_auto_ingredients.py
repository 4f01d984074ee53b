"""Ingredient lists proposed from the image (``--ingredients auto``).

Two passes: the student's segmentation (or a presence head) proposes each
image's list, the teacher segments with it. Checked on the micro toy
checkpoint that cannot say background (tests/conftest.py), whose student
finds several foods on every plate: ``tools/test.py --ingredients auto``
equals the teacher run on a file holding exactly the proposed lists, its
``presence/auto_*`` scores equal those lists scored by hand, a rerun repeats
it to the last digit; ``tools/infer.py`` and ``segment_food`` record the
list, its source and the scores; a DDP model refuses with one line.
"""
import glob
import json
import os.path as osp
import re

import numpy as np
import pytest
import torch
from mmengine.registry import init_default_scope
from mmengine.runner import Runner

from conftest import REPO, load_tool, metrics_of, run_tool_here, toy_data_options
from dccd.apis import init_segmentor, segment_food
from dccd.apis.evaluation import (choose_test_short_side, choose_threshold, evaluate,
                                  load_model, with_test_short_side, with_tta)
from dccd.evaluation import presence_scores
from dccd.utils import InputError, image_key, ingredient_ids, load_config

INFER_CONFIG = osp.join(REPO, 'tests', 'configs', 'micro_toy_dccd_infer.py')
PRESENCE = re.compile(r'presence/(\w+): ([\d.]+)')
TOY_CLASSES = ('background', 'peach', 'mango', 'cucumber', 'zucchini', 'tofu', 'chicken',
               'tomato', 'broccoli', 'rice', 'blueberry', 'steak')


def logged_metrics(result) -> dict:
    """aAcc / mIoU / mAcc and every presence/* score of a tools/test.py run."""
    metrics = metrics_of(result)
    metrics.update({k: float(v) for k, v in PRESENCE.findall(result.stdout + result.stderr)})
    return metrics


def run_test(config, ckpt, toy_root, work_dir, *extra):
    return run_tool_here('test.py', config, ckpt, '--work-dir', work_dir, *extra,
                         *toy_data_options(toy_root))


@pytest.fixture(scope='module')
def auto_run(no_background_checkpoint, toy_root, tmp_path_factory):
    config, ckpt = no_background_checkpoint
    return run_test(config, ckpt, toy_root, tmp_path_factory.mktemp('auto'),
                    '--ingredients', 'auto')


@pytest.fixture(scope='module')
def proposals(no_background_checkpoint, toy_root):
    """Image key -> (proposed ids, GT ids), from predict_auto in this process."""
    config, ckpt = no_background_checkpoint
    cfg = load_config(config, {'test_dataloader.dataset.data_root': toy_root})
    init_default_scope('mmseg')
    model = load_model(cfg, ckpt, 'cpu')
    out = {}
    with torch.no_grad():
        for data in Runner.build_dataloader(cfg.test_dataloader):
            data = model.data_preprocessor(data, False)
            for sample in model.predict_auto(data['inputs'], data['data_samples']):
                truth = ingredient_ids(sample.gt_sem_seg.data.numpy(), 255, 0)
                out[image_key(sample.seg_map_path)] = (sample.proposed_ingredients, truth)
    return out


def test_auto_is_the_teacher_with_the_proposed_lists(
        auto_run, proposals, no_background_checkpoint, toy_root, tmp_path):
    assert 'lists proposed from each image (method area, threshold 0.05, share food): ' \
        'not oracle' in auto_run.stdout + auto_run.stderr
    assert all(ids == sorted(ids) for ids, _ in proposals.values())
    assert sum(len(ids) for ids, _ in proposals.values()) > len(proposals)  # real lists
    path = tmp_path / 'proposed.json'
    path.write_text(json.dumps({key: ids for key, (ids, _) in proposals.items()}))
    config, ckpt = no_background_checkpoint
    from_file = logged_metrics(run_test(config, ckpt, toy_root, tmp_path / 'w',
                                        '--ingredients-file', path))
    auto = logged_metrics(auto_run)
    assert {k: auto[k] for k in ('aAcc', 'mIoU', 'mAcc')} == {
        k: from_file[k] for k in ('aAcc', 'mIoU', 'mAcc')}


def test_auto_presence_scores_equal_the_lists_scored_by_hand(auto_run, proposals):
    scores = np.array([presence_scores(p, t) for p, t in proposals.values()])
    auto = logged_metrics(auto_run)
    assert auto['auto_precision'] == pytest.approx(100 * scores[:, 0].mean(), abs=0.005)
    assert auto['auto_recall'] == pytest.approx(100 * scores[:, 1].mean(), abs=0.005)
    assert auto['auto_f1'] == pytest.approx(100 * scores[:, 2].mean(), abs=0.005)
    assert 'seg_f1' in auto  # the teacher's own segmentation is scored too


def test_auto_rerun_repeats_exactly(auto_run, no_background_checkpoint, toy_root, tmp_path):
    config, ckpt = no_background_checkpoint
    again = run_test(config, ckpt, toy_root, tmp_path, '--ingredients', 'auto')
    assert logged_metrics(again) == logged_metrics(auto_run)


def test_auto_excludes_an_ingredients_file(no_background_checkpoint, tmp_path, capsys):
    config, ckpt = no_background_checkpoint
    with pytest.raises(SystemExit) as info:
        load_tool('test.py').main([config, ckpt, '--ingredients', 'auto',
                                   '--ingredients-file', str(tmp_path / 'x.json')])
    assert info.value.code == 2
    assert 'not allowed with argument' in capsys.readouterr().err


def test_ddp_refuses_auto_lists_in_one_line(toy_root, tmp_path):
    ddp = osp.join(REPO, 'configs', 'toy', 'toy_ddp.py')
    ckpt = tmp_path / 'ddp.pth'
    model = init_segmentor(ddp, None, device='cpu')
    torch.save(dict(meta={}, state_dict=model.state_dict()), ckpt)
    result = run_test(ddp, str(ckpt), toy_root, tmp_path / 'w', '--ingredients', 'auto')
    assert result.returncode == 2
    assert result.stderr.strip().splitlines() == [
        'error: --ingredients auto needs a model with an ingredient-text teacher (DCC/DCCD); '
        'this config is image only (no model.text_encoder)']
    photo = osp.join(toy_root, 'Images', 'img_dir', 'test', '00000.png')
    with pytest.raises(InputError, match="ingredients 'auto': automatic ingredient lists"):
        segment_food(model, photo, 'auto')


def test_infer_auto_records_list_source_and_scores(
        no_background_checkpoint, foodseg_sample, tmp_path):
    _, ckpt = no_background_checkpoint
    photo = sorted(glob.glob(osp.join(foodseg_sample, 'images', '*.jpg')))[0]
    stem = osp.splitext(osp.basename(photo))[0]
    infer = load_tool('infer.py')
    records = []
    for run in ('a', 'b'):
        out = tmp_path / run
        infer.main([INFER_CONFIG, ckpt, photo, '--out-dir', str(out), '--ingredients', 'auto',
                    '--device', 'cpu'])
        assert (out / f'{stem}_mask.png').is_file() and (out / f'{stem}_overlay.jpg').is_file()
        records.append(json.loads((out / f'{stem}.json').read_text()))
    info = records[0]
    assert (info['branch'], info['ingredient_source']) == ('teacher', 'auto:area')
    names, scores = info['ingredients_given'], info['proposal_scores']
    assert names and 'background' not in scores
    assert names == [c for c in TOY_CLASSES if c in names]  # class-id order
    # proposed exactly the foods whose share of the food reaches the threshold
    assert names == [c for c in TOY_CLASSES if scores.get(c, 0.0) >= 0.05]
    assert records[0] == records[1]  # the same list, scores and shares on a rerun


def test_segment_food_auto_and_other_strings(no_background_checkpoint, foodseg_sample):
    _, ckpt = no_background_checkpoint
    model = init_segmentor(INFER_CONFIG, ckpt, device='cpu')
    photo = sorted(glob.glob(osp.join(foodseg_sample, 'images', '*.jpg')))[0]
    result = segment_food(model, photo, 'auto', steps=1)
    assert (result.branch, result.ingredient_source) == ('teacher', 'auto:area')
    assert result.ingredients == [c for c in TOY_CLASSES if c in result.ingredients]
    assert result.ingredients == [c for c in TOY_CLASSES
                                  if result.proposal_scores.get(c, 0.0) >= 0.05]
    assert segment_food(model, photo, result.ingredients, steps=1).mask.tolist() == \
        result.mask.tolist()  # the second pass is the teacher with that list
    with pytest.raises(TypeError, match="'auto' for a list proposed"):
        segment_food(model, photo, 'automatic')


def test_choose_threshold_on_held_out_images(no_background_checkpoint, toy_root):
    config, ckpt = no_background_checkpoint
    cfg = load_config(config, {'heldout_dataloader.dataset.data_root': toy_root})
    init_default_scope('mmseg')
    model = load_model(cfg, ckpt, 'cpu')
    chosen = choose_threshold(model, cfg.heldout_dataloader, 'area', [0.0, 0.05, 2.0])
    assert chosen['images'] == 2  # 10 % of 16 train plates, rounded up
    by_threshold = {c['threshold']: c for c in chosen['candidates']}
    # nothing reaches a share of 2: precision 0/0 counts as 100, recall 0
    assert (by_threshold[2.0]['micro_precision'], by_threshold[2.0]['micro_recall'],
            by_threshold[2.0]['micro_f1']) == (100.0, 0.0, 0.0)
    # every class the student paints at all is proposed at 0: full recall of
    # what it finds, at least as many as at 0.05
    assert by_threshold[0.0]['micro_recall'] >= by_threshold[0.05]['micro_recall']
    assert chosen['threshold'] == max(chosen['candidates'], key=lambda c: c['micro_f1'])[
        'threshold']


def test_choose_test_short_side_on_held_out_images(no_background_checkpoint, toy_root):
    config, ckpt = no_background_checkpoint
    cfg = load_config(config, {'heldout_dataloader.dataset.data_root': toy_root})
    init_default_scope('mmseg')
    model = load_model(cfg, ckpt, 'cpu')
    chosen = choose_test_short_side(model, cfg, 'student', [64, 32])
    assert chosen['heldout_images'] == 2
    held_out = {c['short_side']: c['mIoU'] for c in chosen['candidates']}
    # 64 px is the toy plates' own size: the config's held-out loader as it is
    assert held_out[64] == evaluate(model, cfg.heldout_dataloader, cfg.test_evaluator,
                                    'student')['mIoU']
    assert held_out[32] != held_out[64]  # the plates really ran at 32x32
    assert chosen['short_side'] == max(chosen['candidates'], key=lambda c: c['mIoU'])[
        'short_side']


def test_evaluate_with_the_tta_pipeline_equals_test_py_tta(
        no_background_checkpoint, toy_root, tmp_path):
    """The table's ``tta`` rows: every view run and merged as ``tools/test.py
    --tta`` merges them (the toy's tta_pipeline: the plate and its mirror)."""
    config, ckpt = no_background_checkpoint
    cfg = load_config(config, {'test_dataloader.dataset.data_root': toy_root})
    init_default_scope('mmseg')
    model = load_model(cfg, ckpt, 'cpu')
    merged = evaluate(model, with_tta(cfg.test_dataloader, cfg), cfg.test_evaluator, 'student')
    plain = evaluate(model, cfg.test_dataloader, cfg.test_evaluator, 'student')
    logged = logged_metrics(run_test(config, ckpt, toy_root, tmp_path, '--tta'))
    assert {k: merged[k] for k in ('aAcc', 'mIoU', 'mAcc')} == {
        k: logged[k] for k in ('aAcc', 'mIoU', 'mAcc')}
    assert merged['images'] == 8 and merged['mIoU'] != plain['mIoU']
    with pytest.raises(InputError, match="row 'X': test-time augmentation needs the config's "
                                         "'tta_pipeline'"):
        with_tta(cfg.test_dataloader, dict(model=cfg.model), "row 'X'")  # a config without


def test_with_test_short_side_changes_only_the_resize():
    cfg = load_config(osp.join(REPO, 'configs', 'foodseg103-mini',
                               'ddp-lr1e-3_efficientnet-lite0_foodseg103-mini.py'))
    loader = with_test_short_side(cfg.test_dataloader, 192)
    old, new = cfg.test_dataloader.dataset.pipeline, loader['dataset']['pipeline']
    assert [(a, b) for a, b in zip(new, old) if a != b] == [
        (dict(type='Resize', scale=(1024, 192), keep_ratio=True),
         dict(type='Resize', scale=(1024, 224), keep_ratio=True))]
    assert old[1]['scale'] == (1024, 224)  # the config's loader is left as it was
    with pytest.raises(InputError, match=r"row 'X': a test short side needs one Resize"):
        with_test_short_side(cfg.train_dataloader, 192, "row 'X'")
