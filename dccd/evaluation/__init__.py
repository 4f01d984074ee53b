from .ingredient_presence_metric import IngredientPresenceMetric, presence_scores
from .per_class_iou_metric import PerClassIoUMetric

__all__ = ['PerClassIoUMetric', 'IngredientPresenceMetric', 'presence_scores']
