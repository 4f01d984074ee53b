"""IngredientsFromFile and CorruptIngredients."""
import json

import numpy as np
import pytest
from mmengine.config import Config
from mmengine.dataset import Compose
from mmengine.registry import init_default_scope

from dccd.datasets import CorruptIngredients, IngredientsFromFile
from dccd.datasets.transforms.corrupt_ingredients import corrupt_ids
from dccd.utils import TOY_FOOD_CLASSES, InputError

init_default_scope('mmseg')


def write_json(tmp_path, content, name='lists.json'):
    path = tmp_path / name
    path.write_text(json.dumps(content))
    return str(path)


# --------------------------------------------------------------- file lists
def test_file_lists_by_name_or_id_sorted_distinct(tmp_path):
    path = write_json(tmp_path, {
        '00600.png': ['rice', 'Peach', 'rice'],  # case-insensitive, duplicate
        '00601': [11, 3],                          # stem key, ids
        '00602.png': [],
    })
    transform = IngredientsFromFile(path, 'ToyFoodDataset')
    out = transform(dict(img_path='/data/test/00600.png', ingredients=[7]))
    assert out['ingredients'] == [1, 9]
    assert transform(dict(img_path='x/00601.png'))['ingredients'] == [3, 11]
    assert transform(dict(img_path='00602.png', ingredients=[2]))['ingredients'] == []
    assert repr(transform) == (f"IngredientsFromFile(ingredients_file='{path}', "
                               "classes=12 names, on_missing='error')")


def test_file_with_the_true_lists_reproduces_extract_ingredients(tmp_path):
    import cv2
    mask = np.zeros((8, 8), np.uint8)
    mask[:4, :4], mask[4:, 4:], mask[0, 7] = 6, 9, 255
    cv2.imwrite(str(tmp_path / '00007.png'), np.zeros((8, 8, 3), np.uint8))
    cv2.imwrite(str(tmp_path / 'mask.png'), mask)
    info = dict(img_path=str(tmp_path / '00007.png'), seg_map_path=str(tmp_path / 'mask.png'),
                reduce_zero_label=False, seg_fields=[])
    head = [dict(type='LoadCheckedImageFromFile'), dict(type='LoadAnnotations'),
            dict(type='ExtractIngredients', num_classes=12)]
    oracle = Compose(head)(dict(info))['ingredients']
    path = write_json(tmp_path, {'00007.png': ['rice', 'chicken']})
    from_file = Compose(head + [dict(type='IngredientsFromFile', ingredients_file=path,
                                     classes=list(TOY_FOOD_CLASSES))])(dict(info))
    assert oracle == from_file['ingredients'] == [6, 9]


@pytest.mark.parametrize('content, message', [
    ({'a.png': ['peach', 'stake']},
     "image 'a.png': unknown ingredient 'stake' (closest: steak)"),
    ({'a.png': [12]}, "image 'a.png': class id 12 is outside 0..11"),
    ({'a.png': ['background']}, "'background' is the background, not an ingredient"),
    ({'a.png': [0]}, 'class id 0 is the background, not an ingredient'),
    ({'a.png': 'peach'}, 'expected a list of ingredient names or ids, got str'),
    ({'a.png': [1.5]}, '1.5 is neither an ingredient name nor a class id'),
    (['peach'], 'expected a JSON object'),
])
def test_bad_file_is_one_line_naming_file(tmp_path, content, message):
    path = write_json(tmp_path, content)
    with pytest.raises(InputError) as info:
        IngredientsFromFile(path, TOY_FOOD_CLASSES)
    text = str(info.value)
    assert message in text and path in text and '\n' not in text


def test_unreadable_or_missing_file(tmp_path):
    bad = tmp_path / 'bad.json'
    bad.write_text('{"a.png": [1,')
    with pytest.raises(InputError, match='is not valid JSON'):
        IngredientsFromFile(str(bad), TOY_FOOD_CLASSES)
    with pytest.raises(InputError, match='ingredients file not found'):
        IngredientsFromFile(str(tmp_path / 'nope.json'), TOY_FOOD_CLASSES)
    with pytest.raises(InputError, match='on_missing'):
        IngredientsFromFile(str(bad), TOY_FOOD_CLASSES, on_missing='skip')


def test_missing_image_errors_or_falls_back_to_oracle(tmp_path):
    path = write_json(tmp_path, {'a.png': [1]})
    strict = IngredientsFromFile(path, TOY_FOOD_CLASSES)
    with pytest.raises(InputError, match=r"has no entry for image 'b\.png'"):
        strict(dict(img_path='d/b.png', ingredients=[4]))
    lenient = IngredientsFromFile(path, TOY_FOOD_CLASSES, on_missing='oracle')
    assert lenient(dict(img_path='d/b.png', ingredients=[4]))['ingredients'] == [4]


# --------------------------------------------------------------- corruption
def test_corrupt_literal_example():
    """[1, 3, 5, 7] at rate 0.5: exactly 2 dropped and 2 added, new ones
    neither true ingredients nor background."""
    transform = CorruptIngredients(rate=0.5, num_classes=12, seed=0)
    out = transform(dict(img_path='plates/00600.png', ingredients=[1, 3, 5, 7]))
    dropped, added = out['ingredients_dropped'], out['ingredients_added']
    assert len(dropped) == 2 and set(dropped) <= {1, 3, 5, 7}
    assert len(added) == 2 and not set(added) & {0, 1, 3, 5, 7}
    assert all(0 < i < 12 for i in added)
    assert out['ingredients'] == sorted(({1, 3, 5, 7} - set(dropped)) | set(added))
    # seeded by the file name: same name (any folder), same result
    again = transform(dict(img_path='elsewhere/00600.png', ingredients=[7, 5, 3, 1]))
    assert again['ingredients'] == out['ingredients']
    # this seed's exact draw, pinned so that a change of the algorithm shows
    assert (dropped, added, out['ingredients']) == ([3, 7], [2, 10], [1, 2, 5, 10])
    assert repr(transform) == ('CorruptIngredients(rate=0.5, num_classes=12, seed=0, '
                               'background_index=0, ignore_index=255)')


def test_corrupt_rate_zero_and_one():
    zero = CorruptIngredients(0.0, 12)(dict(img_path='a.png', ingredients=[2, 9]))
    assert zero['ingredients'] == [2, 9]
    assert zero['ingredients_dropped'] == zero['ingredients_added'] == []
    one = CorruptIngredients(1.0, 12)(dict(img_path='a.png', ingredients=[2, 9]))
    assert len(one['ingredients']) == 2 and not set(one['ingredients']) & {0, 2, 9}
    # fewer wrong classes than needed: adds what exists
    few = CorruptIngredients(1.0, 4)(dict(img_path='a.png', ingredients=[1, 2]))
    assert few['ingredients'] == [3] and few['ingredients_dropped'] == [1, 2]


def test_corrupt_fractional_counts_round_stochastically():
    """rate * n not whole: floor or floor + 1, with the right mean."""
    rng = np.random.default_rng(0)
    counts = [len(corrupt_ids([1, 2, 3], 0.25, [4, 5, 6, 7], rng)[1]) for _ in range(4000)]
    assert set(counts) == {0, 1}
    assert np.mean(counts) == pytest.approx(0.75, abs=0.03)
    assert len(corrupt_ids(list(range(1, 11)), 0.1, [11, 12], rng)[1]) == 1  # 0.1*10


def test_corrupt_seed_changes_the_draw_and_bad_args():
    lists = [CorruptIngredients(0.5, 100, seed=s)(
        dict(img_path='a.png', ingredients=list(range(1, 21))))['ingredients']
        for s in range(3)]
    assert lists[0] != lists[1] != lists[2]
    for kwargs in (dict(rate=1.5), dict(rate=-0.1), dict(rate=0.1, seed=-1)):
        with pytest.raises(InputError):
            CorruptIngredients(num_classes=12, **kwargs)
    with pytest.raises(InputError, match='after ExtractIngredients'):
        CorruptIngredients(0.1, 12)(dict(img_path='a.png'))
