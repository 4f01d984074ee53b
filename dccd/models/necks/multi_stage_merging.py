"""Multi-stage merging neck of DDP (Ji et al., ICCV 2023).

Every input level is resized to the first (finest) level, the maps are
concatenated and one convolution + norm (+ activation) fuses them into a
single map for the diffusion decoder. With DDP's 1x1 fusing convolution the
same map is computed more cheaply: a 1x1 convolution and bilinear resizing
are both linear maps that commute (the resizing weights of a pixel sum to
1, so the bias passes through), so each level is convolved with its slice of
the weight at its own resolution and the results are resized and summed;
the concatenated maps are never built. It follows mmseg's FPN in DDP's
baseline (``in_channels=[256] * 4``) or, in DCCD's "DDP-FPN" variant, replaces
it and merges the backbone stages directly (``in_channels=[192, 384, 768, 1536]``
for ConvNeXt-L). Written for DCCD (Apache-2.0) after DDP's description.
"""
from typing import List, Optional, Sequence, Tuple

import torch
import torch.nn.functional as F
from mmcv.cnn import ConvModule
from mmengine.model import BaseModule
from mmseg.registry import MODELS
from torch import Tensor

__all__ = ['MultiStageMerging']


@MODELS.register_module()
class MultiStageMerging(BaseModule):
    """Resize all levels to the first, concatenate, fuse with one ConvModule.

    Args:
        in_channels: channels of each input level.
        out_channels: channels of the merged map.
        kernel_size: kernel of the fusing convolution (padded to keep the size;
            DDP uses 1).
        norm_cfg: norm after the convolution (DDP: GroupNorm, 32 groups).
        act_cfg: activation after the norm; None (DDP) for none.
        align_corners: ``align_corners`` of the bilinear resizing.
        init_cfg: mmengine initialisation config.
    """

    def __init__(self, in_channels: List[int], out_channels: int = 256,
                 kernel_size: int = 1,
                 norm_cfg: Optional[dict] = dict(type='GN', num_groups=32),
                 act_cfg: Optional[dict] = None, align_corners: bool = False,
                 init_cfg: Optional[dict] = None) -> None:
        super().__init__(init_cfg=init_cfg)
        if not isinstance(in_channels, (list, tuple)) or not in_channels:
            raise ValueError('in_channels must be a non-empty list, '
                             f'got {in_channels!r}')
        self.in_channels = list(in_channels)
        self.out_channels = out_channels
        self.align_corners = align_corners
        self.fuse = ConvModule(sum(self.in_channels), out_channels, kernel_size,
                               padding=kernel_size // 2, norm_cfg=norm_cfg,
                               act_cfg=act_cfg)

    def forward(self, inputs: Sequence[Tensor]) -> Tuple[Tensor]:
        """Merge the levels.

        Args:
            inputs: one (N, C_i, H_i, W_i) map per entry of ``in_channels``.

        Returns:
            tuple[Tensor]: one map (N, out_channels, H_0, W_0).
        """
        if len(inputs) != len(self.in_channels):
            raise ValueError(f'expected {len(self.in_channels)} input levels, '
                             f'got {len(inputs)}')
        size = inputs[0].shape[2:]
        if self.fuse.conv.kernel_size == (1, 1):
            return (self._fuse_per_level(inputs, size), )
        resized = [self._resize(x, size) for x in inputs]
        return (self.fuse(torch.cat(resized, dim=1)), )

    def _resize(self, x: Tensor, size) -> Tensor:
        if x.shape[2:] == size:
            return x
        return F.interpolate(x, size=size, mode='bilinear', align_corners=self.align_corners)

    def _fuse_per_level(self, inputs: Sequence[Tensor], size) -> Tensor:
        """``self.fuse(cat(resized inputs))`` for a 1x1 ``fuse.conv``,
        convolving each level before resizing it: (N, out_channels, *size)."""
        conv = self.fuse.conv
        weights = conv.weight.split(self.in_channels, dim=1)
        merged = sum(self._resize(F.conv2d(x, w), size) for x, w in zip(inputs, weights))
        if conv.bias is not None:
            merged = merged + conv.bias.view(1, -1, 1, 1)
        if self.fuse.with_norm:
            merged = self.fuse.norm(merged)
        if self.fuse.with_activation:
            merged = self.fuse.activate(merged)
        return merged
