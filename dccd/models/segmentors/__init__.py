from .self_distill_segmentor import SelfDistillSegmentor

__all__ = ['SelfDistillSegmentor']
