"""Checkpoints without the frozen CLIP text tower (issue 20): a frozen tower
with ``pretrained`` weights is left out of the state dict (472 MiB of each
full-size checkpoint), and the API and ``tools/test.py`` read it back from
that file, or say in one line what to set."""
import numpy as np
import pytest
import torch
from mmengine.config import Config
from mmengine.runner.checkpoint import load_state_dict
from torch import nn

from conftest import REPO, run_tool_here, toy_data_options
from dccd.apis import init_segmentor, segment_food, select_branch
from dccd.models.text_encoders import CLIPIngredientEncoder
from dccd.utils import InputError

INFER_CONFIG = f'{REPO}/tests/configs/micro_toy_dccd_infer.py'
TOWER = 'text_encoder.tower.'
MICRO = dict(model_name='ViT-B-32', text_cfg=dict(width=32, heads=2, layers=1,
                                                  context_length=16), embed_dim=24)


@pytest.fixture(scope='module')
def towerless(toy_checkpoint, tmp_path_factory):
    """The micro toy checkpoint as a pretrained-tower run saves it: without
    the tower, which goes to a file of its own. Returns (config, full
    checkpoint, tower-less checkpoint, tower file)."""
    config, ckpt, _ = toy_checkpoint
    checkpoint = torch.load(ckpt, weights_only=True)
    state = checkpoint['state_dict']
    folder = tmp_path_factory.mktemp('towerless')
    torch.save({k[len(TOWER):]: v for k, v in state.items() if k.startswith(TOWER)},
               folder / 'tower.pth')
    checkpoint['state_dict'] = {k: v for k, v in state.items() if not k.startswith(TOWER)}
    torch.save(checkpoint, folder / 'towerless.pth')
    return config, ckpt, str(folder / 'towerless.pth'), str(folder / 'tower.pth')


def test_a_frozen_pretrained_tower_is_left_out_of_the_state_dict(tmp_path):
    torch.manual_seed(0)
    random_tower = CLIPIngredientEncoder(**MICRO)  # toy / mini: no file, kept
    assert random_tower.tower_in_state_dict
    path = tmp_path / 'tower.pth'
    torch.save(random_tower.tower.state_dict(), path)
    encoder = CLIPIngredientEncoder(pretrained=str(path), **MICRO)
    encoder.init_weights()
    assert not encoder.tower_in_state_dict
    kept = nn.ModuleDict(dict(text_encoder=random_tower)).state_dict()
    left = nn.ModuleDict(dict(text_encoder=encoder)).state_dict()
    assert {k for k in kept if not k.startswith(TOWER)} == set(left)
    tower_bytes = sum(p.numel() * p.element_size() for p in encoder.tower.parameters())
    assert sum(v.numel() * v.element_size() for k, v in kept.items()
               if k.startswith(TOWER)) >= tower_bytes > 0
    # loading such a state dict reports no missing tower key (mmengine's and torch's)
    fresh = nn.ModuleDict(dict(text_encoder=CLIPIngredientEncoder(pretrained=str(path),
                                                                  **MICRO)))
    assert fresh.load_state_dict(left, strict=True).missing_keys == []
    load_state_dict(fresh, left, strict=True)
    fresh.text_encoder.init_weights()  # the tower comes from the file
    torch.testing.assert_close(fresh.text_encoder([['rice']]), random_tower([['rice']]))


def test_the_full_size_checkpoint_is_472_mib_smaller():
    cfg = Config.fromfile(f'{REPO}/configs/foodseg103_dccd.py')
    with torch.device('meta'):
        encoder = CLIPIngredientEncoder(**{k: v for k, v in cfg.model.text_encoder.items()
                                           if k != 'type'})
    assert encoder.pretrained == 'openai' and not encoder.tower_in_state_dict
    assert not any(k.startswith('tower.') for k in encoder.state_dict())
    tower_bytes = sum(p.numel() * p.element_size() for p in encoder.tower.parameters())
    assert round(tower_bytes / 2**20) == 472


def test_the_api_reads_the_left_out_tower_when_the_teacher_runs(towerless):
    config, full, ckpt, tower = towerless
    image = np.random.default_rng(0).integers(0, 256, (64, 64, 3), dtype=np.uint8)
    reference = init_segmentor(config, full)
    model = init_segmentor(config, ckpt, cfg_options={'model.text_encoder.pretrained': tower})
    assert not model.text_encoder.tower_in_state_dict and model.missing_weights == ()
    assert np.array_equal(segment_food(model, image).mask, segment_food(reference, image).mask)
    teacher = segment_food(model, image, ['chicken', 'rice'], return_logits=True)
    expected = segment_food(reference, image, ['chicken', 'rice'], return_logits=True)
    np.testing.assert_array_equal(teacher.logits, expected.logits)
    # the file is gone: the student still runs, the teacher is refused in one line
    missing = init_segmentor(config, ckpt,
                             cfg_options={'model.text_encoder.pretrained': '/gone/tower.pth'})
    segment_food(missing, image)
    with pytest.raises(InputError) as info:
        select_branch(missing, ['rice'])
    message = str(info.value)
    assert '\n' not in message and 'holds no CLIP text tower' in message
    assert '/gone/tower.pth' in message and 'set model.text_encoder.pretrained=' in message


def test_the_test_tool_reads_the_left_out_tower(towerless, toy_root, tmp_path):
    config, _, ckpt, tower = towerless
    options = toy_data_options(toy_root) + ['model.test_cfg.branch=teacher']
    result = run_tool_here('test.py', config, ckpt, '--work-dir', tmp_path / 'work', '--amp',
                           *options, f'model.text_encoder.pretrained={tower}')
    assert result.returncode == 0, result.stderr[-3000:]
    assert f'loaded CLIP text weights of ViT-B-32 from {tower}' in result.stdout
    assert 'mIoU' in result.stdout
    gone = run_tool_here('test.py', config, ckpt, '--work-dir', tmp_path / 'gone', *options,
                         'model.text_encoder.pretrained=/gone/tower.pth')
    assert gone.returncode == 2
    lines = gone.stderr.strip().splitlines()
    assert len(lines) == 1 and 'holds no CLIP text tower' in lines[0], lines
    assert not (tmp_path / 'gone').exists()
