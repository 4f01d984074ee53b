"""Seams between packages, checked on the source with ``ast``.

- ``dccd.models`` imports nothing from ``dccd.datasets`` (as in mmseg, where
  ``mmseg/models`` never imports ``mmseg.datasets``): class names and
  ingredient naming live in ``dccd.utils``.
- No module outside ``dccd/models/decode_heads/`` touches a head's private
  attribute (``decode_head._x``): the segmentor, the API and the tools use the
  head's public surface.
"""
import ast
import glob
import os.path as osp

import pytest

from conftest import REPO

HEAD_NAMES = ('decode_head', 'auxiliary_head', 'head')


def python_files(*parts):
    return sorted(glob.glob(osp.join(REPO, *parts, '**', '*.py'), recursive=True))


def package_of(path: str) -> str:
    """The package a file's relative imports start from ('dccd.models.necks')."""
    return osp.dirname(osp.relpath(path, REPO)).replace(osp.sep, '.')


def imported_modules(source: str, package: str) -> list:
    """Every module an import in ``source`` names, made absolute
    (``from a import b`` gives ``a`` and ``a.b``: b may be a module)."""
    found = []
    for node in ast.walk(ast.parse(source)):
        if isinstance(node, ast.Import):
            found += [alias.name for alias in node.names]
        elif isinstance(node, ast.ImportFrom):
            base = node.module or ''
            if node.level:
                parts = package.split('.')[:len(package.split('.')) - node.level + 1]
                base = '.'.join(parts + ([base] if base else []))
            found += [base] + [f'{base}.{alias.name}' for alias in node.names]
    return found


def dataset_imports(source: str, package: str) -> list:
    return [m for m in imported_modules(source, package)
            if m == 'dccd.datasets' or m.startswith('dccd.datasets.')]


def private_head_attributes(source: str) -> list:
    """``<...>.decode_head._x`` (or ``auxiliary_head`` / ``head``) in ``source``."""
    found = []
    for node in ast.walk(ast.parse(source)):
        if (isinstance(node, ast.Attribute) and node.attr.startswith('_')
                and not node.attr.startswith('__')):
            owner = node.value
            name = owner.attr if isinstance(owner, ast.Attribute) else getattr(owner, 'id', '')
            if name in HEAD_NAMES:
                found.append(f'{name}.{node.attr} (line {node.lineno})')
    return found


def read(path: str) -> str:
    with open(path, encoding='utf-8') as f:
        return f.read()


def test_models_import_nothing_from_datasets():
    offenders = {osp.relpath(p, REPO): dataset_imports(read(p), package_of(p))
                 for p in python_files('dccd', 'models')}
    assert {k: v for k, v in offenders.items() if v} == {}


@pytest.mark.parametrize('source', [
    'from dccd.datasets import ToyFoodDataset',
    'import dccd.datasets.toy_food as toy',
    'from dccd import datasets',
    'from ... import datasets',
    'from ...datasets.transforms import ExtractIngredients',
    'def f():\n    from ...datasets import ToyFoodDataset',
])
def test_the_import_check_sees_every_form(source):
    assert dataset_imports(source, 'dccd.models.segmentors')
    assert not dataset_imports('from ...utils import get_classes', 'dccd.models.segmentors')


def test_no_one_outside_the_heads_uses_a_head_private_attribute():
    heads = osp.join(REPO, 'dccd', 'models', 'decode_heads') + osp.sep
    offenders = {osp.relpath(p, REPO): private_head_attributes(read(p))
                 for p in python_files('dccd') + python_files('tools')
                 if not p.startswith(heads)}
    assert {k: v for k, v in offenders.items() if v} == {}
    assert private_head_attributes('gt = self.decode_head._stack_batch_gt(samples)')
    assert not private_head_attributes('x = self.decode_head.noise_gt(s, size)')
