"""TimmConvNeXt on timm's convnext_atto: shapes, output norms, checkpointing,
and loading pretrained weights from local files (no network)."""
import re

import pytest
import timm
import torch
import torch.nn.functional as F
from mmseg.registry import MODELS
from safetensors.torch import save_file

from dccd.models.backbones import TimmConvNeXt
from dccd.utils import InputError

ATTO = [40, 80, 160, 320]


def _atto(**kwargs):
    kwargs.setdefault('drop_path_rate', 0.0)
    return TimmConvNeXt(arch='convnext_atto', **kwargs)


def test_shapes_strides_and_channels():
    torch.manual_seed(0)
    backbone = MODELS.build(dict(type='TimmConvNeXt', arch='convnext_atto'))
    assert backbone.out_channels == ATTO
    outs = backbone(torch.randn(2, 3, 64, 64))
    assert [tuple(o.shape) for o in outs] == [
        (2, 40, 16, 16), (2, 80, 8, 8), (2, 160, 4, 4), (2, 320, 2, 2)]


def test_out_indices_prune_unused_stages_and_head():
    backbone = _atto(out_indices=(0, 1))
    assert backbone.out_channels == [40, 80] and len(backbone.stages) == 2
    assert not any(k.startswith('head') for k in backbone.state_dict())
    sum(o.sum() for o in backbone(torch.randn(1, 3, 32, 32))).backward()
    # every parameter is used (DistributedDataParallel needs no unused ones)
    assert all(p.grad is not None for p in backbone.parameters())


def test_bad_options_are_input_errors():
    with pytest.raises(InputError, match='out_indices'):
        _atto(out_indices=(0, 4))
    with pytest.raises(InputError, match='convnext_nonexistent'):
        TimmConvNeXt(arch='convnext_nonexistent')


def test_norm_outputs_are_channel_layer_norms():
    torch.manual_seed(0)
    plain = _atto(norm_outputs=False)
    normed = _atto(norm_outputs=True)
    normed.load_state_dict(plain.state_dict(), strict=False)
    x = torch.randn(1, 3, 64, 64)
    for raw, out, c in zip(plain(x), normed(x), ATTO):
        expected = F.layer_norm(raw.permute(0, 2, 3, 1), (c, ), eps=1e-6)
        torch.testing.assert_close(out, expected.permute(0, 3, 1, 2))
        assert not torch.allclose(out, raw)


def test_with_cp_gives_same_outputs_and_gradients():
    torch.manual_seed(0)
    plain, ckpt = _atto(), _atto(with_cp=True)
    ckpt.load_state_dict(plain.state_dict())
    assert all(stage.grad_checkpointing for stage in ckpt.stages)
    plain.train(), ckpt.train()
    x = torch.randn(2, 3, 32, 32)
    outs_plain, outs_ckpt = plain(x), ckpt(x)
    for a, b in zip(outs_plain, outs_ckpt):
        torch.testing.assert_close(a, b, atol=0, rtol=0)
    sum((o * o).sum() for o in outs_plain).backward()
    sum((o * o).sum() for o in outs_ckpt).backward()
    for (name, p), q in zip(plain.named_parameters(), ckpt.parameters()):
        torch.testing.assert_close(p.grad, q.grad, msg=name)


@pytest.fixture(scope='module')
def reference():
    """A random timm convnext_atto and its stage features for one input."""
    torch.manual_seed(1)
    model = timm.create_model('convnext_atto', pretrained=False).eval()
    x = torch.randn(1, 3, 64, 64)
    with torch.no_grad():
        feats = model.forward_intermediates(x, intermediates_only=True)
    return model.state_dict(), x, feats


def _to_facebook_layout(state_dict):
    """timm keys -> the original facebookresearch/ConvNeXt release's."""
    renames = [(r'^stem\.', 'downsample_layers.0.'),
               (r'^stages\.(\d+)\.downsample\.', r'downsample_layers.\1.'),
               (r'^stages\.(\d+)\.blocks\.', r'stages.\1.'),
               (r'conv_dw', 'dwconv'), (r'mlp\.fc', 'pwconv'),
               (r'^head\.norm\.', 'norm.'), (r'^head\.fc\.', 'head.')]
    out = {}
    for key, value in state_dict.items():
        for pattern, repl in renames:
            key = re.sub(pattern, repl, key)
        out[key] = value
    return {'model': out}


def _save(kind, state_dict, tmp_path):
    if kind == 'facebook':
        path = tmp_path / 'convnext_atto_fb.pth'
        torch.save(_to_facebook_layout(state_dict), path)
    elif kind == 'safetensors':
        path = tmp_path / 'atto.safetensors'
        save_file(state_dict, str(path))
    elif kind == 'pth':
        path = tmp_path / 'atto.pth'
        torch.save(state_dict, path)
    else:  # an mmseg-style checkpoint: wrapped, 'backbone.' prefix
        path = tmp_path / 'segmentor.pth'
        wrapped = {f'backbone.{k}': v for k, v in state_dict.items()}
        wrapped['decode_head.conv_seg.weight'] = torch.zeros(2, 2, 1, 1)
        torch.save({'state_dict': wrapped, 'meta': {'epoch': 1}}, path)
    return str(path)


@pytest.mark.parametrize('kind',
                         ['safetensors', 'pth', 'wrapped_prefixed', 'facebook'])
def test_local_file_reproduces_the_timm_model(kind, reference, tmp_path):
    state_dict, x, feats = reference
    path = _save(kind, state_dict, tmp_path)
    backbone = _atto(norm_outputs=False,
                     init_cfg=dict(type='Pretrained', checkpoint=path))
    backbone.init_weights()
    assert backbone.is_init
    backbone.eval()
    with torch.no_grad():
        outs = backbone(x)
    for out, expected in zip(outs, feats):
        torch.testing.assert_close(out, expected)


def test_weights_of_another_arch_are_rejected(reference, tmp_path):
    path = _save('pth', reference[0], tmp_path)
    backbone = TimmConvNeXt(arch='convnext_femto', drop_path_rate=0.0,
                            init_cfg=dict(type='Pretrained', checkpoint=path))
    with pytest.raises(InputError, match='does not fit convnext_femto'):
        backbone.init_weights()


def test_file_without_convnext_keys_is_rejected(tmp_path):
    path = str(tmp_path / 'other.pth')
    torch.save({'fc.weight': torch.zeros(2, 2)}, path)
    backbone = _atto(init_cfg=dict(type='Pretrained', checkpoint=path))
    with pytest.raises(InputError, match='no convnext_atto weights found'):
        backbone.init_weights()


@pytest.mark.parametrize('checkpoint', ['/no/such/dir/convnext.pth',
                                        'convnext_atto_in1k.safetensors'])
def test_missing_file_names_it(checkpoint):
    backbone = _atto(init_cfg=dict(type='Pretrained', checkpoint=checkpoint))
    with pytest.raises(InputError) as err:
        backbone.init_weights()
    assert str(err.value) == f'pretrained weights not found: {checkpoint}'


def test_unavailable_tag_is_a_one_line_input_error():
    tag = 'convnext_atto.does_not_exist'
    backbone = _atto(init_cfg=dict(type='Pretrained', checkpoint=tag))
    with pytest.raises(InputError) as err:
        backbone.init_weights()
    message = str(err.value)
    assert '\n' not in message and repr(tag) in message
    assert 'init_cfg.checkpoint=' in message


def test_tag_of_another_arch_is_rejected():
    backbone = _atto(init_cfg=dict(type='Pretrained',
                                   checkpoint='convnext_large.fb_in22k'))
    with pytest.raises(InputError, match="is for 'convnext_large'"):
        backbone.init_weights()
