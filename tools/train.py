"""Train a DCCD (or any mmsegmentation) model from a config.

    python tools/train.py configs/foodseg103_dccd.py [--work-dir DIR] [--resume]
        [--amp] [--vis tensorboard] [--cfg-options KEY=VALUE ...]
        [--launcher {none,pytorch,slurm,mpi}]

``--amp``: bfloat16 autocast without a loss scaler where the device has bf16
(CUDA compute capability >= 8.0, and the CPU), float16 with dynamic loss
scaling elsewhere (``dccd.engine.use_amp``). Validation stays in float32.

``--vis tensorboard`` adds mmengine's ``TensorboardVisBackend`` to the
visualizer: the scalars the logger hook logs (every loss term, the learning
rate, time) and the validation metrics go to TensorBoard event files in
``<work_dir>/<timestamp>/vis_data/`` too (``tensorboard --logdir WORK_DIR``).
"""
import importlib.util
import logging
import os
import os.path as osp
import sys

import torch
from mmengine.config import DictAction
from mmengine.logging import print_log
from mmengine.runner import Runner

import dccd  # noqa: F401  (registers DCCD modules, applies dccd.compat)
from dccd.apis.preflight import check_run_inputs
from dccd.engine import NonFiniteLossError, setup_cpu_dist, teardown_dist, use_amp
from dccd.utils import (ArgumentParser, InputError, default_work_dir, exit_on_input_error,
                        load_config)


#: ``--vis`` choices: the vis backend and the package it needs.
VIS_BACKENDS = {'tensorboard': ('TensorboardVisBackend', 'tensorboard')}


def parse_args(argv=None):
    parser = ArgumentParser(description='Train a segmentor')
    parser.add_argument('config', help='train config file path')
    parser.add_argument('--work-dir', help='the dir to save logs and models')
    parser.add_argument(
        '--resume', action='store_true',
        help='resume from the latest checkpoint in the work_dir automatically')
    parser.add_argument(
        '--amp', action='store_true',
        help='mixed precision: bf16 autocast without loss scaling where supported '
        '(A100/H100, CPU), else fp16 with dynamic loss scaling')
    parser.add_argument(
        '--vis', choices=sorted(VIS_BACKENDS), action='append', default=[],
        help='also write the scalars (losses, lr, val metrics) for this viewer: '
        'tensorboard (event files under the work dir)')
    parser.add_argument(
        '--cfg-options', nargs='+', action=DictAction,
        help='override settings of the config, e.g. train_cfg.max_iters=1000; '
        'every key must already exist in the config')
    parser.add_argument(
        '--launcher', choices=['none', 'pytorch', 'slurm', 'mpi'], default='none',
        help='job launcher')
    # torch.distributed.launch passes --local-rank (torch >= 2.0)
    parser.add_argument('--local_rank', '--local-rank', type=int, default=0)
    args = parser.parse_args(argv)
    os.environ.setdefault('LOCAL_RANK', str(args.local_rank))
    return args


def add_vis_backends(cfg, names) -> None:
    """Append the vis backends ``--vis`` names to ``cfg.visualizer`` (once each)."""
    for name in names:
        backend, package = VIS_BACKENDS[name]
        if importlib.util.find_spec(package) is None:
            raise InputError(f'--vis {name} needs the {package} package: pip install -c '
                             f'constraints.txt -e ".[{name}]"')
        if 'visualizer' not in cfg:
            raise InputError(f'--vis {name}: the config has no visualizer')
        backends = cfg.visualizer.setdefault('vis_backends', [])
        if all(b.get('type') != backend for b in backends):
            backends.append(dict(type=backend))


def check_checkpoint_paths(cfg, resume: bool) -> None:
    """Fail now, in one line, on a local ``load_from`` or resume target that
    is missing (mmengine would fail after building everything)."""
    load_from = cfg.get('load_from')
    if load_from and '://' not in load_from and not osp.isfile(load_from):
        raise InputError(f'load_from checkpoint not found: {load_from}')
    latest = osp.join(cfg.work_dir, 'last_checkpoint')
    if not resume or load_from:
        return
    if not osp.isfile(latest):
        raise InputError(f'--resume: nothing to resume in {cfg.work_dir} (no last_checkpoint '
                         'there): check --work-dir, or drop --resume to start afresh')
    with open(latest) as f:
        target = f.read().strip()
    if not osp.isfile(target):
        raise InputError(f"--resume: {latest} names '{target}', which does not exist")


@exit_on_input_error
def main(argv=None):
    args = parse_args(argv)
    cfg = load_config(args.config, args.cfg_options)
    cfg.launcher = args.launcher
    # work_dir priority: CLI > config > work_dirs/<config name>
    if args.work_dir is not None:
        cfg.work_dir = args.work_dir
    elif cfg.get('work_dir', None) is None:
        cfg.work_dir = default_work_dir(args.config)

    if args.amp:
        if cfg.optim_wrapper.type in ('AmpOptimWrapper', 'AutocastOptimWrapper'):
            print_log('AMP training is already enabled in your config.',
                      logger='current', level=logging.WARNING)
        use_amp(cfg.optim_wrapper, 'cuda' if torch.cuda.is_available() else 'cpu')
    add_vis_backends(cfg, args.vis)
    cfg.resume = args.resume
    check_checkpoint_paths(cfg, args.resume)
    # before the Runner writes or prints anything
    loaders = ['train_dataloader'] + (['val_dataloader'] if cfg.get('val_cfg') else [])
    check_run_inputs(cfg, loaders, [(cfg.work_dir, '--work-dir')])

    setup_cpu_dist(cfg, args.launcher)  # torchrun without CUDA: gloo
    runner = Runner.from_cfg(cfg)
    try:
        runner.train()
    except NonFiniteLossError as exc:  # logged by NonFiniteLossHook
        if runner.rank == 0:
            print(f'error: {exc}', file=sys.stderr)
        sys.exit(1)
    teardown_dist()


if __name__ == '__main__':
    main()
