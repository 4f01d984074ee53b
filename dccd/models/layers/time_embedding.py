"""Learned sinusoidal time embedding of the diffusion decoder.

The random-Fourier-feature embedding with learned frequencies that Katherine
Crowson introduced in v-diffusion (``diffusion/models/danbooru_128.py``), as
DDP (Ji et al., ICCV 2023) uses it: the input is kept next to its sines and
cosines, then an MLP maps it to the decoder width. DDP feeds it the noise
level as a log signal-to-noise ratio ``log(alpha^2 / sigma^2)``, not the time
``t``; so does DCCD. Written for DCCD (Apache-2.0).
"""
import math

import torch
from torch import Tensor, nn

__all__ = ['LearnedSinusoidalEmbedding', 'TimeEmbedding']


class LearnedSinusoidalEmbedding(nn.Module):
    """``x -> [x, sin(2 pi x w), cos(2 pi x w)]`` with learned ``w``.

    Args:
        dim: number of sine plus cosine features; must be even.
    """

    def __init__(self, dim: int) -> None:
        super().__init__()
        if dim % 2:
            raise ValueError(f'dim must be even, got {dim}')
        self.weights = nn.Parameter(torch.randn(dim // 2))

    def forward(self, x: Tensor) -> Tensor:
        """Embed scalars.

        Args:
            x: (N,) values.

        Returns:
            Tensor: (N, dim + 1).
        """
        x = x.to(self.weights.dtype)[:, None]
        freqs = 2 * math.pi * x * self.weights[None, :]
        return torch.cat([x, freqs.sin(), freqs.cos()], dim=-1)


class TimeEmbedding(nn.Module):
    """Learned sinusoidal features, then Linear -> GELU -> Linear.

    Args:
        sinusoidal_dim: features of :class:`LearnedSinusoidalEmbedding`.
        embed_dims: output channels.
    """

    def __init__(self, sinusoidal_dim: int = 16, embed_dims: int = 1024) -> None:
        super().__init__()
        self.embed_dims = embed_dims
        self.sinusoidal = LearnedSinusoidalEmbedding(sinusoidal_dim)
        self.mlp = nn.Sequential(
            nn.Linear(sinusoidal_dim + 1, embed_dims),
            nn.GELU(),
            nn.Linear(embed_dims, embed_dims))

    def forward(self, log_snr: Tensor) -> Tensor:
        """Embed the noise level of each sample.

        Args:
            log_snr: (N,) log signal-to-noise ratio of each sample.

        Returns:
            Tensor: (N, embed_dims).
        """
        return self.mlp(self.sinusoidal(log_snr))
