"""Pixel-wise distillation KL loss (Hinton et al., 2015, "Distilling the
Knowledge in a Neural Network", Sec. 2).

DCCD's self-distillation (Hou et al., 2024) pulls the student's class
distribution at every pixel towards the teacher's:
``T^2 * mean_pixels KL(softmax(teacher / T) || softmax(student / T))``; the
``T^2`` keeps gradient magnitudes comparable across temperatures. The paper
gives the KL term (Eq. 6) but not how it is taken; here, by default, the
teacher is detached (only the student is pulled), the KL is taken on the
decoder's logits at 1/4 of the input size, and averaged over the pixels whose
label is not ignored. The mask zeroes the ignored pixels (``torch.where``, no
boolean indexing: no data-dependent shape, so no host sync on a GPU and no
graph break under ``torch.compile``). Written for DCCD (Apache-2.0).
"""
from typing import Optional

import torch
import torch.nn.functional as F
from mmseg.registry import MODELS
from torch import Tensor, nn

__all__ = ['DistillKLLoss']


@MODELS.register_module()
class DistillKLLoss(nn.Module):
    """KL(teacher || student) per pixel, averaged over valid pixels.

    Args:
        temperature: softmax temperature T (> 0).
        loss_weight: factor on the loss.
        detach_teacher: no gradient reaches the teacher through this loss
            (default); False lets the KL pull the teacher towards the student
            too.
        loss_name: key of the loss in the loss dict; mmengine sums only keys
            containing ``'loss'``.

    Attributes:
        weight_scale: a further factor, 1.0 unless a schedule sets it
            (``DistillWarmupHook`` keeps it 0 while the teacher warms up).
    """

    def __init__(self, temperature: float = 1.0, loss_weight: float = 1.0,
                 detach_teacher: bool = True, loss_name: str = 'loss_kl') -> None:
        super().__init__()
        if temperature <= 0:
            raise ValueError(f'temperature must be > 0, got {temperature}')
        self.temperature = temperature
        self.loss_weight = loss_weight
        self.detach_teacher = detach_teacher
        self._loss_name = loss_name
        self.weight_scale = 1.0

    def forward(self, student_logits: Tensor, teacher_logits: Tensor,
                valid_mask: Optional[Tensor] = None) -> Tensor:
        """Compute the loss.

        Args:
            student_logits: (N, K, H, W).
            teacher_logits: (N, K, H, W).
            valid_mask: (N, H, W) bool, pixels that count; None for all.

        Returns:
            Tensor: scalar. 0 (still attached to the student's graph) when no
            pixel is valid.
        """
        if student_logits.shape != teacher_logits.shape:
            raise ValueError('student and teacher logits differ in shape: '
                             f'{tuple(student_logits.shape)} vs '
                             f'{tuple(teacher_logits.shape)}')
        t = self.temperature
        log_p_student = F.log_softmax(student_logits.float() / t, dim=1)
        if self.detach_teacher:
            teacher_logits = teacher_logits.detach()
        log_p_teacher = F.log_softmax(teacher_logits.float() / t, dim=1)
        kl = (log_p_teacher.exp() * (log_p_teacher - log_p_student)).sum(dim=1)
        if kl.numel() == 0:  # a shape, not a value: no host sync
            return student_logits.sum() * 0
        if valid_mask is None:
            mean = kl.mean()
        else:
            if valid_mask.shape != kl.shape:
                raise ValueError(f'valid_mask must be {tuple(kl.shape)}, '
                                 f'got {tuple(valid_mask.shape)}')
            valid = valid_mask.bool()
            # zeros where ignored (a select, not a product: a non-finite KL
            # there cannot leak); no valid pixel: 0 / 1, still attached
            mean = torch.where(valid, kl, kl.new_zeros(())).sum() / valid.sum().clamp(min=1)
        return self.weight_scale * self.loss_weight * t ** 2 * mean

    @property
    def loss_name(self) -> str:
        """Key of this loss in the loss dict."""
        return self._loss_name
