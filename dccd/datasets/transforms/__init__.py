"""DCCD's data transforms: ingredient lists, checked loading, packing."""
from .corrupt_ingredients import CorruptIngredients
from .extract_ingredients import ExtractIngredients
from .ingredients_from_file import IngredientsFromFile, read_ingredients_file
from .load_checked_image import LoadCheckedImageFromFile
from .pack_food_seg_inputs import INGREDIENT_KEYS, PackFoodSegInputs
from .seg_map_from_red_channel import SegMapFromRedChannel

__all__ = [
    'ExtractIngredients', 'LoadCheckedImageFromFile', 'SegMapFromRedChannel',
    'IngredientsFromFile', 'read_ingredients_file', 'CorruptIngredients',
    'PackFoodSegInputs', 'INGREDIENT_KEYS'
]
