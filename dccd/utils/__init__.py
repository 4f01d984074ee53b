from .class_names import (FOODSEG103_CLASSES, TOY_FOOD_CLASSES, UECFOODPIX_CLASSES,
                          background_index, get_classes, get_palette, name_lookup,
                          normalise_name)
from .cli import (ArgumentParser, default_work_dir, drop_pretrained, exit_on_input_error,
                  load_config)
from .errors import InputError, closest, did_you_mean, one_line_error
from .image_key import image_crc, image_key
from .ingredients import (IngredientShare, ingredient_ids, ingredient_names,
                          ingredient_shares, match_ingredients, present_ids,
                          propose_by_area)

__all__ = [
    'InputError', 'one_line_error', 'closest', 'did_you_mean', 'ArgumentParser', 'load_config',
    'default_work_dir', 'exit_on_input_error', 'drop_pretrained',
    'FOODSEG103_CLASSES', 'UECFOODPIX_CLASSES', 'TOY_FOOD_CLASSES', 'get_classes',
    'get_palette', 'background_index', 'normalise_name', 'name_lookup',
    'image_key', 'image_crc', 'present_ids', 'ingredient_ids', 'ingredient_names',
    'match_ingredients', 'IngredientShare', 'ingredient_shares', 'propose_by_area'
]
