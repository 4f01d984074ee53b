from .timm_convnext import TimmConvNeXt

__all__ = ['TimmConvNeXt']
