from .cbam import CBAM
from .deformable_attention import MSDeformAttn, multi_scale_deformable_attn
from .noise_schedule import (cosine_log_snr, ddim_step, log_snr_to_alpha_sigma,
                             sampling_time_pairs)
from .positional_encoding import sine_positional_encoding
from .text_fusion import TextFusion
from .time_embedding import LearnedSinusoidalEmbedding, TimeEmbedding

__all__ = [
    'CBAM', 'LearnedSinusoidalEmbedding', 'MSDeformAttn', 'TextFusion',
    'TimeEmbedding', 'cosine_log_snr', 'ddim_step', 'log_snr_to_alpha_sigma',
    'multi_scale_deformable_attn', 'sampling_time_pairs',
    'sine_positional_encoding'
]
