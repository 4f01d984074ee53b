from .ingredient_presence_head import IngredientPresenceHead

__all__ = ['IngredientPresenceHead']
