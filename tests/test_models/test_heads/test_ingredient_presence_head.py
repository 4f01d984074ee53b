"""IngredientPresenceHead: crop-level targets, the BCE loss, proposals."""
import math

import pytest
import torch

from dccd.models.heads import IngredientPresenceHead
from dccd.utils import InputError


def head_with_logits(logits):
    """A head whose logits are ``logits`` whatever the feature (last layer
    zeroed, bias set)."""
    head = IngredientPresenceHead(in_channels=2, num_classes=4, hidden_channels=3)
    with torch.no_grad():
        head.mlp[2].weight.zero_()
        head.mlp[2].bias.copy_(torch.tensor(logits))
    return head


def test_targets_are_the_crop_lists():
    head = head_with_logits([0.0] * 4)
    metas = [dict(crop_ingredients=[1, 3], ingredients=[1, 2, 3]), dict(crop_ingredients=[])]
    assert head.targets(metas).tolist() == [[0, 1, 0, 1], [0, 0, 0, 0]]
    with pytest.raises(InputError, match="key='crop_ingredients'"):
        head.targets([dict(ingredients=[1])])


def test_bce_over_food_classes_literal():
    # logits 0 (p = .5) for every food class: BCE = ln 2 whatever the target;
    # class 2 at logit ln 3 (p = .75) with target 0 costs -ln(.25) = ln 4
    head = head_with_logits([5.0, 0.0, math.log(3), 0.0])  # background logit unused
    feature = torch.randn(2, 2, 3, 3)
    metas = [dict(crop_ingredients=[1]), dict(crop_ingredients=[1, 3])]
    loss = head.loss(feature, metas)['loss_presence']
    expected = (4 * math.log(2) + 2 * math.log(4)) / 6  # 2 images x 3 food classes
    assert loss.item() == pytest.approx(expected, rel=1e-6)
    head.loss_weight = 0.5
    assert head.loss(feature, metas)['loss_presence'].item() == pytest.approx(expected / 2)


def test_proposals_are_sorted_ids_above_the_threshold():
    head = head_with_logits([9.0, 1.0, -1.0, 0.5])  # p = .73, .27, .62 (background never)
    ids, scores = head.propose(torch.zeros(1, 2, 2, 2), threshold=0.5)
    assert ids == [[1, 3]]
    assert scores[0] == {1: pytest.approx(0.7311, abs=1e-4), 2: pytest.approx(0.2689, abs=1e-4),
                         3: pytest.approx(0.6225, abs=1e-4)}
