"""TextFusion: 'add' and 'concat' with hand-set weights, broadcasting, gradients."""
import pytest
import torch
from mmseg.registry import MODELS

import dccd  # noqa: F401  (registers DCCD modules)
from dccd.models.layers.text_fusion import TextFusion


def set_proj(fusion: TextFusion) -> None:
    """proj(text) = [t0 + t1, 2 * t1 + 1] for text_dims=2, channels=2."""
    with torch.no_grad():
        fusion.proj.weight.copy_(torch.tensor([[1., 1.], [0., 2.]]))
        fusion.proj.bias.copy_(torch.tensor([0., 1.]))


def test_add_literal_values_broadcast_per_image():
    fusion = TextFusion(text_dims=2, channels=2, mode='add')
    set_proj(fusion)
    x = torch.arange(2 * 2 * 2 * 3, dtype=torch.float32).reshape(2, 2, 2, 3)
    text = torch.tensor([[1., 2.], [0., -1.]])  # proj -> [3, 5] and [-1, -1]
    out = fusion(x, text)
    assert out.shape == (2, 2, 2, 3)
    expected = x.clone()
    expected[0, 0] += 3
    expected[0, 1] += 5
    expected[1] -= 1
    assert torch.equal(out, expected)


def test_concat_literal_values():
    fusion = MODELS.build(dict(type='TextFusion', text_dims=2, channels=2, mode='concat'))
    set_proj(fusion)
    with torch.no_grad():  # out0 = x0 + t1,  out1 = 2 * x1 - t0 + 0.5
        fusion.fuse.weight.copy_(torch.tensor(
            [[1., 0., 0., 1.], [0., 2., -1., 0.]]).reshape(2, 4, 1, 1))
        fusion.fuse.bias.copy_(torch.tensor([0., 0.5]))
    x = torch.tensor([[[[1., 2.]], [[3., 4.]]]])  # (1, 2, 1, 2)
    text = torch.tensor([[1., 2.]])  # proj -> t = [3, 5]
    out = fusion(x, text)
    expected = torch.tensor([[[[6., 7.]], [[3.5, 5.5]]]])
    torch.testing.assert_close(out, expected, atol=1e-6, rtol=0)


@pytest.mark.parametrize('mode', ['add', 'concat'])
def test_gradients_reach_x_and_proj(mode):
    torch.manual_seed(0)
    fusion = TextFusion(text_dims=8, channels=4, mode=mode)
    x = torch.randn(2, 4, 3, 5, requires_grad=True)
    text = torch.randn(2, 8, requires_grad=True)
    out = fusion(x, text)
    assert out.shape == (2, 4, 3, 5)
    (out ** 2).sum().backward()
    assert x.grad.abs().sum() > 0 and text.grad.abs().sum() > 0
    assert fusion.proj.weight.grad.abs().sum() > 0
    assert fusion.proj.bias.grad.abs().sum() > 0


def test_bad_mode_and_shapes():
    with pytest.raises(ValueError, match="TextFusion: mode must be one of .* got 'mul'"):
        TextFusion(mode='mul')
    fusion = TextFusion(text_dims=8, channels=4)
    with pytest.raises(ValueError, match=r'expects x \(N, 4, H, W\) and text \(N, 8\)'):
        fusion(torch.zeros(2, 4, 3, 3), torch.zeros(3, 8))
    assert not hasattr(fusion, 'fuse')
