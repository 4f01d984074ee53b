"""Class names and colours of DCCD's food datasets, and how users' names match them.

Written for DCCD (Apache-2.0), after mmsegmentation's ``mmseg.utils.class_names``
(``get_classes`` / ``get_palette``): models, datasets, tools and the API all
read class names from here, so ``dccd.models`` never needs ``dccd.datasets``.

- FoodSeg103 (Wu et al., ACM MM 2021; LARC-CMU-SMU/FoodSeg103-Benchmark-v1,
  Apache-2.0): 104 names in the order of the release's category_id file,
  0 = background, 103 = "other ingredients".
- UEC-FoodPIX Complete (Okamoto & Yanai, ICPR 2020): 103 names, 0 =
  background, 101 = others, 102 = beverage.
- Toy food plates (:mod:`dccd.datasets.toy_food`): 12 names.

The palette steps around the hue circle by the golden ratio, so neighbouring
class ids get well separated colours, with three saturation and two brightness
levels; class 0 (background) is black. It only colours visualisations.
"""
import colorsys
from typing import Dict, List, Optional, Sequence, Union

from .errors import InputError, did_you_mean

__all__ = [
    'FOODSEG103_CLASSES', 'UECFOODPIX_CLASSES', 'TOY_FOOD_CLASSES', 'get_classes',
    'get_palette', 'background_index', 'normalise_name', 'name_lookup'
]

FOODSEG103_CLASSES = (
    'background', 'candy', 'egg tart', 'french fries', 'chocolate', 'biscuit',
    'popcorn', 'pudding', 'ice cream', 'cheese butter', 'cake', 'wine',
    'milkshake', 'coffee', 'juice', 'milk', 'tea', 'almond', 'red beans',
    'cashew', 'dried cranberries', 'soy', 'walnut', 'peanut', 'egg', 'apple',
    'date', 'apricot', 'avocado', 'banana', 'strawberry', 'cherry',
    'blueberry', 'raspberry', 'mango', 'olives', 'peach', 'lemon', 'pear',
    'fig', 'pineapple', 'grape', 'kiwi', 'melon', 'orange', 'watermelon',
    'steak', 'pork', 'chicken duck', 'sausage', 'fried meat', 'lamb', 'sauce',
    'crab', 'fish', 'shellfish', 'shrimp', 'soup', 'bread', 'corn', 'hamburg',
    'pizza', 'hanamaki baozi', 'wonton dumplings', 'pasta', 'noodles', 'rice',
    'pie', 'tofu', 'eggplant', 'potato', 'garlic', 'cauliflower', 'tomato',
    'kelp', 'seaweed', 'spring onion', 'rape', 'ginger', 'okra', 'lettuce',
    'pumpkin', 'cucumber', 'white radish', 'carrot', 'asparagus',
    'bamboo shoots', 'broccoli', 'celery stick', 'cilantro mint', 'snow peas',
    'cabbage', 'bean sprouts', 'onion', 'pepper', 'green beans',
    'French beans', 'king oyster mushroom', 'shiitake', 'enoki mushroom',
    'oyster mushroom', 'white button mushroom', 'salad', 'other ingredients',
)

UECFOODPIX_CLASSES = (
    'background', 'rice', 'eels on rice', 'pilaf', "chicken-'n'-egg on rice",
    'pork cutlet on rice', 'beef curry', 'sushi', 'chicken rice',
    'fried rice', 'tempura bowl', 'bibimbap', 'toast', 'croissant',
    'roll bread', 'raisin bread', 'chip butty', 'hamburger', 'pizza',
    'sandwiches', 'udon noodle', 'tempura udon', 'soba noodle',
    'ramen noodle', 'beef noodle', 'tensin noodle', 'fried noodle',
    'spaghetti', 'Japanese-style pancake', 'takoyaki', 'gratin',
    'sauteed vegetables', 'croquette', 'grilled eggplant', 'sauteed spinach',
    'vegetable tempura', 'miso soup', 'potage', 'sausage', 'oden', 'omelet',
    'ganmodoki', 'jiaozi', 'stew', 'teriyaki grilled fish', 'fried fish',
    'grilled salmon', 'salmon meuniere', 'sashimi', 'grilled pacific saury',
    'sukiyaki', 'sweet and sour pork', 'lightly roasted fish',
    'steamed egg hotchpotch', 'tempura', 'fried chicken', 'sirloin cutlet',
    'nanbanzuke', 'boiled fish', 'seasoned beef with potatoes',
    'hambarg steak', 'beef steak', 'dried fish', 'ginger pork saute',
    'spicy chili-flavored tofu', 'yakitori', 'cabbage roll', 'rolled omelet',
    'egg sunny-side up', 'fermented soybeans', 'cold tofu', 'egg roll',
    'chilled noodle', 'stir-fried beef and peppers', 'simmered pork',
    'boiled chicken and vegetables', 'sashimi bowl', 'sushi bowl',
    'fish-shaped pancake with bean jam', 'shrimp with chill source',
    'roast chicken', 'steamed meat dumpling', 'omelet with fried rice',
    'cutlet curry', 'spaghetti meat sauce', 'fried shrimp', 'potato salad',
    'green salad', 'macaroni salad', 'Japanese tofu and vegetable chowder',
    'pork miso soup', 'chinese soup', 'beef bowl',
    'kinpira-style sauteed burdock', 'rice ball', 'pizza toast',
    'dipping noodles', 'hot dog', 'french fries', 'mixed rice',
    'goya chanpuru', 'others', 'beverage',
)

TOY_FOOD_CLASSES = ('background', 'peach', 'mango', 'cucumber', 'zucchini',
                    'tofu', 'chicken', 'tomato', 'broccoli', 'rice',
                    'blueberry', 'steak')

# dataset name (as mmseg's get_classes takes it) and dataset type -> names
_DATASET_CLASSES = {
    'foodseg103': FOODSEG103_CLASSES, 'FoodSeg103Dataset': FOODSEG103_CLASSES,
    'uecfoodpix': UECFOODPIX_CLASSES, 'UECFoodPIXDataset': UECFOODPIX_CLASSES,
    'toy_food': TOY_FOOD_CLASSES, 'ToyFoodDataset': TOY_FOOD_CLASSES,
}
_GOLDEN = 0.6180339887498949


def get_classes(classes: Union[str, Sequence[str]]) -> List[str]:
    """Class names indexed by id.

    Args:
        classes: a dataset name ('foodseg103', 'uecfoodpix', 'toy_food'), its
            dataset type ('FoodSeg103Dataset', ...), or the names themselves.

    Returns:
        list[str]: the names, id = position.

    Raises:
        InputError: an unknown dataset name, or an empty list.
    """
    if isinstance(classes, str):
        if classes not in _DATASET_CLASSES:
            raise InputError(f"class names: unknown dataset '{classes}'"
                             f'{did_you_mean(classes, _DATASET_CLASSES)}')
        return list(_DATASET_CLASSES[classes])
    if classes is None or not len(classes):
        raise InputError('class names are needed to read ingredient names')
    return [str(name) for name in classes]


def get_palette(num_classes: int) -> List[List[int]]:
    """RGB colours for ``num_classes`` classes, background (id 0) black.

    Args:
        num_classes: number of classes, background included.

    Returns:
        list[list[int]]: ``num_classes`` ``[r, g, b]`` triples in 0..255.
    """
    if num_classes < 1:
        raise ValueError(f'num_classes must be >= 1, got {num_classes}')
    palette = [[0, 0, 0]]
    for i in range(1, num_classes):
        hue = (i * _GOLDEN) % 1.0
        sat = (0.55, 0.8, 1.0)[i % 3]
        val = (1.0, 0.75)[(i // 3) % 2]
        palette.append([round(c * 255) for c in colorsys.hsv_to_rgb(hue, sat, val)])
    return palette


def background_index(classes: Sequence[str]) -> Optional[int]:
    """0 if class 0 is named 'background' (every DCCD dataset), else None."""
    return 0 if len(classes) and str(classes[0]).strip().lower() == 'background' else None


def normalise_name(name: str) -> str:
    """A class name as users may type it: case and runs of spaces ignored."""
    return ' '.join(str(name).split()).lower()


def name_lookup(classes: Sequence[str]) -> Dict[str, int]:
    """``normalise_name(class name) -> class id``, to match users' names."""
    return {normalise_name(name): i for i, name in enumerate(classes)}
