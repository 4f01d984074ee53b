"""DCCD's visualizer: food overlays with an ingredient legend."""
from .food_seg_visualizer import FoodSegLocalVisualizer

__all__ = ['FoodSegLocalVisualizer']
