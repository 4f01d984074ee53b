"""Parameters and FLOPs of a DCCD config, per part, for several DDIM step counts.

    python tools/analysis_tools/get_flops.py CONFIG [--shape H [W]]
        [--steps 1 3 10] [--branch student|teacher] [--out FILE.json]
        [--cfg-options KEY=VALUE ...]

At test time the image passes the backbone and the neck ONCE; the teacher
(``--branch teacher``) also encodes its ingredient prompt once (and caches
it per distinct list) and fuses it into the feature once; then the diffusion
decoder runs once PER DDIM STEP (``DeformableDiffusionHead.sample``). Each
part is traced separately with mmengine's ``FlopAnalyzer`` on one image of
``--shape`` (default: the config's ``data_preprocessor.size``, else 512x512),
the decoder through the head's own ``sample`` with each ``--steps``
value, so its count grows with the steps exactly as inference does. The
auxiliary head only trains and is not counted.

Convention (mmengine / fvcore): one fused multiply-add counts as one FLOP;
element-wise ops (activations, additions, softmax) are not counted, layer
norms, bilinear sampling and attention products are (see mmengine.analysis).
The tool lists the ops left out. The model is built from the config only, with random weights:
no checkpoint and no download are needed.

Written for DCCD (Apache-2.0).
"""
import argparse
import json
import os
import os.path as osp
import warnings
from collections import Counter
from typing import Callable, Dict, List, Optional, Tuple

import numpy as np
import torch
from mmengine.analysis import FlopAnalyzer
from mmengine.analysis.jit_handles import get_shape
from mmengine.config import DictAction
from mmengine.registry import init_default_scope
from mmseg.registry import MODELS
from torch import nn

import dccd  # noqa: F401  (registers DCCD modules, applies dccd.compat)
from dccd.models.segmentors import SelfDistillSegmentor
from dccd.utils import ArgumentParser, InputError, exit_on_input_error, load_config
from dccd.utils.atomic_io import write_json_atomic

DEFAULT_SHAPE = (512, 512)
BRANCHES = ('student', 'teacher')


def parse_args(argv=None) -> argparse.Namespace:
    parser = ArgumentParser(
        description='Parameters and FLOPs of a DCCD config per part and DDIM steps')
    parser.add_argument('config', help='config file path')
    parser.add_argument('--shape', type=int, nargs='+',
                        help='input H [W] (default: data_preprocessor.size)')
    parser.add_argument('--steps', type=int, nargs='+', default=[1, 3, 10],
                        help='DDIM step counts to report')
    parser.add_argument('--branch', choices=BRANCHES,
                        help="branch to count (default: the config's test branch)")
    parser.add_argument('--out', help='also write the numbers to this JSON file')
    parser.add_argument(
        '--cfg-options', nargs='+', action=DictAction,
        help='override settings of the config; every key must already exist')
    return parser.parse_args(argv)


class TracedCall(nn.Module):
    """``fn(*inputs)`` as a module that owns ``owner``, so the tracer sees
    ``owner``'s submodules (their names appear in per-module counts)."""

    def __init__(self, owner: nn.Module, fn: Callable) -> None:
        super().__init__()
        self.owner = owner
        self.fn = fn

    def forward(self, *inputs):
        return self.fn(*inputs)


def attention_flops(inputs: list, outputs: list) -> int:
    """``aten::scaled_dot_product_attention`` (open_clip's text tower): the
    two matrix products, (B, H, L, E) @ (B, H, E, S) and (B, H, L, S) @
    (B, H, S, Ev), in multiply-adds."""
    query, key, value = (get_shape(v) for v in inputs[:3])
    batch_heads = int(np.prod(query[:-2]))
    length, dims, source = query[-2], query[-1], key[-2]
    return batch_heads * length * source * (dims + value[-1])


def count_flops(module: nn.Module, inputs: tuple) -> dict:
    """FLOPs of ``module(*inputs)``: total, per operator, ops not counted."""
    analyzer = FlopAnalyzer(module, inputs)
    analyzer.set_op_handle('aten::scaled_dot_product_attention', attention_flops)
    analyzer.unsupported_ops_warnings(False)
    analyzer.uncalled_modules_warnings(False)
    analyzer.tracer_warnings('none')
    with warnings.catch_warnings():
        warnings.simplefilter('ignore')  # tracer warnings of data-dependent code
        total = int(analyzer.total())
        by_operator = {k: int(v) for k, v in analyzer.by_operator().items()}
        unsupported = {k: int(v) for k, v in analyzer.unsupported_ops().items()}
    return dict(flops=total, by_operator=by_operator, not_counted=unsupported)


def input_shape(cfg, shape: Optional[List[int]]) -> Tuple[int, int]:
    """(H, W) from ``--shape`` or the config's ``data_preprocessor.size``."""
    if shape:
        if len(shape) > 2 or min(shape) < 1:
            raise InputError(f'--shape takes H or H W (positive), got {shape}')
        return (shape[0], shape[-1])
    size = (cfg.model.get('data_preprocessor') or {}).get('size')
    return tuple(size) if size else DEFAULT_SHAPE


def build_model(cfg, branch: Optional[str]) -> nn.Module:
    """The segmentor from the config (random weights), in eval mode."""
    model_cfg = cfg.model.copy()
    if branch is not None:
        test_cfg = dict(model_cfg.get('test_cfg') or {})
        test_cfg['branch'] = branch
        model_cfg['test_cfg'] = test_cfg
    try:
        model = MODELS.build(model_cfg)
    except InputError:
        raise
    except ValueError as exc:  # e.g. the teacher of an image-only model
        raise InputError(f'cannot build the model: {exc}') from exc
    if not isinstance(model, SelfDistillSegmentor):
        raise InputError(f'{type(model).__name__} is not a DCCD diffusion segmentor '
                         '(SelfDistillSegmentor); use mmseg\'s get_flops for it')
    return model.eval()


def example_prompt_tokens(model) -> torch.Tensor:
    """Tokens of a typical prompt (three class names); the text tower's cost
    does not depend on the words (fixed context length)."""
    names = [n for n in model.class_names if n.lower() != 'background'][:3]
    encoder = model.text_encoder
    return encoder.tokenizer([encoder.build_prompt(names)])


def analyse(model, shape: Tuple[int, int], steps: List[int]) -> dict:
    """Parameters and FLOPs of every part; see the module docstring."""
    branch = model.test_cfg.branch
    params = model.parameter_counts()
    image = torch.rand(1, 3, *shape)
    parts: Dict[str, dict] = {}
    with torch.no_grad():
        feats = model.backbone(image)
        parts['backbone'] = dict(runs='once', **count_flops(model.backbone, (image, )))
        if model.with_neck:
            parts['neck'] = dict(runs='once', **count_flops(model.neck, (feats, )))
            feats = model.neck(feats)
        feature = feats[0]
        if model.text_encoder is not None:
            if branch == 'teacher':
                encoder = model.text_encoder
                tokens = example_prompt_tokens(model)
                parts['text_encoder'] = dict(
                    runs='once per image (cached per distinct list)',
                    **count_flops(TracedCall(encoder, encoder.tower), (tokens, )))
                text = encoder.tower(tokens).to(feature.dtype)
                parts['text_fusion'] = dict(
                    runs='once', **count_flops(model.text_fusion, (feature, text)))
                feature = model.text_fusion(feature, text)
            else:
                parts['text_encoder'] = dict(runs='not run (student)')
                parts['text_fusion'] = dict(runs='not run (student)')
        metas = [dict()]
        decoder = dict(runs='once per DDIM step', flops_by_steps={},
                       by_operator_by_steps={}, not_counted={})
        for count in steps:
            sampler = TracedCall(
                model, lambda x, count=count: model.decode_head.sample([x], metas, count))
            result = count_flops(sampler, (feature, ))
            decoder['flops_by_steps'][count] = result['flops']
            decoder['by_operator_by_steps'][count] = result['by_operator']
            decoder['not_counted'] = result['not_counted']
        parts['decode_head'] = decoder
        if model.with_auxiliary_head:
            parts['auxiliary_head'] = dict(runs='training only')
    for name, part in parts.items():
        part['params'] = params.get(name, 0)
    total = {count: sum(p.get('flops', 0) for p in parts.values()) +
             parts['decode_head']['flops_by_steps'][count] for count in steps}
    not_counted = Counter()
    for part in parts.values():
        not_counted.update(part.get('not_counted', {}))
    return dict(branch=branch, input_shape=[1, 3, *shape], parts=parts,
                total=dict(params=sum(params.values()), flops_by_steps=total),
                not_counted=dict(not_counted),
                convention='1 FLOP = 1 multiply-add (mmengine FlopAnalyzer)')


def human(number: Optional[float], unit: str = '') -> str:
    """1234567 -> '1.23 M'."""
    if number is None:
        return '-'
    for scale, prefix in ((1e12, 'T'), (1e9, 'G'), (1e6, 'M'), (1e3, 'K')):
        if abs(number) >= scale:
            return f'{number / scale:.2f} {prefix}{unit}'
    return f'{number:.0f} {unit}'.strip()


def markdown(report: dict, steps: List[int]) -> str:
    """The per-part table, one FLOPs column per step count."""
    header = '| part | params | runs | ' + ' | '.join(
        f'FLOPs, {s} step{"s" if s > 1 else ""}' for s in steps) + ' |'
    lines = [header, '|---|---:|---|' + '---:|' * len(steps)]
    for name, part in report['parts'].items():
        if 'flops_by_steps' in part:
            cells = [human(part['flops_by_steps'][s]) for s in steps]
        else:
            cells = [human(part.get('flops'))] * len(steps)
        lines.append(f'| {name} | {human(part["params"])} | {part["runs"]} | '
                     + ' | '.join(cells) + ' |')
    total = report['total']
    lines.append(f'| **total** | {human(total["params"])} | | ' + ' | '.join(
        human(total['flops_by_steps'][s]) for s in steps) + ' |')
    return '\n'.join(lines)


@exit_on_input_error
def main(argv=None) -> None:
    args = parse_args(argv)
    if min(args.steps) < 1:
        raise InputError(f'--steps must be >= 1, got {args.steps}')
    steps = sorted(set(args.steps))
    cfg = load_config(args.config, args.cfg_options)
    init_default_scope(cfg.get('default_scope', 'mmseg'))
    shape = input_shape(cfg, args.shape)
    model = build_model(cfg, args.branch)
    report = analyse(model, shape, steps)
    report['config'] = args.config
    print(f'{args.config}: {report["branch"]} branch, input {tuple(report["input_shape"])}, '
          f'{report["convention"]}')
    print(markdown(report, steps))
    if report['not_counted']:
        print('ops not counted: ' + ', '.join(sorted(report['not_counted'])))
    if args.out:
        os.makedirs(osp.dirname(osp.abspath(args.out)), exist_ok=True)
        write_json_atomic(args.out, json.loads(json.dumps(report)))
        print(f'wrote {args.out}')


if __name__ == '__main__':
    main()
