"""Multi-stage merging neck of DDP (Ji et al., ICCV 2023).

Every input level is resized to the first (finest) level, the maps are
concatenated and one convolution + norm (+ activation) fuses them into a
single map for the diffusion decoder. It follows mmseg's FPN in DDP's
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
        resized = [x if x.shape[2:] == size else F.interpolate(
            x, size=size, mode='bilinear', align_corners=self.align_corners)
            for x in inputs]
        return (self.fuse(torch.cat(resized, dim=1)), )
