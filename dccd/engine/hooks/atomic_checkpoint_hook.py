"""A CheckpointHook that never leaves a partial checkpoint as the latest one.

Written for DCCD (Apache-2.0) on mmengine's ``CheckpointHook`` (Apache-2.0).
mmengine writes ``iter_<k>.pth`` in place and then rewrites the
``last_checkpoint`` file that ``--resume`` follows; it also deletes the oldest
checkpoint (``max_keep_ckpts``) *before* writing the new one. A crash or
SIGKILL in the middle can leave a truncated ``iter_<k>.pth``, an empty
``last_checkpoint``, or fewer complete checkpoints than promised.
:class:`AtomicCheckpointHook` (used by every DCCD config) writes each
checkpoint to ``.iter_<k>.pth.tmp`` in the same folder, flushes it to disk,
renames it into place (``os.replace``: atomic on one file system), then
replaces ``last_checkpoint`` the same way, and only then deletes the oldest
checkpoint. So ``last_checkpoint`` always names a complete file. Temporary
files left by a killed run are removed when training starts again.

Local folders only; for other storage backends (``backend_args``) the hook
behaves exactly like ``CheckpointHook``.
"""
import glob
import os
import os.path as osp

from mmengine.dist import is_main_process
from mmengine.fileio import LocalBackend
from mmengine.hooks import CheckpointHook

from mmseg.registry import HOOKS

from ...utils.atomic_io import write_bytes_atomic

__all__ = ['AtomicCheckpointHook']


def _fsync(path: str) -> None:
    with open(path, 'rb') as f:
        os.fsync(f.fileno())


@HOOKS.register_module()
class AtomicCheckpointHook(CheckpointHook):
    """``CheckpointHook`` whose checkpoints and ``last_checkpoint`` appear whole.

    Same arguments and priority (``VERY_LOW``) as mmengine's
    ``CheckpointHook``; use it as ``default_hooks.checkpoint``.
    """

    def _is_local(self) -> bool:
        return isinstance(self.file_backend, LocalBackend)

    def _tmp_name(self, filename: str) -> str:
        return f'.{filename}.tmp'

    def before_train(self, runner) -> None:
        """Set up as ``CheckpointHook``; remove temporary files of a killed run."""
        super().before_train(runner)
        if self._is_local() and is_main_process():
            pattern = self._tmp_name(self.filename_tmpl.format('*'))
            for stale in glob.glob(osp.join(glob.escape(self.out_dir), pattern)):
                os.remove(stale)

    def _save_checkpoint_with_step(self, runner, step, meta) -> None:
        if not self._is_local():
            return super()._save_checkpoint_with_step(runner, step, meta)
        # max_keep_ckpts bookkeeping as CheckpointHook's, but the oldest file
        # is deleted only after the new one is complete
        outdated = None
        if self.max_keep_ckpts > 0 and not (
                self.keep_ckpt_ids and self.keep_ckpt_ids[-1] == step):
            if len(self.keep_ckpt_ids) == self.max_keep_ckpts:
                outdated = self.keep_ckpt_ids.popleft()
            self.keep_ckpt_ids.append(step)
            runner.message_hub.update_info('keep_ckpt_ids', list(self.keep_ckpt_ids))

        filename = self.filename_tmpl.format(step)
        final = osp.join(self.out_dir, filename)
        self.last_ckpt = final
        runner.message_hub.update_info('last_ckpt', final)
        tmp_name = self._tmp_name(filename)
        runner.save_checkpoint(
            self.out_dir, tmp_name, self.file_client_args,
            save_optimizer=self.save_optimizer,
            save_param_scheduler=self.save_param_scheduler,
            meta=meta, by_epoch=self.by_epoch, backend_args=self.backend_args,
            **self.args)
        if not is_main_process():
            return
        tmp = osp.join(self.out_dir, tmp_name)
        _fsync(tmp)
        os.replace(tmp, final)
        write_bytes_atomic(osp.join(runner.work_dir, 'last_checkpoint'), final.encode())
        if outdated is not None and outdated != step:
            old = osp.join(self.out_dir, self.filename_tmpl.format(outdated))
            if osp.isfile(old):
                os.remove(old)
