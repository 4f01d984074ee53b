"""Continuous-time noise schedule and DDIM step of DDP's map diffusion.

DDP (Ji et al., ICCV 2023, "DDP: Diffusion model for dense visual prediction")
diffuses an embedded segmentation map with a continuous time t in [0, 1] and
the cosine schedule of Nichol & Dhariwal (2021) written as a log signal-to-
noise ratio, as in Chen et al. (2022), "Analog Bits". Written from the
formulas; the constants are DDP's.
"""
import math
from typing import List, Optional, Sequence, Tuple

import torch
from torch import Tensor

from ...utils.image_key import image_crc

__all__ = [
    'cosine_log_snr', 'log_snr_to_alpha_sigma', 'sampling_time_pairs',
    'ddim_step', 'image_noise'
]


def cosine_log_snr(t: Tensor, shift: float = 2e-4, stretch: float = 2.5e-4,
                   min_tan2: float = 1e-5) -> Tensor:
    """log SNR of the cosine schedule at continuous time ``t`` (any shape).

    alpha²(t) = cos²(θ), θ = (t + s) / (1 + d) · π/2, so
    SNR = alpha² / (1 − alpha²) = 1 / tan²θ and log SNR = −log tan²θ.
    tan²θ is clamped from below (1e-5, as DDP) so log SNR ≤ 11.51 near t = 0.
    """
    theta = (t + shift) / (1 + stretch) * math.pi / 2
    tan2 = torch.cos(theta) ** -2 - 1
    return -torch.log(tan2.clamp(min=min_tan2))


def log_snr_to_alpha_sigma(log_snr: Tensor) -> Tuple[Tensor, Tensor]:
    """Signal and noise scales: alpha² = sigmoid(λ), sigma² = sigmoid(−λ)."""
    return torch.sigmoid(log_snr).sqrt(), torch.sigmoid(-log_snr).sqrt()


def sampling_time_pairs(steps: int, time_difference: float = 1.0,
                        t_min: float = 0.0) -> List[Tuple[float, float]]:
    """(t_now, t_next) for each of ``steps`` DDIM steps, as DDP samples them.

    t_now walks down from 1 in steps of 1/steps; t_next looks
    ``time_difference`` steps further ahead and stops at ``t_min``. With
    3 steps and time_difference 1: (1, 1/3), (2/3, 0), (1/3, 0).
    """
    if steps < 1:
        raise ValueError(f'the number of DDIM steps must be >= 1, got {steps}')
    span = 1.0 - t_min
    pairs = []
    for step in range(steps):
        t_now = 1.0 - step / steps * span
        t_next = max(1.0 - (step + 1 + time_difference) / steps * span, t_min)
        pairs.append((t_now, t_next))
    return pairs


def ddim_step(x_t: Tensor, x0_pred: Tensor, log_snr: Tensor,
              log_snr_next: Tensor) -> Tensor:
    """One deterministic DDIM update (Song et al. 2021, Eq. 12 with σ = 0).

    The noise implied by the prediction, eps = (x_t − alpha·x0) / sigma, is
    re-applied at the next noise level: x_next = alpha'·x0 + sigma'·eps.

    Args:
        x_t (Tensor): Current noisy map, (N, C, H, W).
        x0_pred (Tensor): Predicted clean map (embedded), (N, C, H, W).
        log_snr, log_snr_next (Tensor): (N,) noise levels now and next.
    """
    alpha, sigma = log_snr_to_alpha_sigma(log_snr.view(-1, 1, 1, 1))
    alpha_next, sigma_next = log_snr_to_alpha_sigma(log_snr_next.view(-1, 1, 1, 1))
    eps = (x_t - alpha * x0_pred) / sigma.clamp(min=1e-8)
    return alpha_next * x0_pred + sigma_next * eps


def image_noise(batch_img_metas: List[dict], shape: Sequence[int], seed: int = 0,
                device: Optional[torch.device] = None,
                dtype: torch.dtype = torch.float32) -> Tensor:
    """Gaussian noise for each image, seeded by its file name: (N, *shape).

    Image ``i``'s generator is seeded with ``seed`` plus a CRC32 of its
    ``img_path`` (of ``i`` when it has none), so an image gets the same noise
    on every run, batch size and number of processes, and an exported model
    that takes the noise as an input can be given exactly the noise PyTorch
    draws.

    Args:
        batch_img_metas (list[dict]): Per-image meta (``img_path``).
        shape (Sequence[int]): Shape of one image's noise, e.g. (C, H, W).
        seed (int): Added to each image's seed.
        device, dtype: Of the result.
    """
    noise = []
    for i, meta in enumerate(batch_img_metas):
        image_seed = (image_crc(meta.get('img_path', i)) + int(seed)) % 2**63
        gen = torch.Generator(device=device or 'cpu').manual_seed(image_seed)
        noise.append(torch.randn(tuple(shape), generator=gen, device=device, dtype=dtype))
    return torch.stack(noise)
