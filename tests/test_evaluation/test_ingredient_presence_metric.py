"""Ingredient-list precision / recall / F1, on hand-made sets."""
import pytest
import torch

from dccd.evaluation import IngredientPresenceMetric, presence_scores
from dccd.utils import TOY_FOOD_CLASSES, propose_by_area


@pytest.mark.parametrize('proposed, truth, expected', [
    ([], [], (1.0, 1.0, 1.0)),              # both empty: 0/0 counts as 1
    ([], [1, 2], (1.0, 0.0, 0.0)),          # nothing proposed: precision 0/0 = 1
    ([3, 4], [1, 2], (0.0, 0.0, 0.0)),      # all wrong: F1 0 (P + R = 0)
    ([2, 1], [1, 2], (1.0, 1.0, 1.0)),      # all right, any order
    ([1, 3, 4, 5], [1, 2], (0.25, 0.5, 1 / 3)),
])
def test_presence_scores(proposed, truth, expected):
    assert presence_scores(proposed, truth) == pytest.approx(expected)


def sample(gt, pred, proposed=None):
    out = dict(gt_sem_seg=dict(data=torch.tensor(gt)[None]),
               pred_sem_seg=dict(data=torch.tensor(pred)[None]))
    if proposed is not None:
        out['proposed_ingredients'] = proposed
    return out


def test_metric_means_and_micro_averages():
    metric = IngredientPresenceMetric()
    metric.dataset_meta = dict(classes=TOY_FOOD_CLASSES)
    metric.process({}, [
        # GT {1, 2} (255 ignored), segmentation {1}, proposed {1, 3, 4, 5}
        sample([[0, 1], [2, 255]], [[0, 1], [0, 0]], [1, 3, 4, 5]),
        # GT {} (background only), segmentation {}, proposed {}
        sample([[0, 0], [0, 0]], [[0, 0], [0, 0]], []),
    ])
    result = metric.compute_metrics(metric.results)
    # segmentation: image 1 P 1, R 0.5, F1 2/3; image 2: 1, 1, 1
    assert result['seg_precision'] == 100.0 and result['seg_recall'] == 75.0
    assert result['seg_f1'] == pytest.approx(83.33, abs=0.01)
    # micro: 1 hit of 1 segmented, of 2 true
    assert (result['seg_micro_precision'], result['seg_micro_recall']) == (100.0, 50.0)
    assert result['seg_micro_f1'] == pytest.approx(66.67, abs=0.01)
    # proposed: image 1 P 0.25 R 0.5 F1 1/3; image 2 1 1 1; micro 1/4 and 1/2
    assert (result['auto_precision'], result['auto_recall']) == (62.5, 75.0)
    assert result['auto_f1'] == pytest.approx(66.67, abs=0.01)
    assert (result['auto_micro_precision'], result['auto_micro_recall']) == (25.0, 50.0)


def test_without_proposals_only_the_segmentation_is_scored():
    metric = IngredientPresenceMetric()
    metric.dataset_meta = dict(classes=TOY_FOOD_CLASSES)
    metric.process({}, [sample([[0, 1]], [[0, 1]])])
    assert set(metric.compute_metrics(metric.results)) == {
        'seg_precision', 'seg_recall', 'seg_f1', 'seg_micro_precision',
        'seg_micro_recall', 'seg_micro_f1'}


def test_area_proposal_on_a_hand_made_mask():
    mask = torch.zeros(10, 10, dtype=torch.long)  # 100 pixels, 41 of them food
    mask[:5, :4] = 3    # 20 pixels: 20/41 of the food, 0.20 of the image
    mask[5:, :3] = 7    # 15 pixels: 15/41, 0.15
    mask[5:, 9] = 11    # 5 pixels: 5/41 = 0.122, 0.05
    mask[0, 9] = 9      # 1 pixel: 1/41 = 0.024, 0.01
    ids, scores = propose_by_area(mask.numpy(), 12, threshold=0.1)
    food = 41
    assert scores == {3: round(20 / food, 4), 7: round(15 / food, 4),
                      9: round(1 / food, 4), 11: round(5 / food, 4)}
    assert ids == [3, 7, 11]
    assert propose_by_area(mask.numpy(), 12, threshold=0.1, share='image')[0] == [3, 7]
    assert propose_by_area(torch.zeros(4, 4, dtype=torch.long).numpy(), 12, 0.1) == ([], {})
