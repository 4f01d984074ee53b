"""Multi-scale deformable attention: pure-PyTorch sampling vs a naive loop,
literal pixel-centre values, the layer's init and residual, sampling
recomputed in backward, which op runs, CUDA agreement."""
import math

import pytest
import torch

from dccd import compat
from dccd.models.layers import MSDeformAttn, multi_scale_deformable_attn
from dccd.models.layers.deformable_attention import level_sizes


def _naive_bilinear(level: torch.Tensor, x: float, y: float) -> torch.Tensor:
    """Sample (H, W, D) at normalised (x, y); pixel i is centred at (i+0.5)/W,
    values outside the map are 0."""
    h, w, _ = level.shape
    px, py = x * w - 0.5, y * h - 0.5
    x0, y0 = math.floor(px), math.floor(py)
    out = torch.zeros(level.shape[-1], dtype=level.dtype)
    for yi, wy in ((y0, 1 - (py - y0)), (y0 + 1, py - y0)):
        for xi, wx in ((x0, 1 - (px - x0)), (x0 + 1, px - x0)):
            if 0 <= yi < h and 0 <= xi < w:
                out += wy * wx * level[yi, xi]
    return out


def _naive_deform_attn(value, shapes, locations, weights):
    n, _, heads, dims = value.shape
    _, num_queries, _, num_levels, num_points, _ = locations.shape
    starts = [0]
    for h, w in shapes.tolist():
        starts.append(starts[-1] + h * w)
    out = torch.zeros(n, num_queries, heads * dims, dtype=value.dtype)
    for b in range(n):
        for q in range(num_queries):
            for m in range(heads):
                acc = torch.zeros(dims, dtype=value.dtype)
                for lvl, (h, w) in enumerate(shapes.tolist()):
                    level = value[b, starts[lvl]:starts[lvl + 1], m].view(h, w, dims)
                    for p in range(num_points):
                        x, y = locations[b, q, m, lvl, p].tolist()
                        acc += weights[b, q, m, lvl, p] * _naive_bilinear(level, x, y)
                out[b, q, m * dims:(m + 1) * dims] = acc
    return out


def _random_inputs(dtype=torch.float64, seed=0):
    gen = torch.Generator().manual_seed(seed)
    shapes = torch.tensor([[3, 4], [2, 2]])
    n, heads, dims, num_queries, points = 2, 2, 3, 3, 3
    value = torch.randn(n, 16, heads, dims, generator=gen, dtype=dtype)
    # include locations outside [0, 1] to exercise the zero padding
    locations = torch.rand(n, num_queries, heads, 2, points, 2,
                           generator=gen, dtype=dtype) * 1.4 - 0.2
    weights = torch.rand(n, num_queries, heads, 2, points, generator=gen,
                         dtype=dtype)
    return value, shapes, locations, weights


def test_matches_naive_loop_reference():
    value, shapes, locations, weights = _random_inputs()
    out = multi_scale_deformable_attn(value, shapes, locations, weights)
    expected = _naive_deform_attn(value, shapes, locations, weights)
    assert out.shape == (2, 3, 6) and out.dtype == torch.float64
    rel = (out - expected).abs().max() / expected.abs().max()
    assert rel < 1e-5


def test_gradients_match_finite_differences():
    value, shapes, locations, weights = _random_inputs(seed=1)
    value = value[:1, :, :1, :1].clone().requires_grad_()
    # keep samples off pixel-centre lines, where bilinear is not smooth
    locations = (locations[:1, :1, :1] * 0.9 + 0.03).clone().requires_grad_()
    weights = weights[:1, :1, :1].clone().requires_grad_()
    assert torch.autograd.gradcheck(
        lambda v, loc, wt: multi_scale_deformable_attn(v, shapes, loc, wt),
        (value, locations, weights))


def _single_point(value_map, x, y):
    """Sample a (H, W) single-channel map at one normalised point."""
    h, w = value_map.shape
    value = value_map.reshape(1, h * w, 1, 1)
    loc = torch.tensor([x, y], dtype=value.dtype).view(1, 1, 1, 1, 1, 2)
    weight = torch.ones(1, 1, 1, 1, 1, dtype=value.dtype)
    shapes = torch.tensor([[h, w]])
    return multi_scale_deformable_attn(value, shapes, loc, weight).item()


def test_pixel_centres_return_pixel_values():
    value_map = torch.tensor([[1., 2., 3.], [4., 5., 6.]])
    for i in range(2):
        for j in range(3):
            got = _single_point(value_map, (j + 0.5) / 3, (i + 0.5) / 2)
            assert got == pytest.approx(value_map[i, j].item(), abs=1e-6)
    # halfway between the centres of 1 and 2: their mean
    assert _single_point(value_map, 1 / 3, 0.25) == pytest.approx(1.5, abs=1e-6)
    # on the left border of pixel 4: half of it, half zero padding
    assert _single_point(value_map, 0.0, 0.75) == pytest.approx(2.0, abs=1e-6)
    # the map's top-left corner: a quarter of pixel 1
    assert _single_point(value_map, 0.0, 0.0) == pytest.approx(0.25, abs=1e-6)


def test_bf16_autocast_keeps_value_dtype_and_accuracy():
    value, shapes, locations, weights = _random_inputs(torch.float32)
    expected = multi_scale_deformable_attn(value, shapes, locations, weights)
    with torch.autocast('cpu', dtype=torch.bfloat16):
        out = multi_scale_deformable_attn(value.bfloat16(), shapes, locations,
                                          weights)
    assert out.dtype == torch.bfloat16
    torch.testing.assert_close(out.float(), expected, atol=0.05, rtol=0.05)


def _levels(h=(4, 2), w=(6, 3)):
    shapes = torch.tensor(list(zip(h, w)))
    sizes = shapes[:, 0] * shapes[:, 1]
    starts = torch.cat([sizes.new_zeros(1), sizes.cumsum(0)[:-1]])
    return shapes, starts


def test_init_offsets_are_head_directions_scaled_by_point_index():
    attn = MSDeformAttn(embed_dims=8, num_heads=4, num_levels=2, num_points=2)
    bias = attn.sampling_offsets.bias.detach().view(4, 2, 2, 2)
    # heads at 0, 90, 180, 270 degrees; point k at k pixels; same per level
    expected_head = torch.tensor([[1., 0.], [0., 1.], [-1., 0.], [0., -1.]])
    for level in range(2):
        for point in range(2):
            torch.testing.assert_close(bias[:, level, point],
                                       expected_head * (point + 1),
                                       atol=1e-6, rtol=0)
    assert attn.sampling_offsets.weight.abs().sum() == 0
    assert attn.attention_weights.weight.abs().sum() == 0
    assert attn.attention_weights.bias.abs().sum() == 0
    assert attn.value_proj.bias.abs().sum() == 0


def test_layer_shape_and_uniform_initial_weights():
    torch.manual_seed(0)
    attn = MSDeformAttn(embed_dims=8, num_heads=2, num_levels=2, num_points=3)
    shapes, starts = _levels()
    query, value = torch.randn(2, 5, 8), torch.randn(2, 30, 8)
    ref = torch.rand(2, 5, 2, 2)
    out = attn(query, value, ref, shapes, starts)
    assert out.shape == (2, 5, 8)
    # zero-initialised attention_weights: every sample weighs 1 / (L * P)
    offsets = attn.sampling_offsets.bias.detach().view(1, 1, 2, 2, 3, 2)
    wh = torch.tensor([[6., 4.], [3., 2.]]).view(1, 1, 1, 2, 1, 2)
    locations = ref[:, :, None, :, None, :] + offsets / wh
    uniform = torch.full((2, 5, 2, 2, 3), 1 / 6)
    projected = attn.value_proj(value).view(2, 30, 2, 4)
    expected = query + attn.output_proj(
        multi_scale_deformable_attn(projected, shapes, locations, uniform))
    torch.testing.assert_close(out, expected)


def test_residual_identity_and_query_pos():
    torch.manual_seed(0)
    attn = MSDeformAttn(embed_dims=8, num_heads=2, num_levels=1, num_points=2)
    torch.nn.init.zeros_(attn.output_proj.weight)
    shapes, starts = _levels((3, ), (3, ))
    query, value, pos = torch.randn(1, 4, 8), torch.randn(1, 9, 8), torch.randn(1, 4, 8)
    ref = torch.rand(1, 4, 1, 2)
    # zero output projection: only the residual is left, without query_pos
    assert torch.equal(attn(query, value, ref, shapes, starts, query_pos=pos), query)
    identity = torch.randn(1, 4, 8)
    assert torch.equal(
        attn(query, value, ref, shapes, starts, identity=identity), identity)


def test_query_pos_moves_the_samples():
    torch.manual_seed(0)
    attn = MSDeformAttn(embed_dims=8, num_heads=2, num_levels=1, num_points=2)
    torch.nn.init.normal_(attn.sampling_offsets.weight)
    shapes, starts = _levels((3, ), (3, ))
    query, value, pos = torch.randn(1, 4, 8), torch.randn(1, 9, 8), torch.randn(1, 4, 8)
    ref = torch.rand(1, 4, 1, 2)
    with_pos = attn(query, value, ref, shapes, starts, query_pos=pos)
    assert not torch.allclose(with_pos, attn(query, value, ref, shapes, starts))
    torch.testing.assert_close(
        with_pos, attn(query + pos, value, ref, shapes, starts, identity=query))


def test_rejects_mismatched_inputs():
    with pytest.raises(ValueError, match='divisible'):
        MSDeformAttn(embed_dims=10, num_heads=4)
    attn = MSDeformAttn(embed_dims=8, num_heads=2, num_levels=1)
    shapes, starts = _levels((3, ), (3, ))
    with pytest.raises(ValueError, match='add up'):
        attn(torch.randn(1, 4, 8), torch.randn(1, 10, 8), torch.rand(1, 4, 1, 2),
             shapes, starts)


def _layer_inputs(seed=0, recompute=None, levels=((4, 6), (2, 3))):
    torch.manual_seed(seed)
    attn = MSDeformAttn(embed_dims=16, num_heads=4, num_levels=len(levels), num_points=3,
                        recompute=recompute)
    torch.nn.init.normal_(attn.sampling_offsets.weight, std=0.5)
    torch.nn.init.normal_(attn.attention_weights.weight)
    num_values = sum(h * w for h, w in levels)
    query = torch.randn(2, 7, 16, requires_grad=True)
    value = torch.randn(2, num_values, 16, requires_grad=True)
    ref = torch.rand(2, 7, len(levels), 2)
    return attn, query, value, ref, [tuple(level) for level in levels]


def _forward_and_grads(attn, query, value, ref, sizes):
    out = attn(query, value, ref, sizes, query_pos=torch.ones_like(query))
    out.square().sum().backward()
    grads = [query.grad, value.grad] + [p.grad for p in attn.parameters()]
    return out.detach(), [g.clone() for g in grads]


def test_recomputed_sampling_gives_the_same_forward_and_gradients():
    kept = _forward_and_grads(*_layer_inputs(recompute=False))
    attn, query, value, ref, sizes = _layer_inputs(recompute=True)
    assert attn.op(value) == 'pytorch-recompute'
    recomputed = _forward_and_grads(attn, query, value, ref, sizes)
    torch.testing.assert_close(recomputed[0], kept[0], atol=1e-5, rtol=0)
    assert len(recomputed[1]) == len(kept[1]) == 10
    for ours, theirs in zip(recomputed[1], kept[1]):
        torch.testing.assert_close(ours, theirs, atol=1e-5, rtol=0)


def test_the_op_is_chosen_by_device_and_setting():
    attn, query, value, ref, sizes = _layer_inputs()
    assert attn.recompute is None
    assert attn.op(value) == 'pytorch'  # CPU: recomputing would only cost time
    attn.recompute = True
    assert attn.op(value) == 'pytorch-recompute'
    with torch.no_grad():
        assert attn.op(value) == 'pytorch'  # nothing kept for backward anyway
    if not compat.HAS_MMCV_OPS:
        assert not compat.deform_attn_kernel_usable(torch.device('cpu'))


def test_sizes_as_ints_equal_sizes_as_a_tensor():
    attn, query, value, ref, sizes = _layer_inputs()
    shapes, starts = _levels((4, 2), (6, 3))
    with torch.no_grad():
        assert torch.equal(attn(query, value, ref, sizes), attn(query, value, ref, shapes, starts))
    assert level_sizes(shapes) == ((4, 6), (2, 3)) == level_sizes(sizes)
    with pytest.raises(ValueError, match='num_levels=2'):
        attn(query, value, ref, sizes[:1])


@pytest.mark.skipif(not (torch.cuda.is_available() and compat.HAS_MMCV_OPS),
                    reason='needs CUDA and a compiled mmcv (mmcv._ext)')
def test_compiled_kernel_matches_pure_pytorch(monkeypatch):
    """The layer on CUDA runs mmcv's kernel (asserted), and its forward and
    gradients equal the pure-PyTorch op's; bf16 autocast keeps the dtype."""
    from dccd.models.layers import deformable_attention
    assert compat.deform_attn_kernel_usable(torch.device('cuda'))
    ran = []
    kernel = deformable_attention.mmcv_deformable_attn
    monkeypatch.setattr(deformable_attention, 'mmcv_deformable_attn',
                        lambda *args: ran.append('mmcv') or kernel(*args))
    attn, query, value, ref, sizes = _layer_inputs()
    attn, query, value, ref = (t.cuda() for t in (attn, query.detach(), value.detach(), ref))
    query.requires_grad_()
    value.requires_grad_()
    assert attn.op(value) == 'mmcv'
    compiled = _forward_and_grads(attn, query, value, ref, sizes)
    assert ran == ['mmcv']
    query.grad = value.grad = None
    attn.zero_grad()
    monkeypatch.setattr(compat, 'deform_attn_kernel_usable', lambda device: False)
    assert attn.op(value) == 'pytorch-recompute'  # CUDA without the kernel
    pure = _forward_and_grads(attn, query, value, ref, sizes)
    assert ran == ['mmcv']
    torch.testing.assert_close(compiled[0], pure[0], atol=1e-5, rtol=1e-5)
    for ours, theirs in zip(compiled[1], pure[1]):
        torch.testing.assert_close(ours, theirs, atol=1e-4, rtol=1e-4)
    with torch.no_grad(), torch.autocast('cuda', dtype=torch.bfloat16):
        locations, weights = attn._sampling(query, ref, tuple(sizes))
        projected = attn.value_proj(value).view(2, -1, 4, 4)
        shapes, starts = deformable_attention.shape_tensors(tuple(sizes), value.device)
        out = deformable_attention.mmcv_deformable_attn(
            projected, shapes, starts, locations, weights, 64)
    assert projected.dtype == out.dtype == torch.bfloat16
