from .timm_convnext import TimmConvNeXt
from .timm_features import TimmFeatures

__all__ = ['TimmConvNeXt', 'TimmFeatures']
