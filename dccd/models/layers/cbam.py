"""Convolutional Block Attention Module (Woo et al., ECCV 2018, CBAM, Eq. 1-3).

Channel attention (a shared MLP on the average- and max-pooled descriptors,
summed, sigmoid) followed by spatial attention (a ``k x k`` convolution of the
channel-wise mean and max maps, sigmoid). DCCD puts it at the end of the neck:
``neck=[dict(type='MultiStageMerging', ...), dict(type='CBAM', in_channels=256)]``.
Written for DCCD (Apache-2.0) from the paper.
"""
from typing import Optional, Sequence, Tuple, Union

import torch
from mmengine.model import BaseModule
from mmseg.registry import MODELS
from torch import Tensor, nn

__all__ = ['CBAM']


class _ChannelGate(nn.Module):
    """Eq. 2: ``sigmoid(MLP(avgpool(x)) + MLP(maxpool(x)))``, (N, C, 1, 1)."""

    def __init__(self, channels: int, reduction: int) -> None:
        super().__init__()
        hidden = max(channels // reduction, 1)
        # no biases: the MLP is applied twice and summed
        self.mlp = nn.Sequential(
            nn.Conv2d(channels, hidden, 1, bias=False),
            nn.ReLU(inplace=True),
            nn.Conv2d(hidden, channels, 1, bias=False))

    def forward(self, x: Tensor) -> Tensor:
        avg = self.mlp(x.mean(dim=(2, 3), keepdim=True))
        peak = self.mlp(x.amax(dim=(2, 3), keepdim=True))
        return torch.sigmoid(avg + peak)


class _SpatialGate(nn.Module):
    """Eq. 3: ``sigmoid(conv([mean_c(x); max_c(x)]))``, (N, 1, H, W)."""

    def __init__(self, kernel_size: int) -> None:
        super().__init__()
        self.conv = nn.Conv2d(2, 1, kernel_size, padding=kernel_size // 2)

    def forward(self, x: Tensor) -> Tensor:
        pooled = torch.cat([x.mean(dim=1, keepdim=True),
                            x.amax(dim=1, keepdim=True)], dim=1)
        return torch.sigmoid(self.conv(pooled))


@MODELS.register_module()
class CBAM(BaseModule):
    """Channel then spatial attention (Eq. 1), on one map or on each of several.

    Args:
        in_channels: C of the input maps.
        reduction: channel reduction ratio r of the MLP (hidden ``C // r``,
            at least 1).
        spatial_kernel: odd kernel size k of the spatial convolution.
        init_cfg: mmengine initialisation config.
    """

    def __init__(self, in_channels: int, reduction: int = 16,
                 spatial_kernel: int = 7,
                 init_cfg: Optional[dict] = None) -> None:
        super().__init__(init_cfg=init_cfg)
        if spatial_kernel % 2 == 0:
            raise ValueError(f'spatial_kernel must be odd, got {spatial_kernel}')
        self.in_channels = in_channels
        self.channel_gate = _ChannelGate(in_channels, reduction)
        self.spatial_gate = _SpatialGate(spatial_kernel)

    def _attend(self, x: Tensor) -> Tensor:
        x = x * self.channel_gate(x)
        return x * self.spatial_gate(x)

    def forward(
        self, inputs: Union[Tensor, Sequence[Tensor]]
    ) -> Union[Tensor, Tuple[Tensor, ...]]:
        """Refine features.

        Args:
            inputs: (N, C, H, W), or a tuple/list of such maps (a neck's
                output), each refined independently.

        Returns:
            Tensor (N, C, H, W) for a tensor input, else a tuple of them.
        """
        if isinstance(inputs, Tensor):
            return self._attend(inputs)
        return tuple(self._attend(x) for x in inputs)
