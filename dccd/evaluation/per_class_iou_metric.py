"""mmseg's IoUMetric that also returns each class's IoU.

:class:`mmseg.evaluation.IoUMetric` prints the per-class table but returns
only the means. Analyses such as the toy table (IoU of the look-alike
classes) need the per-class values as numbers: this metric adds them as
``IoU.<class name>`` (percent, two decimals, NaN for a class absent from both
prediction and ground truth).
"""
from typing import Dict

from mmseg.evaluation import IoUMetric
from mmseg.registry import METRICS

__all__ = ['PerClassIoUMetric']


@METRICS.register_module()
class PerClassIoUMetric(IoUMetric):
    """:class:`IoUMetric` plus ``IoU.<class>`` keys in the returned metrics."""

    def compute_metrics(self, results: list) -> Dict[str, float]:
        metrics = super().compute_metrics(results)
        if self.format_only:
            return metrics
        intersect = sum(r[0] for r in results).double()
        union = sum(r[1] for r in results).double()
        for name, iou in zip(self.dataset_meta['classes'], (intersect / union).tolist()):
            metrics[f'IoU.{name}'] = round(iou * 100, 2)
        return metrics
