"""The model learns: a micro DCCD trained on generated toy plates.

Trained in this process from random weights (tests/configs/micro_toy_dccd.py:
convnext_atto, one decoder layer, 64x64 plates), the summed training loss must
fall to at most half of where it starts, and the image-only student (3 DDIM
steps) must beat the all-background prediction by ``MARGIN`` mIoU points on
held-out plates. With the learning rate at 0 both fail (the loss stays, the
student's random predictions score below the background): the test can fail.
"""
import numpy as np
import pytest
import torch
from mmengine.config import Config
from mmengine.optim import build_optim_wrapper
from mmengine.runner import Runner
from mmseg.registry import MODELS

from conftest import MICRO_TOY_CONFIG
from dccd.apis.evaluation import evaluate

ITERS = 120
LR = 2e-3
MARGIN = 15.0  # mIoU points over predicting background everywhere


def background_miou(loader) -> float:
    """mIoU (mmseg's: mean over the classes present) of a prediction that is
    background everywhere: IoU(background) = its share, every food 0."""
    background = total = 0
    present = set()
    for sample in loader.dataset:
        gt = sample['data_samples'].gt_sem_seg.data.numpy()
        background += int((gt == 0).sum())
        total += gt.size
        present |= set(np.unique(gt).tolist())
    return 100.0 * background / total / len(present)


def train_micro_dccd(root: str, lr: float) -> tuple:
    """(mean loss of the first 10 steps, of the last 10, the student's mIoU,
    the all-background mIoU) after ITERS steps at ``lr``."""
    cfg = Config.fromfile(MICRO_TOY_CONFIG)
    for loader in ('train_dataloader', 'test_dataloader'):
        cfg[loader].dataset.data_root = root
    cfg.optim_wrapper.optimizer.lr = lr
    torch.manual_seed(0)
    model = MODELS.build(cfg.model)
    model.init_weights()
    optim_wrapper = build_optim_wrapper(model, cfg.optim_wrapper)
    model.train()
    losses = []
    for _, data in zip(range(ITERS), Runner.build_dataloader(cfg.train_dataloader, seed=0)):
        log = model.train_step(data, optim_wrapper)
        losses.append(log['loss'].item())
    model.eval()
    metrics = evaluate(model, cfg.test_dataloader, dict(type='IoUMetric'), 'student')
    test_loader = Runner.build_dataloader(cfg.test_dataloader)
    return (np.mean(losses[:10]), np.mean(losses[-10:]), metrics['mIoU'],
            background_miou(test_loader))


@pytest.fixture(scope='module')
def learning_root(tmp_path_factory):
    from dccd.datasets import generate_toy_food
    return generate_toy_food(str(tmp_path_factory.mktemp('learn') / 'toy'), seed=3,
                             num_train=96, num_test=24, size=64, val_fraction=0.1)


def test_micro_dccd_learns_toy_plates(learning_root):
    first, last, student, background = train_micro_dccd(learning_root, LR)
    print(f'loss {first:.3f} -> {last:.3f}; student mIoU {student:.2f}, '
          f'all-background mIoU {background:.2f}')
    assert last <= first / 2
    assert student >= background + MARGIN
