"""DETR sine positional encoding against numbers worked out by hand."""
import math

import pytest
import torch

from dccd.models.layers import sine_positional_encoding

# H=2, W=3, num_feats=4, temperature=10000: dim_t = [1, 1, 100, 100].
# Rows y = (i + 0.5) / 2 * 2pi = pi/2, 3pi/2; columns x = (j + 0.5) / 3 * 2pi
# = pi/3, pi, 5pi/3. Channels per axis: sin(a), cos(a), sin(a/100), cos(a/100).
_S3 = 0.8660254038  # sin(pi/3)
ROW_CHANNELS = [  # per row i: the 4 y-channels
    [1.0, 0.0, 0.0157073173, 0.9998766325],    # pi/2;  pi/200
    [-1.0, 0.0, 0.0471064507, 0.9988898750],   # 3pi/2; 3pi/200
]
COL_CHANNELS = [  # per column j: the 4 x-channels
    [_S3, 0.5, 0.0104717841, 0.9999451694],     # pi/3;  pi/300
    [0.0, -1.0, 0.0314107591, 0.9995065604],    # pi;    pi/100
    [-_S3, 0.5, 0.0523359562, 0.9986295348],    # 5pi/3; pi/60
]


def test_tiny_case_by_hand():
    pos = sine_positional_encoding(2, 3, num_feats=4)
    assert pos.shape == (1, 8, 2, 3) and pos.dtype == torch.float32
    expected = torch.empty(8, 2, 3)
    for i in range(2):
        for j in range(3):
            expected[:4, i, j] = torch.tensor(ROW_CHANNELS[i])
            expected[4:, i, j] = torch.tensor(COL_CHANNELS[j])
    # eps=1e-6 in the normaliser shifts angles by < 1e-5
    torch.testing.assert_close(pos[0], expected, atol=2e-5, rtol=0)


def test_unnormalised_positions_are_one_based():
    pos = sine_positional_encoding(1, 2, num_feats=2, normalize=False)
    # y = 1 for the single row; x = 1, 2; dim_t = [1, 1]
    expected = torch.tensor([[[math.sin(1), math.sin(1)]],
                             [[math.cos(1), math.cos(1)]],
                             [[math.sin(1), math.sin(2)]],
                             [[math.cos(1), math.cos(2)]]])
    torch.testing.assert_close(pos[0], expected)


def test_ddp_default_shape_dtype_and_range():
    pos = sine_positional_encoding(5, 7, dtype=torch.float64)
    assert pos.shape == (1, 256, 5, 7) and pos.dtype == torch.float64
    assert pos.abs().max() <= 1
    # y channels are constant along a row, x channels along a column
    assert torch.equal(pos[0, :128, :, :1].expand(-1, -1, 7), pos[0, :128])
    assert torch.equal(pos[0, 128:, :1, :].expand(-1, 5, -1), pos[0, 128:])


def test_matches_loop_over_detr_formula():
    pos = sine_positional_encoding(3, 4, num_feats=6, temperature=20, offset=0.0,
                                   eps=0.0, scale=1.0, dtype=torch.float64)
    for c in range(6):
        dim_t = 20 ** (2 * (c // 2) / 6)
        fn = math.sin if c % 2 == 0 else math.cos
        assert pos[0, c, 2, 0].item() == pytest.approx(fn(1.0 / dim_t))
        assert pos[0, 6 + c, 0, 1].item() == pytest.approx(fn(0.5 / dim_t))
