"""DDP's map-diffusion decoder as an mmsegmentation decode head.

From DDP (Ji et al., ICCV 2023, "DDP: Diffusion model for dense visual
prediction", Sec. 3 and Fig. 2; Apache-2.0 code at JiYuanFeng/DDP), written
anew for mmsegmentation 1.x:

* the ground-truth map is embedded per class and squashed to a small range,
  ``(sigmoid(e) * 2 - 1) * bit_scale`` (Analog Bits, Chen et al. 2022);
* the noisy map is concatenated with the image feature and merged by a 1x1
  conv (512 -> 256 channels);
* six deformable-attention encoder layers (Deformable DETR, Zhu et al. 2021),
  post-norm, each followed by a scale-and-shift from the time embedding of the
  noise level (the log-SNR, not t);
* a per-pixel classifier (``cls_seg``).

The segmentor draws the noise level and runs the DDIM loop; this head maps
``(feature, noisy map, log-SNR)`` to class logits.
"""
from typing import List, Sequence, Tuple

import torch
import torch.nn as nn
import torch.utils.checkpoint as cp
from mmcv.cnn import ConvModule
from mmcv.cnn.bricks.transformer import FFN
from mmseg.models.decode_heads.decode_head import BaseDecodeHead
from mmseg.registry import MODELS
from mmseg.utils import ConfigType, SampleList
from torch import Tensor

from ..layers.deformable_attention import MSDeformAttn
from ..layers.positional_encoding import sine_positional_encoding
from ..layers.time_embedding import TimeEmbedding

__all__ = ['DeformableDiffusionHead']


def reference_points(height: int, width: int, device: torch.device) -> Tensor:
    """Pixel centres of an (H, W) map in [0, 1] as (1, H*W, 1, 2) xy pairs."""
    ys = (torch.arange(height, device=device, dtype=torch.float32) + 0.5) / height
    xs = (torch.arange(width, device=device, dtype=torch.float32) + 0.5) / width
    grid_y, grid_x = torch.meshgrid(ys, xs, indexing='ij')
    return torch.stack((grid_x, grid_y), -1).reshape(1, -1, 1, 2)


class TimeConditionedLayer(nn.Module):
    """Deformable self-attention -> LN -> FFN -> LN, then time scale/shift.

    The modulation is DDP's: ``x * (1 + scale) + shift`` with
    ``(scale, shift) = Linear(SiLU(time))``, applied after the post-norm.

    Args:
        embed_dims (int): Channels C.
        num_heads (int): Attention heads.
        num_points (int): Sampling points per head.
        ffn_channels (int): Hidden width of the FFN.
        time_dims (int): Width of the time embedding.
    """

    def __init__(self, embed_dims: int, num_heads: int, num_points: int,
                 ffn_channels: int, time_dims: int):
        super().__init__()
        self.attn = MSDeformAttn(embed_dims, num_heads, num_levels=1,
                                 num_points=num_points)
        self.norm1 = nn.LayerNorm(embed_dims)
        self.ffn = FFN(embed_dims, ffn_channels, act_cfg=dict(type='GELU'))
        self.norm2 = nn.LayerNorm(embed_dims)
        self.time_mlp = nn.Sequential(nn.SiLU(), nn.Linear(time_dims, embed_dims * 2))

    def forward(self, x: Tensor, pos: Tensor, ref: Tensor, shapes: Tensor,
                starts: Tensor, time: Tensor) -> Tensor:
        """x, pos: (N, L, C); ref: (N, L, 1, 2); time: (N, T) -> (N, L, C)."""
        x = self.norm1(self.attn(x, x, ref, shapes, starts, query_pos=pos))
        x = self.norm2(self.ffn(x))
        scale, shift = self.time_mlp(time).unsqueeze(1).chunk(2, dim=-1)
        return x * (scale + 1) + shift


@MODELS.register_module()
class DeformableDiffusionHead(BaseDecodeHead):
    """DDP's time-conditioned deformable-attention decoder.

    Args:
        num_layers (int): Encoder layers. Default: 6 (DDP).
        num_heads (int): Attention heads. Default: 8.
        num_points (int): Sampling points per head. Default: 4.
        ffn_channels (int): FFN hidden width. Default: 1024.
        bit_scale (float): Range of the embedded map. Default: 0.01 (DDP's
            ConvNeXt configs).
        sinusoidal_dim (int): Learned sinusoidal time features. Default: 16.
        with_cp (bool): Activation checkpointing of each layer (saves memory,
            costs one more forward). Default: False.
        **kwargs: :class:`BaseDecodeHead` arguments (``in_channels``,
            ``channels``, ``num_classes``, ``ignore_index``, ``loss_decode``...).
            ``in_channels`` is the image feature width; the noisy map has
            ``channels`` channels.
    """

    def __init__(self, num_layers: int = 6, num_heads: int = 8, num_points: int = 4,
                 ffn_channels: int = 1024, bit_scale: float = 0.01,
                 sinusoidal_dim: int = 16, with_cp: bool = False, **kwargs):
        super().__init__(**kwargs)
        if self.channels % 2:
            raise ValueError(f'channels must be even for the sine positional '
                             f'encoding, got {self.channels}')
        self.bit_scale = bit_scale
        self.with_cp = with_cp
        # one extra row for ignored pixels (ignore_index)
        self.label_embedding = nn.Embedding(self.num_classes + 1, self.channels)
        self.fuse_noisy_map = ConvModule(
            self.in_channels + self.channels, self.channels, 1,
            conv_cfg=self.conv_cfg, norm_cfg=None, act_cfg=None)
        time_dims = self.channels * 4
        self.time_embedding = TimeEmbedding(sinusoidal_dim, time_dims)
        self.layers = nn.ModuleList(
            TimeConditionedLayer(self.channels, num_heads, num_points,
                                 ffn_channels, time_dims)
            for _ in range(num_layers))

    def init_weights(self) -> None:
        """DDP's init: Xavier for the layers' matrices, then the deformable
        attention's own init; ``conv_seg`` follows ``init_cfg``."""
        super().init_weights()
        for param in self.layers.parameters():
            if param.dim() > 1:
                nn.init.xavier_uniform_(param)
        for layer in self.layers:
            layer.attn._reset_parameters()

    def embed_labels(self, labels: Tensor) -> Tensor:
        """Embed a class map: (N, H, W) long -> (N, channels, H, W) in
        [-bit_scale, bit_scale]; ``ignore_index`` uses the extra row."""
        labels = torch.where(labels == self.ignore_index,
                             torch.full_like(labels, self.num_classes), labels)
        emb = self.label_embedding(labels).permute(0, 3, 1, 2)
        return (torch.sigmoid(emb) * 2 - 1) * self.bit_scale

    def _forward_feature(self, x: Tensor, time: Tensor) -> Tensor:
        """Run the encoder layers on (N, C, H, W) with time (N, T)."""
        n, c, h, w = x.shape
        query = x.flatten(2).transpose(1, 2)
        pos = sine_positional_encoding(h, w, c // 2, device=x.device, dtype=x.dtype)
        pos = pos.flatten(2).transpose(1, 2).expand(n, -1, -1)
        ref = reference_points(h, w, x.device).expand(n, -1, -1, -1)
        shapes = torch.tensor([[h, w]], device=x.device, dtype=torch.long)
        starts = shapes.new_zeros(1)
        for layer in self.layers:
            if self.with_cp and query.requires_grad:
                query = cp.checkpoint(layer, query, pos, ref, shapes, starts, time,
                                      use_reentrant=False)
            else:
                query = layer(query, pos, ref, shapes, starts, time)
        return query.transpose(1, 2).reshape(n, c, h, w)

    def forward(self, inputs: Sequence[Tensor], noisy_map: Tensor,
                log_snr: Tensor) -> Tensor:
        """Class logits for one denoising step.

        Args:
            inputs (Sequence[Tensor]): Image features; the one at ``in_index``
                is (N, in_channels, H, W).
            noisy_map (Tensor): The noised embedded map, (N, channels, H, W).
            log_snr (Tensor): Noise level of each sample, (N,).

        Returns:
            Tensor: Logits (N, num_classes, H, W).
        """
        x = self._transform_inputs(inputs)
        x = self.fuse_noisy_map(torch.cat([x, noisy_map], dim=1))
        x = self._forward_feature(x, self.time_embedding(log_snr))
        return self.cls_seg(x)

    def loss(self, inputs: Tuple[Tensor], batch_data_samples: SampleList,
             train_cfg: ConfigType, noisy_map: Tensor, log_snr: Tensor) -> dict:
        """CE loss (and accuracy) of one denoising step."""
        seg_logits = self.forward(inputs, noisy_map, log_snr)
        return self.loss_by_feat(seg_logits, batch_data_samples)

    def predict(self, inputs: Tuple[Tensor], batch_img_metas: List[dict],
                test_cfg: ConfigType, noisy_map: Tensor, log_snr: Tensor) -> Tensor:
        """Logits of one denoising step, resized to the input images."""
        seg_logits = self.forward(inputs, noisy_map, log_snr)
        return self.predict_by_feat(seg_logits, batch_img_metas)
