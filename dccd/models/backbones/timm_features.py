"""Any timm model as a multi-level feature backbone (``features_only``).

Written for DCCD (Apache-2.0) on mmsegmentation's ``TIMMBackbone``
(``mmseg/models/backbones/timm_backbone.py``, Apache-2.0), which builds the
timm model with ``features_only=True``. DCCD adds what small CPU runs and
offline machines need:

- ``out_indices`` picks the feature levels (timm's ``feature_info``); for
  ``efficientnet_lite0``, ``(1, 2, 3, 4)`` gives strides 4-32 with 24 / 40 /
  112 / 320 channels (timm's default adds stride 2);
- ``norm_eval`` keeps every BatchNorm in eval mode with its pretrained
  statistics (mmseg's convention), since CPU batches are too small to
  estimate them;
- ``frozen_modules`` freezes the named leading modules (e.g. the stem and the
  stride-2 blocks, as mmseg's ``frozen_stages``): their high-resolution
  backward pass, the dearest part of a CPU step, is then never run;
- ``channels_last`` runs the network in the channels-last memory layout
  (the same results: only the layout of the tensors changes), where
  oneDNN's CPU convolutions, depthwise ones above all, are faster (the
  FoodSeg103-mini backbone's forward + backward: about 25 % less time on the
  2-core CPU sandbox); the features come out in the usual layout;
- pretrained weights load in :meth:`TimmFeatures.init_weights`, the mmengine
  way (``init_cfg=dict(type='Pretrained', checkpoint=X)``: a local file in
  timm names, e.g. from ``tools/model_converters/efficientnet_lite.py``, or a
  timm pretrained tag fetched online), through :mod:`dccd.utils.weights`: a
  missing file or tag is one line saying how to get it, and at test time the
  DCCD checkpoint brings the weights, so no file is needed then.
"""
from typing import Dict, Optional, Sequence, Tuple

import torch
from mmengine.logging import print_log
from mmseg.models.backbones import TIMMBackbone
from mmseg.registry import MODELS
from torch import Tensor, nn

from ...utils.errors import InputError, did_you_mean, one_line_error
from ...utils.weights import (check_weights, fetch_timm_weights, locate_weights,
                              pretrained_checkpoint, read_weights, strip_prefix)

__all__ = ['TimmFeatures']


@MODELS.register_module()
class TimmFeatures(TIMMBackbone):
    """A timm model's feature levels, with frozen BN statistics if asked.

    Args:
        model_name (str): timm model name, e.g. 'efficientnet_lite0'.
        out_indices (Sequence[int], optional): feature levels (indices into
            timm's ``feature_info``); None for timm's default (all).
        norm_eval (bool): keep BatchNorm layers in eval mode in ``train()``.
        frozen_modules (Sequence[str]): names of ``timm_model`` submodules
            whose parameters are not trained (e.g. ``('conv_stem', 'bn1',
            'blocks.0')``); an unknown name is an InputError.
        channels_last (bool): run in the channels-last memory layout (same
            results, faster convolutions on a CPU). Default: False.
        missing_hint (str): appended to the message when a pretrained file
            is missing (e.g. the converter command that writes it).
        init_cfg (dict, optional): ``dict(type='Pretrained', checkpoint=X)``
            with a local file or a timm pretrained tag; None for random init.
        **timm_kwargs: passed to ``timm.create_model`` (e.g. ``drop_path_rate``).
    """

    def __init__(self, model_name: str, out_indices: Optional[Sequence[int]] = None,
                 norm_eval: bool = False, frozen_modules: Sequence[str] = (),
                 channels_last: bool = False, missing_hint: str = '',
                 init_cfg: Optional[dict] = None, **timm_kwargs) -> None:
        if out_indices is not None:
            timm_kwargs['out_indices'] = tuple(out_indices)
        try:
            super().__init__(model_name, features_only=True, pretrained=False,
                             init_cfg=init_cfg, **timm_kwargs)
        except (RuntimeError, IndexError, AssertionError) as exc:  # unknown model or level
            raise InputError(f'TimmFeatures: cannot build {model_name!r} with '
                             f'{timm_kwargs}: {one_line_error(exc)}') from None
        self.model_name = model_name
        self.norm_eval = norm_eval
        self.channels_last = channels_last
        self.missing_hint = missing_hint
        if channels_last:
            self.timm_model.to(memory_format=torch.channels_last)
        self.out_channels = list(self.timm_model.feature_info.channels())
        self.strides = list(self.timm_model.feature_info.reduction())
        self.frozen_modules = tuple(frozen_modules)
        modules = dict(self.timm_model.named_modules())
        for name in self.frozen_modules:
            if name not in modules:
                raise InputError(f'TimmFeatures: no module {name!r} in {model_name} to '
                                 f'freeze{did_you_mean(name, modules)}')
            for param in modules[name].parameters():
                param.requires_grad = False

    def forward(self, x: Tensor) -> Tuple[Tensor, ...]:
        """(N, 3, H, W) -> one (N, C_i, H / s_i, W / s_i) map per level
        (contiguous, whatever ``channels_last``)."""
        if not self.channels_last:
            return tuple(self.timm_model(x))
        features = self.timm_model(x.contiguous(memory_format=torch.channels_last))
        return tuple(f.contiguous() for f in features)

    def train(self, mode: bool = True) -> 'TimmFeatures':
        """Switch mode; with ``norm_eval`` every BatchNorm stays in eval mode."""
        super().train(mode)
        if mode and self.norm_eval:
            for module in self.modules():
                if isinstance(module, nn.modules.batchnorm._BatchNorm):
                    module.eval()
        return self

    def init_weights(self) -> None:
        """Load ``init_cfg``'s pretrained weights, or keep timm's init."""
        checkpoint = pretrained_checkpoint(self.init_cfg)
        if checkpoint is None:
            super().init_weights()
            return
        path = locate_weights(checkpoint, 'pretrained weights', self.missing_hint)
        if path is None:
            state_dict = fetch_timm_weights(
                checkpoint, 'to work offline, pass a local file as '
                'model.backbone.init_cfg.checkpoint')
        else:
            state_dict = strip_prefix(read_weights(path, 'pretrained weights')[0],
                                      'backbone.timm_model.')
        self._load(state_dict, checkpoint)
        self._is_init = True

    def _load(self, state_dict: Dict[str, Tensor], source: str) -> None:
        own = self.timm_model.state_dict()
        missing = [k for k in own if k not in state_dict]
        if missing:
            raise InputError(f'pretrained weights {source} lack {len(missing)} tensor(s) of '
                             f'{self.model_name}, e.g. {missing[:3]}')
        state_dict = {k: v for k, v in state_dict.items() if k in own}
        check_weights(state_dict, own, f'pretrained weights {source}', self.model_name)
        self.timm_model.load_state_dict(state_dict)
        print_log(f'TimmFeatures: loaded {len(state_dict)} tensors of {self.model_name} '
                  f'from {source}', logger='current')
