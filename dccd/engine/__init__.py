"""DCCD's engine parts: hooks and launch settings."""
from .hooks import (AtomicCheckpointHook, BroadcastBuffersHook, DistillWarmupHook,
                    FoodSegVisualizationHook, NonFiniteLossError, NonFiniteLossHook,
                    RandomStateHook)
from .launch import setup_cpu_dist, teardown_dist

__all__ = [
    'AtomicCheckpointHook', 'BroadcastBuffersHook', 'DistillWarmupHook',
    'FoodSegVisualizationHook', 'NonFiniteLossError', 'NonFiniteLossHook', 'RandomStateHook',
    'setup_cpu_dist', 'teardown_dist'
]
