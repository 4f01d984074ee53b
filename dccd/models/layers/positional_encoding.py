"""2-D sine positional encoding (Carion et al., ECCV 2020, DETR, Sec. A.4).

The encoding of DETR / mmdet's ``SinePositionalEncoding`` for a map with no
padding (every pixel valid), as DDP's decoder config uses it
(``num_feats=128, normalize=True, offset=-0.5``). Written for DCCD
(Apache-2.0) from the paper's formula.
"""
import math
from typing import Optional

import torch
from torch import Tensor

__all__ = ['sine_positional_encoding']


def _encode_axis(coords: Tensor, num_feats: int, temperature: float) -> Tensor:
    """(L,) coordinates -> (L, num_feats): sin on even, cos on odd channels."""
    index = torch.arange(num_feats, dtype=coords.dtype, device=coords.device)
    dim_t = temperature ** (2 * torch.div(index, 2, rounding_mode='floor') / num_feats)
    angles = coords[:, None] / dim_t
    out = torch.empty_like(angles)
    out[:, 0::2] = angles[:, 0::2].sin()
    out[:, 1::2] = angles[:, 1::2].cos()
    return out


def _axis_coords(length: int, normalize: bool, scale: float, offset: float,
                 eps: float, device, dtype: torch.dtype) -> Tensor:
    """1-based positions, as the cumulative sum of an all-valid mask gives."""
    coords = torch.arange(1, length + 1, dtype=dtype, device=device)
    if normalize:
        coords = (coords + offset) / (length + eps) * scale
    return coords


def sine_positional_encoding(height: int, width: int, num_feats: int = 128,
                             temperature: float = 10000,
                             normalize: bool = True,
                             scale: float = 2 * math.pi, offset: float = -0.5,
                             eps: float = 1e-6,
                             device: Optional[torch.device] = None,
                             dtype: torch.dtype = torch.float32) -> Tensor:
    """DETR's sine encoding of an all-valid ``height x width`` map.

    Channel ``c < num_feats`` encodes the row ``y`` and channel
    ``num_feats + c`` the column ``x``: ``sin(pos / dim_t[c])`` for even ``c``
    and ``cos(pos / dim_t[c])`` for odd ``c``, with
    ``dim_t[c] = temperature ** (2 * (c // 2) / num_feats)``. With
    ``normalize``, ``pos = (i + 1 + offset) / (length + eps) * scale``.

    Args:
        height: H.
        width: W.
        num_feats: channels per axis; the output has twice as many.
        temperature: base of the frequency ladder.
        normalize: scale positions to ``[0, scale]``.
        scale: range of normalised positions.
        offset: added to the 1-based positions before normalising.
        eps: added to the length when normalising.
        device: device of the result.
        dtype: dtype of the result (computed in at least float32).

    Returns:
        Tensor: (1, 2 * num_feats, H, W).
    """
    compute = torch.promote_types(dtype, torch.float32)
    axes = [_encode_axis(_axis_coords(length, normalize, scale, offset, eps,
                                      device, compute), num_feats, temperature)
            for length in (height, width)]
    pos_y = axes[0].t()[:, :, None].expand(num_feats, height, width)
    pos_x = axes[1].t()[:, None, :].expand(num_feats, height, width)
    return torch.cat([pos_y, pos_x], dim=0)[None].to(dtype)
