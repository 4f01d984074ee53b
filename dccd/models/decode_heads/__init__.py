from .diffusion_head import DeformableDiffusionHead

__all__ = ['DeformableDiffusionHead']
