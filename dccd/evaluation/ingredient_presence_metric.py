"""How well a model knows what is on the plate: ingredient-list precision and recall.

Written for DCCD (Apache-2.0). Users of food apps care about which ingredients
a photo holds as much as about their pixels. For each image, with GT the
classes present in its full ground-truth mask (background and the ignore label
excluded) and P a list the model gives:

    precision = |P ∩ GT| / |P|,  recall = |P ∩ GT| / |GT|   (0/0 counts as 1)
    F1 = 2 precision recall / (precision + recall)          (0 when both are 0)

averaged over the images; the micro averages take the same ratios of counts
summed over the set. Two lists are scored: the classes the evaluated branch's
own segmentation predicts (at least one pixel: ``seg_*``), always, and the
list proposed for the teacher (``metainfo['proposed_ingredients']``,
``auto_*``) when there is one.
"""
from typing import Dict, List, Optional, Sequence, Tuple

import numpy as np
from mmengine.evaluator import BaseMetric
from mmseg.registry import METRICS

from ..utils import background_index, ingredient_ids

__all__ = ['IngredientPresenceMetric', 'presence_scores', 'micro_presence_scores']


def _ratio(part: int, whole: int) -> float:
    return 1.0 if whole == 0 else part / whole


def presence_scores(proposed: Sequence[int], truth: Sequence[int]) -> Tuple[float, float, float]:
    """(precision, recall, F1) of one proposed list against the true one."""
    proposed, truth = set(proposed), set(truth)
    hits = len(proposed & truth)
    precision, recall = _ratio(hits, len(proposed)), _ratio(hits, len(truth))
    f1 = 0.0 if precision + recall == 0 else 2 * precision * recall / (precision + recall)
    return precision, recall, f1


def micro_presence_scores(pairs: Sequence[Tuple[Sequence[int], Sequence[int]]]
                          ) -> Tuple[float, float, float]:
    """(precision, recall, F1) of counts summed over (proposed, truth) pairs."""
    hits = sum(len(set(p) & set(t)) for p, t in pairs)
    precision = _ratio(hits, sum(len(set(p)) for p, _ in pairs))
    recall = _ratio(hits, sum(len(set(t)) for _, t in pairs))
    f1 = 0.0 if precision + recall == 0 else 2 * precision * recall / (precision + recall)
    return precision, recall, f1


def _summary(pairs: List[Tuple[List[int], List[int]]]) -> Dict[str, float]:
    """Per-image means and micro averages (percent) of (proposed, truth) pairs."""
    per_image = np.array([presence_scores(p, t) for p, t in pairs])
    micro_p, micro_r, micro_f1 = micro_presence_scores(pairs)
    values = dict(precision=per_image[:, 0].mean(), recall=per_image[:, 1].mean(),
                  f1=per_image[:, 2].mean(), micro_precision=micro_p,
                  micro_recall=micro_r, micro_f1=micro_f1)
    return {k: round(100 * float(v), 2) for k, v in values.items()}


@METRICS.register_module()
class IngredientPresenceMetric(BaseMetric):
    """Precision / recall / F1 of ingredient lists, per image and micro.

    Args:
        ignore_index (int): the unlabelled value of the GT. Default: 255.
        collect_device, prefix: as mmengine's ``BaseMetric``.
    """
    default_prefix = 'presence'

    def __init__(self, ignore_index: int = 255, collect_device: str = 'cpu',
                 prefix: Optional[str] = None) -> None:
        super().__init__(collect_device=collect_device, prefix=prefix)
        self.ignore_index = ignore_index

    def process(self, data_batch, data_samples: Sequence[dict]) -> None:
        """Record each image's true, segmented and proposed class ids."""
        background = background_index(self.dataset_meta['classes'])
        for sample in data_samples:
            gt = sample['gt_sem_seg']['data'].cpu().numpy()
            pred = sample['pred_sem_seg']['data'].cpu().numpy()
            proposed = sample.get('proposed_ingredients')
            self.results.append(dict(
                truth=ingredient_ids(gt, self.ignore_index, background),
                seg=ingredient_ids(pred, self.ignore_index, background),
                proposed=None if proposed is None else [int(i) for i in proposed]))

    def compute_metrics(self, results: list) -> Dict[str, float]:
        """``seg_*`` always, ``auto_*`` when lists were proposed."""
        metrics = {f'seg_{k}': v for k, v in
                   _summary([(r['seg'], r['truth']) for r in results]).items()}
        if all(r['proposed'] is not None for r in results):
            metrics.update({f'auto_{k}': v for k, v in _summary(
                [(r['proposed'], r['truth']) for r in results]).items()})
        return metrics
