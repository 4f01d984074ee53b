"""One call on a GPU machine: the stack, the deformable attention, the benchmark, 30 steps.

    bash tools/gpu_check.sh [--out FILE.json] [--device cuda|cpu] [--micro]
        [--config CONFIG] [--train-iters N]

Written for DCCD (Apache-2.0) for a first session on a GPU (issue 20): no
network, no datasets (random weights, synthetic batches), one JSON with
everything, about 3 minutes on one H100 (at most 8):

1. **stack**: Python, torch, CUDA, cuDNN, the GPU and its bf16 support, the
   OpenMMLab versions, whether mmcv's compiled ops load (and from which file)
   and whether its deformable-attention kernel runs on the device, TF32.
2. **attention**: one deformable-attention call at the full config's size
   (2 x 128x256 queries, 256 channels, 8 heads, 4 points): forward and
   gradients of mmcv's kernel (where it runs) and of the recomputing
   pure-PyTorch op against the plain pure-PyTorch op (max abs difference), the
   time of forward + backward of each, and the bytes kept for backward by one
   call and one decoder layer (``tools/benchmark.py --attn-memory``).
3. **benchmark**: ``tools/benchmark.py``'s train step and 1/3/10-step
   inference of the config at 512x1024, batch 2, in fp32 (TF32 on) and bf16
   (no loss scaler), with peak memory.
4. **train**: ``--train-iters`` (30) training steps of the config with
   ``--amp``'s precision on new synthetic 512x1024 batches each step; every
   loss must be finite.

``--micro`` runs the same at toy size (``configs/toy/toy_dccd.py``, 64x64,
an 8x16 attention grid, 3 steps), for CI on a CPU (``--device cpu``). The
exit code is 1 when a section failed or a loss was not finite (the JSON says
which); a table of the main numbers is printed last.
"""
import copy
import os.path as osp
import platform
import sys
import time
import traceback
from types import SimpleNamespace
from typing import Callable, List

import torch
from mmengine.model import revert_sync_batchnorm
from mmengine.registry import init_default_scope
from mmseg.registry import MODELS

import benchmark  # tools/benchmark.py, next to this file
import dccd
from dccd import compat
from dccd.engine import amp_dtype, apply_tf32, tf32_from_cfg
from dccd.models.layers.deformable_attention import (mmcv_deformable_attn,
                                                      multi_scale_deformable_attn,
                                                      shape_tensors)
from dccd.utils import ArgumentParser, load_config
from dccd.utils.results import write_result

FULL = dict(config='configs/foodseg103_dccd.py', size=(512, 1024), batch=2, iters=10, warmup=3,
            steps=[1, 3, 10], grid=(128, 256), train_iters=30)
MICRO = dict(config='configs/toy/toy_dccd.py', size=(64, 64), batch=2, iters=1, warmup=1,
             steps=[1, 3, 10], grid=(8, 16), train_iters=3)
ROOT = osp.dirname(osp.dirname(osp.abspath(__file__)))


def parse_args(argv=None):
    parser = ArgumentParser(description='One-call GPU check of DCCD (one JSON)')
    parser.add_argument('--out', default='work_dirs/gpu_check.json', help='the JSON to write')
    parser.add_argument('--device', default='cuda', help="'cuda' (default) or 'cpu'")
    parser.add_argument('--micro', action='store_true', help='toy size (CI on a CPU)')
    parser.add_argument('--config', help='config to benchmark and train (default: the full '
                        'DCCD config, or the toy one with --micro)')
    parser.add_argument('--train-iters', type=int, help='training steps (default 30; 3 micro)')
    return parser.parse_args(argv)


# --------------------------------------------------------------------------
# sections
# --------------------------------------------------------------------------
def _version(module: str) -> str:
    try:
        return __import__(module).__version__
    except Exception as exc:  # not installed, or broken
        return f'unavailable ({type(exc).__name__})'


def stack_report(device: torch.device) -> dict:
    """What this machine runs."""
    cuda = device.type == 'cuda'
    report = dict(python=platform.python_version(), torch=torch.__version__,
                  cuda=torch.version.cuda, cudnn=torch.backends.cudnn.version() if cuda else None,
                  device=torch.cuda.get_device_name(device) if cuda else 'cpu',
                  capability=list(torch.cuda.get_device_capability(device)) if cuda else None,
                  amp_dtype=str(amp_dtype(device)).replace('torch.', ''),
                  tf32_matmul=torch.backends.cuda.matmul.allow_tf32,
                  tf32_cudnn=torch.backends.cudnn.allow_tf32, dccd=dccd.__version__,
                  mmcv_compiled_ops=compat.HAS_MMCV_OPS, mmcv_ext_file=compat.MMCV_EXT_FILE,
                  mmcv_kernel_runs=compat.deform_attn_kernel_usable(device))
    for module in ('mmengine', 'mmcv', 'mmseg', 'timm', 'open_clip'):
        report[module] = _version(module)
    if cuda:
        report['memory_gib'] = torch.cuda.get_device_properties(device).total_memory / 2**30
    return report


def _fwd_bwd(op: Callable, inputs: List[torch.Tensor], grad: torch.Tensor):
    """Output and input gradients of ``op(*inputs)`` against ``grad``."""
    leaves = [t.detach().requires_grad_() for t in inputs]
    out = op(*leaves)
    out.backward(grad)
    return out.detach(), [t.grad for t in leaves]


def _ms(fn: Callable, device: torch.device, repeat: int) -> float:
    return min(benchmark.timed(fn, repeat, 1, device))


def attention_check(head_cfg: dict, grid, batch: int, device: torch.device, repeat: int) -> dict:
    """mmcv's kernel and the recomputing op against the plain pure op, at
    ``batch`` x ``grid`` queries; and the bytes kept for backward."""
    channels, heads = head_cfg.get('channels', 256), head_cfg.get('num_heads', 8)
    points = head_cfg.get('num_points', 4)
    h, w = grid
    gen = torch.Generator(device=device).manual_seed(0)
    shape = (batch, h * w, heads, 1, points)
    value = torch.randn(batch, h * w, heads, channels // heads, device=device, generator=gen)
    locations = torch.rand(*shape, 2, device=device, generator=gen)
    weights = torch.rand(*shape, device=device, generator=gen).softmax(-1)
    grad = torch.randn(batch, h * w, channels, device=device, generator=gen)
    inputs = [value, locations, weights]
    ops = dict(pytorch=lambda v, loc, wt: multi_scale_deformable_attn(v, [grid], loc, wt),
               pytorch_recompute=lambda v, loc, wt: multi_scale_deformable_attn(
                   v, [grid], loc, wt, recompute=True))
    if compat.deform_attn_kernel_usable(device):
        shapes, starts = shape_tensors((tuple(grid), ), device)
        ops['mmcv'] = lambda v, loc, wt: mmcv_deformable_attn(v, shapes, starts, loc, wt)
    reference = _fwd_bwd(ops['pytorch'], inputs, grad)
    result = dict(batch=batch, grid=list(grid), channels=channels, num_heads=heads,
                  num_points=points, ops={})
    for name, op in ops.items():
        out, grads = _fwd_bwd(op, inputs, grad)
        result['ops'][name] = dict(
            forward_max_abs_diff=float((out - reference[0]).abs().max()),
            grad_max_abs_diff=max(float((g - r).abs().max()) for g, r in zip(grads, reference[1])),
            fwd_bwd_ms=_ms(lambda: _fwd_bwd(op, inputs, grad), device, repeat))
    memory = benchmark.attention_memory(head_cfg, batch, grid, device)
    result['saved_bytes'] = memory['bytes']
    return result


def build_model(cfg, size, device: torch.device):
    """The config's model, random weights, BN (one process), on ``device``."""
    benchmark.prepare_config(cfg, SimpleNamespace(pretrained=False, amp='none'), size)
    init_default_scope(cfg.get('default_scope', 'mmseg'))
    torch.manual_seed(0)
    model = MODELS.build(cfg.model)
    model.init_weights()
    return revert_sync_batchnorm(model).to(device)


def run_benchmark(model, cfg, plan: dict, amp: str, device: torch.device) -> dict:
    """``tools/benchmark.py``'s train step and inference at one precision."""
    args = SimpleNamespace(iters=plan['iters'], warmup=plan['warmup'], steps=plan['steps'],
                           batch=plan['batch'], amp=amp, profile=False, pretrained=False)
    cfg = copy.deepcopy(cfg)
    benchmark.prepare_config(cfg, args, plan['size'])
    data = benchmark.synthetic_batch(plan['batch'], plan['size'],
                                     model.decode_head.num_classes, 0)
    result = dict(amp=amp, train=benchmark.bench_train(model, cfg, data, args, device))
    result['infer'] = benchmark.bench_infer(model, data, args, device)
    if device.type == 'cuda':
        torch.cuda.empty_cache()
    return result


def train_check(model, cfg, plan: dict, device: torch.device) -> dict:
    """``train_iters`` steps at ``--amp``'s precision, a new synthetic batch
    each; every loss must be finite."""
    amp = 'bf16' if amp_dtype(device) == torch.bfloat16 else 'fp16'
    cfg = copy.deepcopy(cfg)
    benchmark.prepare_config(cfg, SimpleNamespace(pretrained=False, amp=amp), plan['size'])
    wrapper = benchmark.quiet_optim_wrapper(model, cfg)
    model.train()
    losses, start = [], time.perf_counter()
    for step in range(plan['train_iters']):
        data = benchmark.synthetic_batch(plan['batch'], plan['size'],
                                         model.decode_head.num_classes, 1000 + step)
        log_vars = model.train_step(data, wrapper)
        losses.append({k: float(torch.as_tensor(v).detach()) for k, v in log_vars.items()
                       if 'loss' in k})
    benchmark.sync(device)
    finite = all(torch.isfinite(torch.tensor(list(step.values()))).all() for step in losses)
    return dict(amp=amp, optim_wrapper=type(wrapper).__name__, iters=len(losses),
                wall_s=time.perf_counter() - start, finite=bool(finite), losses=losses)


# --------------------------------------------------------------------------
# running and reporting
# --------------------------------------------------------------------------
def run_section(results: dict, name: str, fn: Callable) -> None:
    """``results[name] = fn()``; a failure is recorded, not raised."""
    start = time.perf_counter()
    try:
        results[name] = dict(fn(), ok=True)
    except Exception as exc:  # e.g. CUDA out of memory: the other sections still run
        results[name] = dict(ok=False, error=f'{type(exc).__name__}: {exc}'[:500],
                             traceback=traceback.format_exc()[-3000:])
        if torch.cuda.is_available():
            torch.cuda.empty_cache()
    results[name]['section_s'] = time.perf_counter() - start


def summary_rows(results: dict) -> List[List[str]]:
    rows = []
    for name in ('stack', 'attention', 'build', 'fp32', 'bf16', 'train'):
        section = results.get(name, {})
        if not section.get('ok'):
            rows.append([name, 'FAILED', section.get('error', 'not run')])
        elif name == 'build':
            rows.append([name, 'ok', f"{section['params'] / 1e6:.2f} M parameters"])
        elif name == 'stack':
            rows.append([name, 'ok', f"{section['device']}, torch {section['torch']}, mmcv "
                         f"kernel {'runs' if section['mmcv_kernel_runs'] else 'absent'}"])
        elif name == 'attention':
            saved = section['saved_bytes']
            rows.append([name, 'ok', f"kept for backward {saved['old']['attention'] / 2**20:.1f}"
                         f" -> {saved['new']['attention'] / 2**20:.1f} MiB; max diff "
                         + ', '.join(f"{k} {v['grad_max_abs_diff']:.1e}"
                                     for k, v in section['ops'].items())])
        elif name in ('fp32', 'bf16'):
            infer = section['infer']['per_steps']
            rows.append([name, 'ok', f"train {section['train']['ms_per_iter']:.1f} ms, "
                         f"{section['train']['peak_memory_mib'] / 1024:.2f} GiB; infer "
                         + ', '.join(f"{k} step(s) {v['ms_per_image']:.1f} ms/img"
                                     for k, v in infer.items())])
        else:
            rows.append([name, 'ok' if section['finite'] else 'NON-FINITE',
                         f"{section['iters']} steps ({section['amp']}), last loss "
                         f"{section['losses'][-1].get('loss', float('nan')):.3f}"])
    return rows


def main(argv=None) -> int:
    args = parse_args(argv)
    device = torch.device(args.device)
    if device.type == 'cuda' and not torch.cuda.is_available():
        print('error: gpu_check: CUDA is not available here (use --device cpu)', file=sys.stderr)
        return 2
    plan = dict(MICRO if args.micro else FULL)
    plan['config'] = args.config or osp.join(ROOT, plan['config'])
    plan['train_iters'] = args.train_iters or plan['train_iters']
    cfg = load_config(plan['config'])
    apply_tf32(tf32_from_cfg(cfg))
    torch.backends.cudnn.benchmark = bool(cfg.get('env_cfg', {}).get('cudnn_benchmark', False))
    results, start = {}, time.perf_counter()
    run_section(results, 'stack', lambda: stack_report(device))
    run_section(results, 'attention', lambda: attention_check(
        cfg.model.decode_head, plan['grid'], plan['batch'], device, repeat=plan['iters']))
    built = {}

    def build():
        built['model'] = build_model(copy.deepcopy(cfg), plan['size'], device)
        return dict(params=sum(p.numel() for p in built['model'].parameters()))

    run_section(results, 'build', build)
    model = built.get('model')
    run_section(results, 'fp32', lambda: run_benchmark(model, cfg, plan, 'none', device))
    run_section(results, 'bf16', lambda: run_benchmark(model, cfg, plan, 'bf16', device))
    run_section(results, 'train', lambda: train_check(model, cfg, plan, device))
    ok = all(r.get('ok') for r in results.values()) and results['train'].get('finite', False)
    record = write_result(args.out, 'gpu_check', dict(
        config=plan['config'], device_type=device.type, micro=args.micro, plan=plan,
        wall_s=time.perf_counter() - start, ok=ok, **results), device=device.type)
    print(f"\nDCCD gpu_check on {record['machine']['name']} ({record['wall_s']:.0f} s): "
          f"{'ok' if ok else 'FAILED'}; {args.out}")
    for row in summary_rows(results):
        print('  '.join(row))
    return 0 if ok else 1


if __name__ == '__main__':
    sys.exit(main())
