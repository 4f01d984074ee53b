"""DCCD's engine parts: hooks, optimiser wrappers, precision and launch settings."""
from .hooks import (AtomicCheckpointHook, BroadcastBuffersHook, CudaBackendHook,
                    DistillWarmupHook, FoodSegVisualizationHook, NonFiniteLossError,
                    NonFiniteLossHook, RandomStateHook)
from .launch import setup_cpu_dist, teardown_dist
from .optimizers import AutocastOptimWrapper
from .precision import amp_dtype, apply_tf32, autocast, tf32_from_cfg, use_amp

__all__ = [
    'AtomicCheckpointHook', 'BroadcastBuffersHook', 'CudaBackendHook', 'DistillWarmupHook',
    'FoodSegVisualizationHook', 'NonFiniteLossError', 'NonFiniteLossHook', 'RandomStateHook',
    'AutocastOptimWrapper', 'setup_cpu_dist', 'teardown_dist', 'amp_dtype', 'apply_tf32',
    'autocast', 'tf32_from_cfg', 'use_amp'
]
