"""Bad input to the tools: one line naming the thing, exit code 2, no checkpoint.

Completes tests/test_tools/test_train_test.py (config typo, unknown
--cfg-options key, not-a-checkpoint, pickled object); on the micro toy DCCD
config. Plus the defined behaviour of an empty ingredient list.
"""
import os
import os.path as osp
import runpy
import sys
from types import SimpleNamespace

import pytest
import torch
from mmengine.config import Config
from mmengine.structures import PixelData
from mmseg.registry import MODELS
from mmseg.structures import SegDataSample

from conftest import (MICRO_TOY_CONFIG, REPO, run_tool, run_tool_here,
                      toy_data_options)

PRETRAINED_CONFIG = osp.join(REPO, 'tests', 'configs', 'micro_toy_pretrained.py')


def assert_one_line_error(result, *fragments):
    """Exit code 2 and one ``error:`` line, the last one on stderr (libraries
    may warn before it), with no traceback."""
    assert result.returncode == 2, result.stderr[-3000:]
    lines = result.stderr.splitlines()
    assert 'Traceback' not in result.stderr and lines[-1].startswith('error: '), \
        result.stderr[-3000:]
    assert sum(line.startswith('error') for line in lines) == 1
    for fragment in fragments:
        assert fragment in lines[-1], lines[-1]


def assert_refused_before_the_runner(result, work_dir, *fragments):
    """As :func:`assert_one_line_error`, found before mmengine's Runner: the
    one stderr line alone, no environment or config dump, no work dir."""
    assert_one_line_error(result, *fragments)
    assert len([line for line in result.stderr.splitlines() if line.strip()]) == 1, \
        result.stderr[-3000:]
    assert result.stdout.strip() == '', result.stdout[:2000]
    assert not osp.exists(work_dir)


def run_in_process(script, *args, monkeypatch, capsys):
    """Run ``tools/<script>`` in this process (for errors raised before the
    Runner is built: no interpreter start-up); return returncode, stderr."""
    monkeypatch.setattr(sys, 'argv', [script, *map(str, args)])
    with pytest.raises(SystemExit) as info:
        runpy.run_path(osp.join(REPO, 'tools', script), run_name='__main__')
    return SimpleNamespace(returncode=info.value.code, stderr=capsys.readouterr().err)


def assert_no_checkpoint(work_dir):
    """A failed start may leave the config copy and its log, never weights."""
    if osp.isdir(work_dir):
        found = [p.name for p in work_dir.rglob('*')
                 if p.suffix in ('.pth', '.tmp') or p.name == 'last_checkpoint']
        assert not found


@pytest.fixture(scope='module')
def corrupt_root(tmp_path_factory):
    """Toy plates (4 train, 1 held out / 2 test) whose first trained and
    first test PNG are cut."""
    from dccd.datasets import generate_toy_food
    root = generate_toy_food(str(tmp_path_factory.mktemp('corrupt') / 'toy'), seed=2,
                             num_train=4, num_test=2, size=64, val_fraction=0.25)
    trained = open(osp.join(root, 'splits', 'train.txt')).read().split()
    cut = []
    for split in ('train', 'test'):
        folder = osp.join(root, 'Images', 'img_dir', split)
        names = sorted(os.listdir(folder))
        name = f'{trained[0]}.png' if split == 'train' else names[0]
        path = osp.join(folder, name)
        data = open(path, 'rb').read()
        open(path, 'wb').write(data[:len(data) // 2])
        cut.append(path)
    return root, cut


def test_missing_dataset_root(toy_checkpoint, tmp_path):
    """A mistyped toy root: one line before anything is printed or written,
    and no dataset generated at the typo; in training and in testing."""
    missing = tmp_path / 'toy_fod'
    words = ('ToyFoodDataset: data root not found', str(missing),
             'generated only in data/toy_food_64')
    result = run_tool_here('train.py', MICRO_TOY_CONFIG, '--work-dir', tmp_path / 'w',
                           '--cfg-options', f'train_dataloader.dataset.data_root={missing}')
    assert_refused_before_the_runner(result, tmp_path / 'w', *words)
    result = run_tool_here('test.py', MICRO_TOY_CONFIG, toy_checkpoint[1], '--work-dir',
                           tmp_path / 'w', '--cfg-options',
                           f'test_dataloader.dataset.data_root={missing}')
    assert_refused_before_the_runner(result, tmp_path / 'w', *words)
    assert not missing.exists()


def test_missing_checkpoints(tmp_path, monkeypatch, capsys):
    missing = tmp_path / 'iter_80000.pth'
    run = dict(monkeypatch=monkeypatch, capsys=capsys)
    result = run_in_process('test.py', MICRO_TOY_CONFIG, missing, '--work-dir',
                            tmp_path / 'w', **run)
    assert_one_line_error(result, f'checkpoint not found: {missing}')
    result = run_in_process('train.py', MICRO_TOY_CONFIG, '--work-dir', tmp_path / 'w',
                            '--cfg-options', f'load_from={missing}', **run)
    assert_one_line_error(result, f'load_from checkpoint not found: {missing}')
    # --resume following a last_checkpoint whose file is gone
    (tmp_path / 'r').mkdir()
    (tmp_path / 'r' / 'last_checkpoint').write_text(str(missing))
    result = run_in_process('train.py', MICRO_TOY_CONFIG, '--work-dir', tmp_path / 'r',
                            '--resume', **run)
    assert_one_line_error(result, '--resume:', f"names '{missing}', which does not exist")
    assert not (tmp_path / 'w').exists()  # nothing written


def test_checkpoint_for_other_num_classes(toy_checkpoint, toy_root, tmp_path):
    _, ckpt, _ = toy_checkpoint  # 12 classes
    result = run_tool_here('test.py', MICRO_TOY_CONFIG, ckpt, '--work-dir', tmp_path / 'w',
                           *toy_data_options(toy_root), 'model.decode_head.num_classes=5',
                           'model.auxiliary_head.num_classes=5')
    assert_refused_before_the_runner(result, tmp_path / 'w',
                                     f'checkpoint {ckpt} does not fit the config')


@pytest.mark.parametrize('config, option, message', [
    (PRETRAINED_CONFIG, 'model.backbone.init_cfg.checkpoint',
     'pretrained weights not found: '),
    (MICRO_TOY_CONFIG, 'model.text_encoder.pretrained', 'CLIP text weights not found: '),
])
def test_missing_pretrained_weights(toy_root, tmp_path, config, option, message):
    missing = tmp_path / 'weights' / 'missing.pth'
    result = run_tool_here('train.py', config, '--work-dir', tmp_path / 'w',
                           *toy_data_options(toy_root), f'{option}={missing}')
    assert_refused_before_the_runner(result, tmp_path / 'w', f'{message}{missing}')


def test_corrupt_image_in_training(corrupt_root, tmp_path):
    root, (train_image, _) = corrupt_root
    # one DataLoader worker: the error crosses the worker's re-raise
    result = run_tool('train.py', MICRO_TOY_CONFIG, '--work-dir', tmp_path,
                      *toy_data_options(root), 'train_dataloader.num_workers=1')
    assert_one_line_error(result, f'truncated PNG (no IEND chunk): {train_image}')
    assert_no_checkpoint(tmp_path)


def test_corrupt_image_in_testing(corrupt_root, toy_checkpoint, tmp_path):
    root, (_, test_image) = corrupt_root
    result = run_tool_here('test.py', MICRO_TOY_CONFIG, toy_checkpoint[1], '--work-dir',
                           tmp_path, *toy_data_options(root))
    assert_one_line_error(result, f'truncated PNG (no IEND chunk): {test_image}')


def test_empty_ingredient_list_is_the_food_prompt():
    """The teacher's defined input for an image with no ingredient listed is
    the prompt 'a photo of food' (CLIPIngredientEncoder.empty_ingredients)."""
    cfg = Config.fromfile(osp.join(REPO, 'tests', 'configs', 'micro_dccd.py')).model
    cfg.test_cfg.branch = 'teacher'
    torch.manual_seed(0)
    model = MODELS.build(cfg)
    model.init_weights()
    model.eval()
    samples = []
    for i in range(2):
        sample = SegDataSample(gt_sem_seg=PixelData(data=torch.zeros(1, 32, 32).long()))
        sample.set_metainfo(dict(img_path=f'{i}.jpg', ori_shape=(32, 32), img_shape=(32, 32),
                                 pad_shape=(32, 32), ingredients=[]))
        samples.append(sample)
    images = [torch.randint(0, 256, (3, 32, 32), dtype=torch.uint8) for _ in range(2)]
    data = model.data_preprocessor(dict(inputs=images, data_samples=samples), False)
    metas = [sample.metainfo for sample in data['data_samples']]
    with torch.no_grad():
        empty = model.encode_decode(data['inputs'], metas)
        feature = model.extract_feat(data['inputs'])[0]
        text = model.text_encoder.encode_prompts(['a photo of food'] * 2)
        fused = model.text_fusion(feature, text)
        explicit = model.decode_head.predict_by_feat(
            model.decode_head.sample([fused], metas), metas)
        listed = model.encode_decode(
            data['inputs'], [dict(meta, ingredients=[1]) for meta in metas])
    assert torch.isfinite(empty).all()
    assert torch.equal(empty, explicit)
    assert not torch.equal(empty, listed)  # the text does reach the result
