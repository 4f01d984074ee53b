"""DCCD's runner hooks."""
from .atomic_checkpoint_hook import AtomicCheckpointHook
from .broadcast_buffers_hook import BroadcastBuffersHook
from .cuda_backend_hook import CudaBackendHook
from .distill_warmup_hook import DistillWarmupHook
from .food_seg_visualization_hook import FoodSegVisualizationHook, overlay_name
from .non_finite_loss_hook import NonFiniteLossError, NonFiniteLossHook
from .random_state_hook import RandomStateHook

__all__ = [
    'AtomicCheckpointHook', 'BroadcastBuffersHook', 'CudaBackendHook', 'DistillWarmupHook',
    'FoodSegVisualizationHook', 'NonFiniteLossError', 'NonFiniteLossHook', 'RandomStateHook', 'overlay_name'
]
