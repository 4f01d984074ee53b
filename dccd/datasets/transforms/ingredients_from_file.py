"""Ingredient lists supplied by the user instead of the ground-truth oracle.

Written for DCCD (Apache-2.0). At test time the teacher branch of Hou et al.
2024 ("Ingredient-guided multimodal self-distillation for food image
segmentation") reads each image's ingredient list from
``metainfo['ingredients']``, which :class:`ExtractIngredients` takes from the
GT mask: an oracle. :class:`IngredientsFromFile` replaces that list with one
from a JSON file (a recipe, a menu, an ingredient detector's output)::

    {
      "00600.png": ["peach", "blueberry"],
      "00601":     [3, 7, 11],
      "00602.png": []
    }

Keys are image file names (the base name of ``img_path``) or the same without
the extension; values are class names (of the model's ``class_names``, case
insensitive) or class ids, in any order. Each list is turned into ascending,
distinct class ids, as :class:`ExtractIngredients` gives them, so a file that
holds every image's true ingredients reproduces the oracle exactly. An empty
list is allowed (the prompt then says "food").

Place it right after ``ExtractIngredients`` (whose size check of the mask it
keeps); ``tools/test.py --ingredients-file FILE.json`` does that and switches
the evaluated branch to the teacher
(:func:`~dccd.apis.use_ingredients_file`).
"""
import json
import os.path as osp
from typing import Dict, List, Optional, Sequence, Union

from mmcv.transforms import BaseTransform
from mmengine.logging import print_log
from mmseg.registry import TRANSFORMS

from ...utils import InputError, get_classes, image_key, match_ingredients

__all__ = ['IngredientsFromFile', 'read_ingredients_file']

ON_MISSING = ('error', 'oracle')


def read_ingredients_file(path: str, classes: Sequence[str]) -> Dict[str, List[int]]:
    """Read and check an ingredients JSON file.

    Args:
        path: JSON object mapping image name -> list of names or ids.
        classes: class names indexed by id (the model's ``class_names``); a
            class 0 named 'background' is refused as an ingredient (the
            teacher never saw it in a prompt).

    Returns:
        dict: image name (as written in the file) -> ascending distinct ids.

    Raises:
        InputError: one line naming the file (and the image and item) for a
            missing or malformed file, an unknown name, an id out of range or
            the background.
    """
    if not osp.isfile(path):
        raise InputError(f'ingredients file not found: {path}')
    try:
        with open(path, encoding='utf-8') as file:
            content = json.load(file)
    except (json.JSONDecodeError, UnicodeDecodeError) as exc:
        first = str(exc).splitlines()[0] if str(exc) else type(exc).__name__
        raise InputError(f'ingredients file {path} is not valid JSON: {first}') from None
    if not isinstance(content, dict):
        raise InputError(f'ingredients file {path}: expected a JSON object '
                         f'(image name -> list of ingredients), got a '
                         f'{type(content).__name__}')
    lists = {}
    for image, items in content.items():
        where = f"ingredients file {path}, image '{image}'"
        if not isinstance(items, list):
            raise InputError(f'{where}: expected a list of ingredient names or '
                             f'ids, got {type(items).__name__}')
        lists[image] = match_ingredients(items, classes, where)
    return lists


@TRANSFORMS.register_module()
class IngredientsFromFile(BaseTransform):
    """Replace ``ingredients`` by the image's list from a JSON file.

    Required Keys:

    - img_path
    - ingredients (optional: kept when the image is missing from the file
      and ``on_missing='oracle'``)

    Modified Keys:

    - ingredients (list[int]): ascending distinct class ids.

    Args:
        ingredients_file: the JSON file (see the module docstring).
        classes: class names indexed by id, or a dataset name for
            :func:`~dccd.utils.get_classes` (use the model's ``class_names``,
            which writes the prompts).
        on_missing: an image absent from the file: 'error' (default) raises
            InputError naming it, so a partial file never mixes oracle lists
            into a result silently; 'oracle' keeps the list already in
            ``results`` (from ``ExtractIngredients``) and logs a warning per
            image.
    """

    def __init__(self, ingredients_file: str,
                 classes: Union[str, Sequence[str]],
                 on_missing: str = 'error') -> None:
        if on_missing not in ON_MISSING:
            raise InputError(f'IngredientsFromFile: on_missing must be one of '
                             f"{ON_MISSING}, got '{on_missing}'")
        self.ingredients_file = ingredients_file
        self.classes = get_classes(classes)
        self.on_missing = on_missing
        self.lists = read_ingredients_file(ingredients_file, self.classes)

    def lookup(self, img_path: str) -> Optional[List[int]]:
        """The file's ids for ``img_path`` (by base name, then stem), or None."""
        name = image_key(img_path)
        for key in (name, osp.splitext(name)[0]):
            if key in self.lists:
                return list(self.lists[key])
        return None

    def transform(self, results: dict) -> dict:
        """Set ``results['ingredients']`` from the file.

        Args:
            results: the pipeline's result dict.

        Returns:
            dict: ``results`` with the file's ``ingredients``.
        """
        img_path = results.get('img_path')
        if img_path is None:
            raise InputError('IngredientsFromFile needs img_path to find the '
                             "image's entry")
        ids = self.lookup(img_path)
        if ids is not None:
            results['ingredients'] = ids
        elif self.on_missing == 'error' or 'ingredients' not in results:
            raise InputError(
                f"ingredients file {self.ingredients_file} has no entry for image "
                f"'{image_key(img_path)}' (give every test image a list, [] for none)")
        else:
            print_log(f"ingredients file {self.ingredients_file} has no entry for "
                      f"'{image_key(img_path)}': using its GT (oracle) list",
                      logger='current', level=30)
        return results

    def __repr__(self) -> str:
        return (f'{self.__class__.__name__}(ingredients_file='
                f'{self.ingredients_file!r}, classes={len(self.classes)} names, '
                f'on_missing={self.on_missing!r})')
