"""DeformableDiffusionHead through its public surface, with literal values.

Numbers are worked out by hand from DDP's formulas (not from this code):

    embed(c) = (sigmoid(E[c]) * 2 - 1) * bit_scale, row num_classes for ignore
    lambda(t) = -log(max(sec^2(theta) - 1, 1e-5)), theta = (t + 2e-4) / 1.00025 * pi/2
    noisy = sqrt(sigmoid(lambda)) * embed(gt) + sqrt(sigmoid(-lambda)) * eps
    3 DDIM steps, time_difference 1: t_now = 1, 2/3, 1/3
"""
import math
import os.path as osp

import pytest
import torch
from mmengine.config import Config
from mmengine.structures import PixelData
from mmseg.registry import MODELS
from mmseg.structures import SegDataSample

from conftest import REPO
from dccd.models.decode_heads import DeformableDiffusionHead
from dccd.models.layers import ddim_step

# lambda(t) for t = 1, 2/3, 1/3 (see the module docstring)
LOG_SNR_1, LOG_SNR_2_3, LOG_SNR_1_3 = -18.904309627886207, -1.0988540754463725, 1.0977661500030427
# t = 0.5: alpha = |cos theta|, sigma = sin theta
ALPHA_HALF, SIGMA_HALF = 0.7070234930478969, 0.7071900595160755


def micro_head(**kwargs) -> DeformableDiffusionHead:
    cfg = dict(in_channels=8, channels=4, num_layers=1, num_heads=2, num_points=2,
               ffn_channels=8, num_classes=3, bit_scale=0.01, dropout_ratio=0.0,
               loss_decode=dict(type='CrossEntropyLoss', loss_weight=1.0))
    cfg.update(kwargs)
    torch.manual_seed(0)
    head = DeformableDiffusionHead(**cfg)
    head.init_weights()
    return head


def gt_samples(masks):
    samples = []
    for i, mask in enumerate(masks):
        sample = SegDataSample(gt_sem_seg=PixelData(data=torch.as_tensor(mask)[None]))
        sample.set_metainfo(dict(img_path=f'{i}.jpg', img_shape=mask.shape,
                                 ori_shape=mask.shape, pad_shape=mask.shape))
        samples.append(sample)
    return samples


def test_label_embedding_literal_and_ignore_row():
    head = micro_head()
    with torch.no_grad():
        head.label_embedding.weight.copy_(torch.tensor([
            [0.0, math.log(3), -math.log(3), 0.0],    # class 0
            [math.log(9), 0.0, 0.0, -math.log(9)],    # class 1
            [0.0, 0.0, 0.0, 0.0],                     # class 2
            [math.log(3), math.log(3), 0.0, 0.0],     # ignore (row num_classes)
        ]))
    labels = torch.tensor([[[0, 1], [255, 2]]])
    emb = head.embed_labels(labels)
    assert emb.shape == (1, 4, 2, 2)
    # sigmoid(ln 3) = 3/4 -> 0.5 * 0.01; sigmoid(ln 9) = 9/10 -> 0.8 * 0.01
    torch.testing.assert_close(emb[0, :, 0, 0], torch.tensor([0.0, 0.005, -0.005, 0.0]))
    torch.testing.assert_close(emb[0, :, 0, 1], torch.tensor([0.008, 0.0, 0.0, -0.008]))
    torch.testing.assert_close(emb[0, :, 1, 0], torch.tensor([0.005, 0.005, 0.0, 0.0]))
    torch.testing.assert_close(emb[0, :, 1, 1], torch.zeros(4))
    assert emb.abs().max() <= 0.01


def test_noised_gt_at_a_fixed_time_and_seed():
    head = micro_head(sample_range=(0.5, 0.5))  # t = 0.5 exactly
    mask = torch.tensor([[1, 1, 2, 2]] * 4)
    mask[0, 0] = 255
    samples = gt_samples([mask, torch.zeros(4, 4, dtype=torch.long)])
    torch.manual_seed(7)
    noised = head.noise_gt(samples, (2, 2))
    torch.manual_seed(7)  # the same draws, in the head's order: t, then eps
    torch.empty(2).uniform_(0.5, 0.5)
    eps = torch.randn(2, 4, 2, 2)
    labels = torch.tensor([[[255, 2], [1, 2]], [[0, 0], [0, 0]]])
    assert torch.equal(noised.labels, labels)  # nearest down-sampling
    torch.testing.assert_close(noised.log_snr, torch.full((2, ), -0.00047112112211578826))
    expected = ALPHA_HALF * head.embed_labels(labels) + SIGMA_HALF * eps
    torch.testing.assert_close(noised.noisy_map, expected)


def test_loss_noised_matches_forward_and_loss_by_feat():
    head = micro_head()
    samples = gt_samples([torch.randint(0, 3, (8, 8)) for _ in range(2)])
    feature = torch.randn(2, 8, 4, 4)
    noised = head.noise_gt(samples, (4, 4))
    losses, logits = head.loss_noised([feature], noised, samples)
    assert logits.shape == (2, 3, 4, 4)
    torch.testing.assert_close(logits, head([feature], noised.noisy_map, noised.log_snr))
    assert set(losses) == {'loss_ce', 'acc_seg'}
    torch.testing.assert_close(losses['loss_ce'], head.loss_by_feat(logits, samples)['loss_ce'])
    # the mmseg signature draws its own noise: one call, the same keys
    assert set(head.loss([feature], samples, dict())) == {'loss_ce', 'acc_seg'}


def test_three_ddim_steps_feed_the_head_these_log_snrs():
    head = micro_head()
    seen = []
    head.register_forward_pre_hook(
        lambda module, args: seen.append((args[1].clone(), args[2].clone())))
    feature = torch.randn(2, 8, 4, 4)
    metas = [dict(img_path='a.jpg'), dict(img_path='b.jpg')]
    with torch.no_grad():
        logits = head.sample([feature], metas, steps=3, seed=0)
    assert logits.shape == (2, 3, 4, 4)
    # float32, as DDP samples: near t = 1, cos(theta) ~ 8e-5 costs 3 digits
    assert [snr.tolist() for _, snr in seen] == [
        [pytest.approx(v, rel=2e-4)] * 2 for v in (LOG_SNR_1, LOG_SNR_2_3, LOG_SNR_1_3)]
    # the first map is the seeded start; each next one is DDIM's update of it
    assert torch.equal(seen[0][0], head.initial_noise(feature, metas, 0))
    with torch.no_grad():
        first_logits = head([feature], seen[0][0], seen[0][1])
    x0 = head.embed_labels(first_logits.argmax(1))
    torch.testing.assert_close(
        seen[1][0], ddim_step(seen[0][0], x0, seen[0][1], torch.full((2, ), LOG_SNR_1_3)))


def test_initial_noise_depends_on_the_file_name_and_seed_only():
    head = micro_head()
    feature = torch.zeros(3, 8, 2, 2)
    metas = [dict(img_path='x/a.jpg'), dict(img_path='b.jpg'), dict(img_path='y/a.jpg')]
    noise = head.initial_noise(feature, metas, seed=0)
    assert noise.shape == (3, 4, 2, 2)
    assert torch.equal(noise[0], noise[2]) and not torch.equal(noise[0], noise[1])
    assert not torch.equal(noise, head.initial_noise(feature, metas, seed=1))


def test_predict_resizes_to_the_input():
    head = micro_head()
    metas = [dict(img_path='a.jpg', img_shape=(16, 16))]
    with torch.no_grad():
        out = head.predict([torch.randn(1, 8, 4, 4)], metas, dict(steps=1, seed=0))
    assert out.shape == (1, 3, 16, 16)


def test_classifier_is_xavier_initialised_as_in_ddp():
    head = micro_head()  # 4 channels -> 3 classes: Xavier bound sqrt(6 / 7)
    weight = head.conv_seg.weight
    assert weight.abs().max() <= math.sqrt(6 / 7) and weight.std() > 0.1  # not N(0, 0.01)
    assert torch.equal(head.conv_seg.bias.detach(), torch.zeros(3))


def test_paper_parameter_counts():
    cfg = Config.fromfile(osp.join(REPO, 'configs', 'foodseg103_dccd.py')).model
    count = lambda module: sum(p.numel() for p in module.parameters())  # noqa: E731
    merge, cbam = (MODELS.build(part) for part in cfg.neck)
    assert count(MODELS.build(cfg.decode_head)) == 8_498_864
    assert (count(merge), count(cbam)) == (737_792, 8_291)
    assert count(MODELS.build(cfg.auxiliary_head)) == 617_064


def test_loss_at_feature_size_uses_the_noised_target_labels():
    head = micro_head(loss_at_feature_size=True)
    samples = gt_samples([torch.randint(0, 3, (8, 8)) for _ in range(2)])
    feature = torch.randn(2, 8, 4, 4)
    noised = head.noise_gt(samples, (4, 4))
    losses, logits = head.loss_noised([feature], noised, samples)
    expected = torch.nn.functional.cross_entropy(logits, noised.labels)
    torch.testing.assert_close(losses['loss_ce'], expected)
    full = micro_head().loss_by_feat(logits, samples)['loss_ce']  # up-sampled logits
    assert not torch.isclose(full, expected)
