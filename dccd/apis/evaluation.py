"""Evaluate a checkpoint's branches in one process, as ``tools/test.py`` does.

Written for DCCD (Apache-2.0). The results tools (the experiment tables,
ingredient robustness) evaluate several branches and ingredient lists of one
checkpoint. Building a ``Runner`` per evaluation would rebuild the model and
re-read the checkpoint each time; :func:`evaluate` runs the config's test
loader and evaluator over a model loaded once (:func:`load_model`), calling
:meth:`~dccd.models.segmentors.SelfDistillSegmentor.predict_branch` with the
branch as an argument. The metrics equal ``tools/test.py``'s (a test checks
it), with ``--tta`` too: a loader whose pipeline is the config's
``tta_pipeline`` (:func:`with_tta`) runs every view and merges them as
mmseg's ``SegTTAModel`` does. :func:`choose_threshold` picks an
automatic-list threshold, and :func:`choose_test_short_side` the test
resolution, on held-out training images, never on the test split.
"""
import copy
from typing import List, Optional, Sequence

import torch
from mmengine.device import get_device
from mmengine.evaluator import Evaluator
from mmengine.runner import Runner
from mmseg.models.segmentors import SegTTAModel
from mmseg.registry import MODELS

from ..evaluation.ingredient_presence_metric import micro_presence_scores
from ..utils import InputError, background_index, drop_pretrained, ingredient_ids
from ..utils.weights import load_checked_weights, read_checkpoint
from .ingredient_sources import TTA_TRANSFORM, with_presence_metric

__all__ = ['load_model', 'evaluate', 'choose_threshold', 'choose_auto', 'heldout_loader',
           'with_tta', 'with_test_short_side', 'choose_test_short_side', 'CHANGE_KEYS',
           'AUTO_THRESHOLDS']

#: What ``CorruptIngredients`` records about each list.
CHANGE_KEYS = ('ingredients_dropped', 'ingredients_added')
METRICS = ('mIoU', 'mAcc', 'aAcc')
#: Candidate thresholds of automatic lists: a class's share of the predicted
#: food area ('area'), or the presence head's probability ('presence').
AUTO_THRESHOLDS = dict(area=(0.0, 0.01, 0.02, 0.05, 0.1, 0.15, 0.2),
                       presence=(0.1, 0.2, 0.3, 0.4, 0.5, 0.6, 0.7))


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
             branch: str, auto: Optional[dict] = None) -> dict:
    """Metrics of ``branch`` on the loader's images.

    Args:
        model: from :func:`load_model`.
        loader_cfg: a test dataloader config (its pipeline decides the
            teacher's ingredient lists: GT, a file, corrupted; a
            ``TestTimeAug`` pipeline averages the views' class
            probabilities, as ``tools/test.py --tta``).
        evaluator_cfg: e.g. ``cfg.test_evaluator``; with
            ``PerClassIoUMetric`` the result holds ``IoU.<class>`` too.
        branch: 'student' or 'teacher'.
        auto (dict, optional): for the teacher, lists proposed from each
            image (``method``, ``threshold``; see
            :meth:`~dccd.models.segmentors.SelfDistillSegmentor.predict_auto`)
            instead of the loader's.

    Returns:
        dict: mIoU, mAcc, aAcc (4 decimals, as ``tools/test.py`` prints),
        the per-class ``IoU.<name>`` keys the metric returns, the
        ingredient-presence scores (``presence/seg_*``, ``presence/auto_*``),
        the number of images, and the ingredients that were true, dropped
        and added.
    """
    loader = Runner.build_dataloader(copy.deepcopy(loader_cfg))
    evaluator = Evaluator(with_presence_metric(copy.deepcopy(evaluator_cfg)))
    evaluator.dataset_meta = loader.dataset.metainfo
    tta = SegTTAModel(module=model) if is_tta(loader_cfg) else None

    def predict(data):
        data = model.data_preprocessor(data, False)
        if auto is not None:
            return model.predict_auto(data['inputs'], data['data_samples'], auto)
        return model.predict_branch(data['inputs'], data['data_samples'], branch)

    true = dropped = added = 0
    with torch.no_grad():
        for data in loader:
            if tta is None:
                outputs = predict(data)
            else:  # data holds one batch per view, as BaseTTAModel.test_step splits it
                views = [{key: value[i] for key, value in data.items()}
                         for i in range(len(data['inputs']))]
                outputs = tta.merge_preds(list(zip(*map(predict, views))))
            evaluator.process(data_samples=outputs, data_batch=data)
            for sample in outputs:
                meta = sample.metainfo
                lost, extra = (len(meta.get(k, [])) for k in CHANGE_KEYS)
                true += len(meta.get('ingredients', [])) - extra + lost
                dropped += lost
                added += extra
    evaluated = evaluator.evaluate(len(loader.dataset))
    metrics = {k.split('/')[-1]: v for k, v in evaluated.items()}
    result = {name: round(float(metrics[name]), 4) if name in metrics else None
              for name in METRICS}
    result.update({k: v for k, v in metrics.items() if k.startswith('IoU.')})
    result.update({k: v for k, v in evaluated.items() if k.startswith('presence/')})
    result.update(images=len(loader.dataset), true=true, dropped=dropped, added=added)
    return result


def choose_threshold(model: torch.nn.Module, loader_cfg: dict, method: str,
                     thresholds: Sequence[float], share: str = 'food') -> dict:
    """The proposal threshold with the best micro F1 on held-out images.

    Each image's proposal scores are computed once (the student's area
    shares, or the presence head's probabilities); each threshold then
    proposes the classes scoring at least it, scored against the classes of
    the image's GT mask (:mod:`dccd.evaluation.ingredient_presence_metric`).

    Args:
        model: from :func:`load_model`.
        loader_cfg: a held-out loader (``cfg.heldout_dataloader``), never
            the test split.
        method: 'area' or 'presence'.
        thresholds: the candidates; ties go to the first.
        share: for 'area', 'food' or 'image'.

    Returns:
        dict: ``threshold`` (the chosen one) and ``candidates``: per
        threshold the micro precision, recall and F1 (percent).
    """
    model.check_auto(method)
    loader = Runner.build_dataloader(copy.deepcopy(loader_cfg))
    background = background_index(model.class_names)
    scores: List[dict] = []
    truths: List[List[int]] = []
    with torch.no_grad():
        for data in loader:
            data = model.data_preprocessor(data, False)
            metas = [sample.metainfo for sample in data['data_samples']]
            feature = model.extract_feat(data['inputs'])[0]
            scores += model.propose_ingredients(feature, metas, method, 1.0, share)[1]
            truths += [ingredient_ids(sample.gt_sem_seg.data.cpu().numpy(), 255, background)
                       for sample in data['data_samples']]
    candidates = []
    for threshold in thresholds:
        proposed = [[c for c, s in image.items() if s >= threshold] for image in scores]
        precision, recall, f1 = micro_presence_scores(list(zip(proposed, truths)))
        candidates.append(dict(threshold=threshold, micro_precision=round(100 * precision, 2),
                               micro_recall=round(100 * recall, 2),
                               micro_f1=round(100 * f1, 2)))
    best = max(candidates, key=lambda c: c['micro_f1'])
    return dict(method=method, threshold=best['threshold'], images=len(scores),
                candidates=candidates)


def choose_auto(model: torch.nn.Module, cfg, method: Optional[str] = None,
                thresholds: Optional[Sequence[float]] = None) -> dict:
    """The automatic-list setting to evaluate ``model`` with: ``method``
    (default ``test_cfg.auto``'s) at the threshold :func:`choose_threshold`
    picks on the config's ``heldout_dataloader`` among ``thresholds``
    (default :data:`AUTO_THRESHOLDS`); without a held-out loader, the
    config's own threshold (``chosen_on`` says which).

    Returns:
        dict: ``method``, ``threshold``, ``chosen_on`` ('held-out' or
        'config') and, when chosen, ``heldout_images`` and ``candidates``.
    """
    method = method or model.test_cfg.auto['method']
    if 'heldout_dataloader' not in cfg:
        model.check_auto(method)
        return dict(method=method, threshold=model.test_cfg.auto['threshold'],
                    chosen_on='config')
    chosen = choose_threshold(model, cfg.heldout_dataloader, method,
                              thresholds or AUTO_THRESHOLDS[method])
    return dict(method=method, threshold=chosen['threshold'], chosen_on='held-out',
                heldout_images=chosen['images'], candidates=chosen['candidates'])


def heldout_loader(cfg, where: str, what: str) -> dict:
    """The config's ``heldout_dataloader`` (held-out training images), which
    ``what`` is chosen on; without one, an InputError naming ``where``."""
    if 'heldout_dataloader' not in cfg:
        raise InputError(f'{where}: {what} on held-out training images, and the config '
                         "has no 'heldout_dataloader'")
    return cfg.heldout_dataloader


def is_tta(loader_cfg: dict) -> bool:
    """Whether the loader's pipeline holds a ``TestTimeAug`` (several views per image)."""
    return any(t['type'] == TTA_TRANSFORM for t in loader_cfg['dataset']['pipeline'])


def with_tta(loader_cfg: dict, cfg, where: str = 'config') -> dict:
    """A copy of ``loader_cfg`` with the config's ``tta_pipeline`` (what
    ``tools/test.py --tta`` tests with); without one, an InputError naming ``where``."""
    if 'tta_pipeline' not in cfg:
        raise InputError(f"{where}: test-time augmentation needs the config's "
                         "'tta_pipeline', and it has none")
    loader_cfg = copy.deepcopy(loader_cfg)
    loader_cfg['dataset']['pipeline'] = copy.deepcopy(cfg.tta_pipeline)
    return loader_cfg


def with_test_short_side(loader_cfg: dict, short_side: int, where: str = 'config') -> dict:
    """A copy of ``loader_cfg`` whose pipeline's one ``Resize`` (``keep_ratio``,
    ``scale=(long, short)``) resizes the short side to ``short_side``, the
    long side's cap kept. Anything else is an InputError naming ``where``."""
    loader_cfg = copy.deepcopy(loader_cfg)
    resizes = [t for t in loader_cfg['dataset']['pipeline'] if t['type'] == 'Resize']
    if len(resizes) != 1 or not resizes[0].get('keep_ratio') or \
            len(resizes[0].get('scale') or ()) != 2:
        raise InputError(f'{where}: a test short side needs one Resize with keep_ratio=True '
                         f'and scale=(long, short) in the test pipeline, found {resizes}')
    resizes[0]['scale'] = (max(resizes[0]['scale']), int(short_side))
    return loader_cfg


def choose_test_short_side(model: torch.nn.Module, cfg, branch: str,
                           short_sides: Sequence[int], where: str = 'config') -> dict:
    """The test short side with the best mIoU of ``branch`` (GT lists for
    the teacher) on the config's held-out training images
    (``heldout_dataloader``), never on the test split; ties go to the first.

    Returns:
        dict: ``short_side`` (the chosen one), ``heldout_images`` and
        ``candidates``: per short side its held-out mIoU.
    """
    heldout = heldout_loader(cfg, where, 'the test short side is chosen')
    candidates, images = [], 0
    for short_side in short_sides:
        loader = with_test_short_side(heldout, short_side, where)
        metrics = evaluate(model, loader, cfg.test_evaluator, branch)
        candidates.append(dict(short_side=int(short_side), mIoU=metrics['mIoU']))
        images = metrics['images']
    best = max(candidates, key=lambda c: c['mIoU'])
    return dict(short_side=best['short_side'], heldout_images=images, candidates=candidates)
