"""Speed and memory of a config: train step time, inference time per DDIM step count.

    python tools/benchmark.py CONFIG [--train] [--infer] [--amp {none,fp16,bf16}]
        [--batch N] [--size H W] [--steps 1 3 10] [--iters N] [--warmup N]
        [--device cpu|cuda] [--threads N] [--pretrained] [--profile] [--out FILE.json]
        [--backend pytorch onnxruntime] [--cfg-options KEY=VALUE ...]
    python tools/benchmark.py CONFIG --attn-memory [--size H W] [--batch N] [--device D]
    python tools/benchmark.py --table A.json B.json ...   # one table of saved runs
    python tools/benchmark.py CONFIG --train ... --compare REV [--compare-config OLD]
        --out FILE.json

The model is built from the config with random weights (no downloads: the
backbone's ``init_cfg`` and the text encoder's ``pretrained`` are dropped
unless ``--pretrained``), SyncBN reverted to BN (one process, as the runner
does), on synthetic batches: random images and random masks of 2-4
rectangles of random classes, each sample's ingredient list read from its
mask. ``--size`` (default: the config's crop size) also sets the data
preprocessor's pad size.

- ``--train``: full train steps, ``model.train_step`` with the config's
  ``optim_wrapper`` (forward, backward, optimiser step; with ``--amp bf16``
  DCCD's AutocastOptimWrapper, no loss scaler, also on the CPU; with
  ``--amp fp16`` mmengine's AmpOptimWrapper with dynamic loss scaling, CUDA
  only): median ms/iter over ``--iters`` after ``--warmup`` (and the
  minimum, the better estimate on a busy machine).
- ``--infer``: pre-processing and ``predict_branch`` (the config's test
  branch, padded input, logits resized to the image) per DDIM step count: median ms/image and
  images/s (batch ``--batch``), under autocast with ``--amp``.
- ``--backend pytorch onnxruntime``: ``--infer`` also (or only) with the
  student exported to ONNX (``dccd.deployment``, per step count, at the
  benchmark's batch and size) run by onnxruntime on the CPU with as many
  threads as torch, inside the same pre- and post-processing; the export's
  parity with PyTorch (max |diff| of the logits, argmax agreement) is
  recorded with the times. Both are measured in the same run.
- Memory: on CUDA the peak of ``torch.cuda.max_memory_allocated`` per phase
  (reset before it); on CPU the process's peak resident set size so far
  (``getrusage``; it cannot be reset, so later phases include earlier ones).
- Times on CUDA are taken after ``torch.cuda.synchronize()``.
- ``--profile``: afterwards, the top operators by self time (torch.profiler)
  of 3 train steps and/or 3 inferences at the middle step count.
- ``--attn-memory``: the bytes autograd keeps for backward (saved-tensor
  hooks, each storage once, inputs and parameters excluded) by one
  ``MSDeformAttn`` call (self-attention, as the decoder calls it) and by one
  decoder layer of the config's decode head, on a batch of ``--size / 4``
  query grids: the sampling kept (old) against recomputed in backward (new),
  in one run. Shapes and dtypes set the bytes, so a CPU measures what a GPU
  keeps in float32.

- ``--compare REV``: the same measurement (this file's harness) of the
  ``dccd`` code and configs at git revision REV (a temporary worktree) and of
  the working tree, one after the other in fresh processes of this run, then
  both rows and the speed-up. ``--compare-config OLD`` measures config OLD
  (a path in REV's tree) at REV, for a new config against the one it
  replaces.
  Train steps also report CPU time per step (``time.process_time``: all
  threads), steadier than wall time on a machine shared with other jobs.

Prints a table last and writes everything to ``--out`` (JSON).
"""
import contextlib
import logging
import os
import os.path as osp
import resource
import statistics
import subprocess
import sys
import tempfile
import time
from typing import Dict, List, Optional

import numpy as np
import torch
from mmengine.config import Config, DictAction
from mmengine.logging import MMLogger
from mmengine.model import revert_sync_batchnorm
from mmengine.optim import build_optim_wrapper
from mmengine.registry import init_default_scope
from mmengine.structures import PixelData
from mmseg.registry import MODELS
from mmseg.structures import SegDataSample

import dccd  # noqa: F401  (registers DCCD modules, applies dccd.compat)
try:
    from dccd.engine import apply_tf32, tf32_from_cfg
except ImportError:  # older dccd code measured by --compare: no TF32 switch (fp32 on CUDA)
    apply_tf32 = tf32_from_cfg = None
from dccd.utils import (ArgumentParser, InputError, drop_pretrained, exit_on_input_error,
                        ingredient_ids, load_config)
from dccd.utils.results import machine_info, read_result, write_result

AMP_DTYPES = {'none': None, 'fp16': 'float16', 'bf16': 'bfloat16'}
BACKENDS = ('pytorch', 'onnxruntime')
PROFILE_ITERS = 3
TOP_OPS = 15


def parse_args(argv=None):
    parser = ArgumentParser(
        description='Benchmark train step time, inference time and peak memory')
    parser.add_argument('config', nargs='?', help='config file')
    parser.add_argument('--train', action='store_true', help='time full train steps')
    parser.add_argument('--infer', action='store_true', help='time inference')
    parser.add_argument('--amp', choices=sorted(AMP_DTYPES), default='none',
                        help='mixed precision (CUDA for --train): none, fp16 or bf16')
    parser.add_argument('--batch', type=int, default=2, help='batch size (default 2)')
    parser.add_argument('--size', type=int, nargs=2, metavar=('H', 'W'),
                        help="input size (default: the config's crop size)")
    parser.add_argument('--steps', type=int, nargs='+', default=[1, 3, 10],
                        help='DDIM step counts for --infer (default 1 3 10)')
    parser.add_argument('--iters', type=int, default=20, help='timed iterations (default 20)')
    parser.add_argument('--warmup', type=int, default=5, help='untimed iterations first')
    parser.add_argument('--device', default=None, help='cpu or cuda (default: cuda if available)')
    parser.add_argument('--threads', type=int, default=None,
                        help="CPU threads of torch (default: torch's); 1 is much faster "
                        'on a machine shared with other jobs')
    parser.add_argument('--pretrained', action='store_true',
                        help="keep the config's pretrained weights (downloads them)")
    parser.add_argument('--profile', action='store_true',
                        help='print the top operators by time (torch.profiler)')
    parser.add_argument('--out', help='write the results to this JSON file')
    parser.add_argument('--backend', nargs='+', choices=BACKENDS, default=['pytorch'],
                        help='--infer with PyTorch (default) and/or onnxruntime (the '
                        'student exported to ONNX, CPU)')
    parser.add_argument('--seed', type=int, default=0, help='seed of weights and inputs')
    parser.add_argument(
        '--cfg-options', nargs='+', action=DictAction,
        help='override settings of the config, e.g. model.backbone.with_cp=True; '
        'every key must already exist')
    parser.add_argument('--compare', metavar='REV',
                        help='also measure git revision REV (old vs new in one run)')
    parser.add_argument('--compare-config', metavar='CONFIG',
                        help="with --compare: the config REV runs, a path in REV's tree "
                        '(default: CONFIG; for a config that REV does not have)')
    parser.add_argument('--table', nargs='+', metavar='JSON',
                        help='print one table of saved --out files and exit')
    parser.add_argument('--attn-memory', action='store_true',
                        help='bytes saved for backward by one deformable-attention call and '
                        'one decoder layer, sampling kept vs recomputed')
    return parser.parse_args(argv)


# --------------------------------------------------------------------------
# set-up
# --------------------------------------------------------------------------
def check_args(args) -> None:
    if args.config is None:
        raise InputError('give a CONFIG (or --table JSON ...)')
    if not (args.train or args.infer or args.attn_memory):
        raise InputError('nothing to do: give --train, --infer and/or --attn-memory')
    for name in ('batch', 'iters'):
        if getattr(args, name) < 1:
            raise InputError(f'--{name} must be >= 1, got {getattr(args, name)}')
    if args.threads is not None and args.threads < 1:
        raise InputError(f'--threads must be >= 1, got {args.threads}')
    if args.compare_config and not args.compare:
        raise InputError('--compare-config needs --compare REV')
    if args.warmup < 0:
        raise InputError(f'--warmup must be >= 0, got {args.warmup}')
    if args.size is not None and min(args.size) < 32:
        raise InputError(f'--size must be at least 32 x 32, got {args.size}')
    if any(s < 1 for s in args.steps):
        raise InputError(f'--steps must all be >= 1, got {args.steps}')
    if 'onnxruntime' in args.backend:
        if not args.infer:
            raise InputError('--backend onnxruntime times inference: add --infer')
        if args.amp != 'none':
            raise InputError('--backend onnxruntime runs float32: use --amp none')


def pick_device(name: Optional[str]) -> torch.device:
    if name is None:
        return torch.device('cuda' if torch.cuda.is_available() else 'cpu')
    try:
        device = torch.device(name)
    except (RuntimeError, TypeError):
        raise InputError(f"--device '{name}' is not a torch device (cpu or cuda)") from None
    if device.type == 'cuda' and not torch.cuda.is_available():
        raise InputError(f"--device {name}: CUDA is not available on this machine")
    if device.type not in ('cpu', 'cuda'):
        raise InputError(f'--device {name}: only cpu and cuda are supported')
    return device


def prepare_config(cfg: Config, args, size) -> None:
    """Random init without downloads, the benchmark's input size, --amp."""
    model = cfg.model
    if not args.pretrained:
        drop_pretrained(model)
    preprocessor = model.get('data_preprocessor')
    if isinstance(preprocessor, dict) and preprocessor.get('size') is not None:
        preprocessor.size = tuple(size)
    wrapper = cfg.optim_wrapper
    if wrapper.type not in ('OptimWrapper', 'AmpOptimWrapper', 'AutocastOptimWrapper'):
        raise InputError(f'--amp needs optim_wrapper.type OptimWrapper, AmpOptimWrapper or '
                         f'AutocastOptimWrapper, the config has {wrapper.type}')
    for key in ('dtype', 'loss_scale'):
        wrapper.pop(key, None)
    if args.amp == 'bf16':  # same range as fp32: no loss scaler
        wrapper.update(type='AutocastOptimWrapper', dtype='bfloat16')
    elif args.amp == 'fp16':
        wrapper.update(type='AmpOptimWrapper', dtype='float16', loss_scale='dynamic')
    else:
        wrapper.type = 'OptimWrapper'


def default_size(cfg: Config) -> tuple:
    preprocessor = cfg.model.get('data_preprocessor') or {}
    if preprocessor.get('size') is not None:
        return tuple(preprocessor['size'])
    if cfg.get('crop_size') is not None:
        return tuple(cfg.crop_size)
    return (512, 512)


def synthetic_batch(batch: int, size, num_classes: int, seed: int) -> Dict[str, list]:
    """Random uint8 images (3, H, W) and masks of 2-4 random class rectangles.

    Each sample's ``metainfo['ingredients']`` lists its mask's food classes.
    """
    rng = np.random.default_rng(seed)
    h, w = size
    inputs, samples = [], []
    for i in range(batch):
        inputs.append(torch.from_numpy(rng.integers(0, 256, (3, h, w), dtype=np.uint8)))
        mask = np.zeros((h, w), np.uint8)
        for _ in range(rng.integers(2, 5)):
            y0, x0 = rng.integers(0, h // 2), rng.integers(0, w // 2)
            y1, x1 = y0 + rng.integers(h // 8, h // 2), x0 + rng.integers(w // 8, w // 2)
            mask[y0:y1, x0:x1] = rng.integers(1, num_classes)
        sample = SegDataSample(metainfo=dict(
            img_path=f'synthetic_{i}.png', ori_shape=(h, w), img_shape=(h, w),
            pad_shape=(h, w), scale_factor=(1.0, 1.0), flip=False,
            reduce_zero_label=False, ingredients=ingredient_ids(mask)))
        sample.gt_sem_seg = PixelData(data=torch.from_numpy(mask)[None].long())
        samples.append(sample)
    return dict(inputs=inputs, data_samples=samples)


# --------------------------------------------------------------------------
# measuring
# --------------------------------------------------------------------------
def sync(device: torch.device) -> None:
    if device.type == 'cuda':
        torch.cuda.synchronize(device)


def timed(fn, iters: int, warmup: int, device: torch.device, cpu_times: Optional[list] = None
          ) -> List[float]:
    """Milliseconds of each of ``iters`` calls of ``fn`` after ``warmup`` calls
    (and, into ``cpu_times``, the process's CPU milliseconds of each)."""
    for _ in range(warmup):
        fn()
    times = []
    for _ in range(iters):
        sync(device)
        start, cpu_start = time.perf_counter(), time.process_time()
        fn()
        sync(device)
        times.append(1000.0 * (time.perf_counter() - start))
        if cpu_times is not None:
            cpu_times.append(1000.0 * (time.process_time() - cpu_start))
    return times


def reset_peak(device: torch.device) -> None:
    if device.type == 'cuda':
        torch.cuda.reset_peak_memory_stats(device)


def peak_mib(device: torch.device) -> float:
    if device.type == 'cuda':
        return torch.cuda.max_memory_allocated(device) / 2**20
    rss = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss  # KiB on Linux
    return rss / 1024 if sys.platform != 'darwin' else rss / 2**20


def autocast(device: torch.device, amp: str):
    """Autocast to the --amp dtype (a no-op context for 'none')."""
    dtype = AMP_DTYPES[amp]
    if dtype is None:
        return contextlib.nullcontext()
    return torch.autocast(device.type, dtype=getattr(torch, dtype))


def profile_top_ops(fn, device: torch.device) -> List[dict]:
    """The ``TOP_OPS`` operators with the largest self time over
    ``PROFILE_ITERS`` calls of ``fn`` (device time on CUDA); printed too."""
    from torch.profiler import ProfilerActivity, profile
    activities = [ProfilerActivity.CPU]
    if device.type == 'cuda':
        activities.append(ProfilerActivity.CUDA)
    fn()
    sync(device)
    with profile(activities=activities) as prof:
        for _ in range(PROFILE_ITERS):
            fn()
        sync(device)
    key = 'self_device_time_total' if device.type == 'cuda' else 'self_cpu_time_total'
    events = sorted(prof.key_averages(), key=lambda e: getattr(e, key), reverse=True)
    total = sum(getattr(e, key) for e in events) or 1.0
    print(prof.key_averages().table(sort_by=key, row_limit=TOP_OPS))
    return [dict(op=e.key, self_ms_per_iter=getattr(e, key) / 1000.0 / PROFILE_ITERS,
                 percent=100.0 * getattr(e, key) / total, calls=e.count // PROFILE_ITERS)
            for e in events[:TOP_OPS]]


def quiet_optim_wrapper(model, cfg: Config):
    """``build_optim_wrapper`` without its per-parameter log lines."""
    logger = MMLogger.get_current_instance()
    level = logger.level
    logger.setLevel(logging.ERROR)
    try:
        return build_optim_wrapper(model, cfg.optim_wrapper)
    finally:
        logger.setLevel(level)


def bench_train(model, cfg, data, args, device) -> dict:
    optim_wrapper = quiet_optim_wrapper(model, cfg)
    model.train()

    def step():
        model.train_step(data, optim_wrapper)

    reset_peak(device)
    cpu_times = []
    times = timed(step, args.iters, args.warmup, device, cpu_times)
    result = dict(ms_per_iter=statistics.median(times), ms_per_iter_min=min(times),
                  ms_per_iter_all=[round(t, 3) for t in times],
                  cpu_ms_per_iter=statistics.median(cpu_times),
                  peak_memory_mib=peak_mib(device))
    if args.profile:
        print(f'\n== profile: train step (top {TOP_OPS} ops, {PROFILE_ITERS} steps) ==')
        result['profile'] = profile_top_ops(step, device)
    return result


def time_steps(infer, args, device) -> dict:
    """Per DDIM step count: median ms per batch and per image, images/s."""
    results = {}
    for steps in args.steps:
        times = timed(lambda: infer(steps), args.iters, args.warmup, device)
        ms = statistics.median(times)
        results[str(steps)] = dict(
            ms_per_batch=ms, ms_per_image=ms / args.batch,
            ms_per_image_min=min(times) / args.batch,
            images_per_s=1000.0 * args.batch / ms,
            ms_per_batch_all=[round(t, 3) for t in times])
    return results


def bench_infer(model, data, args, device) -> dict:
    """``test_step`` (pre-processing, DDIM, resizing) of the config's test
    branch, per DDIM step count (an explicit argument of ``predict_branch``)."""
    model.eval()
    branch = model.test_cfg.get('branch')

    def infer(steps):
        with torch.no_grad(), autocast(device, args.amp):
            batch = model.data_preprocessor(data, False)
            model.predict_branch(batch['inputs'], batch['data_samples'], branch, steps=steps)

    reset_peak(device)
    results = time_steps(infer, args, device)
    peak = peak_mib(device)
    profile = None
    if args.profile:
        steps = sorted(args.steps)[len(args.steps) // 2]
        print(f'\n== profile: inference, {steps} DDIM steps (top {TOP_OPS} ops) ==')
        profile = dict(steps=steps, ops=profile_top_ops(lambda: infer(steps), device))
    return dict(per_steps=results, peak_memory_mib=peak, profile=profile)


def bench_onnxruntime(model, cfg, data, size, args) -> dict:
    """The student exported per DDIM step count and run by onnxruntime (CPU)
    inside the same pre- and post-processing as :func:`bench_infer`."""
    import onnxruntime
    from dccd.deployment import export_checked, init_onnx_segmentor
    model.eval().cpu()
    sessions, parity = {}, {}
    for steps in args.steps:
        onnx_bytes, report = export_checked(model, size, steps, batch=args.batch,
                                            threads=args.threads)
        sessions[steps] = init_onnx_segmentor(cfg, onnx_bytes, threads=args.threads)
        parity[str(steps)] = dict(max_abs_diff=report.max_abs_diff,
                                  argmax_agreement=report.argmax_agreement)

    def infer(steps):
        runtime = sessions[steps]
        batch = runtime.data_preprocessor(data, False)
        runtime.predict_branch(batch['inputs'], batch['data_samples'], steps=steps)

    return dict(per_steps=time_steps(infer, args, torch.device('cpu')), parity=parity,
                onnxruntime=onnxruntime.__version__)


# --------------------------------------------------------------------------
# memory kept for backward by the deformable attention
# --------------------------------------------------------------------------
def saved_bytes(fn, exclude=()) -> int:
    """Bytes of the tensors autograd keeps for backward while ``fn()`` runs
    (saved-tensor hooks), each storage counted once, without the storages
    of ``exclude`` (the inputs and parameters, which live anyway)."""
    skip = {t.untyped_storage().data_ptr() for t in exclude}
    kept = {}

    def pack(tensor):
        storage = tensor.untyped_storage()
        if storage.data_ptr() not in skip:
            kept[storage.data_ptr()] = storage.nbytes()
        return tensor

    with torch.autograd.graph.saved_tensors_hooks(pack, lambda tensor: tensor):
        fn()
    return sum(kept.values())


def attention_memory(head_cfg: dict, batch: int, grid, device: torch.device) -> dict:
    """Bytes one ``MSDeformAttn`` self-attention call and one decoder layer
    keep for backward, with the sampling kept ('old') and recomputed in
    backward ('new'), on ``batch`` query grids of ``grid`` = (H, W).

    Args:
        head_cfg: the decode head's config (``channels``, ``num_heads``,
            ``num_points``, ``ffn_channels``).
    """
    from dccd.models.decode_heads.diffusion_head import TimeConditionedLayer, reference_points
    channels = head_cfg.get('channels', 256)
    heads, points = head_cfg.get('num_heads', 8), head_cfg.get('num_points', 4)
    ffn = head_cfg.get('ffn_channels', 1024)
    torch.manual_seed(0)
    layer = TimeConditionedLayer(channels, heads, points, ffn, channels * 4).to(device)
    h, w = grid
    x = torch.randn(batch, h * w, channels, device=device, requires_grad=True)
    pos = torch.randn(batch, h * w, channels, device=device)
    ref = reference_points(h, w, device).expand(batch, -1, -1, -1)
    time = torch.randn(batch, channels * 4, device=device)
    params = list(layer.parameters())
    result = {}
    for name, recompute in (('old', False), ('new', True)):
        layer.attn.recompute = recompute
        result[name] = dict(
            attention=saved_bytes(lambda: layer.attn(x, x, ref, [(h, w)]), [x, ref] + params),
            layer=saved_bytes(lambda: layer(x, pos, ref, (h, w), time),
                              [x, pos, ref, time] + params))
    return dict(batch=batch, grid=[h, w], channels=channels, num_heads=heads,
                num_points=points, ffn_channels=ffn, bytes=result)


def attention_memory_rows(result: dict) -> List[List[str]]:
    """Table rows (what, old MiB, new MiB, new / old) of :func:`attention_memory`."""
    rows = []
    for part, what in (('attention', 'one MSDeformAttn call'), ('layer', 'one decoder layer')):
        old, new = (result['bytes'][k][part] for k in ('old', 'new'))
        rows.append([what, f'{old / 2**20:.1f} MiB', f'{new / 2**20:.1f} MiB',
                     f'{100 * new / old:.0f} %'])
    return rows


def run_attn_memory(cfg: Config, args, device: torch.device) -> dict:
    size = tuple(args.size) if args.size else default_size(cfg)
    grid = (size[0] // 4, size[1] // 4)
    result = dict(config=args.config, device_type=device.type, size=list(size),
                  **attention_memory(cfg.model.decode_head, args.batch, grid, device))
    if args.out:
        result = write_result(args.out, 'attention_memory', result, device=device.type)
    header = ['saved for backward', 'sampling kept (old)', 'recomputed (new)', 'new / old']
    rows = [header] + attention_memory_rows(result)
    widths = [max(len(row[i]) for row in rows) for i in range(len(header))]
    print(f"\n{osp.basename(args.config)}: batch {args.batch}, {grid[0]}x{grid[1]} queries, "
          f"{result['channels']} channels, {result['num_heads']} heads, "
          f"{result['num_points']} points, float32")
    for row in rows:
        print('  '.join(cell.ljust(width) for cell, width in zip(row, widths)).rstrip())
    return result


# --------------------------------------------------------------------------
# reporting
# --------------------------------------------------------------------------
def table_rows(result: dict) -> List[List[str]]:
    """One row per measurement of a result dict: what, amp, value, memory."""
    cp = '+cp' if any(result.get('with_cp', {}).values()) else ''
    setup = (f"{osp.basename(result['config'])} b{result['batch']} "
             f"{result['size'][0]}x{result['size'][1]} {result['amp']}{cp}")
    if result.get('revision'):
        setup += f" @ {result['revision']}"
    mem = 'CUDA peak alloc' if result['device_type'] == 'cuda' else 'peak RSS'
    rows = []
    if result.get('train'):
        train = result['train']
        cpu = f", CPU {train['cpu_ms_per_iter']:.0f} ms" if 'cpu_ms_per_iter' in train else ''
        rows.append([setup, 'train step',
                     f"{train['ms_per_iter']:.1f} ms/iter (min {train['ms_per_iter_min']:.1f})"
                     + cpu,
                     f"{train['peak_memory_mib'] / 1024:.2f} GiB {mem}"])
    if result.get('infer'):
        infer = result['infer']
        for steps, r in infer['per_steps'].items():
            rows.append([setup, f'infer {steps} step(s)',
                         f"{r['ms_per_image']:.1f} ms/img (min {r['ms_per_image_min']:.1f}), "
                         f"{r['images_per_s']:.1f} img/s",
                         f"{infer['peak_memory_mib'] / 1024:.2f} GiB {mem}"])
    for steps, r in ((result.get('infer_onnxruntime') or {}).get('per_steps') or {}).items():
        parity = result['infer_onnxruntime']['parity'][steps]
        rows.append([setup, f'infer {steps} step(s), onnxruntime',
                     f"{r['ms_per_image']:.1f} ms/img (min {r['ms_per_image_min']:.1f}), "
                     f"{r['images_per_s']:.1f} img/s",
                     f"parity: max |diff| {parity['max_abs_diff']:.1e}, argmax "
                     f"{100 * parity['argmax_agreement']:.2f} %"])
    return rows


def print_table(results: List[dict]) -> None:
    header = ['setup', 'measure', 'time', 'peak memory']
    rows = [header] + [row for r in results for row in table_rows(r)]
    widths = [max(len(row[i]) for row in rows) for i in range(len(header))]
    machines = sorted({f"{r['machine']['name']}, {r['machine']['torch_threads']} torch threads"
                       for r in results})
    print(f"\nDCCD benchmark on {'; '.join(machines)}")
    for i, row in enumerate(rows):
        print('  '.join(cell.ljust(width) for cell, width in zip(row, widths)).rstrip())
        if i == 0:
            print('  '.join('-' * width for width in widths))


# --------------------------------------------------------------------------
# old vs new
# --------------------------------------------------------------------------
REPO = osp.dirname(osp.dirname(osp.abspath(__file__)))


def run_in_tree(tree: str, argv: List[str], out: str) -> dict:
    """This benchmark (this file: the same harness for both sides) on
    ``tree``'s ``dccd`` and configs."""
    cmd = [sys.executable, osp.abspath(__file__), *argv, '--out', out]
    env = dict(os.environ, PYTHONPATH=tree)
    done = subprocess.run(cmd, cwd=tree, env=env, capture_output=True, text=True)
    if done.returncode != 0:
        tail = (done.stderr.strip().splitlines() or ['no output'])[-1]
        raise InputError(f'the benchmark failed in {tree}: {tail}')
    return read_result(out)


def compare(args, argv: List[str]) -> None:
    """Measure revision ``args.compare`` and the working tree in turn."""
    rev = args.compare
    strip = {'--compare', '--compare-config', '--out'}
    rest, skip = [], False
    for arg in argv:
        if skip:
            skip = False
        elif arg in strip:
            skip = True
        elif not any(arg.startswith(f'{flag}=') for flag in strip):
            rest.append(arg)
    old_rest = [args.compare_config if arg == args.config and args.compare_config else arg
                for arg in rest]
    with tempfile.TemporaryDirectory(prefix='dccd_bench_') as tmp:
        old_tree = osp.join(tmp, 'old')
        made = subprocess.run(['git', 'worktree', 'add', '--detach', old_tree, rev], cwd=REPO,
                              capture_output=True, text=True)
        if made.returncode != 0:
            raise InputError(f'--compare {rev}: {made.stderr.strip().splitlines()[-1]}')
        try:
            old = run_in_tree(old_tree, old_rest, osp.join(tmp, 'old.json'))
            new = run_in_tree(REPO, rest, osp.join(tmp, 'new.json'))
        finally:
            subprocess.run(['git', 'worktree', 'remove', '--force', old_tree], cwd=REPO,
                           capture_output=True)
    old['revision'] = subprocess.run(['git', 'rev-parse', '--short', rev], cwd=REPO,
                                     capture_output=True, text=True).stdout.strip()
    new['revision'] = 'working tree'
    print_table([old, new])
    speedup = {}
    if old.get('train') and new.get('train'):
        speedup = dict(
            wall=old['train']['ms_per_iter'] / new['train']['ms_per_iter'],
            cpu=old['train']['cpu_ms_per_iter'] / new['train']['cpu_ms_per_iter'])
        print(f"train step speed-up over {old['revision']}: {speedup['wall']:.2f}x wall, "
              f"{speedup['cpu']:.2f}x CPU time")
    if args.out:
        write_result(args.out, 'benchmark_compare', dict(old=old, new=new, speedup=speedup))


@exit_on_input_error
def main(argv=None):
    argv = sys.argv[1:] if argv is None else list(argv)
    args = parse_args(argv)
    if args.table:
        print_table([read_result(path) for path in args.table])
        return
    check_args(args)
    if args.compare:
        compare(args, argv)
        return
    device = pick_device(args.device)
    if args.amp == 'fp16' and device.type != 'cuda':
        raise InputError('--amp fp16 needs CUDA; on CPU use --amp bf16 or none')
    cfg = load_config(args.config, args.cfg_options)
    if apply_tf32 is not None:
        apply_tf32(tf32_from_cfg(cfg))
    if args.threads is not None:
        torch.set_num_threads(args.threads)
    if args.attn_memory:
        run_attn_memory(cfg, args, device)
        if not (args.train or args.infer):
            return
    size = tuple(args.size) if args.size else default_size(cfg)
    prepare_config(cfg, args, size)
    init_default_scope(cfg.get('default_scope', 'mmseg'))
    torch.backends.cudnn.benchmark = bool(cfg.get('env_cfg', {}).get('cudnn_benchmark', False))
    torch.manual_seed(args.seed)

    model = MODELS.build(cfg.model)
    model.init_weights()
    model = revert_sync_batchnorm(model).to(device)
    data = synthetic_batch(args.batch, size, model.decode_head.num_classes, args.seed)
    model_cfg = cfg.model
    result = dict(
        config=args.config, device_type=device.type, amp=args.amp, batch=args.batch,
        size=list(size),
        iters=args.iters, warmup=args.warmup,
        with_cp=dict(backbone=bool(model_cfg.backbone.get('with_cp', False)),
                     decode_head=bool(model_cfg.decode_head.get('with_cp', False))),
        test_branch=model.test_cfg.get('branch'), backends=args.backend,
        params=sum(p.numel() for p in model.parameters()),
        trainable_params=sum(p.numel() for p in model.parameters() if p.requires_grad),
        train=None, infer=None, infer_onnxruntime=None)
    if args.train:
        result['train'] = bench_train(model, cfg, data, args, device)
    if args.infer and 'pytorch' in args.backend:
        result['infer'] = bench_infer(model, data, args, device)
    if 'onnxruntime' in args.backend:
        result['infer_onnxruntime'] = bench_onnxruntime(model, cfg, data, size, args)
    if args.out:
        result = write_result(args.out, 'benchmark', result, device=device.type)
    else:
        result.update(machine=machine_info(device.type))
    print_table([result])


if __name__ == '__main__':
    main()
