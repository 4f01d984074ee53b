"""PerClassIoUMetric's per-class IoU against a hand computation on the 65 real
FoodSeg103 sample masks with perturbed predictions (its means are mmseg's)."""
import glob
import math
import os.path as osp

import cv2
import numpy as np
import pytest
import torch

from dccd.evaluation import PerClassIoUMetric
from dccd.utils import FOODSEG103_CLASSES


def perturbed(gt: np.ndarray, index: int, absent_from_gt: int) -> np.ndarray:
    """A prediction: the GT shifted right by 3 px, every 4th image's largest
    food relabelled as the next class, and a 5x5 patch of a class no GT has."""
    pred = np.roll(gt, 3, axis=1)
    foods = [c for c in np.unique(gt) if c not in (0, 255)]
    if index % 4 == 0 and foods:
        largest = max(foods, key=lambda c: (gt == c).sum())
        pred[gt == largest] = largest % 102 + 1
    pred[:5, :5] = absent_from_gt
    return pred


def test_per_class_values_on_real_masks(foodseg_sample):
    masks = [cv2.imread(p, cv2.IMREAD_UNCHANGED)
             for p in sorted(glob.glob(osp.join(foodseg_sample, 'masks', '*.png')))]
    assert len(masks) == 65
    in_gt = set(np.unique(np.concatenate([np.unique(m) for m in masks])).tolist())
    absent = [c for c in range(104) if c not in in_gt]
    predicted_only, never = absent[0], absent[1]  # one predicted, one nowhere
    preds = [perturbed(m, i, predicted_only) for i, m in enumerate(masks)]

    metric = PerClassIoUMetric(iou_metrics=['mIoU'])
    metric.dataset_meta = dict(classes=FOODSEG103_CLASSES)
    for pred, gt in zip(preds, masks):
        metric.process({}, [dict(pred_sem_seg=dict(data=torch.from_numpy(pred)[None].long()),
                                 gt_sem_seg=dict(data=torch.from_numpy(gt)[None].long()))])
    result = metric.compute_metrics(metric.results)

    # by hand: pixels counted where the GT is not 255 (ignored)
    inter, union = np.zeros(104), np.zeros(104)
    for pred, gt in zip(preds, masks):
        keep = gt != 255
        for c in range(104):
            p, g = (pred == c) & keep, (gt == c) & keep
            inter[c] += (p & g).sum()
            union[c] += (p | g).sum()
    for c, name in enumerate(FOODSEG103_CLASSES):
        if union[c] == 0:
            assert math.isnan(result[f'IoU.{name}']), name
        else:
            assert result[f'IoU.{name}'] == pytest.approx(
                round(100 * inter[c] / union[c], 2), abs=0.006), name
    assert math.isnan(result[f'IoU.{FOODSEG103_CLASSES[never]}'])  # absent from both
    assert result[f'IoU.{FOODSEG103_CLASSES[predicted_only]}'] == 0.0  # predicted, not in GT
    # the mean skips the NaN class and counts the predicted-only one as 0
    ious = [100 * inter[c] / union[c] for c in range(104) if union[c] > 0]
    assert result['mIoU'] == pytest.approx(np.mean(ious), abs=0.01)
    predicted = set(np.unique(np.concatenate([np.unique(p) for p in preds])).tolist())
    assert len(ious) == len((in_gt | predicted) - {255}) > len(in_gt - {255})
