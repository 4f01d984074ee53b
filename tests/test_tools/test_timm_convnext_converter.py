"""tools/model_converters/timm_convnext.py: timm/HF file -> offline backbone file."""
import os
import os.path as osp

import pytest
import timm
import torch
import torch.nn.functional as F
from safetensors.torch import save_file

from conftest import load_tool, run_tool
from dccd.models.backbones import TimmConvNeXt

TOOL = 'model_converters/timm_convnext.py'


@pytest.fixture(scope='module')
def random_atto(tmp_path_factory):
    """A randomly initialised timm convnext_atto saved as HF's model.safetensors."""
    torch.manual_seed(0)
    model = timm.create_model('convnext_atto').eval()
    folder = tmp_path_factory.mktemp('hf_atto')
    save_file(model.state_dict(), str(folder / 'model.safetensors'))
    return model, str(folder / 'model.safetensors')


def test_converted_file_gives_identical_features(random_atto, tmp_path):
    model, src = random_atto
    dst = tmp_path / 'out' / 'convnext_atto.pth'
    load_tool(TOOL).main([src, str(dst), '--arch', 'convnext_atto'])
    converted = torch.load(dst, weights_only=True)
    assert converted['meta']['arch'] == 'convnext_atto'
    keys = set(converted['state_dict'])
    assert keys == {k for k in model.state_dict() if not k.startswith('head.')}
    assert os.listdir(dst.parent) == ['convnext_atto.pth']

    backbone = TimmConvNeXt(arch='convnext_atto', drop_path_rate=0.0,
                            init_cfg=dict(type='Pretrained', checkpoint=str(dst)))
    backbone.init_weights()
    backbone.eval()
    image = torch.rand(2, 3, 64, 64)
    with torch.no_grad():
        ours = backbone(image)
        stages = model.forward_intermediates(image, indices=4, intermediates_only=True)
    assert len(ours) == len(stages) == 4
    for feature, stage in zip(ours, stages):
        # the backbone's output norms start as identity-affine LayerNorm2d (eps 1e-6)
        expected = F.layer_norm(stage.permute(0, 2, 3, 1), stage.shape[1:2],
                                eps=1e-6).permute(0, 3, 1, 2)
        assert torch.equal(feature, expected)


def test_unavailable_tag_offline_is_one_line_exit_2(tmp_path):
    result = run_tool(TOOL, 'convnext_atto.d2_in1k', tmp_path / 'x.pth',
                      env=dict(HF_HUB_OFFLINE='1'))
    assert result.returncode == 2
    assert result.stderr.count('\n') == 1
    assert result.stderr.startswith("error: cannot get timm pretrained weights "
                                    "'convnext_atto.d2_in1k'")
    assert 'model.backbone.init_cfg.checkpoint' in result.stderr
    assert not osp.exists(tmp_path / 'x.pth')


def test_file_needs_arch_and_must_be_complete(random_atto, tmp_path, capsys):
    model, src = random_atto
    tool = load_tool(TOOL)
    with pytest.raises(SystemExit) as info:
        tool.main([src, str(tmp_path / 'x.pth')])
    assert info.value.code == 2
    assert capsys.readouterr().err == (
        f'error: {src}: a weights file needs --arch (e.g. convnext_large)\n')
    partial = {k: v for k, v in model.state_dict().items() if not k.startswith('stages.3')}
    save_file(partial, str(tmp_path / 'partial.safetensors'))
    with pytest.raises(SystemExit):
        tool.main([str(tmp_path / 'partial.safetensors'), str(tmp_path / 'y.pth'),
                   '--arch', 'convnext_atto'])
    # (in-process, a logger left by an earlier test may add noise before it)
    last = capsys.readouterr().err.strip().splitlines()[-1]
    assert last.startswith('error: ') and 'not a complete convnext_atto checkpoint' in last
    assert not osp.exists(tmp_path / 'y.pth')
