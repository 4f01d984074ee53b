"""MultiStageMerging: shapes, a literal 1x1 fusion, both DDP neck layouts."""
import pytest
import torch
from mmseg.registry import MODELS

from dccd.models.necks import MultiStageMerging


def test_merges_to_the_first_level():
    torch.manual_seed(0)
    neck = MultiStageMerging([8, 16, 32], out_channels=32)
    feats = [torch.randn(2, 8, 16, 16), torch.randn(2, 16, 8, 8),
             torch.randn(2, 32, 4, 4)]
    out = neck(feats)
    assert isinstance(out, tuple) and len(out) == 1
    assert out[0].shape == (2, 32, 16, 16)
    # GroupNorm with 32 groups over 32 channels: every channel normalised
    assert out[0].mean(dim=(2, 3)).abs().max() < 1e-5


def test_hand_set_fusion_value():
    neck = MultiStageMerging([1, 1], out_channels=1, norm_cfg=None)
    with torch.no_grad():
        neck.fuse.conv.weight.copy_(torch.tensor([2., 3.]).view(1, 2, 1, 1))
        neck.fuse.conv.bias.fill_(0.5)
    fine = torch.ones(1, 1, 2, 4)
    coarse = torch.tensor([[[[0., 4.]]]])  # (1, 1, 1, 2)
    # bilinear, align_corners=False, 1x2 -> 2x4: each row is [0, 1, 3, 4]
    out = neck([fine, coarse])[0]
    expected = 2 * 1 + 3 * torch.tensor([0., 1., 3., 4.]) + 0.5
    torch.testing.assert_close(out, expected.expand(1, 1, 2, 4))


def test_kernel_3_keeps_size_and_activation_applies():
    neck = MultiStageMerging([4, 4], out_channels=8, kernel_size=3,
                             norm_cfg=None, act_cfg=dict(type='ReLU'))
    out = neck([torch.randn(1, 4, 6, 6), torch.randn(1, 4, 3, 3)])[0]
    assert out.shape == (1, 8, 6, 6) and out.min() >= 0


def test_wrong_number_of_levels():
    neck = MultiStageMerging([4, 4], out_channels=32)
    with pytest.raises(ValueError, match='expected 2 input levels'):
        neck([torch.randn(1, 4, 4, 4)])


@pytest.mark.parametrize('layout', ['ddp_fpn', 'ddp'])
def test_neck_lists_build_as_sequential(layout):
    widths = [8, 16, 32, 64]
    merging = dict(type='MultiStageMerging', out_channels=32)
    if layout == 'ddp_fpn':  # backbone stages merged directly, then CBAM
        cfg = [dict(merging, in_channels=widths),
               dict(type='CBAM', in_channels=32)]
    else:  # DDP: mmseg's FPN, then the merge
        cfg = [dict(type='FPN', in_channels=widths, out_channels=32, num_outs=4),
               dict(merging, in_channels=[32] * 4)]
    neck = MODELS.build(cfg)
    assert isinstance(neck, torch.nn.Sequential)
    feats = [torch.randn(2, c, 32 // 2 ** i, 32 // 2 ** i)
             for i, c in enumerate(widths)]
    out = neck(feats)
    assert isinstance(out, tuple) and len(out) == 1
    assert out[0].shape == (2, 32, 32, 32)
