"""DCCD's data transforms: ingredient lists and checked loading."""
from .extract_ingredients import INGREDIENT_META_KEYS, ExtractIngredients
from .load_checked_image import LoadCheckedImageFromFile
from .seg_map_from_red_channel import SegMapFromRedChannel

__all__ = [
    'ExtractIngredients', 'INGREDIENT_META_KEYS', 'LoadCheckedImageFromFile',
    'SegMapFromRedChannel'
]
