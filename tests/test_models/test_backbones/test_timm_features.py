"""TimmFeatures: any timm model's feature levels (efficientnet_lite0 here),
frozen BN statistics, and pretrained weights from a converted file."""
import pytest
import timm
import torch
from mmseg.registry import MODELS

from dccd.models.backbones import TimmFeatures
from dccd.utils import InputError
from dccd.utils.weights import convert_efficientnet_lite, efficientnet_lite_key_table


def lite0(**kwargs):
    torch.manual_seed(0)
    return TimmFeatures('efficientnet_lite0', out_indices=(1, 2, 3, 4), **kwargs)


def test_levels_strides_and_channels():
    backbone = MODELS.build(dict(type='TimmFeatures', model_name='efficientnet_lite0',
                                 out_indices=(1, 2, 3, 4)))
    assert backbone.out_channels == [24, 40, 112, 320]
    assert backbone.strides == [4, 8, 16, 32]
    outs = backbone(torch.rand(2, 3, 64, 96))
    assert [tuple(o.shape) for o in outs] == [(2, 24, 16, 24), (2, 40, 8, 12),
                                              (2, 112, 4, 6), (2, 320, 2, 3)]
    with pytest.raises(InputError, match="cannot build 'no_such_model'"):
        TimmFeatures('no_such_model')


def test_norm_eval_keeps_the_batch_norm_statistics():
    backbone = lite0(norm_eval=True)
    backbone.train()
    norms = [m for m in backbone.modules() if isinstance(m, torch.nn.BatchNorm2d)]
    assert norms and not any(m.training for m in norms)
    before = norms[0].running_mean.clone()
    backbone(torch.rand(2, 3, 32, 32) * 5)
    assert torch.equal(norms[0].running_mean, before)
    trained = lite0(norm_eval=False).train()
    trained(torch.rand(2, 3, 32, 32) * 5)
    assert not torch.equal(next(m for m in trained.modules()
                                if isinstance(m, torch.nn.BatchNorm2d)).running_mean, before)


@pytest.fixture(scope='module')
def converted_file(tmp_path_factory):
    """A fake EfficientNet-PyTorch state dict (timm's shapes, random values)
    converted through the key table and saved as the converter does."""
    timm_state = timm.create_model('efficientnet_lite0').state_dict()
    table = efficientnet_lite_key_table()
    fake = {src: torch.randn(timm_state[dst].shape) if timm_state[dst].is_floating_point()
            else timm_state[dst].clone() for src, dst in table.items()}
    converted = convert_efficientnet_lite(fake, 'fake.pth')
    path = str(tmp_path_factory.mktemp('lite0') / 'lite0.pth')
    torch.save(dict(meta={}, state_dict=converted), path)
    return path, fake


def test_pretrained_file_loads_and_the_stem_is_the_converted_tensor(converted_file):
    path, fake = converted_file
    backbone = lite0(init_cfg=dict(type='Pretrained', checkpoint=path))
    backbone.init_weights()
    assert torch.equal(backbone.timm_model.conv_stem.weight, fake['_conv_stem.weight'])
    assert torch.equal(backbone.timm_model.blocks[1][0].conv_pwl.weight,
                       fake['_blocks.1._project_conv.weight'])


def test_missing_or_incomplete_weights_are_one_line(converted_file, tmp_path):
    missing = str(tmp_path / 'pretrained' / 'lite0.pth')
    backbone = lite0(init_cfg=dict(type='Pretrained', checkpoint=missing),
                     missing_hint='; write it with: python tools/x.py')
    with pytest.raises(InputError) as info:
        backbone.init_weights()
    assert str(info.value) == (f'pretrained weights not found: {missing}; '
                               'write it with: python tools/x.py')
    partial = str(tmp_path / 'partial.pth')
    state = torch.load(converted_file[0], weights_only=True)['state_dict']
    del state['conv_stem.weight']
    torch.save(state, partial)
    with pytest.raises(InputError, match=r"lack 1 tensor\(s\) of efficientnet_lite0"):
        lite0(init_cfg=dict(type='Pretrained', checkpoint=partial)).init_weights()


def test_channels_last_gives_the_same_features_and_gradients():
    x = torch.rand(2, 3, 64, 64, generator=torch.Generator().manual_seed(0))
    grads = []
    for channels_last in (False, True):
        torch.manual_seed(0)
        backbone = TimmFeatures('tf_efficientnet_lite0', out_indices=(1, 2, 3, 4),
                                norm_eval=True, channels_last=channels_last).train()
        outs = backbone(x)
        assert all(o.is_contiguous() for o in outs)  # the usual layout comes out
        sum(o.square().mean() for o in outs).backward()
        grads.append((outs, backbone.timm_model.conv_stem.weight.grad))
    (ref, ref_grad), (ours, our_grad) = grads
    for a, b in zip(ref, ours):
        assert torch.allclose(a, b, atol=1e-5)
    assert torch.allclose(ref_grad, our_grad, atol=1e-5, rtol=1e-4)
