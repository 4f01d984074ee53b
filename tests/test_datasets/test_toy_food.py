"""Toy food data: determinism, look-alike pairs, recipes, atomic generation, dataset."""
import hashlib
import itertools
import json
import multiprocessing
import os
import os.path as osp
import runpy
import sys

import cv2
import numpy as np
import pytest
from mmengine.registry import init_default_scope

from conftest import REPO, run_tool_here
from dccd.datasets import ToyFoodDataset, generate_toy_food
from dccd.datasets import toy_food
from dccd.datasets.toy_food import (NOISE_STD, RECIPE_PROBABILITY, TOY_FOOD_CLASSES,
                                    TOY_FOOD_CUES, TOY_FOOD_PAIRS, plan_toy_image)
from dccd.utils import InputError

init_default_scope('mmseg')
SMALL = dict(num_train=100, num_test=20, size=64)
LOOKALIKES = {c for pair in TOY_FOOD_PAIRS for c in pair}


def digest(root):
    """{relative path: sha256} of every file under ``root``."""
    out = {}
    for folder, _, files in os.walk(root):
        for name in files:
            path = osp.join(folder, name)
            with open(path, 'rb') as f:
                out[osp.relpath(path, root)] = hashlib.sha256(f.read()).hexdigest()
    return out


@pytest.fixture(scope='module')
def small(tmp_path_factory):
    root = str(tmp_path_factory.mktemp('toy') / 'toy_food')
    return generate_toy_food(root, seed=0, **SMALL)


def read_all(root):
    """(RGB image, mask) of every train and test image."""
    pairs = []
    for split in ('train', 'test'):
        folder = osp.join(root, 'Images', 'img_dir', split)
        for name in sorted(os.listdir(folder)):
            img = cv2.imread(osp.join(folder, name))[..., ::-1]
            mask = cv2.imread(osp.join(root, 'Images', 'ann_dir', split, name),
                              cv2.IMREAD_UNCHANGED)
            pairs.append((img, mask))
    return pairs


def test_layout_and_marker(small):
    train = sorted(os.listdir(osp.join(small, 'Images', 'img_dir', 'train')))
    test = sorted(os.listdir(osp.join(small, 'Images', 'ann_dir', 'test')))
    assert train[0] == '00000.png' and train[-1] == '00099.png' and len(train) == 100
    assert test[0] == '00100.png' and len(test) == 20
    with open(osp.join(small, 'toy_food.json')) as f:
        assert json.load(f) == dict(generator='dccd.datasets.toy_food', version=1,
                                    seed=0, **SMALL)
    img = cv2.imread(osp.join(small, 'Images', 'img_dir', 'train', '00000.png'),
                     cv2.IMREAD_UNCHANGED)
    assert img.shape == (64, 64, 3) and img.dtype == np.uint8
    # no temp folders left next to the dataset
    assert os.listdir(osp.dirname(small)) == ['toy_food']


def test_deterministic_per_seed(small, tmp_path):
    same = generate_toy_food(str(tmp_path / 'same'), seed=0, **SMALL)
    other = generate_toy_food(str(tmp_path / 'other'), seed=1, **SMALL)
    assert digest(same) == digest(small)
    theirs = digest(other)
    differing = [k for k, v in digest(small).items() if theirs.get(k) != v]
    assert len(differing) == 2 * 120 + 1  # every image and mask, and the marker


def test_ingredient_lists_follow_the_recipe_design(small):
    n_regions, matches, pair_images = [], 0, 0
    for _, mask in read_all(small):
        labels = set(np.unique(mask).tolist()) - {0}
        assert labels <= set(range(1, 12))
        n_regions.append(len(labels))
        members = labels & LOOKALIKES
        assert len(members) == 1  # one look-alike per image, so never both of a pair
        (member,) = members
        pair = next(p for p in TOY_FOOD_PAIRS if member in p)
        other = pair[0] if member == pair[1] else pair[1]
        cues = {TOY_FOOD_CUES[member], TOY_FOOD_CUES[other]} & labels
        assert len(cues) == 1  # exactly one of the pair's two cues
        matches += TOY_FOOD_CUES[member] in labels
        pair_images += 1
    assert min(n_regions) == 2 and max(n_regions) == 4
    assert set(n_regions) == {2, 3, 4}
    assert abs(matches / pair_images - RECIPE_PROBABILITY) < 0.13  # n = 120


def test_recipe_probability_of_the_planner():
    rng = np.random.default_rng(123)
    plans = [plan_toy_image(rng) for _ in range(20000)]
    member_cue = np.mean([TOY_FOOD_CUES[p[0]] == p[1] for p in plans])
    assert abs(member_cue - RECIPE_PROBABILITY) < 0.015
    for a, b in TOY_FOOD_PAIRS:  # the cue, not the look, predicts the member
        for cue in {TOY_FOOD_CUES[a], TOY_FOOD_CUES[b]}:
            with_cue = [p[0] for p in plans if p[0] in (a, b) and p[1] == cue]
            p_a = np.mean([m == a for m in with_cue])
            expected = RECIPE_PROBABILITY
            if cue != TOY_FOOD_CUES[a]:
                expected = 1 - RECIPE_PROBABILITY
            assert abs(p_a - expected) < 0.04, (a, b, cue)
    # extras never repeat a food and carry no information about the member
    assert all(len(set(p)) == len(p) for p in plans)
    mean_extras = [np.mean([len(p) - 2 for p in plans if p[0] == a])
                   for a in LOOKALIKES]
    assert max(mean_extras) - min(mean_extras) < 0.06


def region_stats(pairs):
    """class id -> (N, 6) per-region [mean RGB, std RGB]."""
    stats = {}
    for img, mask in pairs:
        for c in set(np.unique(mask).tolist()) - {0}:
            px = img[mask == c].astype(np.float64)
            stats.setdefault(c, []).append(np.concatenate([px.mean(0), px.std(0)]))
    return {c: np.array(v) for c, v in stats.items()}


def z_score(a, b):
    """Two-sample z of the difference of the per-region means, per feature."""
    stderr = np.sqrt(a.var(0) / len(a) + b.var(0) / len(b))
    return np.abs(a.mean(0) - b.mean(0)) / stderr


def test_lookalike_pairs_have_the_same_colour_statistics(small):
    stats = region_stats(read_all(small))
    for a, b in TOY_FOOD_PAIRS:
        assert len(stats[a]) > 10 and len(stats[b]) > 10
        # no detectable difference in colour or texture between the members
        assert z_score(stats[a], stats[b]).max() < 3.5, (a, b)
        mean_a, mean_b = stats[a][:, :3].mean(0), stats[b][:, :3].mean(0)
        assert np.abs(mean_a - mean_b).max() < 2 * NOISE_STD
    looks = [1, 3, 5, 7, 8, 9, 10, 11]  # one member per pair, and the other foods
    for a, b in itertools.combinations(looks, 2):
        distance = np.linalg.norm(stats[a][:, :3].mean(0) - stats[b][:, :3].mean(0))
        assert distance > 35, (TOY_FOOD_CLASSES[a], TOY_FOOD_CLASSES[b], distance)
        assert z_score(stats[a], stats[b]).max() > 10
    # the noise is what the docstring says: flat plate pixels vary little
    assert 4 < NOISE_STD < 10


def test_default_size_regions_are_large_enough(tmp_path):
    root = generate_toy_food(str(tmp_path / 'toy128'), seed=3, num_train=30, num_test=0)
    for _, mask in read_all(root):
        assert mask.shape == (128, 128)
        for c in set(np.unique(mask).tolist()) - {0}:
            ys, xs = np.nonzero(mask == c)
            assert len(ys) >= (0.09 * 128) ** 2
            assert np.ptp(ys) >= 12 and np.ptp(xs) >= 12


def test_existing_root_rules(small, tmp_path):
    before = os.stat(osp.join(small, 'toy_food.json')).st_mtime_ns
    assert generate_toy_food(small, seed=0, **SMALL) == small  # same arguments: no work
    assert os.stat(osp.join(small, 'toy_food.json')).st_mtime_ns == before
    with pytest.raises(InputError, match=f'toy food: {small} exists and is not the toy '
                       'dataset for .*seed.: 1'):
        generate_toy_food(small, seed=1, **SMALL)
    other = str(tmp_path / 'other')
    generate_toy_food(other, seed=1, **SMALL)
    generate_toy_food(other, seed=0, overwrite=True, **SMALL)
    assert digest(other) == digest(small)
    assert os.listdir(tmp_path) == ['other']
    os.makedirs(tmp_path / 'empty')  # an empty folder is replaced
    generate_toy_food(str(tmp_path / 'empty'), seed=0, **SMALL)
    assert digest(str(tmp_path / 'empty')) == digest(small)
    with pytest.raises(InputError, match='size >= 32'):
        generate_toy_food(str(tmp_path / 'tiny'), size=16)


def _generate(root):
    return generate_toy_food(root, seed=0, **SMALL)


def test_concurrent_generation_is_harmless(small, tmp_path):
    root = str(tmp_path / 'raced')
    with multiprocessing.get_context('spawn').Pool(2) as pool:  # no fork after torch
        assert pool.map(_generate, [root, root]) == [root, root]
    assert digest(root) == digest(small)
    assert os.listdir(tmp_path) == ['raced']


def test_losing_the_rename_race_keeps_the_winner(small, tmp_path, monkeypatch):
    """Another process finishes first, while this one is writing."""
    write_split = toy_food._write_split

    def another_process_finishes_first(root, seed):
        def write_split_after_the_winner(*args):
            monkeypatch.setattr(toy_food, '_write_split', write_split)
            generate_toy_food(root, seed=seed, **SMALL)
            write_split(*args)
        monkeypatch.setattr(toy_food, '_write_split', write_split_after_the_winner)

    root = str(tmp_path / 'same')
    another_process_finishes_first(root, seed=0)
    assert generate_toy_food(root, seed=0, **SMALL) == root  # same data: fine
    assert digest(root) == digest(small)
    other = str(tmp_path / 'other')
    another_process_finishes_first(other, seed=0)
    with pytest.raises(InputError, match=f'{other} appeared while generating'):
        generate_toy_food(other, seed=2, **SMALL)
    with open(osp.join(other, 'toy_food.json')) as f:
        assert json.load(f)['seed'] == 0  # the winner is left alone
    assert sorted(os.listdir(tmp_path)) == ['other', 'same']  # no temp folders left


def test_dataset_generates_its_data_on_first_use(tmp_path):
    root = str(tmp_path / 'data' / 'toy_food')
    prefix = dict(img_path='Images/img_dir/test', seg_map_path='Images/ann_dir/test')
    args = dict(num_train=30, num_test=12, size=64, val_fraction=0.1)
    lazy = ToyFoodDataset(data_root=root, generated_root=root, data_prefix=prefix,
                          generate_args=args, lazy_init=True)
    assert not osp.exists(root)  # nothing happens before full_init
    pipeline = [dict(type='LoadCheckedImageFromFile'), dict(type='LoadAnnotations'),
                dict(type='ExtractIngredients', num_classes=12),
                dict(type='PackFoodSegInputs')]
    dataset = ToyFoodDataset(data_root=root, generated_root=root, data_prefix=prefix,
                             generate_args=args, pipeline=pipeline)
    with open(osp.join(root, 'toy_food.json')) as f:
        assert json.load(f)['num_train'] == 30
    assert len(dataset) == 12 and len(lazy.metainfo['classes']) == 12
    assert dataset.metainfo['classes'] == TOY_FOOD_CLASSES
    assert dataset.metainfo['palette'][0] == [0, 0, 0]
    for i in (0, 5, 11):
        sample = dataset[i]['data_samples']
        mask = cv2.imread(dataset.get_data_info(i)['seg_map_path'],
                          cv2.IMREAD_UNCHANGED)
        expected = sorted(set(np.unique(mask).tolist()) - {0})
        assert sample.metainfo['ingredients'] == expected
        assert sample.gt_sem_seg.data.shape == (1, 64, 64)
    train = ToyFoodDataset(data_root=root, generated_root=root, data_prefix=dict(
        img_path='Images/img_dir/train', seg_map_path='Images/ann_dir/train'),
        ann_file='splits/train.txt')
    held_out = open(osp.join(root, 'splits', 'val.txt')).read().split()
    assert len(train) == 27 and len(held_out) == 3  # 10 % of 30 held out
    assert not {osp.basename(train.get_data_info(i)['img_path'])[:-4]
                for i in range(27)} & set(held_out)


def test_a_mistyped_root_is_an_error_not_a_new_dataset(tmp_path):
    home, typo = str(tmp_path / 'toy_food'), str(tmp_path / 'toy_fod')
    with pytest.raises(InputError) as info:
        ToyFoodDataset(data_root=typo, generated_root=home, data_prefix=dict(
            img_path='Images/img_dir/test', seg_map_path='Images/ann_dir/test'))
    assert str(info.value) == (
        f'ToyFoodDataset: data root not found: {typo} (the toy data is generated '
        f'only in {home}; to generate it elsewhere set generated_root to the same folder)')
    assert os.listdir(tmp_path) == []


def test_dataset_without_generation_reports_missing_root(tmp_path):
    root = str(tmp_path / 'none')
    with pytest.raises(InputError,
                       match=f'ToyFoodDataset: data root not found: {root}$'):
        ToyFoodDataset(data_root=root, generated_root=None, data_prefix=dict(
            img_path='Images/img_dir/test', seg_map_path='Images/ann_dir/test'))


def test_cli_matches_the_function(small, tmp_path, monkeypatch, capsys):
    root = tmp_path / 'cli'
    result = run_tool_here('make_toy_food.py', '--root', root, '--seed', 0,
                           '--num-train', 100, '--num-test', 20, '--size', 64)
    assert result.returncode == 0, result.stderr
    assert digest(str(root)) == digest(small)
    monkeypatch.setattr(sys, 'argv',
                        ['make_toy_food.py', '--root', str(root), '--seed', '1'])
    with pytest.raises(SystemExit) as info:
        runpy.run_path(osp.join(REPO, 'tools', 'make_toy_food.py'), run_name='__main__')
    assert info.value.code == 2
    assert capsys.readouterr().err.startswith(
        f'error: toy food: {root} exists and is not the toy')
