"""ingredient_shares: pixel shares of a mask, exactly as documented."""
import numpy as np
import pytest

from dccd.utils import TOY_FOOD_CLASSES, background_index, ingredient_shares


def test_shares_of_a_hand_made_mask():
    mask = np.zeros((10, 10), np.uint8)  # 100 px
    mask[:, :3] = 9    # rice 30 px
    mask[:2, 5:] = 8   # broccoli 10 px
    mask[9, 9] = 11    # steak 1 px
    shares, background = ingredient_shares(mask, TOY_FOOD_CLASSES, 0)
    assert [(s.name, s.pixels) for s in shares] == [('rice', 30), ('broccoli', 10),
                                                    ('steak', 1)]
    assert background == pytest.approx(59.0)
    assert [s.percent_of_image for s in shares] == pytest.approx([30.0, 10.0, 1.0])
    assert [s.percent_of_food for s in shares] == pytest.approx([3000 / 41, 1000 / 41, 100 / 41])
    assert sum(s.percent_of_food for s in shares) == pytest.approx(100.0)
    assert background + sum(s.percent_of_image for s in shares) == pytest.approx(100.0)
    assert all(isinstance(s.percent_of_food, float) for s in shares)


def test_ties_sort_by_id_and_no_background_class():
    mask = np.array([[2, 1], [1, 2]])
    shares, background = ingredient_shares(mask, ['a', 'b', 'c'], background=None)
    assert [s.class_id for s in shares] == [1, 2]
    assert background == 0.0
    assert [s.percent_of_food for s in shares] == [50.0, 50.0]


def test_all_background_and_bad_labels():
    shares, background = ingredient_shares(np.zeros((4, 4), int), TOY_FOOD_CLASSES)
    assert shares == [] and background == 100.0
    with pytest.raises(ValueError, match='labels'):
        ingredient_shares(np.full((2, 2), 12), TOY_FOOD_CLASSES)
    assert background_index(TOY_FOOD_CLASSES) == 0
    assert background_index(['rice', 'egg']) is None
