"""tools/misc/browse_dataset.py: pictures of augmented samples with the prompt."""
import json
import os

import cv2
import numpy as np
import pytest
from mmengine.config import Config

from conftest import MICRO_TOY_CONFIG, load_tool, toy_data_options
from dccd.utils import TOY_FOOD_CLASSES, ingredient_ids, ingredient_names
from mmseg.registry import MODELS


def test_pictures_with_the_encoders_prompt(toy_root, tmp_path, capsys):
    tool, out = load_tool('misc/browse_dataset.py'), tmp_path / 'browse'
    tool.main([MICRO_TOY_CONFIG, '--num', '3', '--output-dir', str(out), '--seed', '1',
               *toy_data_options(toy_root)])
    assert f'wrote 3 pictures of the train split to {out}' in capsys.readouterr().out
    index = json.loads((out / 'samples.json').read_text())
    assert sorted(os.listdir(out)) == sorted([*index, 'samples.json'])
    assert len(index) == 3
    encoder = MODELS.build(Config.fromfile(MICRO_TOY_CONFIG).model.text_encoder)
    for name, record in index.items():
        mask_path = record['img_path'].replace('img_dir', 'ann_dir')
        ids = ingredient_ids(cv2.imread(mask_path, cv2.IMREAD_UNCHANGED))
        assert record['ingredients'] == ids
        expected = encoder.build_prompt(ingredient_names(ids, TOY_FOOD_CLASSES))
        assert record['prompt'] == expected and expected.startswith('a photo of ')
        # 64x64 toy images, enlarged 4x to 256 px halves, above the caption
        assert record['shape'] == [64, 64] and record['scale'] == 4
        lines = tool.wrap_text(expected, 512)
        picture = cv2.imread(str(out / name))
        assert picture.shape == (256 + tool.caption_height(len(lines)), 512, 3)
        assert record['size'] == list(picture.shape[:2])
        # left half: the (possibly flipped) image, exactly; caption: dark text on white
        image = cv2.imread(record['img_path'])
        left = picture[:256:4, :256:4]
        assert np.array_equal(left, image) or np.array_equal(left, image[:, ::-1])
        strip = picture[256:]
        assert (strip == 255).mean() > 0.5 and strip.min() < 100


def test_image_only_config_and_bad_split(toy_root, tmp_path, capsys):
    tool, out = load_tool('misc/browse_dataset.py'), tmp_path / 'ddp'
    tool.main(['configs/toy/toy_ddp.py', '--split', 'test', '--num', '1', '--scale', '1',
               '--output-dir', str(out), *toy_data_options(toy_root)])
    (record, ) = json.loads((out / 'samples.json').read_text()).values()
    names = ingredient_names(record['ingredients'], TOY_FOOD_CLASSES)
    assert record['prompt'] == 'ingredients (image-only model): ' + ', '.join(names)
    assert record['scale'] == 1 and record['size'][1] == 128
    with pytest.raises(SystemExit) as info:
        tool.main([MICRO_TOY_CONFIG, '--num', '0'])
    assert info.value.code == 2
    assert '--num must be >= 1' in capsys.readouterr().err
