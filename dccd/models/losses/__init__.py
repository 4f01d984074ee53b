from .distill_kl_loss import DistillKLLoss

__all__ = ['DistillKLLoss']
