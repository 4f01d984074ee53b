"""SelfDistillSegmentor in its three modes (DDP, DCC, DCCD) at micro size."""
import copy
import os.path as osp

import pytest
import torch
from mmengine.config import Config
from mmengine.structures import PixelData
from mmseg.registry import MODELS
from mmseg.structures import SegDataSample

from conftest import REPO
from dccd.utils import InputError

CFG = Config.fromfile(osp.join(REPO, 'tests', 'configs', 'micro_dccd.py'))


def build(mode: str, **test_cfg):
    cfg = copy.deepcopy(CFG.model)
    if mode in ('ddp', 'dcc'):
        cfg.pop('distill_loss')
    if mode == 'ddp':
        cfg.pop('text_encoder')
        cfg.pop('text_fusion')
    cfg.test_cfg.update(test_cfg)
    torch.manual_seed(0)
    model = MODELS.build(cfg)
    model.init_weights()
    return model


def make_batch(n=2, size=32, ingredients=None, seed=0, names=None):
    """Random uint8 images and block masks with some ignored pixels."""
    gen = torch.Generator().manual_seed(seed)
    inputs, samples = [], []
    for i in range(n):
        inputs.append(torch.randint(0, 256, (3, size, size), generator=gen, dtype=torch.uint8))
        mask = torch.zeros(1, size, size, dtype=torch.long)
        mask[:, :size // 2, :size // 2] = 1 + i
        mask[:, size // 2:, size // 2:] = 3
        mask[:, :2] = 255
        sample = SegDataSample(gt_sem_seg=PixelData(data=mask))
        ids = ingredients[i] if ingredients is not None else sorted({1 + i, 3})
        sample.set_metainfo(dict(
            img_path=(names or [f'img_{k}.jpg' for k in range(n)])[i],
            ori_shape=(size, size), img_shape=(size, size),
            pad_shape=(size, size), ingredients=ids))
        samples.append(sample)
    return dict(inputs=inputs, data_samples=samples)


def preprocess(model, batch, training):
    return model.data_preprocessor(copy.deepcopy(batch), training)


@pytest.mark.parametrize('mode, keys', [
    ('ddp', {'loss_ce_student', 'acc_seg_student', 'aux.loss_ce', 'aux.acc_seg'}),
    ('dcc', {'loss_ce_teacher', 'acc_seg_teacher', 'aux.loss_ce', 'aux.acc_seg'}),
    ('dccd', {'loss_ce_teacher', 'acc_seg_teacher', 'loss_ce_student',
              'acc_seg_student', 'loss_kl', 'aux.loss_ce', 'aux.acc_seg'}),
])
def test_losses_per_mode(mode, keys):
    model = build(mode)
    assert model.kind == mode
    model.train()
    losses = model(**preprocess(model, make_batch(), True), mode='loss')
    assert set(losses) == keys
    for key, value in losses.items():
        assert torch.isfinite(value).all(), key
    # 5 classes, near-uniform at init: CE close to log(5), never tiny
    assert 0.5 < losses[f'loss_ce_{model.train_branches[0]}'].item() < 5
    if mode == 'dccd':
        assert losses['loss_kl'].item() >= 0


def test_gradients_reach_trainable_parts_not_clip():
    model = build('dccd')
    model.train()
    losses = model(**preprocess(model, make_batch(), True), mode='loss')
    total = sum(v for k, v in losses.items() if 'loss' in k)
    total.backward()

    def grad_norm(module):
        grads = [p.grad.abs().sum() for p in module.parameters() if p.grad is not None]
        return float(sum(grads)) if grads else 0.0

    assert grad_norm(model.backbone) > 0
    assert grad_norm(model.neck[0]) > 0  # stage merging
    assert grad_norm(model.neck[1]) > 0  # CBAM
    assert grad_norm(model.text_fusion) > 0
    head = model.decode_head
    for part in (head.layers, head.label_embedding, head.time_embedding,
                 head.fuse_noisy_map, head.conv_seg):
        assert grad_norm(part) > 0
    assert all(not p.requires_grad and p.grad is None
               for p in model.text_encoder.parameters())


def test_both_branches_see_the_same_noisy_map_and_time():
    model = build('dccd')
    model.train()
    calls = []

    def record(module, args):
        inputs, noisy_map, log_snr = args
        calls.append((inputs[0].detach().clone(), noisy_map.detach().clone(),
                      log_snr.detach().clone()))

    handle = model.decode_head.register_forward_pre_hook(record)
    model(**preprocess(model, make_batch(), True), mode='loss')
    handle.remove()
    assert len(calls) == 2  # teacher, then student
    (feat_t, noisy_t, snr_t), (feat_s, noisy_s, snr_s) = calls
    assert torch.equal(noisy_t, noisy_s) and torch.equal(snr_t, snr_s)
    assert not torch.equal(feat_t, feat_s)  # the teacher's feature carries text
    assert snr_t.shape == (2, ) and snr_t[0] != snr_t[1]  # one t per sample


def _tensor_out(model, ingredients, seed=0):
    data = preprocess(model, make_batch(ingredients=ingredients, seed=seed), False)
    with torch.no_grad():
        return model(**data, mode='tensor')


def test_ingredients_change_teacher_never_student():
    model = build('dccd')
    model.eval()
    model.test_cfg.branch = 'teacher'
    teacher_a = _tensor_out(model, [[1, 3], [2, 3]])
    teacher_b = _tensor_out(model, [[4], []])
    assert (teacher_a - teacher_b).abs().max() > 1e-4
    model.test_cfg.branch = 'student'
    student_a = _tensor_out(model, [[1, 3], [2, 3]])
    student_b = _tensor_out(model, [[4], []])
    assert torch.equal(student_a, student_b)


def test_ddim_is_reproducible_and_batch_independent():
    model = build('dccd', steps=3)
    model.eval()
    batch = make_batch(n=2, names=['a.jpg', 'b.jpg'])
    data = preprocess(model, batch, False)
    with torch.no_grad():
        first = model(**data, mode='tensor')
        again = model(**data, mode='tensor')
        single = [model(**preprocess(model, dict(inputs=[batch['inputs'][i]],
                                                  data_samples=[batch['data_samples'][i]]),
                                     False), mode='tensor') for i in range(2)]
    assert torch.equal(first, again)
    torch.testing.assert_close(first, torch.cat(single), rtol=1e-4, atol=1e-5)
    model.test_cfg.seed = 1
    with torch.no_grad():
        reseeded = model(**data, mode='tensor')
    assert not torch.equal(first, reseeded)


def test_predict_batch_two():
    model = build('dccd', steps=2)
    model.eval()
    with torch.no_grad():
        results = model(**preprocess(model, make_batch(n=2), False), mode='predict')
    assert len(results) == 2
    for result in results:
        assert result.pred_sem_seg.data.shape == (1, 32, 32)
        assert result.seg_logits.data.shape == (5, 32, 32)
        assert 0 <= result.pred_sem_seg.data.min() and result.pred_sem_seg.data.max() < 5


def test_test_branch_defaults_follow_the_mode():
    assert build('ddp').test_cfg.branch == 'student'
    assert build('dcc').test_cfg.branch == 'teacher'
    assert build('dccd').test_cfg.branch == 'student'


def test_invalid_model_configs_are_named():
    cfg = copy.deepcopy(CFG.model)
    cfg.pop('text_fusion')
    with pytest.raises(ValueError, match='text_encoder and model.text_fusion'):
        MODELS.build(cfg)
    cfg = copy.deepcopy(CFG.model)
    cfg.pop('text_encoder')
    cfg.pop('text_fusion')
    with pytest.raises(ValueError, match='distill_loss needs a teacher'):
        MODELS.build(cfg)
    with pytest.raises(ValueError, match="'teacher' branch needs model.text_encoder"):
        build('ddp', branch='teacher')
    with pytest.raises(ValueError, match='test_cfg.steps must be a whole number >= 1'):
        build('dccd', steps=0)


def test_teacher_without_ingredients_is_one_clear_error():
    model = build('dcc')
    model.eval()
    batch = make_batch()
    for sample in batch['data_samples']:
        del sample.ingredients
    with pytest.raises(InputError, match="metainfo\\['ingredients'\\]"):
        with torch.no_grad():
            model(**preprocess(model, batch, False), mode='tensor')


@pytest.mark.parametrize('frozen', [True, False])
def test_clip_tower_trains_only_when_not_frozen(frozen):
    from mmengine.optim import build_optim_wrapper
    cfg = copy.deepcopy(CFG.model)
    cfg.text_encoder.frozen = frozen
    torch.manual_seed(0)
    model = MODELS.build(cfg)
    model.init_weights()
    optim_wrapper = build_optim_wrapper(
        model, dict(type='OptimWrapper', optimizer=dict(type='SGD', lr=0.1)))
    tower = model.text_encoder.tower
    before = {k: v.clone() for k, v in tower.state_dict().items()}
    model.train()
    model.train_step(make_batch(), optim_wrapper)
    changed = [k for k, v in tower.state_dict().items() if not torch.equal(v, before[k])]
    if frozen:
        assert changed == []
    else:
        assert 'text_projection' in changed and 'token_embedding.weight' in changed
