"""ConvNeXt backbone from timm (Liu et al., CVPR 2022, "A ConvNet for the 2020s").

DDP (Ji et al., ICCV 2023) and DCCD use ConvNeXt-L with all four stages as
outputs, each followed by a channels-first LayerNorm (eps 1e-6), as
mmpretrain's ``ConvNeXt(gap_before_final_norm=False)`` does. The network
itself is timm's (Apache-2.0), built with ``timm.create_model``; only its
``stem`` and the ``stages`` up to the last output are kept, so the module's
parameter names are timm's and no parameter goes unused.

Pretrained weights come through mmengine's convention,
``init_cfg=dict(type='Pretrained', checkpoint=X)``, where ``X`` is a local
state-dict file or a timm pretrained tag such as ``'convnext_large.fb_in22k'``
(downloaded by timm, so online only). Written for DCCD (Apache-2.0).
"""
from typing import Dict, List, Sequence, Tuple

import timm
from mmengine.logging import print_log
from mmengine.model import BaseModule
from mmseg.registry import MODELS
from timm.layers import LayerNorm2d
from torch import Tensor, nn

from ...utils.errors import InputError, one_line_error
from ...utils.weights import (check_weights, convnext_from_published_layout,
                              fetch_timm_weights, locate_weights, pretrained_checkpoint,
                              read_weights, strip_prefix)

__all__ = ['TimmConvNeXt']

OFFLINE_HINT = ('to work offline, download the weights on a machine with '
                'internet and pass model.backbone.init_cfg.checkpoint='
                '/path/to/weights.safetensors (or .pth)')


@MODELS.register_module()
class TimmConvNeXt(BaseModule):
    """timm ConvNeXt returning normalised multi-stage features.

    Args:
        arch: timm model name, e.g. ``'convnext_large'`` or ``'convnext_atto'``.
        out_indices: stages (0-3) whose outputs are returned, in stage order.
        drop_path_rate: stochastic depth rate (DDP: 0.4 for ConvNeXt-L).
        with_cp: gradient (activation) checkpointing of the stages, trading
            compute for memory.
        norm_outputs: add a channels-first LayerNorm (eps 1e-6) on each output.
        init_cfg: None for timm's random init, or
            ``dict(type='Pretrained', checkpoint=X)`` (local file or timm tag).
        **timm_kwargs: passed on to ``timm.create_model``.
    """

    def __init__(self, arch: str = 'convnext_large',
                 out_indices: Sequence[int] = (0, 1, 2, 3),
                 drop_path_rate: float = 0.4, with_cp: bool = False,
                 norm_outputs: bool = True, init_cfg: dict = None,
                 **timm_kwargs) -> None:
        super().__init__(init_cfg=init_cfg)
        self.arch = arch
        model = self._create(arch, drop_path_rate=drop_path_rate, **timm_kwargs)
        num_stages = len(model.stages)
        self.out_indices = tuple(sorted(set(out_indices)))
        if not self.out_indices or any(
                i not in range(num_stages) for i in self.out_indices):
            raise InputError(f'TimmConvNeXt: out_indices {list(out_indices)} '
                             f'must be stage numbers in 0..{num_stages - 1}')
        model.set_grad_checkpointing(with_cp)
        self.with_cp = with_cp
        self.stem = model.stem
        self.stages = model.stages[:max(self.out_indices) + 1]
        self.out_channels: List[int] = [
            model.feature_info[i]['num_chs'] for i in self.out_indices]
        self.out_norms = nn.ModuleList(
            LayerNorm2d(channels, eps=1e-6) if norm_outputs else nn.Identity()
            for channels in self.out_channels)

    @staticmethod
    def _create(arch: str, **kwargs) -> nn.Module:
        try:
            return timm.create_model(arch, pretrained=False, num_classes=0,
                                     **kwargs)
        except RuntimeError as exc:  # timm's "Unknown model"
            raise InputError(f'TimmConvNeXt: cannot build arch {arch!r}: '
                             f'{type(exc).__name__}: {one_line_error(exc)}') from None

    def forward(self, x: Tensor) -> Tuple[Tensor, ...]:
        """Extract features.

        Args:
            x: (N, 3, H, W) images.

        Returns:
            tuple[Tensor]: per output stage i, (N, C_i, H / 2^(i+2), W / 2^(i+2)).
        """
        x = self.stem(x)
        outs = []
        for index, stage in enumerate(self.stages):
            x = stage(x)
            if index in self.out_indices:
                norm = self.out_norms[self.out_indices.index(index)]
                outs.append(norm(x))
        return tuple(outs)

    def init_weights(self) -> None:
        """Load ``init_cfg``'s pretrained weights, or keep timm's init."""
        checkpoint = pretrained_checkpoint(self.init_cfg)
        if checkpoint is None:
            super().init_weights()
            return
        path = locate_weights(checkpoint, 'pretrained weights')
        if path is None:
            state_dict = self._fetch(checkpoint)
        else:  # timm/HF, facebookresearch/ConvNeXt, open_clip or mmseg layout
            state_dict = strip_prefix(read_weights(path, 'pretrained weights')[0],
                                      'backbone.')
            state_dict = convnext_from_published_layout(state_dict, self, path)
        self._load(state_dict, checkpoint)
        self._is_init = True

    def _fetch(self, tag: str) -> Dict[str, Tensor]:
        """Weights of a timm pretrained tag such as 'convnext_large.fb_in22k'."""
        tag_arch = tag.split('.', 1)[0]
        if tag_arch != self.arch:
            raise InputError(f'pretrained tag {tag!r} is for {tag_arch!r}, '
                             f'but the backbone arch is {self.arch!r}')
        return fetch_timm_weights(tag, OFFLINE_HINT)

    def _load(self, state_dict: Dict[str, Tensor], source: str) -> None:
        own = self.state_dict()
        state_dict = {k: v for k, v in state_dict.items() if k in own}
        if not any(k.startswith(('stem.', 'stages.')) for k in state_dict):
            raise InputError(f'no {self.arch} weights found in {source} '
                             '(expected timm ConvNeXt keys such as stem.0.weight)')
        check_weights(state_dict, own, f'pretrained weights {source}', self.arch,
                      strict=False)
        missing, _ = self.load_state_dict(state_dict, strict=False)
        print_log(f'TimmConvNeXt: loaded {len(state_dict)} tensors from '
                  f'{source}; not in the checkpoint: {missing or "none"}',
                  logger='current')
