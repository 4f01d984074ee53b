"""Python API: load a checkpoint, segment food photos; test-time ingredient sources."""
from .files import (check_image_file, check_mask_classes, mask_file_name,
                    parse_ingredients, write_mask_png)
from .inference import (AUTO, FoodSegResult, build_inference_pipeline, check_input,
                        check_steps, header_size, init_segmentor, load_text_tower,
                        match_ingredients, segment_food, select_branch,
                        text_tower_left_out, warnings_held)
from .ingredient_sources import (describe_evaluation, use_auto_ingredients,
                                 use_corrupted_ingredients, use_ingredients_file,
                                 use_teacher_branch, with_presence_metric)

__all__ = [
    'AUTO', 'FoodSegResult', 'init_segmentor', 'segment_food', 'match_ingredients',
    'select_branch', 'build_inference_pipeline', 'check_input', 'check_steps', 'warnings_held',
    'header_size', 'check_image_file', 'parse_ingredients', 'mask_file_name',
    'check_mask_classes', 'write_mask_png', 'text_tower_left_out', 'load_text_tower',
    'use_teacher_branch',
    'use_ingredients_file', 'use_corrupted_ingredients', 'use_auto_ingredients',
    'with_presence_metric', 'describe_evaluation'
]
