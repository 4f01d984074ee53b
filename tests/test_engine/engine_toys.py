"""A seconds-fast mmengine Runner for the hook tests (no registration needed).

The model draws its noise from torch (as DCCD's diffusion segmentor), the
dataset draws its "augmentation" from numpy and Python's ``random`` in the
main process (as mmcv transforms with ``num_workers=0``), and validation
draws from torch too: every stream the resume has to get right.
"""
import random
import uuid

import numpy as np
import torch
import torch.nn as nn
from mmengine.evaluator import BaseMetric, Evaluator
from mmengine.model import BaseModel
from mmengine.runner import Runner
from torch.utils.data import Dataset

from dccd.engine import AtomicCheckpointHook, NonFiniteLossHook, RandomStateHook


class NoisyRegressor(BaseModel):
    """Linear regression with torch noise and dropout; records its losses.

    Args:
        nan_from_iter (int, optional): from this (1-based) training
            iteration on, ``loss_b`` is NaN.
    """

    def __init__(self, nan_from_iter=None):
        super().__init__()
        self.linear = nn.Linear(4, 1)
        self.dropout = nn.Dropout(0.5)
        self.nan_from_iter = nan_from_iter
        self.losses = []
        self.steps = 0

    def forward(self, inputs, data_samples=None, mode='tensor'):
        x = torch.stack(inputs)
        if mode == 'loss':
            self.steps += 1
            y = torch.stack(data_samples)
            pred = self.linear(self.dropout(x + 0.1 * torch.randn_like(x)))[:, 0]
            loss_a = ((pred - y) ** 2).mean()
            loss_b = 0.1 * pred.abs().mean()
            if self.nan_from_iter is not None and self.steps >= self.nan_from_iter:
                loss_b = loss_b * float('nan')
            self.losses.append(loss_a.item())
            return dict(loss_a=loss_a, loss_b=loss_b)
        return list(self.linear(x + torch.randn_like(x))[:, 0])


class JitteredData(Dataset):
    """16 samples whose inputs get numpy and ``random`` jitter on each read."""

    metainfo = dict(classes=('y', ))

    def __init__(self):
        gen = torch.Generator().manual_seed(0)
        self.x = torch.randn(16, 4, generator=gen)
        self.y = self.x.sum(1)

    def __len__(self):
        return len(self.x)

    def __getitem__(self, i):
        jitter = np.random.normal(size=4) * 0.1 + random.random() * 0.1
        return dict(inputs=self.x[i] + torch.from_numpy(jitter).float(),
                    data_samples=self.y[i])


class MeanPrediction(BaseMetric):
    """Mean prediction: any number, validation only has to run."""

    def process(self, data_batch, data_samples):
        self.results.extend(float(p) for p in data_samples)

    def compute_metrics(self, results):
        return dict(mean=float(np.mean(results)))


def build_runner(work_dir, max_iters=6, ckpt_interval=3, val_interval=2, resume=False,
                 rng_hook=True, nan_from_iter=None, max_keep_ckpts=-1,
                 extra_hooks=(), by_epoch=False):
    """A Runner on :class:`NoisyRegressor` (seed 0), iteration-based, or
    epoch-based (``by_epoch``: ``max_iters`` and the intervals count epochs
    of 4 iterations)."""
    hooks = [NonFiniteLossHook()] + list(extra_hooks)
    if rng_hook:
        hooks.insert(0, RandomStateHook())
    loader = dict(batch_size=4, num_workers=0, dataset=JitteredData())
    torch.manual_seed(0)  # the model is built before the Runner seeds
    return Runner(
        model=NoisyRegressor(nan_from_iter),
        work_dir=str(work_dir),
        experiment_name=f'toy_{uuid.uuid4().hex}',
        train_dataloader=dict(loader, sampler=dict(
            type='DefaultSampler' if by_epoch else 'InfiniteSampler', shuffle=True)),
        val_dataloader=dict(loader, sampler=dict(type='DefaultSampler', shuffle=False)),
        val_evaluator=Evaluator(MeanPrediction()),
        val_cfg=dict(),
        optim_wrapper=dict(optimizer=dict(type='SGD', lr=0.05, momentum=0.9)),
        param_scheduler=dict(type='LinearLR', start_factor=0.2, by_epoch=by_epoch,
                             begin=0, end=max_iters),
        train_cfg=(dict(by_epoch=True, max_epochs=max_iters, val_interval=val_interval)
                   if by_epoch else
                   dict(by_epoch=False, max_iters=max_iters, val_interval=val_interval)),
        default_hooks=dict(
            logger=dict(type='LoggerHook', interval=1),
            checkpoint=AtomicCheckpointHook(interval=ckpt_interval, by_epoch=by_epoch,
                                            max_keep_ckpts=max_keep_ckpts)),
        custom_hooks=hooks,
        log_processor=dict(by_epoch=by_epoch),
        randomness=dict(seed=0),
        resume=resume,
        default_scope='mmseg')
