"""Where the teacher's ingredient lists come from when a test set is evaluated.

Written for DCCD (Apache-2.0). The teacher of Hou et al. 2024 reads each
sample's ``metainfo['ingredients']``. By default the test pipeline's
:class:`~dccd.datasets.transforms.ExtractIngredients` takes them from the GT
mask: an oracle. Tools that evaluate the teacher with other lists
(``tools/test.py --ingredients-file``,
``tools/analysis_tools/ingredient_robustness.py``) insert a transform right
after ``ExtractIngredients`` in the test pipeline and build the model with
``test_cfg.branch='teacher'``. These helpers do both on an mmengine ``Config``
(before anything is built); they handle a ``TestTimeAug`` pipeline and a
TTA-wrapped model.
"""
import copy
from typing import List, Optional, Sequence

from ..datasets.transforms import IngredientsFromFile
from ..utils import InputError

__all__ = [
    'find_extract_ingredients', 'insert_after_extract_ingredients', 'segmentor_cfg',
    'use_teacher_branch', 'use_ingredients_file', 'use_corrupted_ingredients',
    'use_auto_ingredients', 'with_presence_metric', 'describe_evaluation'
]

EXTRACT = 'ExtractIngredients'
TTA_TRANSFORM = 'TestTimeAug'


def _type(transform) -> Optional[str]:
    return transform.get('type') if isinstance(transform, dict) else None


def find_extract_ingredients(pipeline: Sequence[dict]) -> Optional[dict]:
    """The last ``ExtractIngredients`` config of a pipeline (also inside a
    ``TestTimeAug``), or None."""
    found = None
    for transform in pipeline:
        if _type(transform) == EXTRACT:
            found = transform
        elif _type(transform) == TTA_TRANSFORM:
            for stage in transform.get('transforms', []):
                for option in stage:
                    if _type(option) == EXTRACT:
                        found = option
    return found


def insert_after_extract_ingredients(pipeline: Sequence[dict],
                                     transform: dict) -> List[dict]:
    """A copy of ``pipeline`` with ``transform`` right after the last
    ``ExtractIngredients`` (so nothing after it overwrites the list).

    In a ``TestTimeAug`` the transform becomes a stage of its own after the
    stage holding ``ExtractIngredients``.

    Raises:
        InputError: the pipeline has no ``ExtractIngredients``.
    """
    pipeline = copy.deepcopy(list(pipeline))
    for index in reversed(range(len(pipeline))):
        entry = pipeline[index]
        if _type(entry) == EXTRACT:
            pipeline.insert(index + 1, copy.deepcopy(transform))
            return pipeline
        if _type(entry) == TTA_TRANSFORM:
            stages = list(entry.get('transforms', []))
            for stage_index in reversed(range(len(stages))):
                if any(_type(option) == EXTRACT for option in stages[stage_index]):
                    stages.insert(stage_index + 1, [copy.deepcopy(transform)])
                    entry['transforms'] = stages
                    return pipeline
    raise InputError(f"the test pipeline has no {EXTRACT}: cannot place "
                     f"{transform.get('type')} after it")


def segmentor_cfg(cfg) -> dict:
    """The segmentor's config: ``cfg.model``, or its ``module`` under a TTA
    wrapper (``tools/test.py --tta``)."""
    model = cfg.model
    if 'module' in model and 'backbone' not in model:
        return model.module
    return model


def use_teacher_branch(cfg, option: str) -> dict:
    """Set ``test_cfg.branch='teacher'`` on the segmentor; return its config.

    Args:
        cfg: the mmengine Config, changed in place.
        option: the tool option asking for it (for the error message).

    Raises:
        InputError: the model has no text teacher (DDP, image only).
    """
    model = segmentor_cfg(cfg)
    if model.get('text_encoder') is None:
        raise InputError(f'{option} needs a model with an ingredient-text teacher '
                         '(DCC/DCCD); this config is image only (no model.text_encoder)')
    if model.get('test_cfg') is None:
        model['test_cfg'] = dict()
    model['test_cfg']['branch'] = 'teacher'
    return model


def use_ingredients_file(cfg, path: str, option: str = '--ingredients-file') -> None:
    """Evaluate the teacher with the lists of ``path`` instead of the oracle.

    Reads and checks the file now (so a bad file fails before any model is
    built), inserts :class:`IngredientsFromFile` after ``ExtractIngredients``
    in ``cfg.test_dataloader.dataset.pipeline`` and forces the teacher branch.
    Images missing from the file raise an error when they are loaded.
    """
    model = use_teacher_branch(cfg, option)
    dataset = cfg.test_dataloader.dataset
    if 'pipeline' not in dataset:
        raise InputError(f'{option}: test_dataloader.dataset has no pipeline')
    extract = find_extract_ingredients(dataset.pipeline)
    if extract is None:
        raise InputError(f'{option}: the test pipeline has no {EXTRACT}')
    transform = dict(type='IngredientsFromFile', ingredients_file=path,
                     classes=model.get('class_names'))
    IngredientsFromFile(**{k: v for k, v in transform.items() if k != 'type'})
    dataset.pipeline = insert_after_extract_ingredients(dataset.pipeline, transform)


def use_corrupted_ingredients(loader_cfg: dict, rate: float, seed: int) -> dict:
    """A copy of a test dataloader config whose lists are corrupted.

    :class:`~dccd.datasets.transforms.CorruptIngredients` (``rate``, ``seed``)
    goes right after ``ExtractIngredients``; ``PackFoodSegInputs`` packs what
    it dropped and added.

    Raises:
        InputError: the pipeline has no ``ExtractIngredients``.
    """
    loader = copy.deepcopy(loader_cfg)
    dataset = loader['dataset']
    if 'pipeline' not in dataset:
        raise InputError('test_dataloader.dataset has no pipeline')
    extract = find_extract_ingredients(dataset['pipeline'])
    if extract is None:
        raise InputError('the test pipeline has no ExtractIngredients: the teacher '
                         'has no ingredient list to corrupt')
    corrupt = dict(type='CorruptIngredients', rate=rate, seed=seed,
                   num_classes=extract['num_classes'],
                   background_index=extract.get('background_index', 0),
                   ignore_index=extract.get('ignore_index', 255))
    dataset['pipeline'] = insert_after_extract_ingredients(dataset['pipeline'], corrupt)
    return loader


def use_auto_ingredients(cfg, option: str = '--ingredients auto') -> dict:
    """Build the model to test its teacher with lists proposed from each image
    (``test_cfg.lists='auto'``, proposed as ``test_cfg.auto`` says)."""
    model = use_teacher_branch(cfg, option)
    model['test_cfg']['lists'] = 'auto'
    return model


def with_presence_metric(evaluator_cfg) -> list:
    """The evaluator config as a list, with
    :class:`~dccd.evaluation.IngredientPresenceMetric` added (once)."""
    metrics = list(evaluator_cfg) if isinstance(evaluator_cfg, (list, tuple)) else [evaluator_cfg]
    if not any(m.get('type') == 'IngredientPresenceMetric' for m in metrics):
        metrics.append(dict(type='IngredientPresenceMetric'))
    return metrics


def describe_evaluation(model, lists: str = 'gt') -> str:
    """What a built model evaluates, said plainly: the branch it runs and,
    for the teacher, where its lists come from ("oracle" exactly when they
    are the GT mask's).

    Args:
        model: the built model (a TTA wrapper's ``module`` is looked at).
        lists: 'gt' (the test pipeline's ExtractIngredients) or the file the
            lists come from.
    """
    model = getattr(model, 'module', model)
    branch = (getattr(model, 'test_cfg', None) or {}).get('branch')
    if getattr(model, 'text_encoder', None) is None or branch is None:
        return 'the image-only model (no text branch)'
    if branch == 'student':
        return 'the student (image only)'
    if lists == 'gt' and model.test_cfg.get('lists') == 'auto':
        auto = ', '.join(f'{k} {v}' for k, v in model.test_cfg.auto.items())
        return ('the teacher (image + ingredient text) with lists proposed from each '
                f'image ({auto}): not oracle')
    if lists == 'gt':
        return ("the teacher (image + ingredient text) with each image's GT "
                'ingredient list: an ORACLE result')
    return f'the teacher (image + ingredient text) with the lists of {lists}: not oracle'
