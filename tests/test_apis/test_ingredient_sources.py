"""dccd.apis.ingredient_sources: test-time ingredient lists set up on a Config."""
import json

import pytest
from mmengine.config import Config

from dccd.apis import use_corrupted_ingredients, use_ingredients_file
from dccd.apis.ingredient_sources import insert_after_extract_ingredients
from dccd.utils import InputError


def write_json(tmp_path, content, name='lists.json'):
    path = tmp_path / name
    path.write_text(json.dumps(content))
    return str(path)


def test_insert_after_the_last_extract_and_in_tta():
    new = dict(type='X')
    plain = [dict(type='A'), dict(type='ExtractIngredients', num_classes=3),
             dict(type='Crop'), dict(type='ExtractIngredients', num_classes=3,
                                     after_crop=True), dict(type='Pack')]
    assert [t['type'] for t in insert_after_extract_ingredients(plain, new)] == [
        'A', 'ExtractIngredients', 'Crop', 'ExtractIngredients', 'X', 'Pack']
    assert len(plain) == 5  # the input is not modified
    tta = [dict(type='Load'), dict(type='TestTimeAug', transforms=[
        [dict(type='Resize')], [dict(type='ExtractIngredients', num_classes=3)],
        [dict(type='Pack')]])]
    stages = insert_after_extract_ingredients(tta, new)[1]['transforms']
    assert [[t['type'] for t in s] for s in stages] == [
        ['Resize'], ['ExtractIngredients'], ['X'], ['Pack']]
    with pytest.raises(InputError, match='no ExtractIngredients'):
        insert_after_extract_ingredients([dict(type='A')], new)


def test_use_ingredients_file_forces_teacher(tmp_path):
    cfg = Config.fromfile('configs/toy/toy_dccd.py')
    assert cfg.model.test_cfg.branch is None
    path = write_json(tmp_path, {'00600.png': ['peach']})
    use_ingredients_file(cfg, path)
    assert cfg.model.test_cfg.branch == 'teacher'
    types = [t['type'] for t in cfg.test_dataloader.dataset.pipeline]
    assert types[types.index('ExtractIngredients') + 1] == 'IngredientsFromFile'
    ddp = Config.fromfile('configs/toy/toy_ddp.py')
    with pytest.raises(InputError, match='needs a model with an ingredient-text teacher'):
        use_ingredients_file(ddp, path)
    with pytest.raises(InputError, match='unknown ingredient'):
        use_ingredients_file(Config.fromfile('configs/toy/toy_dccd.py'),
                             write_json(tmp_path, {'a.png': ['pizza']}, 'bad.json'))


def test_corrupted_loader_is_a_copy_with_corrupt_after_extract():
    cfg = Config.fromfile('configs/toy/toy_dccd.py')
    loader = use_corrupted_ingredients(cfg.test_dataloader, 0.25, 3)
    types = [t['type'] for t in loader['dataset']['pipeline']]
    corrupt = loader['dataset']['pipeline'][types.index('ExtractIngredients') + 1]
    assert corrupt == dict(type='CorruptIngredients', rate=0.25, seed=3, num_classes=12,
                           background_index=0, ignore_index=255)
    assert 'CorruptIngredients' not in [t['type'] for t in cfg.test_dataloader.dataset.pipeline]


def _model(config):
    from mmseg.registry import MODELS
    from dccd.utils import drop_pretrained
    cfg = Config.fromfile(config)
    drop_pretrained(cfg.model)
    return MODELS.build(cfg.model)


def test_describe_evaluation_names_the_branch_the_built_model_runs():
    from mmseg.models import SegTTAModel
    from dccd.apis import describe_evaluation
    dcc = _model('tests/configs/micro_toy_dcc.py')  # test_cfg.branch left unset
    oracle = describe_evaluation(dcc)
    assert 'the teacher' in oracle and 'ORACLE' in oracle
    assert describe_evaluation(SegTTAModel(module=dcc)) == oracle  # --tta
    from_file = describe_evaluation(dcc, 'lists.json')
    assert 'the teacher' in from_file and 'lists.json: not oracle' in from_file
    assert 'ORACLE' not in from_file
    dccd = _model('tests/configs/micro_toy_dccd.py')
    assert describe_evaluation(dccd) == 'the student (image only)'
    ddp = _model('configs/toy/toy_ddp.py')
    assert describe_evaluation(ddp) == 'the image-only model (no text branch)'
