"""Validate a multi-process run with exactly the weights its checkpoint holds.

Written for DCCD (Apache-2.0) on mmengine's ``Hook`` (Apache-2.0).
mmengine wraps the model in DDP with ``broadcast_buffers=False``, so with
plain ``BN`` every process keeps its own running statistics, computed on its
own share of the batches. A validation during training then evaluates rank
0's statistics on rank 0's images and rank 1's on rank 1's, a model that
exists nowhere: the mIoU logged during training is not what ``tools/test.py``
gives on the checkpoint, which holds rank 0's. :class:`BroadcastBuffersHook`
copies rank 0's buffers to every process before each validation, so the
logged metrics are exactly those of the checkpoint saved at that iteration
(``SyncBN`` and single-process runs are unaffected: the buffers are already
equal). Training itself does not read the running statistics.
"""
from mmengine.dist import broadcast, get_world_size
from mmengine.hooks import Hook

from mmseg.registry import HOOKS

__all__ = ['BroadcastBuffersHook']


@HOOKS.register_module()
class BroadcastBuffersHook(Hook):
    """Before each validation, give every process rank 0's model buffers.

    Added to every DCCD config by ``configs/_base_/default_runtime.py``
    (``custom_hooks``). Priority ``NORMAL``.
    """

    priority = 'NORMAL'

    def before_val_epoch(self, runner) -> None:
        """Broadcast the buffers (BN running mean / var / count) from rank 0."""
        if get_world_size() == 1:
            return
        model = getattr(runner.model, 'module', runner.model)
        for buffer in model.buffers():
            broadcast(buffer, src=0)
