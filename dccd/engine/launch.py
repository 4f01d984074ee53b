"""Multi-process launch without CUDA, shared by the training and test tools.

Written for DCCD (Apache-2.0). ``tools/dist_train.sh`` / ``dist_test.sh``
start one process per device with torchrun (``--launcher pytorch``). On a
machine without CUDA (a laptop, a CPU CI runner) mmengine 0.10 cannot run
that: its ``init_dist`` always calls ``torch.cuda.set_device``, the paper
configs ask for NCCL, and its DDP wrapper passes ``device_ids=[local_rank]``,
which DDP refuses for a CPU model. :func:`setup_cpu_dist` makes such a
launch work through public settings only: it starts the process group itself
with gloo (mmengine's ``Runner`` then sees it initialised and skips
``init_dist``) and asks for the DDP wrapper without ``device_ids``. With CUDA
it does nothing. :func:`teardown_dist` ends the process group when the work
is done. For the CPU (gloo) case it then leaves the process at once: with
torch 2.14, a gloo rank that ran DistributedDataParallel aborts in about one
exit in ten during interpreter shutdown ("terminate called without an active
exception"; reproduced with plain torch, no DCCD code), which would turn a
finished run into a failed one.
"""
import datetime
import logging
import os
import sys

import torch
import torch.distributed as torch_dist
from mmengine.config import Config
from mmengine.logging import print_log

__all__ = ['setup_cpu_dist', 'teardown_dist']

_cpu_group = False  # set when setup_cpu_dist made a gloo run


def setup_cpu_dist(cfg: Config, launcher: str) -> None:
    """Prepare a ``--launcher pytorch`` run on a machine without CUDA.

    Sets ``env_cfg.dist_cfg.backend`` to gloo (an nccl config is switched,
    with a log line), initialises the default process group from torchrun's
    environment, and sets ``model_wrapper_cfg`` to mmengine's DDP wrapper
    with ``device_ids=None`` unless the config has its own wrapper.

    Args:
        cfg: the config, changed in place.
        launcher: the tool's ``--launcher``; only 'pytorch' is handled.
    """
    if launcher != 'pytorch' or torch.cuda.is_available():
        return
    env_cfg = cfg.setdefault('env_cfg', {})
    dist_cfg = env_cfg.setdefault('dist_cfg', {})
    if dist_cfg.get('backend', 'nccl') != 'gloo':
        print_log(f"no CUDA: distributed backend {dist_cfg.get('backend', 'nccl')} -> gloo",
                  logger='current')
        dist_cfg['backend'] = 'gloo'
    if cfg.get('model_wrapper_cfg') is None:
        cfg.model_wrapper_cfg = dict(
            type='MMDistributedDataParallel', device_ids=None, broadcast_buffers=False,
            find_unused_parameters=cfg.get('find_unused_parameters', False))
    global _cpu_group
    _cpu_group = True
    if not torch_dist.is_initialized():
        options = {k: v for k, v in dist_cfg.items() if k != 'backend'}
        if isinstance(options.get('timeout'), (int, float)):
            options['timeout'] = datetime.timedelta(seconds=options['timeout'])
        torch_dist.init_process_group(backend='gloo', **options)


def teardown_dist() -> None:
    """Destroy the default process group, if any, once the work is done.

    After a CPU (gloo) run set up by :func:`setup_cpu_dist`, logs and streams
    are flushed and the process exits with code 0 right away (see the module
    docstring); call it last.
    """
    if not (torch_dist.is_available() and torch_dist.is_initialized()):
        return
    torch_dist.barrier()
    torch_dist.destroy_process_group()
    if _cpu_group:
        logging.shutdown()
        sys.stdout.flush()
        sys.stderr.flush()
        os._exit(0)
