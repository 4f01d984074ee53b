"""Multi-scale deformable attention (Zhu et al., ICLR 2021, Deformable DETR, Eq. 2).

For a query ``q`` with reference point ``p`` on every level ``l``::

    MSDeformAttn(q, p, {x_l}) =
        sum_m W_m [ sum_l sum_k A_mlqk * W'_m x_l(p_l + dp_mlqk) ]

``A`` (softmax over the ``L * K`` samples of a head) and ``dp`` are predicted
from ``q`` by linear layers; ``x_l(.)`` is bilinear sampling of level ``l``.
DDP (Ji et al., ICCV 2023) uses it in its time-conditioned decoder.

The sampling is done here in pure PyTorch with :func:`torch.nn.functional.grid_sample`
(one call per level), so it runs on CPU and on mmcv-lite. When a compiled mmcv
is installed and works on the tensors' CUDA device
(:func:`dccd.compat.deform_attn_kernel_usable`), the layer uses mmcv's kernel
instead (:meth:`MSDeformAttn.op`).

Memory: autograd keeps, per level, the ``grid_sample`` output and its product
with the weights for backward (N * M * D * Lq * P floats each: most of a
decoder layer's activations). With ``recompute`` the sampling is a custom
autograd function that keeps only its inputs (values, locations, weights)
and samples again in backward; forward and gradients are the same ops. By
default it is on for CUDA tensors (memory is what a GPU lacks) and off on the
CPU (where it would only cost time).

The level sizes travel as Python ints: a (L, 2) tensor is accepted too (for
Deformable DETR's call signature), and read once per call (a host sync on a
GPU). Written for DCCD (Apache-2.0) after the paper; the initialisation follows
Deformable DETR's public description.
"""
import functools
import math
from typing import Optional, Sequence, Tuple, Union

import torch
import torch.nn.functional as F
from torch import Tensor, nn
from torch.autograd.function import once_differentiable

from dccd import compat

__all__ = ['MSDeformAttn', 'multi_scale_deformable_attn', 'mmcv_deformable_attn', 'level_sizes',
           'shape_tensors', 'OPS']

#: (H, W) of every level, as Python ints.
Sizes = Tuple[Tuple[int, int], ...]
#: What :meth:`MSDeformAttn.op` may choose.
OPS = ('mmcv', 'pytorch', 'pytorch-recompute')


def level_sizes(spatial_shapes: Union[Tensor, Sequence[Sequence[int]]]) -> Sizes:
    """(H, W) per level as Python ints, from a (L, 2) integer tensor (one host
    read) or a sequence of pairs (none); while tracing (ONNX export) as they
    come, so that they stay in the graph instead of becoming constants."""
    if torch.jit.is_tracing():
        return tuple((h, w) for h, w in spatial_shapes)
    if isinstance(spatial_shapes, Tensor):
        spatial_shapes = spatial_shapes.tolist()
    return tuple((int(h), int(w)) for h, w in spatial_shapes)


def multi_scale_deformable_attn(value: Tensor,
                                spatial_shapes: Union[Tensor, Sequence[Sequence[int]]],
                                sampling_locations: Tensor,
                                attention_weights: Tensor,
                                recompute: bool = False) -> Tensor:
    """Weighted bilinear sampling of a multi-level value map, in pure PyTorch.

    The inner sums of Eq. 2: for each query and head, the value of every
    sampling point (bilinear, zero outside the map, pixel ``i`` centred at
    ``(i + 0.5) / W``) times its attention weight, summed over levels and
    points. Sampling runs in at least float32 with autocast off, so
    bf16/fp16 inputs keep full-precision locations; the result has
    ``value``'s dtype.

    Args:
        value: (N, Lv, M, D) values of all levels, flattened row-major and
            concatenated; M heads of D channels.
        spatial_shapes: (H, W) of each level: pairs of ints, or an (L, 2)
            integer tensor.
        sampling_locations: (N, Lq, M, L, P, 2) normalised (x, y) in [0, 1].
        attention_weights: (N, Lq, M, L, P) weights of the samples.
        recompute: keep only the inputs for backward and sample again there
            (same values and gradients, less memory).

    Returns:
        Tensor: (N, Lq, M * D).
    """
    sizes = level_sizes(spatial_shapes)
    if recompute:
        return _RecomputedSampling.apply(value, sampling_locations, attention_weights, sizes)
    return _sample(value, sizes, sampling_locations, attention_weights)


def _sample(value: Tensor, sizes: Sizes, sampling_locations: Tensor,
            attention_weights: Tensor) -> Tensor:
    """:func:`multi_scale_deformable_attn` with the sizes as ints."""
    n, _, heads, head_dims = value.shape
    _, num_queries, _, num_levels, num_points, _ = sampling_locations.shape
    dtype = torch.promote_types(value.dtype, torch.float32)
    with torch.autocast(device_type=value.device.type, enabled=False):
        values = value.to(dtype).split([h * w for h, w in sizes], dim=1)
        # grid_sample's [-1, 1] grid with align_corners=False has the same
        # pixel-centre convention as the [0, 1] locations
        grids = 2 * sampling_locations.to(dtype) - 1
        weights = attention_weights.to(dtype).transpose(1, 2).reshape(
            n * heads, 1, num_queries, num_levels, num_points)
        out = value.new_zeros((n * heads, head_dims, num_queries), dtype=dtype)
        for level, (h, w) in enumerate(sizes):
            # (N, H*W, M, D) -> (N*M, D, H, W)
            level_value = values[level].permute(0, 2, 3, 1).reshape(
                n * heads, head_dims, h, w)
            # (N, Lq, M, P, 2) -> (N*M, Lq, P, 2)
            level_grid = grids[:, :, :, level].transpose(1, 2).flatten(0, 1)
            sampled = F.grid_sample(level_value, level_grid, mode='bilinear',
                                    padding_mode='zeros', align_corners=False)
            # (N*M, D, Lq, P) weighted over the P points
            out = out + (sampled * weights[..., level, :]).sum(-1)
    out = out.view(n, heads * head_dims, num_queries).transpose(1, 2)
    return out.contiguous().to(value.dtype)


class _RecomputedSampling(torch.autograd.Function):
    """:func:`_sample` that keeps only its inputs for backward and samples
    again there (the same ops, so the same gradients)."""

    @staticmethod
    def forward(ctx, value: Tensor, locations: Tensor, weights: Tensor,
                sizes: Sizes) -> Tensor:
        ctx.sizes = sizes
        ctx.save_for_backward(value, locations, weights)
        return _sample(value, sizes, locations, weights)

    @staticmethod
    @once_differentiable
    def backward(ctx, grad_out: Tensor):
        inputs = [tensor.detach().requires_grad_(needed) for tensor, needed in
                  zip(ctx.saved_tensors, ctx.needs_input_grad[:3])]
        with torch.enable_grad():
            out = _sample(inputs[0], ctx.sizes, inputs[1], inputs[2])
        wanted = [tensor for tensor in inputs if tensor.requires_grad]
        grads = iter(torch.autograd.grad(out, wanted, grad_out))
        return tuple(next(grads) if tensor.requires_grad else None
                     for tensor in inputs) + (None, )


def _level_wh(sizes: Sizes, like: Tensor) -> Tensor:
    """(L, 2) (W, H) of every level, dtype and device of ``like``: filled
    from the Python ints on the device (no host-to-device copy, no sync)."""
    level_wh = like.new_empty((len(sizes), 2))
    for level, (h, w) in enumerate(sizes):
        level_wh[level, 0] = w
        level_wh[level, 1] = h
    return level_wh


@functools.lru_cache(maxsize=16)
def shape_tensors(sizes: Sizes, device: torch.device) -> Tuple[Tensor, Tensor]:
    """(L, 2) shapes and (L,) start offsets on ``device``, for mmcv's kernel
    (made once per sizes and device)."""
    shapes = torch.tensor(sizes, dtype=torch.long)
    starts = torch.cat([shapes.new_zeros(1), (shapes[:, 0] * shapes[:, 1]).cumsum(0)[:-1]])
    return shapes.to(device), starts.to(device)


def mmcv_deformable_attn(value: Tensor, spatial_shapes: Tensor,
                         level_start_index: Tensor,
                         sampling_locations: Tensor,
                         attention_weights: Tensor,
                         im2col_step: int = 64) -> Tensor:
    """mmcv's CUDA kernel (a compiled mmcv), run in float32 (it has no bf16
    version); arguments as :func:`multi_scale_deformable_attn`, with the
    (L, 2) shapes and (L,) level offsets as tensors on the device."""
    from mmcv.ops.multi_scale_deform_attn import \
        MultiScaleDeformableAttnFunction
    batch = value.shape[0]
    # the kernel needs the batch to be a multiple of its im2col step
    step = math.gcd(batch, min(batch, im2col_step))
    with torch.autocast(device_type='cuda', enabled=False):
        out = MultiScaleDeformableAttnFunction.apply(
            value.float(), spatial_shapes, level_start_index,
            sampling_locations.float(), attention_weights.float(), step)
    return out.to(value.dtype)


def _head_directions(num_heads: int) -> Tensor:
    """(M, 2) one direction per head, evenly spread, scaled to max-norm 1."""
    angles = torch.arange(num_heads, dtype=torch.float64) * (2 * math.pi / num_heads)
    directions = torch.stack([angles.cos(), angles.sin()], dim=-1)
    return directions / directions.abs().max(dim=-1, keepdim=True).values


class MSDeformAttn(nn.Module):
    """Multi-scale deformable attention, batch first (Deformable DETR, Eq. 2).

    Returns ``identity + dropout(output_proj(attention))``. Not a registered
    module: a layer that heads build directly.

    Args:
        embed_dims: C, channels of query and value.
        num_heads: M heads; ``embed_dims`` must be divisible by it.
        num_levels: L feature levels.
        num_points: P sampling points per head and level.
        dropout: dropout on the projected output.
        im2col_step: batch chunk of the compiled mmcv kernel.
        recompute: sample again in backward instead of keeping the sampled
            values (pure-PyTorch op only; see the module docstring). None
            (default): on for CUDA tensors, off on the CPU; True / False
            force it.
    """

    def __init__(self, embed_dims: int = 256, num_heads: int = 8,
                 num_levels: int = 1, num_points: int = 4,
                 dropout: float = 0.0, im2col_step: int = 64,
                 recompute: Optional[bool] = None) -> None:
        super().__init__()
        if embed_dims % num_heads:
            raise ValueError(f'embed_dims ({embed_dims}) must be divisible '
                             f'by num_heads ({num_heads})')
        self.embed_dims = embed_dims
        self.num_heads = num_heads
        self.num_levels = num_levels
        self.num_points = num_points
        self.im2col_step = im2col_step
        self.recompute = recompute
        samples = num_heads * num_levels * num_points
        self.sampling_offsets = nn.Linear(embed_dims, samples * 2)
        self.attention_weights = nn.Linear(embed_dims, samples)
        self.value_proj = nn.Linear(embed_dims, embed_dims)
        self.output_proj = nn.Linear(embed_dims, embed_dims)
        self.dropout = nn.Dropout(dropout)
        self._reset_parameters()

    def _reset_parameters(self) -> None:
        """Deformable DETR's init: head ``m`` starts sampling point ``k`` at
        ``k`` times its direction (in pixels), with uniform attention."""
        nn.init.zeros_(self.sampling_offsets.weight)
        point_scale = torch.arange(1, self.num_points + 1, dtype=torch.float64)
        offsets = (_head_directions(self.num_heads)[:, None, None, :]
                   * point_scale[None, None, :, None]).expand(
                       self.num_heads, self.num_levels, self.num_points, 2)
        with torch.no_grad():
            self.sampling_offsets.bias.copy_(offsets.reshape(-1))
        nn.init.zeros_(self.attention_weights.weight)
        nn.init.zeros_(self.attention_weights.bias)
        for proj in (self.value_proj, self.output_proj):
            nn.init.xavier_uniform_(proj.weight)
            nn.init.zeros_(proj.bias)

    def _sampling(self, query: Tensor, reference_points: Tensor,
                  sizes: Sizes) -> Tuple[Tensor, Tensor]:
        """Sampling locations (N, Lq, M, L, P, 2) and weights (N, Lq, M, L, P)."""
        n, num_queries, _ = query.shape
        shape = (n, num_queries, self.num_heads, self.num_levels, self.num_points)
        offsets = self.sampling_offsets(query).view(*shape, 2)
        weights = self.attention_weights(query).view(*shape[:3], -1)
        weights = weights.softmax(-1).view(shape)
        # offsets are in pixels of their level: divide by that level's (W, H),
        # in the reference points' precision (offsets may be bf16 in autocast)
        level_wh = _level_wh(sizes, reference_points)
        locations = (reference_points[:, :, None, :, None, :]
                     + offsets / level_wh[None, None, None, :, None, :])
        return locations, weights

    def op(self, value: Tensor) -> str:
        """The op that samples ``value`` (one of :data:`OPS`): mmcv's kernel
        when it works on the value's device, else the pure-PyTorch sampling,
        recomputed in backward when ``recompute`` (None: on CUDA) and a
        gradient is being recorded."""
        if compat.deform_attn_kernel_usable(value.device):
            return 'mmcv'
        recompute = value.is_cuda if self.recompute is None else self.recompute
        if recompute and torch.is_grad_enabled():
            return 'pytorch-recompute'
        return 'pytorch'

    def _attend(self, value: Tensor, sizes: Sizes, locations: Tensor,
                weights: Tensor) -> Tensor:
        op = self.op(value)
        if op == 'mmcv':
            shapes, starts = shape_tensors(sizes, value.device)
            return mmcv_deformable_attn(value, shapes, starts, locations, weights,
                                        self.im2col_step)
        return multi_scale_deformable_attn(value, sizes, locations, weights,
                                           recompute=op == 'pytorch-recompute')

    def forward(self, query: Tensor, value: Tensor, reference_points: Tensor,
                spatial_shapes: Union[Tensor, Sequence[Sequence[int]]],
                level_start_index: Optional[Tensor] = None,
                query_pos: Optional[Tensor] = None,
                identity: Optional[Tensor] = None) -> Tensor:
        """Attend from each query to P points per head on every level.

        Args:
            query: (N, Lq, C).
            value: (N, Lv, C), the levels flattened and concatenated,
                ``Lv = sum(H_l * W_l)``.
            reference_points: (N, Lq, L, 2) normalised (x, y) in [0, 1].
            spatial_shapes: (H, W) per level: pairs of Python ints (no host
                sync), or an (L, 2) LongTensor (read once).
            level_start_index: unused (the offsets follow from the sizes);
                kept for Deformable DETR's call signature.
            query_pos: (N, Lq, C) added to ``query`` to predict offsets and
                weights.
            identity: (N, Lq, C) residual; defaults to ``query`` without
                ``query_pos``.

        Returns:
            Tensor: (N, Lq, C).
        """
        if identity is None:
            identity = query
        if query_pos is not None:
            query = query + query_pos
        n, num_values, _ = value.shape
        sizes = level_sizes(spatial_shapes)
        if reference_points.shape[-2:] != (self.num_levels, 2) or len(sizes) != self.num_levels:
            raise ValueError('reference_points must be (N, Lq, num_levels, 2) and '
                             f'spatial_shapes hold num_levels={self.num_levels} sizes, got '
                             f'{tuple(reference_points.shape)} and {list(sizes)}')
        if sum(h * w for h, w in sizes) != num_values:
            raise ValueError(f'spatial_shapes {list(sizes)} do not '
                             f'add up to the {num_values} values')
        value = self.value_proj(value).view(n, num_values, self.num_heads, -1)
        locations, weights = self._sampling(query, reference_points, sizes)
        out = self._attend(value, sizes, locations, weights)
        return identity + self.dropout(self.output_proj(out))
