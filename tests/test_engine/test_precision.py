"""Precision on a GPU, checked on the CPU (issue 20): what --amp builds, the
optimiser wrapper without a loss scaler, TF32 only with CUDA, cuDNN
autotuning for training only."""
from types import SimpleNamespace

import pytest
import torch
from mmengine.config import Config
from mmengine.optim import build_optim_wrapper
from torch import nn

from dccd.engine import AutocastOptimWrapper, CudaBackendHook, amp_dtype, apply_tf32, use_amp
from dccd.utils import InputError


def test_amp_is_bf16_without_a_scaler_where_native_else_fp16_with_one(monkeypatch):
    assert amp_dtype('cpu') == torch.bfloat16
    monkeypatch.setattr(torch.cuda, 'get_device_capability', lambda device=None: (8, 0))
    assert amp_dtype('cuda') == torch.bfloat16  # A100 / H100
    wrapper = dict(type='OptimWrapper', optimizer=dict(type='AdamW', lr=1e-4))
    assert use_amp(wrapper, 'cuda') == 'bfloat16'
    assert wrapper == dict(type='AutocastOptimWrapper', dtype='bfloat16',
                           optimizer=dict(type='AdamW', lr=1e-4))
    monkeypatch.setattr(torch.cuda, 'get_device_capability', lambda device=None: (7, 0))
    assert amp_dtype('cuda') == torch.float16  # V100: no bf16 units
    wrapper = dict(type='OptimWrapper', optimizer=dict(type='AdamW', lr=1e-4))
    assert use_amp(wrapper, 'cuda') == 'float16'
    assert (wrapper['type'], wrapper['dtype'], wrapper['loss_scale']) == (
        'AmpOptimWrapper', 'float16', 'dynamic')
    assert use_amp(wrapper, 'cuda') == 'float16'  # already AMP: left alone
    with pytest.raises(InputError, match='OptimWrapper, the config has OptimWrapperDict'):
        use_amp(dict(type='OptimWrapperDict'), 'cpu')


def test_autocast_optim_wrapper_steps_in_bf16_without_a_loss_scaler():
    torch.manual_seed(0)
    model = nn.Sequential(nn.Linear(4, 8), nn.ReLU(), nn.Linear(8, 1))
    wrapper = build_optim_wrapper(model, Config(dict(optim_wrapper=dict(
        type='AutocastOptimWrapper', optimizer=dict(type='SGD', lr=0.1)))).optim_wrapper)
    assert isinstance(wrapper, AutocastOptimWrapper) and wrapper.cast_dtype == torch.bfloat16
    assert not hasattr(wrapper, 'loss_scaler')
    before = [p.detach().clone() for p in model.parameters()]
    with wrapper.optim_context(model):
        out = model(torch.randn(16, 4))
    assert out.dtype == torch.bfloat16
    wrapper.update_params(out.float().square().mean())
    assert all(not torch.equal(a, b) for a, b in zip(before, model.parameters()))
    assert all(p.dtype == torch.float32 for p in model.parameters())
    assert 'loss_scaler' not in wrapper.state_dict()


def test_tf32_changes_nothing_without_cuda(monkeypatch):
    flags = (torch.backends.cuda.matmul.allow_tf32, torch.backends.cudnn.allow_tf32)
    monkeypatch.setattr(torch.cuda, 'is_available', lambda: False)
    apply_tf32(True)
    apply_tf32(False)
    assert (torch.backends.cuda.matmul.allow_tf32, torch.backends.cudnn.allow_tf32) == flags


def test_tf32_on_cuda_follows_the_config_key(monkeypatch):
    flags = (torch.backends.cuda.matmul.allow_tf32, torch.backends.cudnn.allow_tf32)
    monkeypatch.setattr(torch.cuda, 'is_available', lambda: True)
    try:
        hook = CudaBackendHook()
        hook.before_run(SimpleNamespace(cfg=Config(dict(env_cfg=dict(tf32=True)))))
        assert torch.backends.cuda.matmul.allow_tf32 and torch.backends.cudnn.allow_tf32
        hook.before_run(SimpleNamespace(cfg=Config(dict(env_cfg=dict(tf32=False)))))
        assert not (torch.backends.cuda.matmul.allow_tf32 or torch.backends.cudnn.allow_tf32)
        hook.before_run(SimpleNamespace(cfg=Config(dict())))  # default: on
        assert torch.backends.cuda.matmul.allow_tf32
    finally:
        torch.backends.cuda.matmul.allow_tf32, torch.backends.cudnn.allow_tf32 = flags


def test_cudnn_benchmark_is_off_while_evaluating_and_back_after():
    saved = torch.backends.cudnn.benchmark
    try:
        torch.backends.cudnn.benchmark = True  # env_cfg.cudnn_benchmark, for training
        hook = CudaBackendHook()
        hook.before_val(None)
        assert torch.backends.cudnn.benchmark is False
        hook.after_val(None)
        assert torch.backends.cudnn.benchmark is True
        hook.before_test(None)
        assert torch.backends.cudnn.benchmark is False
        hook.after_test(None)
        assert torch.backends.cudnn.benchmark is True
    finally:
        torch.backends.cudnn.benchmark = saved


def test_every_dccd_config_has_the_hook_and_tf32_on():
    from conftest import REPO
    cfg = Config.fromfile(f'{REPO}/configs/foodseg103_dccd.py')
    assert cfg.env_cfg.tf32 is True and cfg.env_cfg.cudnn_benchmark is True
    assert dict(type='CudaBackendHook') in cfg.custom_hooks
