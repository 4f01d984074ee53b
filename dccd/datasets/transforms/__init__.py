"""DCCD's data transforms: ingredient lists and checked loading."""
from .corrupt_ingredients import CorruptIngredients
from .extract_ingredients import INGREDIENT_META_KEYS, ExtractIngredients
from .ingredient_pipeline import (insert_after_extract_ingredients,
                                  use_ingredients_file, use_teacher_branch)
from .ingredients_from_file import IngredientsFromFile, read_ingredients_file
from .load_checked_image import LoadCheckedImageFromFile
from .seg_map_from_red_channel import SegMapFromRedChannel

__all__ = [
    'ExtractIngredients', 'INGREDIENT_META_KEYS', 'LoadCheckedImageFromFile',
    'SegMapFromRedChannel', 'IngredientsFromFile', 'read_ingredients_file',
    'CorruptIngredients', 'insert_after_extract_ingredients',
    'use_ingredients_file', 'use_teacher_branch'
]
