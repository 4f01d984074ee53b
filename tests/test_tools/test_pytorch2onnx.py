"""ONNX export of the image-only student (``dccd.deployment``,
``tools/deployment/pytorch2onnx.py``) and ``infer.py --backend onnxruntime``.

Micro models: random weights for DDP and DCCD, the session's trained micro
DCCD checkpoint, and that checkpoint without its background class (whose
argmax over the foods depends on the input: a parity check that can fail).
"""
import json
import os
import os.path as osp

import cv2
import numpy as np
import pytest
import torch
from mmengine.config import Config

from conftest import MICRO_TOY_CONFIG, REPO, load_tool, run_tool_here
from dccd.apis import init_segmentor
from dccd.deployment import (StudentGraph, export_checked, init_onnx_segmentor,
                             onnx_session, parity_inputs)
from dccd.deployment import onnx_export
from dccd.models.layers.noise_schedule import image_noise

MICRO = osp.join(REPO, 'tests', 'configs', 'micro_dccd.py')
INFER_CONFIG = osp.join(REPO, 'tests', 'configs', 'micro_toy_dccd_infer.py')
DCC_CONFIG = osp.join(REPO, 'tests', 'configs', 'micro_toy_dcc.py')
EXPORT = load_tool('deployment/pytorch2onnx.py')
INFER = load_tool('infer.py')


def micro_model(kind: str):
    """tests/configs/micro_dccd.py as DDP or DCCD, seeded random weights."""
    cfg = Config.fromfile(MICRO)
    if kind == 'ddp':
        for key in ('text_encoder', 'text_fusion', 'distill_loss'):
            cfg.model.pop(key)
    torch.manual_seed(0)
    model = init_segmentor(cfg)
    model.init_weights()
    return model.eval()


def fails_in_one_line(main, argv, capsys, code=2) -> str:
    """``main(argv)`` exits ``code`` with one stderr line; the line."""
    with pytest.raises(SystemExit) as info:
        main([str(a) for a in argv])
    err = capsys.readouterr().err
    lines = [line for line in err.splitlines() if line.strip()]
    assert info.value.code == code and len(lines) == 1, err[-2000:]
    assert lines[0].startswith('error: ') and 'Traceback' not in err
    return lines[0]


def test_given_noise_is_the_noise_pytorch_draws():
    model = micro_model('dccd')
    head = model.decode_head
    feature = torch.randn(2, 32, 8, 8)
    metas = [dict(img_path='a/plate.jpg'), dict(img_path='b.png')]
    noise = image_noise(metas, (32, 8, 8), seed=5)
    assert torch.equal(noise, head.initial_noise(feature, metas, 5))
    with torch.no_grad():
        assert torch.equal(head.sample([feature], metas, 3, 5),
                           head.sample([feature], [], 3, noise=noise))


@pytest.mark.parametrize('kind', ['ddp', 'dccd'])
def test_export_micro_student_random_weights(kind):
    model = micro_model(kind)
    data, report = export_checked(model, (32, 32), steps=3)
    assert (report.inputs, report.pixels) == (3, 3 * 8 * 8)
    assert report.max_abs_diff <= 1e-3 and report.argmax_agreement >= 0.999
    assert report.passed
    session = onnx_session(data)
    assert [(i.name, i.shape) for i in session.get_inputs()] == [
        ('image', [1, 3, 32, 32]), ('noise', [1, 32, 8, 8])]
    assert session.get_outputs()[0].shape == [1, 5, 8, 8]
    meta = session.get_modelmeta().custom_metadata_map
    assert (meta['dccd_kind'], meta['dccd_steps'], meta['dccd_seed']) == (kind, '3', '0')
    assert float(meta['dccd_parity_max_abs_diff']) == pytest.approx(report.max_abs_diff,
                                                                    rel=1e-2)
    # the noise is an input: PyTorch's logits with the same noise, others without
    image, noise = parity_inputs(model, [(32, 32)], seed=7)[0]
    with torch.no_grad():
        expected = StudentGraph(model, 3)(image, noise).numpy()
    run = lambda n: session.run(None, {'image': image.numpy(), 'noise': n.numpy()})[0]  # noqa
    assert expected.std() > 0.01
    assert np.abs(run(noise) - expected).max() <= 1e-3
    assert np.abs(run(torch.randn_like(noise)) - expected).max() > 1e-3


def test_dynamic_batch_and_size():
    """Parity at 3 sizes (32x32, 64x32, 49x41: ConvNeXt floors 49 / 4), then
    at a batch and size of neither the trace nor the check."""
    model = micro_model('dccd')
    data, report = export_checked(model, (32, 32), steps=2, batch=2, dynamic=True)
    assert report.pixels == 2 * (8 * 8 + 16 * 8 + 12 * 10) and report.passed
    session = onnx_session(data)
    assert session.get_inputs()[0].shape == ['batch', 3, 'height', 'width']
    assert session.get_inputs()[1].shape == ['batch', 32, 'feature_height', 'feature_width']
    meta = session.get_modelmeta().custom_metadata_map
    assert (meta['dccd_feature_stride'], meta['dccd_feature_rounding']) == ('4', 'floor')
    report = onnx_export.check_parity(session, model, 2,
                                      parity_inputs(model, [(48, 80)], batch=3))
    assert report.pixels == 3 * 12 * 20 and report.max_abs_diff <= 1e-3
    assert report.argmax_agreement >= 0.999


def test_parity_of_a_trained_checkpoint_without_background(no_background_checkpoint):
    """Its argmax runs over the foods and follows the input: PyTorch's
    argmax must be reproduced pixel by pixel, through three DDIM steps."""
    config, ckpt = no_background_checkpoint
    model = init_segmentor(config, ckpt)
    data, report = export_checked(model, (64, 64), steps=3)
    session = onnx_session(data)
    image, noise = parity_inputs(model, [(64, 64)])[0]
    argmax = session.run(None, {'image': image.numpy(), 'noise': noise.numpy()})[0].argmax(1)
    assert len(np.unique(argmax)) > 2  # several foods: not a trivial argmax
    assert report.max_abs_diff <= 1e-3 and report.argmax_agreement >= 0.999


@pytest.fixture(scope='module')
def toy_onnx(toy_checkpoint, tmp_path_factory):
    """The trained micro toy student exported by the tool (128x128, the infer
    config's padded input). Returns (path, the tool's output line)."""
    out = str(tmp_path_factory.mktemp('onnx') / 'student.onnx')
    result = run_tool_here('deployment/pytorch2onnx.py', INFER_CONFIG, toy_checkpoint[1],
                           '--out', out)
    assert result.returncode == 0, result.stderr[-3000:]
    return out, result.stdout.strip().splitlines()[-1]


def test_export_tool_on_a_trained_checkpoint(toy_onnx):
    path, line = toy_onnx
    assert line.startswith(f'wrote {path} (') and 'the DCCD student, 3 DDIM step(s)' in line
    assert 'input 128x128' in line and '3 inputs' in line
    diff = float(line.split('max |diff| ')[1].split(' ')[0])
    agreement = float(line.split('argmax agreement ')[1].split(' ')[0])
    assert diff <= 1e-3 and agreement >= 99.9
    assert [f for f in os.listdir(osp.dirname(path))] == ['student.onnx']  # no temp file


def read_results(out_dir, stem):
    mask = cv2.imread(osp.join(out_dir, f'{stem}_mask.png'), cv2.IMREAD_UNCHANGED)
    with open(osp.join(out_dir, f'{stem}.json')) as f:
        return mask, json.load(f)


def test_infer_onnxruntime_gives_the_pytorch_results(toy_checkpoint, toy_onnx, foodseg_sample,
                                                     tmp_path, capsys):
    """Same files; masks equal but for pixels where two classes' logits
    nearly tie (float rounding differs; measured: 0-2 of 200,000+ pixels)."""
    photos = sorted(osp.join(foodseg_sample, 'images', f)
                    for f in os.listdir(osp.join(foodseg_sample, 'images')))[:3]
    out = {b: str(tmp_path / b) for b in ('pytorch', 'onnxruntime')}
    INFER.main([INFER_CONFIG, toy_checkpoint[1], *photos, '--out-dir', out['pytorch']])
    INFER.main([INFER_CONFIG, toy_onnx[0], *photos, '--out-dir', out['onnxruntime'],
                '--backend', 'onnxruntime'])
    assert ('segmented 3 image(s) with the student branch (onnxruntime), 3 DDIM step(s)'
            in capsys.readouterr().out)
    assert sorted(os.listdir(out['pytorch'])) == sorted(os.listdir(out['onnxruntime']))
    for photo in photos:
        stem = osp.splitext(osp.basename(photo))[0]
        (mask, info), (ort_mask, ort_info) = (read_results(out[b], stem) for b in out)
        assert mask.shape == ort_mask.shape == cv2.imread(photo).shape[:2]
        assert (mask != ort_mask).mean() <= 1e-4
        assert (info.pop('backend'), ort_info.pop('backend')) == ('pytorch', 'onnxruntime')
        assert ort_info.pop('checkpoint') == toy_onnx[0] and info.pop('checkpoint')
        shares, ort_shares = info.pop('shares'), ort_info.pop('shares')
        info.pop('background_percent_of_image')
        ort_info.pop('background_percent_of_image')
        assert info == ort_info  # image, size, branch, steps, ingredients
        pixels = {s['class_id']: s['pixels'] for s in shares}
        ort_pixels = {s['class_id']: s['pixels'] for s in ort_shares}
        assert pixels.keys() == ort_pixels.keys() and len(pixels) > 0
        assert all(abs(pixels[k] - ort_pixels[k]) <= 1e-4 * mask.size for k in pixels)


def test_infer_with_a_dynamic_graph_runs_each_photo_at_its_size(toy_checkpoint,
                                                                 foodseg_sample, tmp_path):
    """micro_toy_dccd.py does not pad: photos enter at their own (resized)
    sizes, 64x48, 48x64 ..., in PyTorch and in the dynamic graph alike."""
    onnx_file = str(tmp_path / 'dynamic.onnx')
    result = run_tool_here('deployment/pytorch2onnx.py', MICRO_TOY_CONFIG, toy_checkpoint[1],
                           '--out', onnx_file, '--dynamic')
    assert result.returncode == 0, result.stderr[-3000:]
    assert 'any batch and size' in result.stdout
    photos = sorted(osp.join(foodseg_sample, 'images', f)
                    for f in os.listdir(osp.join(foodseg_sample, 'images')))[3:6]
    out = {b: str(tmp_path / b) for b in ('pytorch', 'onnxruntime')}
    INFER.main([MICRO_TOY_CONFIG, toy_checkpoint[1], *photos, '--out-dir', out['pytorch']])
    INFER.main([MICRO_TOY_CONFIG, onnx_file, *photos, '--out-dir', out['onnxruntime'],
                '--backend', 'onnxruntime'])
    shapes = set()
    for photo in photos:
        stem = osp.splitext(osp.basename(photo))[0]
        (mask, _), (ort_mask, _) = (read_results(out[b], stem) for b in out)
        assert mask.shape == ort_mask.shape and (mask != ort_mask).mean() <= 1e-4
        shapes.add(mask.shape[0] > mask.shape[1])
    assert shapes == {True, False}  # portrait and landscape photos


def test_onnx_segmentor_logits_match(toy_checkpoint, toy_onnx):
    """The API: the same logits at the image size from both backends."""
    from dccd.apis import segment_food
    photo = np.random.default_rng(0).integers(0, 256, (100, 90, 3), dtype=np.uint8)
    model = init_segmentor(INFER_CONFIG, toy_checkpoint[1])
    runtime = init_onnx_segmentor(INFER_CONFIG, toy_onnx[0])
    assert runtime.steps == 3 and runtime.dataset_meta == model.dataset_meta
    ours, theirs = (segment_food(m, photo, return_logits=True) for m in (model, runtime))
    assert ours.logits.shape == theirs.logits.shape == (12, 100, 90)
    assert np.abs(ours.logits - theirs.logits).max() <= 1e-3
    assert (ours.mask != theirs.mask).mean() <= 1e-3


def test_teacher_only_model_is_one_line_nothing_written(toy_checkpoint, tmp_path, capsys):
    out = tmp_path / 'dcc.onnx'
    line = fails_in_one_line(EXPORT.main, [DCC_CONFIG, toy_checkpoint[1], '--out', out], capsys)
    assert 'teacher only' in line
    assert os.listdir(tmp_path) == []


def test_bad_checkpoint_is_one_line_nothing_written(tmp_path, capsys):
    bad = tmp_path / 'bad.pth'
    bad.write_text('not a checkpoint')
    out = tmp_path / 'out' / 'student.onnx'
    line = fails_in_one_line(EXPORT.main, [INFER_CONFIG, bad, '--out', out], capsys)
    assert str(bad) in line
    assert os.listdir(tmp_path) == ['bad.pth']


def test_failed_parity_is_one_line_nothing_written(toy_checkpoint, tmp_path, capsys,
                                                   monkeypatch):
    monkeypatch.setattr(onnx_export, 'PARITY_MAX_DIFF', -1.0)  # no export can pass
    out = tmp_path / 'student.onnx'
    line = fails_in_one_line(EXPORT.main, [MICRO_TOY_CONFIG, toy_checkpoint[1], '--out', out],
                             capsys, code=1)
    assert 'onnxruntime does not reproduce PyTorch: max |diff|' in line
    assert line.endswith('nothing written') and os.listdir(tmp_path) == []


@pytest.mark.parametrize('extra, words', [
    (['--ingredients', 'rice'], 'image-only student'),
    (['--steps', '2'], 'unrolls 3 DDIM step(s); export it again with --steps 2'),
])
def test_infer_onnxruntime_mistakes_are_one_line(toy_onnx, tmp_path, capsys, extra, words):
    photo = tmp_path / 'plate.png'
    cv2.imwrite(str(photo), np.full((64, 64, 3), 128, np.uint8))
    line = fails_in_one_line(INFER.main, [INFER_CONFIG, toy_onnx[0], photo, '--out-dir',
                                          tmp_path / 'out', '--backend', 'onnxruntime',
                                          *extra], capsys)
    assert words in line and not osp.exists(tmp_path / 'out')


def test_infer_backend_and_model_file_must_match(toy_checkpoint, toy_onnx, tmp_path, capsys):
    photo = tmp_path / 'plate.png'
    cv2.imwrite(str(photo), np.full((64, 64, 3), 128, np.uint8))
    line = fails_in_one_line(INFER.main, [INFER_CONFIG, toy_onnx[0], photo, '--out-dir',
                                          tmp_path / 'a'], capsys)
    assert 'is an ONNX model: add --backend onnxruntime' in line
    line = fails_in_one_line(INFER.main, [INFER_CONFIG, toy_checkpoint[1], photo, '--out-dir',
                                          tmp_path / 'b', '--backend', 'onnxruntime'], capsys)
    assert 'not an ONNX model onnxruntime can load' in line
