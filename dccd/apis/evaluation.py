"""Evaluate a checkpoint's branches in one process, as ``tools/test.py`` does.

Written for DCCD (Apache-2.0). The results tools (the experiment tables,
ingredient robustness) evaluate several branches and ingredient lists of one
checkpoint. Building a ``Runner`` per evaluation would rebuild the model and
re-read the checkpoint each time; :func:`evaluate` runs the config's test
loader and evaluator over a model loaded once (:func:`load_model`), calling
:meth:`~dccd.models.segmentors.SelfDistillSegmentor.predict_branch` with the
branch as an argument. The metrics equal ``tools/test.py``'s (a test checks
it).
"""
import copy
from typing import Optional

import torch
from mmengine.device import get_device
from mmengine.evaluator import Evaluator
from mmengine.runner import Runner
from mmseg.registry import MODELS

from ..utils import drop_pretrained
from ..utils.weights import load_checked_weights, read_checkpoint

__all__ = ['load_model', 'evaluate', 'CHANGE_KEYS']

#: What ``CorruptIngredients`` records about each list.
CHANGE_KEYS = ('ingredients_dropped', 'ingredients_added')
METRICS = ('mIoU', 'mAcc', 'aAcc')


def load_model(cfg, checkpoint: str, device: Optional[str] = None) -> torch.nn.Module:
    """The segmentor of ``cfg`` with the checkpoint's weights, in eval mode.

    Pretrained-weight settings are dropped (the checkpoint brings every
    weight), so nothing is downloaded.
    """
    ckpt = read_checkpoint(checkpoint)
    model_cfg = copy.deepcopy(cfg.model)
    drop_pretrained(model_cfg)
    model = MODELS.build(model_cfg)
    load_checked_weights(model, ckpt, checkpoint)
    return model.to(device or get_device()).eval()


def evaluate(model: torch.nn.Module, loader_cfg: dict, evaluator_cfg: dict,
             branch: str) -> dict:
    """Metrics of ``branch`` on the loader's images.

    Args:
        model: from :func:`load_model`.
        loader_cfg: a test dataloader config (its pipeline decides the
            teacher's ingredient lists: GT, a file, corrupted).
        evaluator_cfg: e.g. ``cfg.test_evaluator``; with
            ``PerClassIoUMetric`` the result holds ``IoU.<class>`` too.
        branch: 'student' or 'teacher'.

    Returns:
        dict: mIoU, mAcc, aAcc (4 decimals, as ``tools/test.py`` prints),
        the per-class ``IoU.<name>`` keys the metric returns, the number of
        images, and the ingredients that were true, dropped and added.
    """
    loader = Runner.build_dataloader(copy.deepcopy(loader_cfg))
    evaluator = Evaluator(copy.deepcopy(evaluator_cfg))
    evaluator.dataset_meta = loader.dataset.metainfo
    true = dropped = added = 0
    with torch.no_grad():
        for data in loader:
            data = model.data_preprocessor(data, False)
            outputs = model.predict_branch(data['inputs'], data['data_samples'], branch)
            evaluator.process(data_samples=outputs, data_batch=data)
            for sample in outputs:
                meta = sample.metainfo
                lost, extra = (len(meta.get(k, [])) for k in CHANGE_KEYS)
                true += len(meta.get('ingredients', [])) - extra + lost
                dropped += lost
                added += extra
    metrics = {k.split('/')[-1]: v for k, v in evaluator.evaluate(len(loader.dataset)).items()}
    result = {name: round(float(metrics[name]), 4) if name in metrics else None
              for name in METRICS}
    result.update({k: v for k, v in metrics.items() if k.startswith('IoU.')})
    result.update(images=len(loader.dataset), true=true, dropped=dropped, added=added)
    return result
