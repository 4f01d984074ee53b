"""Fusing one text embedding per image into a feature map.

DCCD (Hou et al. 2024, "Ingredient-guided multimodal self-distillation for food
image segmentation") adds the projected CLIP embedding of an image's
ingredient list to every pixel of the teacher's feature map ('add', the
paper's choice); its ablation concatenates the broadcast embedding and mixes
with a 1x1 convolution ('concat'). DCCD code, Apache-2.0.
"""
from typing import Optional

import torch
from mmengine.model import BaseModule
from mmseg.registry import MODELS
from torch import Tensor, nn

from dccd.utils.errors import InputError

__all__ = ['TextFusion']

MODES = ('add', 'concat')


@MODELS.register_module()
class TextFusion(BaseModule):
    """Condition a feature map on a per-image text embedding.

    ``proj`` maps the text embedding to ``channels``; 'add' returns
    ``x + proj(text)`` broadcast over the pixels, 'concat' returns
    ``conv1x1(cat([x, proj(text) broadcast]))`` (2C -> C channels).

    Args:
        text_dims (int): size D of the text embedding (768 for CLIP ViT-L/14).
        channels (int): channels C of the feature map.
        mode (str): 'add' or 'concat'.
        init_cfg (dict, optional): mmengine init config.
    """

    def __init__(self,
                 text_dims: int = 768,
                 channels: int = 256,
                 mode: str = 'add',
                 init_cfg: Optional[dict] = None) -> None:
        super().__init__(init_cfg=init_cfg)
        if mode not in MODES:
            raise InputError(f"TextFusion: mode must be one of {MODES}, got {mode!r}")
        self.text_dims, self.channels, self.mode = text_dims, channels, mode
        self.proj = nn.Linear(text_dims, channels)
        if mode == 'concat':
            self.fuse = nn.Conv2d(2 * channels, channels, kernel_size=1)

    def forward(self, x: Tensor, text: Tensor) -> Tensor:
        """Fuse ``text`` into ``x``.

        Args:
            x (Tensor): (N, C, H, W) feature map.
            text (Tensor): (N, D) text embeddings, one per image.

        Returns:
            Tensor: (N, C, H, W).
        """
        self._check_shapes(x, text)
        t = self.proj(text)[:, :, None, None]  # (N, C, 1, 1)
        if self.mode == 'add':
            return x + t
        return self.fuse(torch.cat([x, t.expand_as(x)], dim=1))

    def _check_shapes(self, x: Tensor, text: Tensor) -> None:
        if (x.dim() != 4 or text.dim() != 2 or x.shape[1] != self.channels
                or text.shape != (x.shape[0], self.text_dims)):
            raise ValueError(
                f'TextFusion expects x (N, {self.channels}, H, W) and text '
                f'(N, {self.text_dims}); got {tuple(x.shape)} and {tuple(text.shape)}')

    def extra_repr(self) -> str:
        return f'mode={self.mode!r}'
