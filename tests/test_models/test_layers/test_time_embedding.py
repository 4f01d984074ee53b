"""Learned sinusoidal time embedding with hand-set frequencies."""
import math

import pytest
import torch

from dccd.models.layers import LearnedSinusoidalEmbedding, TimeEmbedding


def test_sinusoidal_features_by_hand():
    emb = LearnedSinusoidalEmbedding(4)
    with torch.no_grad():
        emb.weights.copy_(torch.tensor([0.25, 1.0]))
    out = emb(torch.tensor([0.0, 1.0, 0.5]))
    # 2 pi x w: x=1 -> (pi/2, 2pi); x=0.5 -> (pi/4, pi)
    h = math.sqrt(0.5)
    expected = torch.tensor([[0.0, 0.0, 0.0, 1.0, 1.0],
                             [1.0, 1.0, 0.0, 0.0, 1.0],
                             [0.5, h, 0.0, h, -1.0]])
    torch.testing.assert_close(out, expected, atol=1e-6, rtol=0)


def test_odd_dim_is_rejected():
    with pytest.raises(ValueError, match='even'):
        LearnedSinusoidalEmbedding(5)


def test_time_embedding_is_sinusoid_then_mlp():
    torch.manual_seed(0)
    time = TimeEmbedding(sinusoidal_dim=4, embed_dims=6)
    with torch.no_grad():
        time.sinusoidal.weights.copy_(torch.tensor([0.25, 1.0]))
    log_snr = torch.tensor([1.0, -3.0])
    out = time(log_snr)
    assert out.shape == (2, 6)
    first, _, second = time.mlp
    features = time.sinusoidal(log_snr)
    assert features.shape == (2, 5)
    torch.testing.assert_close(
        out, second(torch.nn.functional.gelu(first(features))))
    # the frequencies are learned: they receive gradients
    out.sum().backward()
    assert time.sinusoidal.weights.grad.abs().sum() > 0
