"""tools/analysis_tools/get_flops.py: a hand count of the decoder and the
once / per-step structure of DDIM inference."""
import json
import os.path as osp
import warnings

import pytest
import torch
from mmengine.analysis import FlopAnalyzer
from mmengine.config import Config

from conftest import REPO, load_tool
from mmseg.registry import MODELS

CONFIG = osp.join(REPO, 'tests', 'configs', 'micro_toy_dccd.py')


def decoder_matmuls_by_hand(cfg) -> int:
    """Multiply-adds of every conv / linear layer of one decoder step.

    The micro config: 64x64 input -> 16x16 feature (L = 256 positions),
    C = 64 channels, 4 heads x 4 points on 1 level, FFN 64, 12 classes,
    1 layer, time embedding 16 + 1 -> 4C -> 4C.
    """
    head = cfg.model.decode_head
    size = cfg.crop_size[0] // 4
    positions = size * size
    c, ffn, k = head.channels, head.ffn_channels, head.num_classes
    samples = head.num_heads * 1 * head.num_points
    time = 4 * c
    fuse = positions * (head.in_channels + c) * c            # 1x1 conv, noisy map
    time_mlp = (16 + 1) * time + time * time                 # batch 1
    per_layer = (positions * c * (2 * samples + samples)     # offsets + weights
                 + positions * c * c * 2                      # value + output proj
                 + positions * (c * ffn + ffn * c)            # FFN
                 + time * 2 * c)                              # time scale/shift
    cls_seg = positions * c * k
    return fuse + time_mlp + head.num_layers * per_layer + cls_seg


@pytest.fixture(scope='module')
def reports(tmp_path_factory):
    tool, out = load_tool('analysis_tools/get_flops.py'), tmp_path_factory.mktemp('flops')
    results = {}
    for branch in ('student', 'teacher'):
        path = out / f'{branch}.json'
        tool.main([CONFIG, '--steps', '1', '3', '10', '--branch', branch, '--out', str(path)])
        results[branch] = json.loads(path.read_text())
    return results


def test_decoder_step_against_hand_count(reports):
    cfg = Config.fromfile(CONFIG)
    expected = decoder_matmuls_by_hand(cfg)
    assert expected == 7_377_152
    ops = reports['student']['parts']['decode_head']['by_operator_by_steps']['1']
    counted = ops['linear'] + ops['conv']
    assert counted == pytest.approx(expected, rel=0.05)
    # the remaining counted ops are the 2 layer norms and bilinear sampling
    total = reports['student']['parts']['decode_head']['flops_by_steps']['1']
    assert total == pytest.approx(expected, rel=0.10)


def test_backbone_once_decoder_per_step(reports):
    report = reports['student']
    parts = report['parts']
    decoder = parts['decode_head']['flops_by_steps']
    assert decoder['3'] == 3 * decoder['1'] and decoder['10'] == 10 * decoder['1']
    once = parts['backbone']['flops'] + parts['neck']['flops']
    for steps in ('1', '3', '10'):
        assert report['total']['flops_by_steps'][steps] == once + decoder[steps]
    assert parts['text_encoder']['runs'] == 'not run (student)'
    assert parts['auxiliary_head']['runs'] == 'training only'
    assert report['input_shape'] == [1, 3, 64, 64]
    # the teacher adds the text tower and the fusion, once
    teacher = reports['teacher']
    text = (teacher['parts']['text_encoder']['flops']
            + teacher['parts']['text_fusion']['flops'])
    assert text > 0 and teacher['parts']['text_fusion']['flops'] == 64 * 64  # Linear 64->64
    assert teacher['total']['flops_by_steps']['3'] == once + text + 3 * decoder['1']


def test_parts_add_up_to_the_whole_model(reports):
    """Tracing the full inference (mode='tensor', 3 steps) gives the same total."""
    cfg = Config.fromfile(CONFIG)
    model = MODELS.build(cfg.model).eval()
    analyzer = FlopAnalyzer(model, (torch.rand(1, 3, 64, 64), ))
    analyzer.unsupported_ops_warnings(False).uncalled_modules_warnings(False)
    with warnings.catch_warnings():
        warnings.simplefilter('ignore')
        whole = analyzer.total()
    assert whole == reports['student']['total']['flops_by_steps']['3']
    params = reports['student']['total']['params']
    assert params == sum(p.numel() for p in model.parameters())


def test_printed_table(tmp_path, capsys):
    load_tool('analysis_tools/get_flops.py').main([CONFIG, '--steps', '2', '--shape', '32'])
    out = capsys.readouterr().out
    assert 'student branch, input (1, 3, 32, 32)' in out
    assert '| part | params | runs | FLOPs, 2 steps |' in out
    assert '| decode_head |' in out and 'once per DDIM step' in out
