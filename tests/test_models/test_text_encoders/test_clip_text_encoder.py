"""CLIPIngredientEncoder: prompts, freezing, cache, weights, parity with open_clip."""
import json

import open_clip
import pytest
import torch
from mmseg.registry import MODELS

import dccd  # noqa: F401  (registers DCCD modules)
from dccd.models.text_encoders import CLIPIngredientEncoder
from dccd.utils import InputError

TOY = dict(text_cfg=dict(width=64, heads=2, layers=2, context_length=32), embed_dim=128)
PAPER_NAMES = ['wine', 'pork', 'potato', 'green beans']
PROMPTS = ['a photo of wine, pork, potato, green beans', 'a photo of rice', 'a photo of food']
TINY_CLIP = dict(
    embed_dim=32,
    vision_cfg=dict(image_size=32, layers=1, width=32, head_width=16, patch_size=16),
    text_cfg=dict(context_length=16, vocab_size=49408, width=32, heads=2, layers=2))


def toy_encoder(seed: int = 0, **kwargs) -> CLIPIngredientEncoder:
    torch.manual_seed(seed)
    return CLIPIngredientEncoder(**{**TOY, **kwargs})


@pytest.fixture(scope='module')
def tiny_clip(tmp_path_factory):
    """A tiny open_clip model as 'local-dir:DIR' (config only, random weights)."""
    folder = tmp_path_factory.mktemp('tiny_clip')
    (folder / 'open_clip_config.json').write_text(json.dumps(dict(model_cfg=TINY_CLIP)))
    return f'local-dir:{folder}'


def open_clip_reference(name: str, custom_text: bool = False, quick_gelu: bool = False):
    torch.manual_seed(1)
    model = open_clip.create_model(
        name, force_custom_text=custom_text, force_quick_gelu=quick_gelu).eval()
    # frozen like ours: torch then takes the same (fused) attention path
    model.lock_text_tower()
    with torch.no_grad():
        expected = model.encode_text(open_clip.get_tokenizer(name)(PROMPTS))
    return model, expected


def test_output_shape_dtype_and_registry():
    enc = MODELS.build(dict(type='CLIPIngredientEncoder', **TOY))
    assert isinstance(enc, CLIPIngredientEncoder)
    out = enc([PAPER_NAMES, [], ['rice']])
    assert out.shape == (3, 128) and out.dtype == torch.float32
    assert enc.output_dim == 128 and enc.context_length == 32
    assert enc([]).shape == (0, 128)
    # duplicates in one batch give identical rows
    twice = enc([['rice'], ['rice']])
    assert torch.equal(twice[0], twice[1]) and torch.equal(twice[0], out[2])
    # the cache (float32, CPU) follows the module's dtype
    assert enc.double()([['rice']]).dtype == torch.float64


def test_prompts_are_literal():
    enc = toy_encoder()
    assert enc.build_prompt(PAPER_NAMES) == 'a photo of wine, pork, potato, green beans'
    assert enc.build_prompt([]) == 'a photo of food'
    other = toy_encoder(template='{}.', separator=' and ', empty_ingredients='a dish')
    assert other.build_prompt(['egg', 'ham']) == 'egg and ham.'
    assert other.build_prompt([]) == 'a dish.'
    with pytest.raises(TypeError, match='list of ingredient names'):
        enc.build_prompt('rice')


def test_forward_equals_encode_prompts():
    enc = toy_encoder(cache=False)
    assert torch.equal(enc([PAPER_NAMES, ['rice'], []]), enc.encode_prompts(PROMPTS))


def test_frozen_tower_is_locked_in_eval_and_deterministic():
    enc = toy_encoder(cache=False)
    assert not any(p.requires_grad for p in enc.parameters())
    enc.train()
    assert enc.training and not enc.tower.training
    assert not any(m.training for m in enc.tower.modules())
    weight = torch.ones(128, requires_grad=True)
    out = enc([PAPER_NAMES])
    assert not out.requires_grad
    (out * weight).sum().backward()
    assert torch.equal(weight.grad, out[0])  # the graph starts after the tower
    assert all(p.grad is None for p in enc.parameters())
    assert torch.equal(enc([PAPER_NAMES]), out)


def test_unfrozen_tower_trains_without_cache():
    enc = toy_encoder(frozen=False)
    assert all(p.requires_grad for p in enc.parameters())
    enc.train()
    assert enc.tower.training
    enc([PAPER_NAMES, ['rice']]).sum().backward()
    assert enc.tower.token_embedding.weight.grad.abs().sum() > 0
    assert enc.tower.text_projection.grad.abs().sum() > 0
    assert enc._cache == {}


def test_cache_hits_and_is_cleared_by_loading():
    enc = toy_encoder(seed=0)
    calls = []
    enc.tower.register_forward_hook(lambda module, args, out: calls.append(len(args[0])))
    first = enc([PAPER_NAMES, ['rice'], PAPER_NAMES])
    assert calls == [2]  # two distinct prompts, one tower call
    assert list(enc._cache) == PROMPTS[:2]
    assert enc._cache[PROMPTS[0]].device.type == 'cpu'
    second = enc([PAPER_NAMES, ['rice'], PAPER_NAMES])
    assert calls == [2] and torch.equal(first, second)
    assert 'tower.token_embedding.weight' in enc.state_dict()
    assert not any('cache' in k for k in enc.state_dict())

    other = toy_encoder(seed=1)
    enc.load_state_dict(other.state_dict())
    assert enc._cache == {}
    third = enc([PAPER_NAMES, ['rice'], PAPER_NAMES])
    assert calls == [2, 2]
    assert not torch.allclose(third, first)
    assert torch.equal(third, other([PAPER_NAMES, ['rice'], PAPER_NAMES]))

    enc.init_weights()
    assert enc._cache == {}


@pytest.mark.parametrize('custom_text,quick_gelu,wrap', [
    (False, False, False), (False, True, True), (True, True, False)])
def test_pretrained_file_matches_open_clip(tiny_clip, tmp_path, custom_text, quick_gelu,
                                           wrap):
    model, expected = open_clip_reference(tiny_clip, custom_text, quick_gelu)
    state = model.state_dict()
    assert any(k.startswith('visual.') for k in state)
    path = tmp_path / 'clip.pth'
    torch.save(dict(state_dict=state) if wrap else state, path)

    enc = CLIPIngredientEncoder(tiny_clip, pretrained=str(path), quick_gelu=quick_gelu)
    before = enc.encode_prompts(PROMPTS)
    assert not torch.allclose(before, expected, atol=1e-3)  # not loaded at build
    enc.init_weights()
    assert enc.output_dim == 32
    torch.testing.assert_close(enc.encode_prompts(PROMPTS), expected, atol=1e-6, rtol=0)
    torch.testing.assert_close(enc([PAPER_NAMES, ['rice'], []]), expected,
                               atol=1e-6, rtol=0)


def test_pretrained_safetensors(tiny_clip, tmp_path):
    from safetensors.torch import save_file
    model, expected = open_clip_reference(tiny_clip)
    path = tmp_path / 'clip.safetensors'
    save_file({k: v.contiguous() for k, v in model.state_dict().items()}, str(path))
    enc = CLIPIngredientEncoder(tiny_clip, pretrained=str(path))
    enc.init_weights()
    torch.testing.assert_close(enc.encode_prompts(PROMPTS), expected, atol=1e-6, rtol=0)


@pytest.mark.filterwarnings('ignore:`torch.jit:FutureWarning')
def test_pretrained_torchscript_archive(tiny_clip, tmp_path):
    """OpenAI's original files (the 'openai' tag's URL) are TorchScript archives."""
    model, expected = open_clip_reference(tiny_clip, quick_gelu=True)
    path = tmp_path / 'ViT-tiny.pt'
    torch.jit.save(torch.jit.script(model), str(path))
    enc = CLIPIngredientEncoder(tiny_clip, pretrained=str(path), quick_gelu=True)
    enc.init_weights()
    torch.testing.assert_close(enc.encode_prompts(PROMPTS), expected, atol=1e-6, rtol=0)


def test_bad_weight_files(tiny_clip, tmp_path):
    model, _ = open_clip_reference(tiny_clip)
    state = model.state_dict()
    incomplete = tmp_path / 'incomplete.pth'
    torch.save({k: v for k, v in state.items() if not k.startswith('ln_final')}, incomplete)
    with pytest.raises(InputError, match=r"incomplete\.pth: .*missing.*'ln_final\.bias'"):
        CLIPIngredientEncoder(tiny_clip, pretrained=str(incomplete)).init_weights()

    garbage = tmp_path / 'garbage.pth'
    garbage.write_text('not a checkpoint')
    with pytest.raises(InputError, match=r'cannot read CLIP text weights .*garbage\.pth'):
        CLIPIngredientEncoder(tiny_clip, pretrained=str(garbage)).init_weights()

    wrong = tmp_path / 'wrong_size.pth'
    torch.save(toy_encoder().tower.state_dict(), wrong)  # ViT-L-14 toy: width 64
    with pytest.raises(InputError, match=r'wrong_size\.pth does not fit .* has shape'):
        CLIPIngredientEncoder(tiny_clip, pretrained=str(wrong)).init_weights()


def test_missing_file_fails_at_init_weights(tmp_path):
    missing = str(tmp_path / 'nope' / 'text_tower.pth')
    enc = toy_encoder(pretrained=missing)  # building needs no file (test time)
    with pytest.raises(InputError) as info:
        enc.init_weights()
    assert str(info.value) == f'CLIP text weights not found: {missing}'


def test_unknown_tag_fails_offline_in_one_line():
    enc = toy_encoder(pretrained='not_a_tag')
    with pytest.raises(InputError) as info:
        enc.init_weights()
    message = str(info.value)
    assert '\n' not in message
    assert "'not_a_tag' for ViT-L-14 could not be fetched" in message
    assert 'openai' in message  # the known tags are listed


def test_converted_file_with_other_activation_is_refused(tmp_path):
    enc = toy_encoder()
    path = tmp_path / 'text_tower.pth'
    torch.save(dict(meta=dict(quick_gelu=True), state_dict=enc.tower.state_dict()), path)
    with pytest.raises(InputError, match='quick_gelu=True but .* quick_gelu=False'):
        toy_encoder(pretrained=str(path)).init_weights()
    loaded = toy_encoder(seed=3, pretrained=str(path), quick_gelu=True)
    loaded.init_weights()
    assert torch.equal(loaded.tower.token_embedding.weight, enc.tower.token_embedding.weight)


def test_quick_gelu_resolution():
    def activations(enc):
        return {type(m).__name__ for m in enc.tower.modules() if 'GELU' in type(m).__name__}

    assert open_clip.get_pretrained_cfg('ViT-L-14', 'openai')['quick_gelu'] is True
    assert toy_encoder(pretrained='openai').quick_gelu is True  # nothing fetched yet
    assert activations(toy_encoder(pretrained='openai')) == {'QuickGELU'}
    assert toy_encoder(pretrained='laion2b_s32b_b82k').quick_gelu is False
    assert toy_encoder().quick_gelu is False
    assert activations(toy_encoder()) == {'GELU'}
    assert toy_encoder(model_name='ViT-L-14-quickgelu').quick_gelu is True
    assert toy_encoder(pretrained='openai', quick_gelu=False).quick_gelu is False
    assert toy_encoder(pretrained='some/file.pth').quick_gelu is False


def test_bad_options():
    with pytest.raises(InputError, match="unknown open_clip model 'ViT-Q-99'"):
        CLIPIngredientEncoder('ViT-Q-99')
    with pytest.raises(InputError, match=r"text_cfg: unknown key\(s\) \['widht'\]"):
        CLIPIngredientEncoder(text_cfg=dict(widht=64))
    with pytest.raises(InputError, match='template must contain one'):
        toy_encoder(template='a photo of')


def test_vit_l14_text_tower_only():
    torch.manual_seed(0)
    enc = CLIPIngredientEncoder()  # random ViT-L-14 text tower
    params = sum(p.numel() for p in enc.parameters())
    assert params == pytest.approx(123.7e6, rel=0.01)
    assert enc.output_dim == 768 and enc.context_length == 77
    assert not hasattr(enc, 'visual') and not hasattr(enc.tower, 'visual')
    names = [n for n, _ in enc.named_modules()] + list(enc.state_dict())
    assert not any('visual' in n for n in names)
    assert enc([PAPER_NAMES]).shape == (1, 768)


def test_the_cache_lives_on_the_towers_device():
    """A cached call copies nothing between host and device (issue 20): the
    embeddings are kept where the tower is (the meta device stands in for a
    GPU), and move once with the model."""
    enc = toy_encoder(seed=0)
    enc([['rice']])
    assert enc._cache[PROMPTS[1]].device.type == 'cpu'
    enc.to('meta')
    out = enc([['rice'], ['rice']])
    assert out.device.type == 'meta' and out.shape == (2, 128)
    assert enc._cache[PROMPTS[1]].device.type == 'meta'
    enc([PAPER_NAMES])  # a new prompt: encoded and cached on the tower's device
    assert enc._cache[PROMPTS[0]].device.type == 'meta'
