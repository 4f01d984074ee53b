"""A test-only launch (torchrun, 2 CPU processes): train the micro toy DCCD
for 4 iterations (checkpoint at 2), then resume that checkpoint in a new work
dir and train iterations 3-4 again, recording the noise level (log-SNR) each
rank drew at every step and a digest of torch's global CPU generator state
inside the step (what dropout and drop-path draw from). Each rank writes
``OUT/noise_rank<r>.json``.

    python -m torch.distributed.run --standalone --nproc_per_node=2 \
        tests/helpers/rank_noise_run.py CONFIG DATA_ROOT OUT
"""
import hashlib
import json
import os.path as osp
import sys

import torch

from mmengine.dist import get_rank
from mmengine.runner import Runner

import dccd  # noqa: F401
from dccd.engine import setup_cpu_dist, teardown_dist
from dccd.utils import load_config

LOADERS = ('train_dataloader', 'val_dataloader', 'test_dataloader', 'heldout_dataloader')


def global_state_digest() -> str:
    """A digest of torch's global CPU generator state."""
    return hashlib.sha1(torch.get_rng_state().numpy().tobytes()).hexdigest()


def train(config: str, root: str, work_dir: str, resume_from=None) -> tuple:
    options = {f'{loader}.dataset.data_root': root for loader in LOADERS}
    options.update({'train_cfg.max_iters': 4, 'train_cfg.val_interval': 100,
                    'default_hooks.checkpoint.interval': 2,
                    'train_dataloader.batch_size': 2})
    cfg = load_config(config, options)
    cfg.work_dir, cfg.launcher = work_dir, 'pytorch'
    # a second Runner in this process: its own named instances (logger,
    # visualizer), else it would log into the first run's folder
    cfg.experiment_name = cfg.visualizer.name = osp.basename(work_dir)
    if resume_from:
        cfg.load_from, cfg.resume = resume_from, True
    setup_cpu_dist(cfg, 'pytorch')
    runner = Runner.from_cfg(cfg)
    head = runner.model.module.decode_head
    drawn, states, noise_gt = [], [], head.noise_gt

    def recording_noise_gt(*args, **kwargs):
        states.append(global_state_digest())
        noised = noise_gt(*args, **kwargs)
        drawn.append(noised.log_snr.tolist())
        return noised

    head.noise_gt = recording_noise_gt
    runner.train()
    return drawn, states


def main(config: str, root: str, out: str) -> None:
    first, first_states = train(config, root, osp.join(out, 'first'))
    resumed, resumed_states = train(config, root, osp.join(out, 'resumed'),
                                    resume_from=osp.join(out, 'first', 'iter_2.pth'))
    after = global_state_digest()
    with open(osp.join(out, f'noise_rank{get_rank()}.json'), 'w') as f:
        json.dump(dict(first=first, resumed=resumed, first_states=first_states,
                       resumed_states=resumed_states, after=after), f)
    teardown_dist()


if __name__ == '__main__':
    main(*sys.argv[1:4])
