"""tools/model_converters/clip_text_tower.py: convert, load, refuse bad input."""
import json
import os
import os.path as osp

import open_clip
import pytest
import torch
from conftest import run_tool, run_tool_here

from dccd.models.text_encoders import CLIPIngredientEncoder

TOOL = 'model_converters/clip_text_tower.py'
PROMPTS = ['a photo of wine, pork, potato, green beans', 'a photo of food']
TINY_CLIP = dict(
    embed_dim=32,
    vision_cfg=dict(image_size=32, layers=1, width=32, head_width=16, patch_size=16),
    text_cfg=dict(context_length=16, vocab_size=49408, width=32, heads=2, layers=2))


@pytest.fixture(scope='module')
def tiny_clip(tmp_path_factory):
    """A tiny open_clip model as 'local-dir:DIR', usable in a subprocess too."""
    folder = tmp_path_factory.mktemp('tiny_clip_tool')
    (folder / 'open_clip_config.json').write_text(json.dumps(dict(model_cfg=TINY_CLIP)))
    return f'local-dir:{folder}'


def test_convert_custom_text_checkpoint_and_load(tiny_clip, tmp_path):
    torch.manual_seed(0)
    model = open_clip.create_model(tiny_clip, force_custom_text=True,
                                   force_quick_gelu=True).eval()
    model.lock_text_tower()  # frozen like ours: the same attention kernels
    with torch.no_grad():
        expected = model.encode_text(open_clip.get_tokenizer(tiny_clip)(PROMPTS))
    src, dst = tmp_path / 'full.pth', tmp_path / 'out' / 'text_tower.pth'
    torch.save(dict(state_dict=model.state_dict()), src)

    result = run_tool_here(TOOL, src, dst, '--model', tiny_clip, '--quick-gelu')
    assert result.returncode == 0, result.stderr
    converted = torch.load(dst, weights_only=True)
    state = converted['state_dict']
    n_params = sum(v.numel() for v in state.values())
    assert f'wrote {len(state)} tensors ({n_params:,} parameters)' in result.stdout
    assert converted['meta']['quick_gelu'] is True
    assert converted['meta']['model'] == tiny_clip
    assert not any(k.startswith(('visual.', 'text.')) for k in state)
    assert 'logit_scale' not in state
    assert osp.getsize(dst) < osp.getsize(src)
    assert os.listdir(dst.parent) == ['text_tower.pth']  # no temp file left

    enc = CLIPIngredientEncoder(tiny_clip, pretrained=str(dst), quick_gelu=True)
    assert set(state) == set(enc.tower.state_dict())
    enc.init_weights()
    torch.testing.assert_close(enc.encode_prompts(PROMPTS), expected, atol=1e-6, rtol=0)


def test_missing_source_exits_2_in_one_line(tmp_path):
    dst = tmp_path / 'text_tower.pth'
    result = run_tool_here(TOOL, tmp_path / 'nope.pth', dst)
    assert result.returncode == 2
    assert result.stderr.strip() == f"error: CLIP text weights not found: {tmp_path / 'nope.pth'}"
    assert not dst.exists()


def test_tag_offline_exits_2_with_the_offline_recipe(tmp_path):
    # no network and an empty HF cache: the 'openai' tag cannot be fetched
    env = dict(HF_HUB_OFFLINE='1', HF_HOME=str(tmp_path / 'hf'),
               HF_HUB_CACHE=str(tmp_path / 'hf' / 'hub'))
    result = run_tool(TOOL, 'openai', tmp_path / 'text_tower.pth', env=env)
    assert result.returncode == 2
    lines = result.stderr.strip().splitlines()
    assert len(lines) == 1
    assert lines[0].startswith(
        "error: CLIP text weights 'openai' for ViT-L-14 could not be fetched")
    assert ('run `python tools/model_converters/clip_text_tower.py openai text_tower.pth '
            '--model ViT-L-14` on a machine with internet') in lines[0]
    assert 'model.text_encoder.pretrained=text_tower.pth' in lines[0]
    assert 'model.text_encoder.quick_gelu=True' in lines[0]
