"""DDP's map-diffusion decoder as an mmsegmentation decode head.

From DDP (Ji et al., ICCV 2023, "DDP: Diffusion model for dense visual
prediction", Sec. 3 and Fig. 2; Apache-2.0 code at JiYuanFeng/DDP), written
anew for mmsegmentation 1.x:

* the ground-truth map is embedded per class and squashed to a small range,
  ``(sigmoid(e) * 2 - 1) * bit_scale`` (Analog Bits, Chen et al. 2022);
* the noisy map is concatenated with the image feature and merged by a 1x1
  conv (512 -> 256 channels);
* six deformable-attention encoder layers (Deformable DETR, Zhu et al. 2021),
  post-norm, each followed by a scale-and-shift from the time embedding of the
  noise level (the log-SNR, not t);
* a per-pixel classifier (``cls_seg``).

The head owns the whole diffusion: it embeds and noises the ground truth
(:meth:`DeformableDiffusionHead.noise_gt`, a continuous time t ~ U(sample_range)
per sample, cosine log-SNR schedule), denoises one step
(:meth:`~DeformableDiffusionHead.forward`), and samples with DDIM from seeded
Gaussian noise (:meth:`~DeformableDiffusionHead.sample`). ``loss`` and
``predict`` keep :class:`BaseDecodeHead`'s signatures, so the head also works
under mmseg's plain ``EncoderDecoder``; DCCD's segmentor calls
:meth:`~DeformableDiffusionHead.loss_noised` instead, to give its teacher and
student branches one shared noise draw.
"""
from typing import List, NamedTuple, Optional, Sequence, Tuple, Union

import torch
import torch.nn as nn
import torch.nn.functional as F
import torch.utils.checkpoint as cp
from mmcv.cnn import ConvModule
from mmcv.cnn.bricks.transformer import FFN
from mmseg.models.decode_heads.decode_head import BaseDecodeHead
from mmseg.models.losses import accuracy
from mmseg.registry import MODELS
from mmseg.utils import ConfigType, SampleList
from torch import Tensor

from ..layers.deformable_attention import MSDeformAttn
from ..layers.noise_schedule import (cosine_log_snr, ddim_step, image_noise,
                                     log_snr_to_alpha_sigma, sampling_time_pairs)
from ..layers.positional_encoding import sine_positional_encoding
from ..layers.time_embedding import TimeEmbedding

__all__ = ['DeformableDiffusionHead', 'NoisedGT', 'losses_at_label_size']


class NoisedGT(NamedTuple):
    """A batch's ground truth, embedded and noised at one time per sample.

    Attributes:
        noisy_map: alpha_t * embed(gt) + sigma_t * eps, (N, channels, H, W).
        log_snr: the noise level of each sample, (N,).
        labels: the GT at the feature's size (nearest), (N, H, W) long.
    """
    noisy_map: Tensor
    log_snr: Tensor
    labels: Tensor


def losses_at_label_size(head: BaseDecodeHead, logits: Tensor, labels: Tensor) -> dict:
    """A head's decode losses and ``acc_seg``, as its ``loss_by_feat``, for
    logits that already have the labels' size.

    ``BaseDecodeHead.loss_by_feat`` resizes the logits to the labels even
    when the sizes match; with ~100 classes that identity resize and its
    backward cost as much as the loss itself on a CPU. Used for the losses
    taken at the feature size (no pixel sampler).

    Args:
        head (BaseDecodeHead): Gives ``loss_decode`` and ``ignore_index``.
        logits (Tensor): (N, num_classes, H, W).
        labels (Tensor): (N, H, W) long.
    """
    if logits.shape[-2:] != labels.shape[-2:]:
        raise ValueError(f'logits {tuple(logits.shape)} and labels {tuple(labels.shape)} '
                         'differ in size')
    losses = dict()
    loss_modules = head.loss_decode if isinstance(head.loss_decode, nn.ModuleList) \
        else [head.loss_decode]
    for loss_module in loss_modules:
        value = loss_module(logits, labels, ignore_index=head.ignore_index)
        name = loss_module.loss_name
        losses[name] = losses[name] + value if name in losses else value
    losses['acc_seg'] = accuracy(logits, labels, ignore_index=head.ignore_index)
    return losses


def reference_points(height: int, width: int, device: torch.device) -> Tensor:
    """Pixel centres of an (H, W) map in [0, 1] as (1, H*W, 1, 2) xy pairs."""
    ys = (torch.arange(height, device=device, dtype=torch.float32) + 0.5) / height
    xs = (torch.arange(width, device=device, dtype=torch.float32) + 0.5) / width
    grid_y, grid_x = torch.meshgrid(ys, xs, indexing='ij')
    return torch.stack((grid_x, grid_y), -1).reshape(1, -1, 1, 2)


class TimeConditionedLayer(nn.Module):
    """Deformable self-attention -> LN -> FFN -> LN, then time scale/shift.

    The modulation is DDP's: ``x * (1 + scale) + shift`` with
    ``(scale, shift) = Linear(SiLU(time))``, applied after the post-norm.

    Args:
        embed_dims (int): Channels C.
        num_heads (int): Attention heads.
        num_points (int): Sampling points per head.
        ffn_channels (int): Hidden width of the FFN.
        time_dims (int): Width of the time embedding.
        attn_recompute (bool, optional): :class:`MSDeformAttn`'s ``recompute``.
    """

    def __init__(self, embed_dims: int, num_heads: int, num_points: int,
                 ffn_channels: int, time_dims: int,
                 attn_recompute: Optional[bool] = None):
        super().__init__()
        self.attn = MSDeformAttn(embed_dims, num_heads, num_levels=1,
                                 num_points=num_points, recompute=attn_recompute)
        self.norm1 = nn.LayerNorm(embed_dims)
        self.ffn = FFN(embed_dims, ffn_channels, act_cfg=dict(type='GELU'))
        self.norm2 = nn.LayerNorm(embed_dims)
        self.time_mlp = nn.Sequential(nn.SiLU(), nn.Linear(time_dims, embed_dims * 2))

    def forward(self, x: Tensor, pos: Tensor, ref: Tensor, size: Tuple[int, int],
                time: Tensor) -> Tensor:
        """x, pos: (N, L, C); ref: (N, L, 1, 2); size: the map's (H, W) as
        ints; time: (N, T) -> (N, L, C)."""
        x = self.norm1(self.attn(x, x, ref, (size, ), query_pos=pos))
        x = self.norm2(self.ffn(x))
        scale, shift = self.time_mlp(time).unsqueeze(1).chunk(2, dim=-1)
        return x * (scale + 1) + shift


@MODELS.register_module()
class DeformableDiffusionHead(BaseDecodeHead):
    """DDP's time-conditioned deformable-attention decoder.

    Args:
        num_layers (int): Encoder layers. Default: 6 (DDP).
        num_heads (int): Attention heads. Default: 8.
        num_points (int): Sampling points per head. Default: 4.
        ffn_channels (int): FFN hidden width. Default: 1024.
        bit_scale (float): Range of the embedded map. Default: 0.01 (DDP's
            ConvNeXt configs).
        sinusoidal_dim (int): Learned sinusoidal time features. Default: 16.
        sample_range (tuple): Range of the training noise time t.
            Default: (0, 0.999) (DDP).
        time_difference (float): DDIM look-ahead, in steps. Default: 1 (DDP).
        loss_at_feature_size (bool): take the CE against the GT at the
            feature size (nearest, as the noised target) instead of on logits
            up-sampled to the GT (mmseg's and DDP's way). With ~100 classes the
            up-sampled logits are a third of a CPU train step; the CPU-scale
            FoodSeg103-mini configs turn this on. Default: False.
        with_cp (bool): Activation checkpointing of each layer (saves memory,
            costs one more forward). Default: False.
        attn_recompute (bool, optional): The deformable attention samples
            again in backward instead of keeping the sampled values
            (:class:`MSDeformAttn`'s ``recompute``; same results, less
            memory). None (default): on for CUDA tensors without mmcv's
            compiled kernel, off on the CPU; True / False force it.
        torch_compile (bool | dict): Run the decoder layers through
            ``torch.compile`` (a dict: its keyword arguments, e.g.
            ``dict(mode='max-autotune')``). Opt-in; the layers trace without
            a graph break (a test checks it). Default: False.
        **kwargs: :class:`BaseDecodeHead` arguments (``in_channels``,
            ``channels``, ``num_classes``, ``ignore_index``, ``loss_decode``...).
            ``in_channels`` is the image feature width; the noisy map has
            ``channels`` channels.
    """

    def __init__(self, num_layers: int = 6, num_heads: int = 8, num_points: int = 4,
                 ffn_channels: int = 1024, bit_scale: float = 0.01,
                 sinusoidal_dim: int = 16,
                 sample_range: Sequence[float] = (0.0, 0.999),
                 time_difference: float = 1.0, loss_at_feature_size: bool = False,
                 with_cp: bool = False, attn_recompute: Optional[bool] = None,
                 torch_compile: Union[bool, dict] = False, **kwargs):
        # DDP initialises the classifier with Xavier too (mmseg: Normal(0.01))
        kwargs.setdefault('init_cfg', dict(type='Xavier', distribution='uniform',
                                           override=dict(name='conv_seg')))
        super().__init__(**kwargs)
        if self.channels % 2:
            raise ValueError(f'channels must be even for the sine positional '
                             f'encoding, got {self.channels}')
        self.bit_scale = bit_scale
        self.sample_range = tuple(sample_range)
        self.time_difference = time_difference
        self.loss_at_feature_size = loss_at_feature_size
        self.with_cp = with_cp
        self.torch_compile = torch_compile
        self._compiled_layers = None
        #: Draws training's t and noise when set (a per-rank generator in
        #: multi-process training, see ``RandomStateHook``); None: torch's
        #: global generator.
        self.noise_generator: Optional[torch.Generator] = None
        # one extra row for ignored pixels (ignore_index)
        self.label_embedding = nn.Embedding(self.num_classes + 1, self.channels)
        self.fuse_noisy_map = ConvModule(
            self.in_channels + self.channels, self.channels, 1,
            conv_cfg=self.conv_cfg, norm_cfg=None, act_cfg=None)
        time_dims = self.channels * 4
        self.time_embedding = TimeEmbedding(sinusoidal_dim, time_dims)
        self.layers = nn.ModuleList(
            TimeConditionedLayer(self.channels, num_heads, num_points,
                                 ffn_channels, time_dims, attn_recompute)
            for _ in range(num_layers))

    def init_weights(self) -> None:
        """DDP's init: Xavier for the layers' matrices, then the deformable
        attention's own init; ``conv_seg`` follows ``init_cfg`` (by default
        Xavier-uniform, bias 0, as DDP's classifier)."""
        super().init_weights()
        for param in self.layers.parameters():
            if param.dim() > 1:
                nn.init.xavier_uniform_(param)
        for layer in self.layers:
            layer.attn._reset_parameters()

    def embed_labels(self, labels: Tensor) -> Tensor:
        """Embed a class map: (N, H, W) long -> (N, channels, H, W) in
        [-bit_scale, bit_scale]; ``ignore_index`` uses the extra row."""
        labels = torch.where(labels == self.ignore_index,
                             torch.full_like(labels, self.num_classes), labels)
        emb = self.label_embedding(labels).permute(0, 3, 1, 2)
        return (torch.sigmoid(emb) * 2 - 1) * self.bit_scale

    def _forward_feature(self, x: Tensor, time: Tensor) -> Tensor:
        """Run the encoder layers on (N, C, H, W) with time (N, T)."""
        if self.torch_compile:
            if self._compiled_layers is None:
                options = self.torch_compile if isinstance(self.torch_compile, dict) else {}
                self._compiled_layers = torch.compile(self._run_layers, **options)
            return self._compiled_layers(x, time)
        return self._run_layers(x, time)

    def _run_layers(self, x: Tensor, time: Tensor) -> Tensor:
        """The layers themselves; sizes stay Python ints (no host sync)."""
        n, c, h, w = x.shape
        query = x.flatten(2).transpose(1, 2)
        pos = sine_positional_encoding(h, w, c // 2, device=x.device, dtype=x.dtype)
        pos = pos.flatten(2).transpose(1, 2).expand(n, -1, -1)
        ref = reference_points(h, w, x.device).expand(n, -1, -1, -1)
        for layer in self.layers:
            if self.with_cp and query.requires_grad:
                query = cp.checkpoint(layer, query, pos, ref, (h, w), time,
                                      use_reentrant=False)
            else:
                query = layer(query, pos, ref, (h, w), time)
        return query.transpose(1, 2).reshape(n, c, h, w)

    def forward(self, inputs: Sequence[Tensor], noisy_map: Tensor,
                log_snr: Tensor) -> Tensor:
        """Class logits for one denoising step.

        Args:
            inputs (Sequence[Tensor]): Image features; the one at ``in_index``
                is (N, in_channels, H, W).
            noisy_map (Tensor): The noised embedded map, (N, channels, H, W).
            log_snr (Tensor): Noise level of each sample, (N,).

        Returns:
            Tensor: Logits (N, num_classes, H, W).
        """
        x = self._transform_inputs(inputs)
        x = self.fuse_noisy_map(torch.cat([x, noisy_map], dim=1))
        x = self._forward_feature(x, self.time_embedding(log_snr))
        return self.cls_seg(x)

    # ------------------------------------------------------------ training
    def noise_gt(self, batch_data_samples: SampleList, size: Sequence[int]) -> NoisedGT:
        """Embed the GT at ``size`` and noise it at a random time per sample.

        t ~ U(sample_range), lambda = log-SNR(t), and the noisy map is
        ``sigmoid(lambda)^0.5 * embed(gt) + sigmoid(-lambda)^0.5 * eps`` with
        eps ~ N(0, I) (DDP, Eq. 1 of Chen et al. 2022, "Analog Bits"). Both
        are drawn from :attr:`noise_generator` when set, else from torch's
        global generator.

        Args:
            batch_data_samples (list[SegDataSample]): With ``gt_sem_seg``.
            size (tuple): (H, W) of the image feature.
        """
        gt = self._stack_batch_gt(batch_data_samples)  # (N, 1, H0, W0)
        labels = F.interpolate(gt.float(), size=tuple(size), mode='nearest').long()[:, 0]
        clean = self.embed_labels(labels)
        gen = self.noise_generator  # None: torch's global generator
        t = torch.empty(len(labels), device=clean.device).uniform_(
            *self.sample_range, generator=gen)
        log_snr = cosine_log_snr(t)
        alpha, sigma = log_snr_to_alpha_sigma(log_snr.view(-1, 1, 1, 1))
        # a contiguous draw: randn_like on the embedding's channels-last
        # layout takes torch's slow path (~30 ms per toy step on a CPU)
        eps = torch.randn(clean.shape, generator=gen, device=clean.device,
                          dtype=clean.dtype)
        return NoisedGT(alpha * clean + sigma * eps, log_snr, labels)

    def loss_noised(self, inputs: Sequence[Tensor], noised: NoisedGT,
                    batch_data_samples: SampleList) -> Tuple[dict, Tensor]:
        """CE loss (and accuracy) of denoising ``noised`` from ``inputs``.

        Returns:
            tuple: the losses (``loss_ce``, ``acc_seg``) and the logits
            (N, num_classes, H, W) at feature resolution.
        """
        logits = self(inputs, noised.noisy_map, noised.log_snr)
        if self.loss_at_feature_size:
            return losses_at_label_size(self, logits, noised.labels), logits
        return self.loss_by_feat(logits, batch_data_samples), logits

    def loss(self, inputs: Tuple[Tensor], batch_data_samples: SampleList,
             train_cfg: ConfigType) -> dict:
        """:class:`BaseDecodeHead`'s loss: one noise draw, one denoising step."""
        size = self._transform_inputs(inputs).shape[-2:]
        losses, _ = self.loss_noised(inputs, self.noise_gt(batch_data_samples, size),
                                     batch_data_samples)
        return losses

    # ------------------------------------------------------------ inference
    def initial_noise(self, feature: Tensor, batch_img_metas: List[dict],
                      seed: int = 0) -> Tensor:
        """Gaussian start of DDIM, (N, channels, H, W), seeded per image.

        The seed is ``seed`` plus a CRC32 of the image file name (or of the
        batch position when there is none), so a checkpoint gives the same
        result on every run, batch size and number of processes.

        Args:
            feature (Tensor): The image feature (N, C, H, W): size, device
                and dtype of the noise.
            batch_img_metas (list[dict]): Per-image meta (``img_path``).
            seed (int): Added to each image's seed.
        """
        n, _, h, w = feature.shape
        return image_noise(batch_img_metas[:n], (self.channels, h, w), seed,
                           feature.device, feature.dtype)

    def sample(self, inputs: Sequence[Tensor], batch_img_metas: List[dict],
               steps: int = 3, seed: int = 0, noise: Optional[Tensor] = None) -> Tensor:
        """DDIM from Gaussian noise (DDP's sampler, any batch size).

        Each step predicts the clean map, embeds its argmax and moves the
        noisy map to the next noise level (:func:`ddim_step`).

        Args:
            inputs (Sequence[Tensor]): Image features (see :meth:`forward`).
            batch_img_metas (list[dict]): Per-image meta (for the noise seed).
            steps (int): DDIM steps.
            seed (int): Noise seed (see :meth:`initial_noise`).
            noise (Tensor, optional): The start noise (N, channels, H, W)
                instead (an exported graph takes it as an input).

        Returns:
            Tensor: The last step's logits, (N, num_classes, H, W).
        """
        feature = self._transform_inputs(inputs)
        n = feature.shape[0]
        noisy = self.initial_noise(feature, batch_img_metas, seed) if noise is None else noise
        for t_now, t_next in sampling_time_pairs(steps, self.time_difference,
                                                 self.sample_range[0]):
            log_snr = cosine_log_snr(feature.new_full((n, ), t_now, dtype=torch.float32))
            log_snr_next = cosine_log_snr(feature.new_full((n, ), t_next, dtype=torch.float32))
            logits = self(inputs, noisy, log_snr)
            x0 = self.embed_labels(logits.argmax(dim=1))
            noisy = ddim_step(noisy, x0.to(noisy.dtype), log_snr, log_snr_next).to(noisy.dtype)
        return logits

    def predict(self, inputs: Tuple[Tensor], batch_img_metas: List[dict],
                test_cfg: ConfigType) -> Tensor:
        """:class:`BaseDecodeHead`'s predict: DDIM (``test_cfg.steps``,
        ``test_cfg.seed``), logits resized to the input images."""
        logits = self.sample(inputs, batch_img_metas, test_cfg.get('steps', 3),
                             test_cfg.get('seed', 0))
        return self.predict_by_feat(logits, batch_img_metas)
