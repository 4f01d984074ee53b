"""DDP, DCC and DCCD as one mmsegmentation segmentor.

Hou, Sun, Min, Wang and Jiang (2024), "Ingredient-guided multimodal
self-distillation for food image segmentation": a teacher branch adds the
CLIP embedding of the image's ingredient list to the image feature, an
image-only student shares every weight with it, and

    L = CE(gt, teacher) + CE(gt, student) + KL(teacher || student)   (Eq. 6)

(plus DDP's auxiliary FCN loss, which Eq. 6 leaves out). The decoder is DDP's
map diffusion (Ji et al., ICCV 2023): training denoises the ground-truth map
at a random noise level, inference runs DDIM from Gaussian noise.

Which model a config describes follows from what it sets:

=========  ================  =============  =============================
mode       ``text_encoder``  ``distill``    trained branches
=========  ================  =============  =============================
DDP        None              None           student (image only)
DCC        set               None           teacher (image + text)
DCCD       set               set            teacher and student, + KL
=========  ================  =============  =============================

"student" always names the image-only branch (in DDP it is the only one).
``test_cfg.branch`` picks the branch to evaluate; the teacher reads each
sample's ``metainfo['ingredients']`` (class ids), which the data pipeline
takes from the GT mask (an oracle) unless a user supplies them.
"""
import zlib
from typing import Dict, List, Optional, Sequence, Union

import torch
import torch.nn.functional as F
from mmengine.config import ConfigDict
from mmseg.models.segmentors import EncoderDecoder
from mmseg.registry import MODELS
from mmseg.utils import ConfigType, OptConfigType, OptMultiConfig, SampleList
from torch import Tensor

from ...datasets.ingredients import image_key, ingredient_names, resolve_classes
from ...utils import InputError
from ..layers.noise_schedule import (cosine_log_snr, ddim_step,
                                     log_snr_to_alpha_sigma,
                                     sampling_time_pairs)

__all__ = ['SelfDistillSegmentor']

BRANCHES = ('teacher', 'student')


@MODELS.register_module()
class SelfDistillSegmentor(EncoderDecoder):
    """Encoder-decoder with DDP's diffusion head and an optional text teacher.

    Args:
        backbone, neck, decode_head, auxiliary_head: As
            :class:`EncoderDecoder`. The neck ends in the image feature
            (N, C, H/4, W/4); ``decode_head`` is a
            :class:`DeformableDiffusionHead`.
        text_encoder (dict, optional): Ingredient text encoder (frozen CLIP);
            None for DDP.
        text_fusion (dict, optional): How the text joins the image feature
            (:class:`TextFusion`, 'add' or 'concat'); needed with a text
            encoder.
        distill_loss (dict, optional): Teacher -> student loss
            (:class:`DistillKLLoss`); turns DCC into DCCD.
        class_names (str | Sequence[str], optional): Names of the class ids,
            used to write the ingredient prompt; a registered dataset type
            (e.g. 'FoodSeg103Dataset') means its METAINFO classes.
        sample_range (tuple): Range of the training noise time t.
            Default: (0, 0.999) (DDP).
        time_difference (float): DDIM look-ahead. Default: 1 (DDP).
        train_cfg, test_cfg: ``test_cfg`` keys besides mmseg's ``mode``:
            ``branch`` ('student' | 'teacher'; None or absent: the
            image-only student, or the teacher for DCC), ``steps`` (DDIM steps, default
            3) and ``seed`` (added to each image's noise seed, default 0).
    """

    def __init__(self,
                 backbone: ConfigType,
                 decode_head: ConfigType,
                 neck: OptConfigType = None,
                 auxiliary_head: OptConfigType = None,
                 text_encoder: OptConfigType = None,
                 text_fusion: OptConfigType = None,
                 distill_loss: OptConfigType = None,
                 class_names: Optional[Union[str, Sequence[str]]] = None,
                 sample_range: Sequence[float] = (0.0, 0.999),
                 time_difference: float = 1.0,
                 train_cfg: OptConfigType = None,
                 test_cfg: OptConfigType = None,
                 data_preprocessor: OptConfigType = None,
                 pretrained: Optional[str] = None,
                 init_cfg: OptMultiConfig = None):
        super().__init__(
            backbone=backbone, decode_head=decode_head, neck=neck,
            auxiliary_head=auxiliary_head, train_cfg=train_cfg,
            test_cfg=test_cfg, data_preprocessor=data_preprocessor,
            pretrained=pretrained, init_cfg=init_cfg)
        if (text_encoder is None) != (text_fusion is None):
            raise ValueError('model.text_encoder and model.text_fusion must be '
                             'set together (DCC/DCCD) or both left out (DDP)')
        if distill_loss is not None and text_encoder is None:
            raise ValueError('model.distill_loss needs a teacher: set model.text_encoder')
        self.text_encoder = MODELS.build(text_encoder) if text_encoder else None
        self.text_fusion = MODELS.build(text_fusion) if text_fusion else None
        self.distill_loss = MODELS.build(distill_loss) if distill_loss else None
        self.class_names = None if class_names is None else resolve_classes(class_names)
        if self.text_encoder is not None and self.class_names is None:
            raise ValueError('model.class_names is needed to write ingredient prompts')
        self.sample_range = tuple(sample_range)
        self.time_difference = time_difference
        self.test_cfg = self._complete_test_cfg(self.test_cfg)

    # ------------------------------------------------------------ set-up
    @property
    def mode(self) -> str:
        """'ddp', 'dcc' or 'dccd' (see the module docstring)."""
        if self.text_encoder is None:
            return 'ddp'
        return 'dccd' if self.distill_loss is not None else 'dcc'

    @property
    def train_branches(self) -> tuple:
        return {'ddp': ('student', ), 'dcc': ('teacher', ),
                'dccd': ('teacher', 'student')}[self.mode]

    def _complete_test_cfg(self, test_cfg) -> dict:
        test_cfg = dict(test_cfg or {})
        test_cfg.setdefault('mode', 'whole')
        if test_cfg.get('branch') is None:
            test_cfg['branch'] = 'teacher' if self.mode == 'dcc' else 'student'
        test_cfg.setdefault('steps', 3)
        test_cfg.setdefault('seed', 0)
        if test_cfg['branch'] not in BRANCHES:
            raise ValueError(f"model.test_cfg.branch must be one of {BRANCHES}, "
                             f"got '{test_cfg['branch']}'")
        if test_cfg['branch'] == 'teacher' and self.text_encoder is None:
            raise ValueError("model.test_cfg.branch='teacher' needs model.text_encoder")
        sampling_time_pairs(test_cfg['steps'])  # validates steps
        return ConfigDict(test_cfg)

    # ------------------------------------------------------------ branches
    def prompt_names(self, batch_img_metas: List[dict]) -> List[List[str]]:
        """Class names of each sample's ``metainfo['ingredients']`` (ids)."""
        names = []
        for meta in batch_img_metas:
            if 'ingredients' not in meta:
                raise InputError(
                    "the teacher branch needs metainfo['ingredients']: add "
                    "ExtractIngredients to the pipeline and 'ingredients' to "
                    "PackSegInputs' meta_keys, or pass ingredients explicitly")
            names.append(ingredient_names(meta['ingredients'], self.class_names))
        return names

    def branch_feature(self, feature: Tensor, branch: str,
                       batch_img_metas: List[dict]) -> Tensor:
        """The decoder input of ``branch``: the image feature (student), or
        the image feature fused with the ingredient text (teacher)."""
        if branch == 'student':
            return feature
        text = self.text_encoder(self.prompt_names(batch_img_metas))
        return self.text_fusion(feature, text.to(feature.dtype))

    # ------------------------------------------------------------ training
    def noise_labels(self, data_samples: SampleList, size) -> tuple:
        """Noise the embedded GT at a random time: one draw per sample.

        Returns:
            tuple: noisy map (N, C, H, W), its log-SNR (N,), and the GT
            down-sampled (nearest) to ``size``, (N, H, W).
        """
        gt = self.decode_head._stack_batch_gt(data_samples)  # (N, 1, H0, W0)
        labels = F.interpolate(gt.float(), size=size, mode='nearest').long()[:, 0]
        clean = self.decode_head.embed_labels(labels)
        t = torch.empty(len(labels), device=clean.device).uniform_(*self.sample_range)
        log_snr = cosine_log_snr(t)
        alpha, sigma = log_snr_to_alpha_sigma(log_snr.view(-1, 1, 1, 1))
        return alpha * clean + sigma * torch.randn_like(clean), log_snr, labels

    def loss(self, inputs: Tensor, data_samples: SampleList) -> dict:
        """Losses of every trained branch on the SAME noisy map and time.

        Keys: ``loss_ce_<branch>``, ``acc_seg_<branch>``, ``loss_kl``
        (DCCD) and ``aux.loss_ce`` / ``aux.acc_seg``.
        """
        feats = self.extract_feat(inputs)
        feature = feats[0]
        metas = [sample.metainfo for sample in data_samples]
        noisy_map, log_snr, labels = self.noise_labels(data_samples, feature.shape[-2:])
        losses, logits = {}, {}
        for branch in self.train_branches:
            x = self.branch_feature(feature, branch, metas)
            logits[branch] = self.decode_head([x], noisy_map, log_snr)
            branch_losses = self.decode_head.loss_by_feat(logits[branch], data_samples)
            losses.update({f'{k}_{branch}': v for k, v in branch_losses.items()})
        if self.distill_loss is not None:
            valid = labels != self.decode_head.ignore_index
            losses[self.distill_loss.loss_name] = self.distill_loss(
                logits['student'], logits['teacher'], valid)
        if self.with_auxiliary_head:
            losses.update(self._auxiliary_head_forward_train(feats, data_samples))
        return losses

    # ------------------------------------------------------------ inference
    def initial_noise(self, feature: Tensor, batch_img_metas: List[dict]) -> Tensor:
        """Gaussian start of DDIM, (N, channels, H, W), seeded per image.

        The seed is ``test_cfg.seed`` plus a CRC32 of the image file name
        (or of the batch position when there is none), so a checkpoint gives
        the same result on every run, batch size and number of processes.
        """
        n, _, h, w = feature.shape
        channels = self.decode_head.channels
        noise = []
        for i, meta in enumerate(batch_img_metas[:n]):
            key = image_key(meta.get('img_path', i))
            seed = (zlib.crc32(key.encode()) + int(self.test_cfg.seed)) % 2**63
            gen = torch.Generator(device=feature.device).manual_seed(seed)
            noise.append(torch.randn((channels, h, w), generator=gen,
                                     device=feature.device, dtype=feature.dtype))
        return torch.stack(noise)

    def ddim_sample(self, feature: Tensor, batch_img_metas: List[dict],
                    steps: Optional[int] = None) -> Tensor:
        """DDIM from Gaussian noise (DDP's sampler, any batch size).

        Args:
            feature (Tensor): Decoder input (N, C, H, W) of one branch.
            batch_img_metas (list[dict]): Per-image meta (for the noise seed).
            steps (int, optional): DDIM steps; default ``test_cfg.steps``.

        Returns:
            Tensor: The last step's logits, (N, num_classes, H, W).
        """
        n = feature.shape[0]
        noisy = self.initial_noise(feature, batch_img_metas)
        pairs = sampling_time_pairs(steps or self.test_cfg.steps,
                                    self.time_difference, self.sample_range[0])
        for t_now, t_next in pairs:
            log_snr = cosine_log_snr(feature.new_full((n, ), t_now, dtype=torch.float32))
            log_snr_next = cosine_log_snr(feature.new_full((n, ), t_next, dtype=torch.float32))
            logits = self.decode_head([feature], noisy, log_snr)
            x0 = self.decode_head.embed_labels(logits.argmax(dim=1))
            noisy = ddim_step(noisy, x0.to(noisy.dtype), log_snr, log_snr_next).to(noisy.dtype)
        return logits

    def branch_logits(self, inputs: Tensor, batch_img_metas: List[dict]) -> Tensor:
        """DDIM logits of ``test_cfg.branch`` at feature resolution."""
        feature = self.extract_feat(inputs)[0]
        feature = self.branch_feature(feature, self.test_cfg.branch, batch_img_metas)
        return self.ddim_sample(feature, batch_img_metas)

    def encode_decode(self, inputs: Tensor, batch_img_metas: List[dict]) -> Tensor:
        """Logits of ``test_cfg.branch`` at the input size (whole or slide)."""
        logits = self.branch_logits(inputs, batch_img_metas)
        return self.decode_head.predict_by_feat(logits, batch_img_metas)

    def _forward(self, inputs: Tensor, data_samples: SampleList = None) -> Tensor:
        """Raw DDIM logits at feature resolution (``mode='tensor'``)."""
        if data_samples is None:
            metas = [dict() for _ in range(inputs.shape[0])]
        else:
            metas = [sample.metainfo for sample in data_samples]
        return self.branch_logits(inputs, metas)

    def parameter_counts(self) -> Dict[str, int]:
        """Parameters per part, e.g. for the README's model table."""
        parts = dict(backbone=self.backbone, neck=getattr(self, 'neck', None),
                     decode_head=self.decode_head,
                     auxiliary_head=getattr(self, 'auxiliary_head', None),
                     text_encoder=self.text_encoder, text_fusion=self.text_fusion)
        return {name: sum(p.numel() for p in part.parameters())
                for name, part in parts.items() if part is not None}
