"""CBAM: literal gates with hand-set weights, shapes, tuples, gradients."""
import math

import pytest
import torch

from dccd.models.layers import CBAM


def _zero_all(cbam):
    for param in cbam.parameters():
        torch.nn.init.zeros_(param)


def test_zero_weights_give_half_gates():
    cbam = CBAM(in_channels=4, reduction=2)
    _zero_all(cbam)
    x = torch.randn(2, 4, 5, 6)
    # channel gate sigmoid(0) = 0.5, spatial gate sigmoid(0) = 0.5
    torch.testing.assert_close(cbam(x), x * 0.25, atol=0, rtol=0)


def test_hand_set_channel_mlp():
    cbam = CBAM(in_channels=2, reduction=2)  # hidden = 1
    _zero_all(cbam)
    fc1, _, fc2 = cbam.channel_gate.mlp
    with torch.no_grad():
        fc1.weight.copy_(torch.tensor([1., 0.]).view(1, 2, 1, 1))
        fc2.weight.copy_(torch.tensor([1., -1.]).view(2, 1, 1, 1))
    x = torch.stack([torch.full((3, 3), 2.), torch.randn(3, 3)])[None]
    # avg = max = 2 for channel 0 -> relu(2) = 2 -> (2, -2), twice -> (4, -4)
    gate = torch.tensor([1 / (1 + math.exp(-4)), 1 / (1 + math.exp(4))])
    expected = x * gate.view(1, 2, 1, 1) * 0.5
    torch.testing.assert_close(cbam(x), expected)
    assert cbam(x)[0, 0, 0, 0].item() == pytest.approx(0.9820137900)


def test_hand_set_spatial_conv():
    cbam = CBAM(in_channels=2, reduction=2, spatial_kernel=1)
    _zero_all(cbam)
    with torch.no_grad():
        cbam.spatial_gate.conv.weight.copy_(torch.tensor([1., 0.]).view(1, 2, 1, 1))
    x = torch.tensor([[[[2., 2.]], [[0., 4.]]]])  # (1, 2, 1, 2)
    # pixel 0 has channels (2, 0), pixel 1 (2, 4); after the 0.5 channel gate
    # their channel means are 0.5 and 1.5: gates sigmoid(0.5), sigmoid(1.5)
    out = cbam(x)
    assert out[0, 0, 0, 0].item() == pytest.approx(0.6224593312)
    assert out[0, 1, 0, 1].item() == pytest.approx(2 * 0.8175744762)


def test_random_weights_vary_across_channels_and_pixels():
    torch.manual_seed(0)
    cbam = CBAM(in_channels=8, reduction=2)
    x = torch.rand(1, 8, 6, 6) + 0.5
    ratio = cbam(x) / x
    channel_ratio = ratio[0, :, 0, 0]
    pixel_ratio = ratio[0, 0].flatten()
    assert channel_ratio.std() > 1e-3 and pixel_ratio.std() > 1e-3
    assert ((ratio > 0) & (ratio < 1)).all()


def test_tuple_input_and_gradients():
    torch.manual_seed(0)
    cbam = CBAM(in_channels=4, reduction=2, spatial_kernel=3)
    maps = [torch.randn(2, 4, 5, 5, requires_grad=True), torch.randn(2, 4, 3, 3)]
    out = cbam(maps)
    assert isinstance(out, tuple) and [o.shape for o in out] == [m.shape for m in maps]
    torch.testing.assert_close(out[1], cbam(maps[1]))
    out[0].sum().backward()
    assert maps[0].grad.abs().sum() > 0
    assert all(p.grad is not None and p.grad.abs().sum() > 0
               for p in cbam.parameters())


def test_even_kernel_is_rejected():
    with pytest.raises(ValueError, match='odd'):
        CBAM(in_channels=4, spatial_kernel=4)
