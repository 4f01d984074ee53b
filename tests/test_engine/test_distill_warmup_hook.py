"""DistillWarmupHook: no KL term before ``warmup_iters``, the full one after."""
import math
from types import SimpleNamespace

import pytest
import torch
from mmengine.config import Config
from mmseg.registry import HOOKS

from dccd.engine import DistillWarmupHook
from dccd.models.losses import DistillKLLoss

REPO_CONFIGS = 'configs/foodseg103-mini'


def _runner(model, iteration):
    return SimpleNamespace(model=model, iter=iteration)


def test_kl_is_zero_before_and_full_from_warmup_iters():
    loss = DistillKLLoss(loss_weight=2.0)
    model = SimpleNamespace(distill_loss=loss)
    hook = HOOKS.build(dict(type='DistillWarmupHook', warmup_iters=3))
    hook.before_train(_runner(model, 0))
    uniform = torch.zeros(1, 2, 1, 1)
    skewed = torch.tensor([math.log(4), 0.]).view(1, 2, 1, 1)  # (.8, .2)
    seen = []
    for iteration in range(5):
        hook.before_train_iter(_runner(model, iteration), iteration)
        seen.append(round(loss(skewed, uniform).item(), 6))
    # 2 * KL((.5,.5) || (.8,.2)) = 2 ln 1.25 from iteration 3 on
    assert seen == [0.0, 0.0, 0.0, 0.446287, 0.446287]


def test_resumed_run_reads_the_iteration_not_a_counter():
    loss = DistillKLLoss()
    hook = DistillWarmupHook(warmup_iters=10)
    hook.before_train_iter(_runner(SimpleNamespace(distill_loss=loss), 12), 0)
    assert loss.weight_scale == 1.0
    hook.before_train_iter(_runner(SimpleNamespace(distill_loss=loss), 9), 0)
    assert loss.weight_scale == 0.0


def test_needs_a_distilling_model_and_a_count():
    with pytest.raises(ValueError, match='needs a model with a distill_loss'):
        DistillWarmupHook(5).before_train(_runner(SimpleNamespace(distill_loss=None), 0))
    for bad in (-1, 2.5, '10'):
        with pytest.raises(ValueError, match='warmup_iters must be an integer >= 0'):
            DistillWarmupHook(bad)


def test_warmup_config_states_only_the_hook():
    base = Config.fromfile(f'{REPO_CONFIGS}/dccd_efficientnet-lite0_foodseg103-mini.py')
    leaf = Config.fromfile(f'{REPO_CONFIGS}/dccd-warmuphalf_efficientnet-lite0_foodseg103-mini.py')
    # the first half of the schedule's 2,000 iterations
    assert base.train_cfg.max_iters == 2000
    assert leaf.custom_hooks == base.custom_hooks + [
        dict(type='DistillWarmupHook', warmup_iters=1000)]
    assert leaf.model == base.model and leaf.train_cfg == base.train_cfg
