"""Python API: load a checkpoint, segment food photos; test-time ingredient sources."""
from .inference import (FoodSegResult, build_inference_pipeline, init_segmentor,
                        match_ingredients, segment_food, select_branch)
from .ingredient_sources import (describe_evaluation, use_corrupted_ingredients,
                                 use_ingredients_file, use_teacher_branch)

__all__ = [
    'FoodSegResult', 'init_segmentor', 'segment_food', 'match_ingredients',
    'select_branch', 'build_inference_pipeline', 'use_teacher_branch',
    'use_ingredients_file', 'use_corrupted_ingredients', 'describe_evaluation'
]
