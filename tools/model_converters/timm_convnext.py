"""Turn timm ConvNeXt weights into a local file DCCD's backbone loads offline.

    python tools/model_converters/timm_convnext.py SRC DST [--arch ARCH]

SRC is a timm pretrained tag such as ``convnext_large.fb_in22k`` (downloaded
by timm from the Hugging Face hub, so run it where there is internet; its
arch is the part before the dot), or a local weights file: timm / Hugging
Face format (``model.safetensors``, ``pytorch_model.bin``), the original
facebookresearch/ConvNeXt ``.pth`` or an open_clip ConvNeXt tower, bare or
wrapped as ``{'state_dict' / 'model': ...}`` (then ``--arch`` is required).

DST receives ``{'meta': {...}, 'state_dict': {...}}`` holding only the
``stem.*`` and ``stages.*`` tensors of :class:`~dccd.models.backbones.TimmConvNeXt`
(no classifier head), written atomically. A config then loads it with no hub
access::

    --cfg-options model.backbone.init_cfg.type=Pretrained \\
        model.backbone.init_cfg.checkpoint=DST

Reading, layout conversion and every check are the backbone's own
(``TimmConvNeXt.init_weights``), so what the converter accepts the backbone
accepts too. The CLIP text tower has its own converter,
``tools/model_converters/clip_text_tower.py``. On a machine without internet
set ``HF_HUB_OFFLINE=1`` so that a tag fails at once instead of after the
hub's retries.

ConvNeXt: Liu et al., CVPR 2022; weights and network from timm (Apache-2.0).
DCCD code, Apache-2.0.
"""
import argparse
import os
import os.path as osp

import torch
from mmengine.logging import print_log

import dccd  # noqa: F401  (registers DCCD modules, applies dccd.compat)
from dccd.models.backbones import TimmConvNeXt
from dccd.utils import ArgumentParser, InputError, exit_on_input_error
from dccd.utils.atomic_io import save_torch_atomic

FORMAT = 'dccd-timm-convnext'
BACKBONE_PREFIXES = ('stem.', 'stages.')


def parse_args(argv=None) -> argparse.Namespace:
    parser = ArgumentParser(
        description='Write timm ConvNeXt weights to a file the DCCD configs load offline')
    parser.add_argument('src', help="timm pretrained tag ('convnext_large.fb_in22k') "
                        'or a local weights file')
    parser.add_argument('dst', help='output file (.pth)')
    parser.add_argument('--arch', help='timm arch, e.g. convnext_large (default: '
                        'from the tag; required for a file)')
    return parser.parse_args(argv)


def arch_of(src: str, arch: str = None) -> str:
    """The timm arch: ``--arch``, else the part of a tag before the dot."""
    if arch:
        return arch
    if osp.exists(src) or '/' in src or os.sep in src:
        raise InputError(f'{src}: a weights file needs --arch (e.g. convnext_large)')
    return src.split('.', 1)[0]


def quiet_hub() -> None:
    """Hide the hub's per-retry warnings so a failure stays one line."""
    try:
        from huggingface_hub.utils import logging as hub_logging
    except ImportError:  # timm without the hub: nothing to quiet
        return
    hub_logging.set_verbosity_error()


@exit_on_input_error
def main(argv=None) -> None:
    args = parse_args(argv)
    arch = arch_of(args.src, args.arch)
    quiet_hub()
    backbone = TimmConvNeXt(arch=arch, drop_path_rate=0.0,
                            init_cfg=dict(type='Pretrained', checkpoint=args.src))
    own = {k: v for k, v in backbone.state_dict().items()
           if k.startswith(BACKBONE_PREFIXES)}
    with torch.no_grad():  # NaN marks what the source does not provide
        for value in own.values():
            if value.is_floating_point():
                value.fill_(float('nan'))
    backbone.init_weights()  # reads, converts and checks SRC (InputError)
    missing = [k for k, v in own.items()
               if v.is_floating_point() and torch.isnan(v).any()]
    if missing:
        raise InputError(f'{args.src} lacks {len(missing)} {arch} tensor(s), '
                         f'e.g. {missing[:3]}: not a complete {arch} checkpoint')
    state_dict = {k: v.detach().clone().contiguous() for k, v in own.items()}
    meta = dict(format=FORMAT, arch=arch, source=args.src, timm_version=_timm_version())
    save_torch_atomic(dict(meta=meta, state_dict=state_dict), args.dst)
    params = sum(v.numel() for v in state_dict.values())
    print_log(f'wrote {len(state_dict)} tensors ({params:,} parameters) of {arch} '
              f'to {args.dst}; use model.backbone.init_cfg.checkpoint={args.dst}',
              logger='current')


def _timm_version() -> str:
    import timm
    return timm.__version__


if __name__ == '__main__':
    main()
