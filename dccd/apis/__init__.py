"""Python API for notebooks: load a checkpoint, segment food photos."""
from .inference import (FoodSegResult, build_inference_pipeline, init_segmentor,
                        match_ingredients, segment_food, select_branch)

__all__ = [
    'FoodSegResult', 'init_segmentor', 'segment_food', 'match_ingredients',
    'select_branch', 'build_inference_pipeline'
]
