"""Stop training at the first NaN or infinite loss, before it is checkpointed.

Written for DCCD (Apache-2.0) on mmengine's ``Hook`` (Apache-2.0). mmengine
keeps training on a NaN loss: the weights turn NaN, the remaining hours are
wasted and the next checkpoints hold garbage. :class:`NonFiniteLossHook`
looks at the logged losses after every step and raises
:class:`NonFiniteLossError`, one line naming the iteration and the loss terms
(e.g. ``loss_ce_student``), and the last good checkpoint (the one
``last_checkpoint`` names, which ``--resume`` would take).

Priority ``HIGH`` (30): it runs right after mmengine's ``RuntimeInfoHook``
and before the hooks that would keep the bad step (``EMAHook`` at 50,
``LoggerHook`` at 60, ``ParamSchedulerHook`` at 70, ``CheckpointHook`` at 90),
so no checkpoint is written after the bad step and ``last_checkpoint`` still
names the last good one. In multi-process training the ranks agree (one
all-reduce per step) and all stop together, also when only one rank's batch
gave the NaN (the averaged gradients made every rank's weights NaN).
"""
import os.path as osp
from typing import List, Optional

import torch
from mmengine.dist import all_gather_object, all_reduce, get_world_size
from mmengine.hooks import Hook
from mmengine.logging import print_log

from mmseg.registry import HOOKS

__all__ = ['NonFiniteLossHook', 'NonFiniteLossError']


class NonFiniteLossError(RuntimeError):
    """Training produced a NaN or infinite loss (tools print its one line)."""


def non_finite_terms(outputs: dict) -> List[str]:
    """``'name=value'`` for each loss term of ``outputs`` that is NaN or inf.

    Args:
        outputs: the log variables of a train step (name -> scalar tensor or
            number); only names containing 'loss' are checked, the total
            ``loss`` last.

    Returns:
        list[str]: e.g. ``['loss_ce_student=nan', 'loss=nan']``.
    """
    names = [k for k in outputs if 'loss' in k and k != 'loss']
    names += ['loss'] if 'loss' in outputs else []
    if not names:
        return []
    values = torch.stack([torch.as_tensor(outputs[k]).detach().float().reshape(-1).mean()
                          .cpu() for k in names])  # one device sync
    finite = torch.isfinite(values)
    return [f'{k}={v:g}' for k, v, ok in zip(names, values.tolist(), finite.tolist())
            if not ok]


@HOOKS.register_module()
class NonFiniteLossHook(Hook):
    """Raise :class:`NonFiniteLossError` at the first NaN / inf loss.

    Added to every DCCD config by ``configs/_base_/default_runtime.py``
    (``custom_hooks``).
    """

    priority = 'HIGH'

    def after_train_iter(self, runner, batch_idx: int, data_batch=None,
                         outputs: Optional[dict] = None) -> None:
        """Check the step's losses; stop the run on a non-finite one."""
        bad = non_finite_terms(outputs or {})
        if get_world_size() > 1:
            flag = torch.tensor(float(bool(bad)))
            all_reduce(flag, op='sum')
            if flag.item() == 0:
                return
            per_rank = all_gather_object(bad)
            bad = [f'{term} (rank {rank})' for rank, terms in enumerate(per_rank)
                   for term in terms]
        if not bad:
            return
        kept = 'no checkpoint was written'
        latest = osp.join(runner.work_dir, 'last_checkpoint')  # what --resume takes
        if osp.isfile(latest):
            with open(latest) as f:
                kept = f'last good checkpoint: {f.read().strip()}'
        message = (f'non-finite loss at iteration {runner.iter + 1}: {", ".join(bad)}; '
                   f'training stopped ({kept})')
        print_log(message, logger='current', level=40)
        raise NonFiniteLossError(message)
