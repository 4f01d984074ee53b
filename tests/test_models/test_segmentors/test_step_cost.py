"""The cheaper train step (issue 19): same losses where no key changes the
maths, and the keys that do (losses at the feature size) do what they say."""
import copy

import pytest
import torch
import torch.nn.functional as F
from mmengine.structures import PixelData
from mmseg.structures import SegDataSample

from dccd.models.decode_heads.diffusion_head import losses_at_label_size
from dccd.models.necks import MultiStageMerging
from test_self_distill_segmentor import CFG, build, make_batch, preprocess

# model.loss of the micro models on make_batch() after torch.manual_seed(1),
# measured with the code before the step was made cheaper (commit fce4b2a)
PINNED = {
    ('ddp', False): {'loss_ce_student': 1.877156, 'acc_seg_student': 11.666666,
                     'aux.loss_ce': 0.604282, 'aux.acc_seg': 11.5625},
    ('dccd', False): {'loss_ce_teacher': 1.796745, 'acc_seg_teacher': 19.635416,
                      'loss_ce_student': 1.998633, 'acc_seg_student': 14.84375,
                      'loss_kl': 0.081381, 'aux.loss_ce': 0.608932, 'aux.acc_seg': 5.78125},
    # decode_head.loss_at_feature_size=True (a key fce4b2a had already)
    ('ddp', True): {'loss_ce_student': 1.855408, 'acc_seg_student': 13.392857,
                    'aux.loss_ce': 0.604282, 'aux.acc_seg': 11.5625},
    ('dccd', True): {'loss_ce_teacher': 1.777387, 'acc_seg_teacher': 20.535713,
                     'loss_ce_student': 2.029639, 'acc_seg_student': 16.964285,
                     'loss_kl': 0.081381, 'aux.loss_ce': 0.608932, 'aux.acc_seg': 5.78125},
}


def micro_losses(mode, feature_size_ce=False, aux_at_feature_size=False):
    saved = copy.deepcopy(CFG.model)
    try:
        CFG.model.decode_head.loss_at_feature_size = feature_size_ce
        CFG.model.train_cfg = dict(aux_loss_at_feature_size=aux_at_feature_size)
        model = build(mode).train()
    finally:
        CFG.model = saved
    batch = preprocess(model, make_batch(), True)
    torch.manual_seed(1)
    return model, batch, model.loss(batch['inputs'], batch['data_samples'])


@pytest.mark.parametrize('mode, feature_size_ce', sorted(PINNED))
def test_the_micro_step_loses_what_it_lost_before(mode, feature_size_ce):
    _, _, losses = micro_losses(mode, feature_size_ce)
    assert set(losses) == set(PINNED[mode, feature_size_ce])
    for key, value in PINNED[mode, feature_size_ce].items():
        assert float(losses[key]) == pytest.approx(value, abs=1e-5), key


def test_losses_at_label_size_equal_mmsegs_loss_by_feat():
    head = build('ddp').decode_head
    logits = torch.randn(2, 5, 8, 8)
    labels = torch.randint(0, 5, (2, 8, 8))
    labels[0, :2] = 255
    samples = [SegDataSample(gt_sem_seg=PixelData(data=label[None])) for label in labels]
    ours = losses_at_label_size(head, logits, labels)
    mmseg = head.loss_by_feat(logits, samples)
    assert set(ours) == set(mmseg) == {'loss_ce', 'acc_seg'}
    for key in ours:
        assert torch.allclose(ours[key], mmseg[key], atol=1e-6), key
    with pytest.raises(ValueError, match='differ in size'):
        losses_at_label_size(head, logits, labels[:, :4])


def test_aux_loss_at_feature_size_is_the_ce_against_the_nearest_gt():
    model, batch, losses = micro_losses('ddp', aux_at_feature_size=True)
    feats = model.extract_feat(batch['inputs'])
    logits = model.auxiliary_head(feats)  # (N, K, 8, 8) for 32-px inputs
    gt = torch.stack([s.gt_sem_seg.data for s in batch['data_samples']]).float()
    labels = F.interpolate(gt, size=logits.shape[-2:], mode='nearest').long()[:, 0]
    # mmseg's CrossEntropyLoss (avg_non_ignore=False) divides by every pixel
    expected = 0.4 * F.cross_entropy(logits, labels, ignore_index=255,
                                     reduction='sum') / labels.numel()
    assert float(losses['aux.loss_ce']) == pytest.approx(float(expected), abs=1e-5)
    # the default (key off) keeps mmseg's CE on logits up-sampled to the GT
    assert float(losses['aux.loss_ce']) != pytest.approx(PINNED['ddp', False]['aux.loss_ce'],
                                                         abs=1e-3)


def test_per_level_merging_equals_concatenate_then_convolve():
    torch.manual_seed(0)
    neck = MultiStageMerging([24, 40, 112], 32, norm_cfg=dict(type='GN', num_groups=8)).double()
    inputs = [torch.randn(2, c, 16 // 2**i, 12 // 2**i, dtype=torch.float64, requires_grad=True)
              for i, c in enumerate([24, 40, 112])]
    merged = neck(inputs)[0]
    resized = [inputs[0]] + [F.interpolate(x, size=(16, 12), mode='bilinear',
                                           align_corners=False) for x in inputs[1:]]
    reference = neck.fuse(torch.cat(resized, dim=1))
    assert torch.allclose(merged, reference, atol=1e-12)
    ours = torch.autograd.grad(merged.square().sum(), inputs + [neck.fuse.conv.weight])
    theirs = torch.autograd.grad(reference.square().sum(), inputs + [neck.fuse.conv.weight])
    for a, b in zip(ours, theirs):
        assert torch.allclose(a, b, atol=1e-10)
