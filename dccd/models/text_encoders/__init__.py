from .clip_text_encoder import CLIPIngredientEncoder

__all__ = ['CLIPIngredientEncoder']
