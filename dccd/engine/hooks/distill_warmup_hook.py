"""Teacher warm-up: no distillation for the first iterations of training.

Written for DCCD (Apache-2.0) on mmengine's ``Hook`` (Apache-2.0). At the
start of training the teacher is as untrained as the student, and the KL term
(Hou et al., 2024, Eq. 6) pulls the student towards noise. The paper does not
warm the teacher up; this is an ablation. :class:`DistillWarmupHook` sets the
model's ``distill_loss.weight_scale`` to 0 before each of the first
``warmup_iters`` training iterations (only the two CE terms train: the
teacher learns to use the ingredient text) and to 1 from then on. It reads
the iteration from the runner at every step, so a resumed run continues
exactly where it stopped.
"""
from mmengine.hooks import Hook
from mmengine.model import is_model_wrapper

from mmseg.registry import HOOKS

__all__ = ['DistillWarmupHook']


@HOOKS.register_module()
class DistillWarmupHook(Hook):
    """Switch the distillation loss on after ``warmup_iters`` iterations.

    Args:
        warmup_iters: iterations (from 0) trained without the KL term (>= 0).
    """

    priority = 'NORMAL'

    def __init__(self, warmup_iters: int) -> None:
        if not isinstance(warmup_iters, int) or warmup_iters < 0:
            raise ValueError(f'warmup_iters must be an integer >= 0, got {warmup_iters!r}')
        self.warmup_iters = warmup_iters

    def before_train(self, runner) -> None:
        model = runner.model.module if is_model_wrapper(runner.model) else runner.model
        if getattr(model, 'distill_loss', None) is None:
            raise ValueError('DistillWarmupHook needs a model with a distill_loss '
                             '(a DCCD config)')

    def before_train_iter(self, runner, batch_idx: int, data_batch=None) -> None:
        model = runner.model.module if is_model_wrapper(runner.model) else runner.model
        model.distill_loss.weight_scale = 0.0 if runner.iter < self.warmup_iters else 1.0
