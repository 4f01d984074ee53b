"""DCCD's food datasets (FoodSeg103, UEC-FoodPIX Complete, toy plates), transforms."""
from .checked_seg_dataset import CheckedSegDataset
from .foodseg103 import FOODSEG103_CLASSES, FoodSeg103Dataset
from .ingredients import (IngredientShare, background_index, ingredient_ids,
                          ingredient_names, ingredient_shares, present_ids)
from .palette import food_palette
from .toy_food import (TOY_FOOD_CLASSES, TOY_FOOD_CUES, TOY_FOOD_PAIRS,
                       ToyFoodDataset, generate_toy_food)
from .transforms import (INGREDIENT_META_KEYS, CorruptIngredients,
                         ExtractIngredients, IngredientsFromFile,
                         LoadCheckedImageFromFile, SegMapFromRedChannel)
from .uecfoodpix import UECFOODPIX_CLASSES, UECFoodPIXDataset

__all__ = [
    'CheckedSegDataset', 'FoodSeg103Dataset', 'UECFoodPIXDataset', 'ToyFoodDataset',
    'FOODSEG103_CLASSES', 'UECFOODPIX_CLASSES', 'TOY_FOOD_CLASSES',
    'TOY_FOOD_PAIRS', 'TOY_FOOD_CUES',
    'generate_toy_food', 'ingredient_ids', 'ingredient_names', 'present_ids',
    'IngredientShare', 'background_index', 'ingredient_shares',
    'food_palette', 'ExtractIngredients', 'INGREDIENT_META_KEYS',
    'LoadCheckedImageFromFile', 'SegMapFromRedChannel', 'IngredientsFromFile',
    'CorruptIngredients'
]
