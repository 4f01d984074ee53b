"""Host syncs and graph breaks (issue 20): the micro DCCD's training step
traces through ``torch._dynamo.explain`` without a graph break in DCCD's code,
and the opt-in ``torch_compile`` key of the head runs the layers compiled.

Before sizes travelled as Python ints (and the KL mask was a boolean index),
the decode head's part of this step broke into 13 graphs (12 breaks:
``.tolist()`` and ``int()`` of the level sizes per layer and branch, the
KL's boolean indexing)."""
import os.path as osp

import pytest
import torch

from conftest import REPO
from test_self_distill_segmentor import build, make_batch, preprocess

DCCD = osp.join(REPO, 'dccd') + osp.sep


@pytest.fixture(scope='module')
def step_inputs():
    model = build('dccd').train()
    batch = preprocess(model, make_batch(), True)
    yield model, batch
    torch._dynamo.reset()


def _head_step(model, samples):
    """The decode head's part of DCCD's training step (``model.loss`` after
    the image feature and the text): one noise draw, both branches, the KL."""
    head = model.decode_head

    def step(student, teacher):
        noised = head.noise_gt(samples, student.shape[-2:])
        logits_t = head([teacher], noised.noisy_map, noised.log_snr)
        logits_s = head([student], noised.noisy_map, noised.log_snr)
        valid = noised.labels != head.ignore_index
        return model.distill_loss(logits_s, logits_t, valid)

    return step


def test_the_decode_head_step_has_no_graph_break(step_inputs):
    model, batch = step_inputs
    samples = batch['data_samples']
    feature = model.extract_feat(batch['inputs'])[0]
    teacher = model.branch_feature(feature, 'teacher',
                                   model.sample_ingredients([s.metainfo for s in samples]))
    explained = torch._dynamo.explain(_head_step(model, samples))(feature, teacher)
    assert explained.graph_break_count == 0, [r.reason for r in explained.break_reasons]
    assert explained.graph_count == 1


def test_the_whole_training_step_breaks_only_outside_dccd(step_inputs):
    """``model.loss`` (backbone, text, both branches, KL, aux): the graph
    breaks left are mmseg's (its ``accuracy`` indexes with a boolean mask)."""
    model, batch = step_inputs
    explained = torch._dynamo.explain(model.loss)(batch['inputs'], batch['data_samples'])
    innermost = [r.user_stack[-1].filename for r in explained.break_reasons if r.user_stack]
    assert not [f for f in innermost if osp.abspath(f).startswith(DCCD)]
    assert all(osp.join('mmseg', 'models', 'losses', 'accuracy.py') in f for f in innermost)


def test_torch_compile_key_runs_the_layers_compiled(step_inputs):
    model, batch = step_inputs
    head = model.decode_head
    feature = model.extract_feat(batch['inputs'])[0].detach()
    noisy = torch.randn(2, head.channels, *feature.shape[-2:])
    log_snr = torch.tensor([-1.0, 2.0])
    with torch.no_grad():
        eager = head([feature], noisy, log_snr)
        head.torch_compile = dict(backend='eager', fullgraph=True)  # fullgraph: no break
        try:
            compiled = head([feature], noisy, log_snr)
        finally:
            head.torch_compile = False
    torch.testing.assert_close(compiled, eager)
