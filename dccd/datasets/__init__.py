"""DCCD's food datasets (FoodSeg103, UEC-FoodPIX Complete, toy plates), transforms."""
from .checked_seg_dataset import CheckedSegDataset
from .foodseg103 import FoodSeg103Dataset
from .toy_food import TOY_FOOD_CUES, TOY_FOOD_PAIRS, ToyFoodDataset, generate_toy_food
from .transforms import (INGREDIENT_KEYS, CorruptIngredients, ExtractIngredients,
                         IngredientsFromFile, LoadCheckedImageFromFile,
                         PackFoodSegInputs, SegMapFromRedChannel)
from .uecfoodpix import UECFoodPIXDataset

__all__ = [
    'CheckedSegDataset', 'FoodSeg103Dataset', 'UECFoodPIXDataset', 'ToyFoodDataset',
    'TOY_FOOD_PAIRS', 'TOY_FOOD_CUES', 'generate_toy_food', 'ExtractIngredients',
    'LoadCheckedImageFromFile', 'SegMapFromRedChannel', 'IngredientsFromFile',
    'CorruptIngredients', 'PackFoodSegInputs', 'INGREDIENT_KEYS'
]
