"""DistillKLLoss against hand-computed KL divergences."""
import math

import pytest
import torch
import torch.nn.functional as F
from mmseg.registry import MODELS

from dccd.models.losses import DistillKLLoss

LOG4 = math.log(4)


def _logits(*pixels):
    """(1, K, 1, P) from per-pixel logit lists."""
    return torch.tensor(pixels, dtype=torch.float32).t()[None, :, None, :]


def test_asymmetric_literal_values():
    loss = DistillKLLoss()
    uniform, skewed = _logits([0., 0.]), _logits([LOG4, 0.])  # (.5,.5), (.8,.2)
    # KL(teacher=(.5,.5) || student=(.8,.2)) = .5 ln(.5/.8) + .5 ln(.5/.2) = ln 1.25
    assert loss(skewed, uniform).item() == pytest.approx(0.2231435513)
    # KL((.8,.2) || (.5,.5)) = .8 ln 1.6 + .2 ln .4
    assert loss(uniform, skewed).item() == pytest.approx(0.1927447570)


def test_equal_logits_give_zero():
    logits = torch.randn(2, 5, 3, 3)
    assert DistillKLLoss()(logits, logits.clone()).item() == pytest.approx(0, abs=1e-6)


def test_ignored_pixels_are_excluded():
    loss = DistillKLLoss(loss_weight=3.0)
    student = _logits([LOG4, 0.], [1., 2.])
    teacher = _logits([0., 0.], [1., 2.])  # pixel 1 has KL 0
    assert loss(student, teacher).item() == pytest.approx(3 * 0.2231435513 / 2)
    only_first = torch.tensor([[[True, False]]])
    assert loss(student, teacher, only_first).item() == pytest.approx(3 * 0.2231435513)
    assert loss(student, teacher, ~only_first).item() == pytest.approx(0, abs=1e-7)


def test_no_valid_pixel_is_zero_with_a_graph():
    student = torch.randn(1, 3, 2, 2, requires_grad=True)
    out = DistillKLLoss()(student, torch.randn(1, 3, 2, 2),
                          torch.zeros(1, 2, 2, dtype=torch.bool))
    assert out.item() == 0 and out.requires_grad
    out.backward()
    assert torch.equal(student.grad, torch.zeros_like(student))


def test_temperature_scaling():
    loss = DistillKLLoss(temperature=2.0)
    # T=2: student (ln 4, 0)/2 -> (2/3, 1/3); teacher (.5, .5)
    # T^2 * (.5 ln .75 + .5 ln 1.5) = 2 ln 1.125
    assert loss(_logits([LOG4, 0.]), _logits([0., 0.])).item() == pytest.approx(
        0.2355660713)


def test_gradient_reaches_student_only():
    student = torch.randn(2, 4, 3, 3, requires_grad=True)
    teacher = torch.randn(2, 4, 3, 3, requires_grad=True)
    DistillKLLoss()(student, teacher).backward()
    assert student.grad.abs().sum() > 0
    assert teacher.grad is None


def test_undetached_teacher_gets_the_opposite_gradient_of_the_student():
    """KL(p || q) for logits p (teacher), q (student) at T = 1, one pixel of 2
    classes, p = q + d: dKL/dq = q_soft - p_soft, and dKL/dp is not zero."""
    student = torch.tensor([[[[0.0]], [[0.0]]]], requires_grad=True)   # (.5, .5)
    teacher = torch.tensor([[[[LOG4]], [[0.0]]]], requires_grad=True)  # (.8, .2)
    DistillKLLoss(detach_teacher=False)(student, teacher).backward()
    torch.testing.assert_close(student.grad.flatten(), torch.tensor([-0.3, 0.3]))
    assert teacher.grad.abs().sum() > 0


def test_matches_f_kl_div_on_random_input():
    torch.manual_seed(0)
    student, teacher = torch.randn(2, 6, 4, 5), torch.randn(2, 6, 4, 5)
    mask = torch.rand(2, 4, 5) > 0.3
    t = 1.7
    per_pixel = F.kl_div(F.log_softmax(student / t, 1), F.softmax(teacher / t, 1),
                         reduction='none').sum(1)
    expected = 0.5 * t * t * per_pixel[mask].mean()
    loss = DistillKLLoss(temperature=t, loss_weight=0.5)
    torch.testing.assert_close(loss(student, teacher, mask), expected)


def test_registry_build_and_name():
    loss = MODELS.build(dict(type='DistillKLLoss', loss_name='loss_distill'))
    assert loss.loss_name == 'loss_distill'
    with pytest.raises(ValueError, match='temperature'):
        DistillKLLoss(temperature=0)
    with pytest.raises(ValueError, match='valid_mask'):
        loss(torch.randn(1, 2, 3, 3), torch.randn(1, 2, 3, 3),
             torch.ones(1, 2, 2, dtype=torch.bool))
