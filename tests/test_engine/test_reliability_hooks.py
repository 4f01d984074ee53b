"""RandomStateHook, AtomicCheckpointHook and NonFiniteLossHook on a toy Runner.

Seconds-fast, in process; the tools are tested end to end (SIGKILL, resume,
two processes) in tests/test_tools/test_reliability.py.
"""
import os
import os.path as osp

import random

import numpy as np
import pytest
import torch
from engine_toys import build_runner
from mmengine.fileio import LocalBackend
from mmengine.hooks import Hook

from dccd.engine import NonFiniteLossError
from dccd.engine.hooks.non_finite_loss_hook import non_finite_terms
from dccd.engine.hooks.random_state_hook import get_rng_states, set_rng_states


class _Crash(Exception):
    pass


class _CrashBefore(Hook):
    """Raise before the given (0-based, global) iteration."""

    def __init__(self, at):
        self.at = at

    def before_train_iter(self, runner, batch_idx, data_batch=None):
        if runner.iter == self.at:
            raise _Crash()


def _resumed_losses(tmp_path, rng_hook, **kwargs):
    """Losses after the checkpoint: uninterrupted, and crashed one iteration
    after it, then resumed."""
    full = build_runner(tmp_path / 'full', rng_hook=rng_hook, **kwargs)
    full.train()
    done = 8 if kwargs.get('by_epoch') else 3  # iterations in the checkpoint
    crashed = build_runner(tmp_path / 'crash', rng_hook=rng_hook,
                           extra_hooks=[_CrashBefore(at=done + 1)], **kwargs)
    with pytest.raises(_Crash):
        crashed.train()
    assert crashed.model.losses == full.model.losses[:done + 1]  # same seed, same run
    resumed = build_runner(tmp_path / 'crash', rng_hook=rng_hook, resume=True, **kwargs)
    resumed.train()
    return full.model.losses[done:], resumed.model.losses


def test_resume_repeats_the_uninterrupted_run_exactly(tmp_path):
    expected, resumed = _resumed_losses(tmp_path, rng_hook=True)
    assert len(resumed) == 3
    assert resumed == expected  # bit-identical on CPU


def test_epoch_based_resume_is_exact_too(tmp_path):
    # 3 epochs of 4 iterations, checkpoint every epoch: resumed from epoch 2
    expected, resumed = _resumed_losses(tmp_path, rng_hook=True, by_epoch=True,
                                        max_iters=3, ckpt_interval=1, val_interval=1)
    assert len(resumed) == 4 and resumed == expected


def test_without_the_hook_the_resume_differs(tmp_path):
    # the test above can fail: mmengine alone re-seeds and draws other noise
    expected, resumed = _resumed_losses(tmp_path, rng_hook=False)
    assert resumed != expected


def test_rng_state_is_safe_loadable_and_restores(tmp_path):
    runner = build_runner(tmp_path, max_iters=3, ckpt_interval=3)
    runner.train()
    ckpt = torch.load(tmp_path / 'iter_3.pth', map_location='cpu', weights_only=True)
    state = ckpt['rng_state']
    assert set(state) >= {'torch', 'data_stream', 'saved'}
    assert state['torch'].dtype == torch.uint8
    assert state['data_stream']['numpy']['keys'].shape == (624, )
    before = get_rng_states()
    draws = (torch.rand(3).tolist(), np.random.rand(3).tolist(), random.random())
    set_rng_states(before)
    assert (torch.rand(3).tolist(), np.random.rand(3).tolist(), random.random()) == draws


def test_validation_does_not_change_training_randomness(tmp_path):
    every_2 = build_runner(tmp_path / 'a', val_interval=2)
    every_2.train()
    never = build_runner(tmp_path / 'b', val_interval=100)
    never.train()
    assert every_2.model.losses == never.model.losses
    # without the hook, validation's draws shift the training noise
    unguarded = build_runner(tmp_path / 'c', val_interval=2, rng_hook=False)
    unguarded.train()
    assert unguarded.model.losses[2:] != never.model.losses[2:]


def test_checkpoint_is_never_partial(tmp_path, monkeypatch):
    first = build_runner(tmp_path, max_iters=3, ckpt_interval=3, max_keep_ckpts=1)
    first.train()
    good = tmp_path / 'iter_3.pth'
    assert (tmp_path / 'last_checkpoint').read_text() == str(good)

    put = LocalBackend.put

    def torn_put(self, obj, filepath):  # the process dies half-way through the write
        put(self, obj[:len(obj) // 2], filepath)
        raise _Crash()

    monkeypatch.setattr(LocalBackend, 'put', torn_put)
    second = build_runner(tmp_path, max_iters=6, ckpt_interval=3, max_keep_ckpts=1,
                          resume=True)
    with pytest.raises(_Crash):
        second.train()
    assert not (tmp_path / 'iter_6.pth').exists()
    assert (tmp_path / '.iter_6.pth.tmp').exists()
    # last_checkpoint still names the complete one, which was not deleted
    assert (tmp_path / 'last_checkpoint').read_text() == str(good)
    torch.load(good, weights_only=True)

    monkeypatch.setattr(LocalBackend, 'put', put)
    third = build_runner(tmp_path, max_iters=6, ckpt_interval=3, max_keep_ckpts=1,
                         resume=True)
    third.train()
    assert sorted(f for f in os.listdir(tmp_path) if 'pth' in f) == ['iter_6.pth']
    assert (tmp_path / 'last_checkpoint').read_text() == str(tmp_path / 'iter_6.pth')


def test_non_finite_loss_stops_before_the_checkpoint(tmp_path):
    runner = build_runner(tmp_path, ckpt_interval=1, nan_from_iter=5)
    with pytest.raises(NonFiniteLossError) as info:
        runner.train()
    message = str(info.value)
    assert '\n' not in message
    assert message.startswith('non-finite loss at iteration 5: loss_b=nan, loss=nan;')
    assert 'loss_a' not in message
    assert message.endswith(f'(last good checkpoint: {tmp_path / "iter_4.pth"})')
    assert osp.isfile(tmp_path / 'iter_4.pth') and not osp.exists(tmp_path / 'iter_5.pth')
    assert (tmp_path / 'last_checkpoint').read_text() == str(tmp_path / 'iter_4.pth')


def test_non_finite_terms():
    outputs = dict(loss=torch.tensor(float('inf')), loss_x=torch.tensor(1.0),
                   acc=torch.tensor(float('nan')), **{'aux.loss_ce': float('inf')})
    assert non_finite_terms(outputs) == ['aux.loss_ce=inf', 'loss=inf']
    assert non_finite_terms(dict(loss=torch.tensor(2.0))) == []


def _broadcast_on_rank(rank, init_file, results):
    import torch.distributed as dist
    from types import SimpleNamespace

    from dccd.engine import BroadcastBuffersHook
    dist.init_process_group('gloo', init_method=f'file://{init_file}', rank=rank,
                            world_size=2)
    bn = torch.nn.BatchNorm1d(3)
    bn.running_mean.fill_(float(rank + 1))  # each rank saw other batches
    bn.num_batches_tracked.fill_(10 + rank)
    BroadcastBuffersHook().before_val_epoch(SimpleNamespace(model=bn))
    results[rank] = (bn.running_mean.tolist(), int(bn.num_batches_tracked))
    dist.destroy_process_group()


def test_validation_uses_rank_zero_buffers(tmp_path):
    import torch.multiprocessing as mp
    results = mp.Manager().dict()
    mp.start_processes(_broadcast_on_rank, args=(str(tmp_path / 'init'), results),
                       nprocs=2, start_method='spawn')  # no fork after torch
    assert results[0] == results[1] == ([1.0, 1.0, 1.0], 10)
