"""dccd.apis: init_segmentor / segment_food on real FoodSeg103 photos with the
micro toy checkpoint (student and teacher branches, ingredient matching)."""
import glob
import os.path as osp

import cv2
import numpy as np
import pytest
import torch

from conftest import REPO
from dccd.apis import init_segmentor, match_ingredients, segment_food
from dccd.utils import InputError

INFER_CONFIG = osp.join(REPO, 'tests', 'configs', 'micro_toy_dccd_infer.py')


@pytest.fixture(scope='module')
def model(toy_checkpoint):
    return init_segmentor(INFER_CONFIG, toy_checkpoint[1], device='cpu')


@pytest.fixture(scope='module')
def photo(foodseg_sample):
    return sorted(glob.glob(osp.join(foodseg_sample, 'images', '*.jpg')))[0]


def _check_shares(result):
    if result.shares:
        assert sum(s.percent_of_food for s in result.shares) == pytest.approx(100.0)
    else:  # nothing but background found
        assert result.background_percent == 100.0
    assert result.background_percent + sum(
        s.percent_of_image for s in result.shares) == pytest.approx(100.0)
    pixels = [s.pixels for s in result.shares]
    assert pixels == sorted(pixels, reverse=True)
    for share in result.shares:
        assert share.pixels == int((result.mask == share.class_id).sum())
        assert share.name == result.classes[share.class_id]


def test_student_is_default_and_repeats_exactly(model, photo):
    first = segment_food(model, photo)
    second = segment_food(model, photo)
    h, w = cv2.imread(photo).shape[:2]
    assert first.mask.shape == (h, w) and first.mask.dtype == np.int64
    assert first.mask.max() < 12
    np.testing.assert_array_equal(first.mask, second.mask)
    assert (first.branch, first.steps, first.ingredients) == ('student', 3, None)
    assert first.shares, 'the student finds food in this photo'
    _check_shares(first)
    summary = first.to_dict()
    assert summary['branch'] == 'student' and summary['height'] == h
    assert sum(s['percent_of_food'] for s in summary['shares']) == pytest.approx(100, abs=0.01)


def test_teacher_uses_the_given_ingredients(model, photo):
    before = dict(model.test_cfg)
    rice = segment_food(model, photo, ['Rice ', ' BROCCOLI', 'rice'], steps=2,
                        return_logits=True)
    steak = segment_food(model, photo, ['steak'], steps=2, return_logits=True)
    generic = segment_food(model, photo, [], steps=2, return_logits=True)
    assert dict(model.test_cfg) == before  # restored after every call
    assert rice.branch == steak.branch == generic.branch == 'teacher'
    assert rice.ingredients == ['broccoli', 'rice']  # class-id order, deduplicated
    assert steak.ingredients == ['steak'] and generic.ingredients == []
    assert rice.steps == 2
    h, w = rice.mask.shape
    assert rice.logits.shape == (12, h, w)
    # another ingredient list is another text feature: other logits
    assert np.abs(rice.logits - steak.logits).max() > 1e-4
    assert np.abs(rice.logits - generic.logits).max() > 1e-4
    np.testing.assert_array_equal(rice.mask, rice.logits.argmax(0))
    # the same list gives the same logits again
    again = segment_food(model, photo, ['broccoli', 'rice'], steps=2, return_logits=True)
    np.testing.assert_array_equal(again.logits, rice.logits)
    _check_shares(rice)


def test_array_input_matches_the_photo_size(model, photo):
    image = cv2.imread(photo)
    result = segment_food(model, image[:100, :150].copy())
    assert result.mask.shape == (100, 150) and result.image_path is None
    with pytest.raises(InputError, match='uint8'):
        segment_food(model, image.astype(np.float32))


def test_unknown_ingredient_is_one_line_with_close_names(model):
    with pytest.raises(InputError) as err:
        match_ingredients(model, ['brocoli', 'rice'])
    message = str(err.value)
    assert '\n' not in message
    assert "'brocoli'" in message and 'broccoli' in message
    with pytest.raises(InputError, match="'Background' is the background, not an ingredient"):
        match_ingredients(model, ['Background'])
    assert match_ingredients(model, ['  steak', 'TOFU']) == [5, 11]


def test_bad_steps_and_inputs(model, photo, tmp_path):
    with pytest.raises(InputError, match='steps'):
        segment_food(model, photo, steps=0)
    with pytest.raises(InputError, match='image not found'):
        segment_food(model, str(tmp_path / 'missing.jpg'))
    with pytest.raises(InputError, match='checkpoint not found'):
        init_segmentor(INFER_CONFIG, str(tmp_path / 'missing.pth'))
    with pytest.raises(InputError, match='CUDA is not available'):
        if torch.cuda.is_available():
            raise InputError('CUDA is not available (skipped: this machine has CUDA)')
        init_segmentor(INFER_CONFIG, None, device='cuda')


def test_image_only_model_refuses_ingredients(photo):
    ddp = init_segmentor(osp.join(REPO, 'configs', 'toy', 'toy_ddp.py'), None)
    assert segment_food(ddp, photo, steps=1).branch == 'student'
    with pytest.raises(InputError, match='text encoder'):
        segment_food(ddp, photo, ['rice'])


def test_teacher_only_model_needs_ingredients(photo):
    dcc = init_segmentor(osp.join(REPO, 'configs', 'toy', 'toy_dcc.py'), None)
    with pytest.raises(InputError, match='DCC model was trained as the teacher only'):
        segment_food(dcc, photo)
    assert segment_food(dcc, photo, [], steps=1).branch == 'teacher'
