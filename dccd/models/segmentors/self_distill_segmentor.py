"""DDP, DCC and DCCD as one mmsegmentation segmentor.

Hou, Sun, Min, Wang and Jiang (2024), "Ingredient-guided multimodal
self-distillation for food image segmentation": a teacher branch adds the
CLIP embedding of the image's ingredient list to the image feature, an
image-only student shares every weight with it, and

    L = CE(gt, teacher) + CE(gt, student) + KL(teacher || student)   (Eq. 6)

(plus DDP's auxiliary FCN loss, which Eq. 6 leaves out). The decoder is DDP's
map diffusion (Ji et al., ICCV 2023), owned by the decode head
(:class:`~dccd.models.decode_heads.DeformableDiffusionHead`): training
denoises the ground-truth map at a random noise level, inference runs DDIM
from Gaussian noise. This segmentor owns the branches: which feature each
branch decodes, the one noise draw both branches share, and the KL.

Which model a config describes follows from what it sets (:attr:`kind`):

=========  ================  =============  =============================
kind       ``text_encoder``  ``distill``    trained branches
=========  ================  =============  =============================
'ddp'      None              None           student (image only)
'dcc'      set               None           teacher (image + text)
'dccd'     set               set            teacher and student, + KL
=========  ================  =============  =============================

"student" always names the image-only branch (in DDP it is the only one).
The runner evaluates ``test_cfg.branch`` (fixed when the model is built); the
teacher then reads each sample's ``metainfo['ingredients']`` (class ids),
which the data pipeline takes from the GT mask (an oracle) unless a tool
supplies other lists, or, with ``test_cfg.lists='auto'``, lists proposed from
the image itself (:meth:`SelfDistillSegmentor.propose_ingredients`: the
student's own segmentation, or an optional ingredient-presence head).
:meth:`SelfDistillSegmentor.predict_branch` and
:meth:`SelfDistillSegmentor.predict_auto` take the branch, the ingredient
lists and the DDIM steps as arguments instead, for the API and the
inference tool.
"""
from typing import Dict, List, Optional, Sequence, Tuple, Union

from mmengine.config import ConfigDict
from mmseg.models.segmentors import EncoderDecoder
from mmseg.registry import MODELS
from mmseg.utils import ConfigType, OptConfigType, OptMultiConfig, SampleList, add_prefix
from torch import Tensor, nn

from ..decode_heads.diffusion_head import losses_at_label_size
from ...utils import (InputError, background_index, get_classes, ingredient_names,
                      propose_by_area)

__all__ = ['SelfDistillSegmentor', 'BRANCHES', 'AUTO_METHODS']

BRANCHES = ('teacher', 'student')
#: How lists are proposed from the image: the student's segmentation (area
#: shares) or the ingredient-presence head (probabilities).
AUTO_METHODS = ('area', 'presence')
_AUTO_DEFAULTS = dict(area=dict(threshold=0.05, share='food'),
                      presence=dict(threshold=0.5))
_TRAIN_BRANCHES = {'ddp': ('student', ), 'dcc': ('teacher', ),
                   'dccd': ('teacher', 'student')}


def check_branch(branch: str, kind: str) -> str:
    """``branch`` if a ``kind`` model can run it, else ValueError naming why."""
    if branch not in BRANCHES:
        raise ValueError(f'the branch must be one of {BRANCHES}, got {branch!r}')
    if branch == 'teacher' and kind == 'ddp':
        raise ValueError("the 'teacher' branch needs model.text_encoder "
                         '(this model is image only)')
    return branch


def complete_test_cfg(test_cfg: Optional[dict], kind: str, with_presence: bool) -> ConfigDict:
    """``test_cfg`` with its defaults, checked (ValueError naming the key).

    Args:
        test_cfg: the model's test_cfg (branch, steps, seed, mode, lists, auto).
        kind: 'ddp', 'dcc' or 'dccd'.
        with_presence: whether the model has a presence head.
    """
    test_cfg = dict(test_cfg or {})
    test_cfg.setdefault('mode', 'whole')
    if test_cfg.get('branch') is None:
        test_cfg['branch'] = 'teacher' if kind == 'dcc' else 'student'
    try:
        check_branch(test_cfg['branch'], kind)
    except ValueError as exc:
        raise ValueError(f'model.test_cfg.branch: {exc}') from None
    steps = test_cfg.setdefault('steps', 3)
    if isinstance(steps, bool) or not isinstance(steps, int) or steps < 1:
        raise ValueError(f'model.test_cfg.steps must be a whole number >= 1, got {steps!r}')
    test_cfg.setdefault('seed', 0)
    test_cfg.setdefault('lists', 'metainfo')
    if test_cfg['lists'] not in ('metainfo', 'auto'):
        raise ValueError(f"model.test_cfg.lists must be 'metainfo' or 'auto', "
                         f"got {test_cfg['lists']!r}")
    auto = {k: v for k, v in dict(test_cfg.get('auto') or {}).items() if v is not None}
    method = auto.setdefault('method', 'presence' if with_presence else 'area')
    if method not in AUTO_METHODS:
        raise ValueError(f'model.test_cfg.auto.method must be one of {AUTO_METHODS}, '
                         f'got {method!r}')
    for key, value in _AUTO_DEFAULTS[method].items():
        auto.setdefault(key, value)
    test_cfg['auto'] = auto
    return ConfigDict(test_cfg)


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
        presence_head (dict, optional): An
            :class:`~dccd.models.heads.IngredientPresenceHead` on the image
            feature, trained jointly (``loss_presence``); proposes ingredient
            lists for the teacher.
        class_names (str | Sequence[str], optional): Names of the class ids,
            used to write the ingredient prompt; a dataset name
            ('foodseg103', 'uecfoodpix', 'toy_food') for
            :func:`~dccd.utils.get_classes`.
        train_cfg, test_cfg: ``test_cfg`` keys besides mmseg's ``mode``:
            ``branch`` ('student' | 'teacher'; None or absent: the
            image-only student, or the teacher for DCC), ``steps`` (DDIM
            steps, default 3), ``seed`` (added to each image's noise seed,
            default 0), ``lists`` (the teacher's ingredient lists:
            'metainfo', the default, or 'auto') and ``auto`` (how 'auto'
            proposes: ``dict(method='area', threshold=0.05, share='food')``
            for DCCD, ``dict(method='presence', threshold=0.5)`` with a
            presence head).
    """

    def __init__(self,
                 backbone: ConfigType,
                 decode_head: ConfigType,
                 neck: OptConfigType = None,
                 auxiliary_head: OptConfigType = None,
                 text_encoder: OptConfigType = None,
                 text_fusion: OptConfigType = None,
                 distill_loss: OptConfigType = None,
                 presence_head: OptConfigType = None,
                 class_names: Optional[Union[str, Sequence[str]]] = None,
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
        self.presence_head = MODELS.build(presence_head) if presence_head else None
        self.class_names = None if class_names is None else get_classes(class_names)
        if self.text_encoder is not None and self.class_names is None:
            raise ValueError('model.class_names is needed to write ingredient prompts')
        self.test_cfg = self._complete_test_cfg(self.test_cfg)

    # ------------------------------------------------------------ set-up
    @property
    def kind(self) -> str:
        """'ddp', 'dcc' or 'dccd' (see the module docstring)."""
        if self.text_encoder is None:
            return 'ddp'
        return 'dccd' if self.distill_loss is not None else 'dcc'

    @property
    def train_branches(self) -> tuple:
        """The branches training runs: ('student',), ('teacher',) or both."""
        return _TRAIN_BRANCHES[self.kind]

    def check_branch(self, branch: str) -> str:
        """``branch`` if this model can run it, else ValueError naming why."""
        return check_branch(branch, self.kind)

    def parts_for(self, branch: str, method: Optional[str] = None) -> tuple:
        """The top-level parts that inference of ``branch`` runs (with
        ``method``, the automatic-list proposal too): those whose weights a
        checkpoint must hold."""
        parts = ('backbone', 'neck', 'decode_head')
        if branch == 'teacher':
            parts += ('text_encoder', 'text_fusion')
        if method == 'presence':
            parts += ('presence_head', )
        return parts

    def _complete_test_cfg(self, test_cfg) -> ConfigDict:
        return complete_test_cfg(test_cfg, self.kind, self.presence_head is not None)

    @staticmethod
    def check_config(model_cfg: dict) -> None:
        """ValueError naming a bad ``test_cfg`` setting of a model config,
        before anything is built (``dccd.utils.load_config`` calls it)."""
        has_text = model_cfg.get('text_encoder') is not None
        kind = 'ddp' if not has_text else (
            'dccd' if model_cfg.get('distill_loss') is not None else 'dcc')
        complete_test_cfg(model_cfg.get('test_cfg'), kind,
                          model_cfg.get('presence_head') is not None)

    # ------------------------------------------------------------ branches
    @staticmethod
    def sample_ingredients(batch_img_metas: List[dict]) -> List[List[int]]:
        """Each sample's ``metainfo['ingredients']`` (class ids)."""
        if not all('ingredients' in meta for meta in batch_img_metas):
            raise InputError(
                "the teacher branch needs metainfo['ingredients']: add "
                'ExtractIngredients and PackFoodSegInputs to the pipeline, or '
                'pass ingredients explicitly')
        return [list(meta['ingredients']) for meta in batch_img_metas]

    def branch_feature(self, feature: Tensor, branch: str,
                       ingredients: Optional[List[List[int]]] = None) -> Tensor:
        """The decoder input of ``branch``.

        Args:
            feature (Tensor): The image feature (N, C, H, W).
            branch (str): 'student' (the image feature) or 'teacher' (the image
                feature fused with the ingredient text).
            ingredients (list[list[int]], optional): The teacher's class ids,
                one list per sample.

        Returns:
            Tensor: (N, C, H, W).
        """
        if branch == 'student':
            return feature
        names = [ingredient_names(ids, self.class_names) for ids in ingredients]
        text = self.text_encoder(names)
        return self.text_fusion(feature, text.to(feature.dtype))

    # ------------------------------------------------------------ training
    def loss(self, inputs: Tensor, data_samples: SampleList) -> dict:
        """Losses of every trained branch on the SAME noisy map and time.

        Keys: ``loss_ce_<branch>``, ``acc_seg_<branch>``, ``loss_kl``
        (DCCD) and ``aux.loss_ce`` / ``aux.acc_seg``.
        """
        feats = self.extract_feat(inputs)
        feature = feats[0]
        ingredients = None
        if 'teacher' in self.train_branches:
            ingredients = self.sample_ingredients([s.metainfo for s in data_samples])
        noised = self.decode_head.noise_gt(data_samples, feature.shape[-2:])
        losses, logits = {}, {}
        for branch in self.train_branches:
            x = self.branch_feature(feature, branch, ingredients)
            branch_losses, logits[branch] = self.decode_head.loss_noised(
                [x], noised, data_samples)
            losses.update({f'{k}_{branch}': v for k, v in branch_losses.items()})
        if self.distill_loss is not None:
            valid = noised.labels != self.decode_head.ignore_index
            losses[self.distill_loss.loss_name] = self.distill_loss(
                logits['student'], logits['teacher'], valid)
        if self.with_auxiliary_head:
            losses.update(self.auxiliary_losses(feats, data_samples, noised.labels))
        if self.presence_head is not None:
            losses.update(self.presence_head.loss(feature, [s.metainfo for s in data_samples]))
        return losses

    def auxiliary_losses(self, feats: Sequence[Tensor], data_samples: SampleList,
                         labels: Tensor) -> dict:
        """``aux.*`` losses: mmseg's (logits up-sampled to the GT), or with
        ``train_cfg.aux_loss_at_feature_size`` against ``labels``, the GT at
        the feature size (nearest, as the noised target; cheaper with many
        classes)."""
        if not self.train_cfg.get('aux_loss_at_feature_size', False):
            return self._auxiliary_head_forward_train(feats, data_samples)
        if isinstance(self.auxiliary_head, nn.ModuleList):
            raise ValueError('train_cfg.aux_loss_at_feature_size supports one auxiliary head')
        logits = self.auxiliary_head(feats)
        return add_prefix(losses_at_label_size(self.auxiliary_head, logits, labels), 'aux')

    # ------------------------------------------------------------ inference
    def sample_branch(self, feature: Tensor, batch_img_metas: List[dict], branch: str,
                      ingredients: Optional[List[List[int]]] = None,
                      steps: Optional[int] = None) -> Tensor:
        """DDIM logits of ``branch`` from the image feature (N, C, H/4, W/4).

        ``ingredients`` default to the metas' lists (teacher only), ``steps``
        to ``test_cfg.steps``; the noise seed is ``test_cfg.seed``.

        Returns:
            Tensor: (N, num_classes, H/4, W/4).
        """
        if branch == 'teacher' and ingredients is None:
            ingredients = self.sample_ingredients(batch_img_metas)
        feature = self.branch_feature(feature, branch, ingredients)
        return self.decode_head.sample([feature], batch_img_metas,
                                       steps or self.test_cfg.steps, self.test_cfg.seed)

    def branch_logits(self, inputs: Tensor, batch_img_metas: List[dict], branch: str,
                      ingredients: Optional[List[List[int]]] = None,
                      steps: Optional[int] = None) -> Tensor:
        """DDIM logits of ``branch`` for pre-processed images, at 1/4 size."""
        return self.sample_branch(self.extract_feat(inputs)[0], batch_img_metas, branch,
                                  ingredients, steps)

    def check_auto(self, method: str) -> None:
        """ValueError naming why this model cannot propose lists by ``method``."""
        if self.text_encoder is None:
            raise ValueError('automatic ingredient lists feed the teacher, and this model '
                             'has none (DDP, image only): run it without ingredients')
        if method == 'area' and self.kind != 'dccd':
            raise ValueError("the 'area' proposal reads the student's segmentation, which "
                             'only DCCD trains; use a presence-head config (method '
                             "'presence')")
        if method == 'presence' and self.presence_head is None:
            raise ValueError("the 'presence' proposal needs model.presence_head (a "
                             '*_presence config)')
        if method not in AUTO_METHODS:
            raise ValueError(f'proposal method must be one of {AUTO_METHODS}, got {method!r}')

    def propose_ingredients(self, feature: Tensor, batch_img_metas: List[dict],
                            method: str, threshold: float, share: str = 'food',
                            steps: Optional[int] = None) -> Tuple[List[List[int]], List[dict]]:
        """Ingredient lists proposed from the image feature alone.

        'area': the student's own DDIM segmentation (at 1/4 size); a class is
        proposed when its pixels are at least ``threshold`` of the food
        (``share='food'``) or of the image (``share='image'``).
        'presence': the presence head's probability is at least ``threshold``.

        Returns:
            tuple: sorted class ids per image, and each image's scores
            (``{class id: share or probability}``).
        """
        self.check_auto(method)
        if method == 'presence':
            return self.presence_head.propose(feature, threshold)
        masks = self.sample_branch(feature, batch_img_metas, 'student', steps=steps).argmax(1)
        background = background_index(self.class_names)
        proposals = [propose_by_area(mask.cpu().numpy(), len(self.class_names), threshold,
                                     background, share) for mask in masks]
        return [p[0] for p in proposals], [p[1] for p in proposals]

    def predict_auto(self, inputs: Tensor, data_samples: SampleList,
                     auto: Optional[dict] = None, steps: Optional[int] = None) -> SampleList:
        """The teacher with lists proposed from each image (two passes, whole image).

        Args:
            inputs (Tensor): Pre-processed images (N, 3, H, W).
            data_samples (list[SegDataSample]): Their samples.
            auto (dict, optional): ``method``, ``threshold`` (and ``share``);
                None for ``test_cfg.auto``.
            steps (int, optional): DDIM steps; None for ``test_cfg.steps``.

        Returns:
            list[SegDataSample]: predictions whose metainfo also holds
            ``proposed_ingredients`` (sorted ids), ``proposal_scores`` and
            ``ingredient_source`` ('auto:<method>').
        """
        auto = dict(self.test_cfg.auto, **(auto or {}))
        method = auto['method']
        metas = [sample.metainfo for sample in data_samples]
        feature = self.extract_feat(inputs)[0]
        ids, scores = self.propose_ingredients(feature, metas, method, auto['threshold'],
                                               auto.get('share', 'food'), steps)
        logits = self.sample_branch(feature, metas, 'teacher', ids, steps)
        samples = self.postprocess_result(self.decode_head.predict_by_feat(logits, metas),
                                          data_samples)
        for sample, proposed, score in zip(samples, ids, scores):
            sample.set_metainfo(dict(proposed_ingredients=proposed, proposal_scores=score,
                                     ingredient_source=f'auto:{method}'))
        return samples

    def predict(self, inputs: Tensor, data_samples: SampleList = None) -> SampleList:
        """mmseg's predict; with ``test_cfg.lists='auto'`` the teacher reads
        lists proposed from each image (:meth:`predict_auto`)."""
        if self.test_cfg.branch == 'teacher' and self.test_cfg.lists == 'auto':
            if self.test_cfg.mode != 'whole':
                raise ValueError("test_cfg.lists='auto' runs whole images: set "
                                 "model.test_cfg.mode='whole'")
            return self.predict_auto(inputs, data_samples)
        return super().predict(inputs, data_samples)

    def encode_decode(self, inputs: Tensor, batch_img_metas: List[dict]) -> Tensor:
        """Logits of ``test_cfg.branch`` at the input size (whole or slide)."""
        logits = self.branch_logits(inputs, batch_img_metas, self.test_cfg.branch)
        return self.decode_head.predict_by_feat(logits, batch_img_metas)

    def predict_branch(self, inputs: Tensor, data_samples: SampleList, branch: str,
                       ingredients: Optional[List[List[int]]] = None,
                       steps: Optional[int] = None) -> SampleList:
        """mmseg's ``predict`` (whole image) for a branch chosen by the caller.

        Args:
            inputs (Tensor): Pre-processed images (N, 3, H, W).
            data_samples (list[SegDataSample]): Their samples (metainfo).
            branch (str): 'student' or 'teacher'.
            ingredients (list[list[int]], optional): The teacher's class ids
                per sample; None reads ``metainfo['ingredients']``.
            steps (int, optional): DDIM steps; None for ``test_cfg.steps``.

        Returns:
            list[SegDataSample]: With ``seg_logits`` and ``pred_sem_seg``.
        """
        self.check_branch(branch)
        if ingredients is not None and len(ingredients) != len(data_samples):
            raise ValueError(f'{len(ingredients)} ingredient lists for '
                             f'{len(data_samples)} images')
        metas = [sample.metainfo for sample in data_samples]
        logits = self.branch_logits(inputs, metas, branch, ingredients, steps)
        return self.postprocess_result(self.decode_head.predict_by_feat(logits, metas),
                                       data_samples)

    def _forward(self, inputs: Tensor, data_samples: SampleList = None) -> Tensor:
        """Raw DDIM logits at feature resolution (``mode='tensor'``)."""
        if data_samples is None:
            metas = [dict() for _ in range(inputs.shape[0])]
        else:
            metas = [sample.metainfo for sample in data_samples]
        return self.branch_logits(inputs, metas, self.test_cfg.branch)

    def parameter_counts(self) -> Dict[str, int]:
        """Parameters per part, e.g. for the README's model table."""
        parts = dict(backbone=self.backbone, neck=getattr(self, 'neck', None),
                     decode_head=self.decode_head,
                     auxiliary_head=getattr(self, 'auxiliary_head', None),
                     text_encoder=self.text_encoder, text_fusion=self.text_fusion,
                     presence_head=self.presence_head)
        return {name: sum(p.numel() for p in part.parameters())
                for name, part in parts.items() if part is not None}
