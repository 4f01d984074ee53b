"""DDP's cosine log-SNR schedule, DDIM time pairs and update, against
numbers worked out by hand from DDP's formulas (not from this code):

    θ(t) = (t + 0.0002) / 1.00025 · π/2,  λ(t) = −log(max(sec²θ − 1, 1e-5))
    alpha = sqrt(sigmoid(λ)) = |cos θ| (unclamped),  sigma = sqrt(sigmoid(−λ))
    DDIM: eps = (x − alpha·x0) / sigma,  x' = alpha'·x0 + sigma'·eps
"""
import math

import pytest
import torch

from dccd.models.layers.noise_schedule import (cosine_log_snr, ddim_step,
                                               log_snr_to_alpha_sigma,
                                               sampling_time_pairs)


@pytest.mark.parametrize('t, log_snr, alpha, sigma', [
    # t = 0: tan²θ = 9.87e-8 is clamped to 1e-5 -> λ = 5·ln 10
    (0.0, 11.512925464970229, 0.9999950000374996, 0.0031622618488986627),
    # t = 0.5: θ ≈ π/4 (0.785318), tan²θ = 1.000471 -> λ ≈ 0, alpha ≈ sigma
    (0.5, -0.00047112112211578826, 0.7070234930478969, 0.7071900595160755),
    # t = 1/3: θ ≈ π/6, alpha = cos θ ≈ 0.86593, sigma = sin θ ≈ 0.50016
    (1 / 3, 1.0977661500030427, 0.8659337823658819, 0.500158659384717),
    # t = 1: θ = π/2 − 7.85e-5, tan²θ = 1.62e8
    (1.0, -18.904309627886207, 7.852018621277216e-05, 0.9999999969172901),
])
def test_cosine_schedule_literal(t, log_snr, alpha, sigma):
    lam = cosine_log_snr(torch.tensor([t], dtype=torch.float64))
    assert lam.item() == pytest.approx(log_snr, rel=1e-9, abs=1e-12)
    a, s = log_snr_to_alpha_sigma(lam)
    assert a.item() == pytest.approx(alpha, rel=1e-7)
    assert s.item() == pytest.approx(sigma, rel=1e-7)
    assert (a ** 2 + s ** 2).item() == pytest.approx(1.0, abs=1e-12)


def test_schedule_decreases_with_time():
    t = torch.linspace(0, 1, 101, dtype=torch.float64)
    lam = cosine_log_snr(t)
    assert torch.all(lam[1:] <= lam[:-1])


def test_time_pairs_three_steps_as_ddp():
    pairs = sampling_time_pairs(3, time_difference=1)
    expected = [(1.0, 1 / 3), (2 / 3, 0.0), (1 / 3, 0.0)]
    assert len(pairs) == 3
    for (now, nxt), (e_now, e_nxt) in zip(pairs, expected):
        assert now == pytest.approx(e_now) and nxt == pytest.approx(e_nxt)
    assert sampling_time_pairs(1) == [(1.0, 0.0)]
    with pytest.raises(ValueError, match='DDIM steps'):
        sampling_time_pairs(0)


def test_one_ddim_update_literal():
    # first DDP step: t 1 -> 1/3; x_t = 0.5 and -1.2, predicted x0 = ±0.01
    lam_now = cosine_log_snr(torch.tensor([1.0], dtype=torch.float64))
    lam_next = cosine_log_snr(torch.tensor([1 / 3], dtype=torch.float64))
    x_t = torch.tensor([0.5, -1.2], dtype=torch.float64).view(1, 2, 1, 1)
    x0 = torch.tensor([0.01, -0.01], dtype=torch.float64).view(1, 2, 1, 1)
    out = ddim_step(x_t, x0, lam_now, lam_next).flatten()
    # by hand: eps = (0.5 − 7.852e-5·0.01) / 0.99999999692 = 0.49999922
    #          x' = 0.86593·0.01 + 0.50016·eps = 0.25873828
    assert out[0].item() == pytest.approx(0.2587382755614274, rel=1e-9)
    assert out[1].item() == pytest.approx(-0.6088493382100201, rel=1e-9)


def test_ddim_to_t0_returns_prediction_almost_exactly():
    # at t = 0 sigma' = 0.00316: the update lands next to x0
    lam_now = cosine_log_snr(torch.tensor([2 / 3]))
    lam_next = cosine_log_snr(torch.tensor([0.0]))
    x0 = torch.full((1, 3, 2, 2), 0.01)
    x_t = torch.randn(1, 3, 2, 2, generator=torch.Generator().manual_seed(0))
    out = ddim_step(x_t, x0, lam_now, lam_next)
    alpha, sigma = math.sqrt(1 / (1 + math.exp(1.0988540754463725))), \
        math.sqrt(1 / (1 + math.exp(-1.0988540754463725)))
    eps = (x_t - alpha * 0.01) / sigma
    torch.testing.assert_close(out, 0.9999950000374996 * x0 + 0.0031622618488986627 * eps,
                               rtol=1e-5, atol=1e-6)
