"""Segment food photos with a trained DCCD checkpoint, from Python.

Written for DCCD (Apache-2.0), in the spirit of mmsegmentation's
``mmseg.apis.init_model`` / ``inference_model`` (``mmseg/apis/inference.py``,
Apache-2.0): the config's test pipeline without its annotation transforms,
then ``model.test_step``. DCCD adds the choice of branch (Hou et al. 2024,
"Ingredient-guided multimodal self-distillation for food image
segmentation")::

    from dccd.apis import init_segmentor, segment_food
    model = init_segmentor('configs/foodseg103_dccd.py', 'dccd.pth', device='cuda')
    result = segment_food(model, 'lunch.jpg')                       # student
    result = segment_food(model, 'lunch.jpg', ['rice', 'Egg'])      # teacher
    result.mask          # (H, W) int64 class ids at the photo's size
    result.shares[0]     # the largest ingredient: name, % of image, % of food

Which branch runs:

- ``ingredients=None`` (default): the image-only **student**, the model DCCD
  is tested as. A DCC model (trained as the teacher only) has no trained
  image-only branch: it needs ``ingredients``.
- ``ingredients=[...]``: the **teacher**, told the user's ingredient list:
  class names and/or class ids, as in ``tools/test.py --ingredients-file``.
  Names are matched to the model's classes case-insensitively (spaces
  stripped, inner runs of spaces collapsed); duplicates are dropped and the
  list is put in class-id order, as the training prompts were. An unknown
  name (or 'background') is an :class:`~dccd.utils.InputError` that lists the
  closest class names. An empty list runs the teacher with the text
  encoder's generic prompt for an image without ingredients, "a photo of
  food". A model without a text encoder (DDP) cannot run the teacher.
- ``ingredients='auto'``: the **teacher** with a list proposed from the photo
  itself (two passes: the student's own segmentation, or the presence head,
  as the config's ``test_cfg.auto`` says; see
  :meth:`~dccd.models.segmentors.SelfDistillSegmentor.predict_auto`). The
  result records the proposed list, its source and each class's score.
  Any other plain string is a TypeError: give a list of names.

DDIM sampling is seeded per image (``test_cfg.seed`` and the file name), so
the same photo gives the same mask on every call. ``init_segmentor(...,
amp=True)`` runs every call under autocast (bfloat16 where the device has
it, float16 on older GPUs; :func:`dccd.engine.amp_dtype`), and a config's
``env_cfg.tf32`` (default True) allows TF32 on CUDA. A checkpoint saved
without its frozen CLIP text tower (the config's
``text_encoder.pretrained`` holds it) reads the tower from that file the
first time the teacher runs. The branch, the ingredient
list and the DDIM steps go to
:meth:`~dccd.models.segmentors.SelfDistillSegmentor.predict_branch` as
arguments; the model is never changed by a call.
"""
import copy
import contextlib
import dataclasses
import logging
import os.path as osp
import re
import warnings
from pathlib import Path
from typing import BinaryIO, Dict, List, Optional, Sequence, Tuple, Union

import numpy as np
import torch
from PIL import Image
from mmengine.config import Config
from mmengine.dataset import Compose
from mmengine.logging import print_log
from mmengine.registry import init_default_scope
from mmseg.registry import DATASETS, MODELS
from mmseg.structures import SegDataSample

from ..engine.precision import amp_dtype, apply_tf32, tf32_from_cfg
from ..models.segmentors import SelfDistillSegmentor
from ..utils import (IngredientShare, InputError, background_index, drop_pretrained,
                     get_palette, ingredient_names, ingredient_shares, load_config,
                     one_line_error)
from ..utils import match_ingredients as match_ingredient_ids
from ..utils.weights import check_branch_weights, load_checked_weights, read_checkpoint

__all__ = [
    'FoodSegResult', 'init_segmentor', 'segment_food', 'match_ingredients',
    'select_branch', 'build_inference_pipeline', 'check_input', 'header_size', 'AUTO',
    'text_tower_left_out', 'load_text_tower'
]

#: The reserved word that asks for lists proposed from the image.
AUTO = 'auto'

#: The smallest network input side: the backbone's coarsest stride (32 for
#: ConvNeXt and EfficientNet); a smaller input breaks its last stage.
MIN_INPUT_SIDE = 32
#: Above this many input pixels (or DDIM steps), one warning line says the
#: call will be slow: the test pipeline does not shrink the photo.
LARGE_INPUT_PIXELS = 2048 * 2048
MANY_STEPS = 100

#: Pipeline steps that need a ground-truth mask; inference drops them.
ANNOTATION_TRANSFORMS = ('LoadAnnotations', 'ExtractIngredients', 'SegMapFromRedChannel')
_FILE_LOADERS = ('LoadImageFromFile', 'LoadCheckedImageFromFile')


@dataclasses.dataclass
class FoodSegResult:
    """What :func:`segment_food` found in one photo.

    Attributes:
        mask: (H, W) int64 class ids at the photo's original size.
        classes: class names indexed by id.
        shares: the ingredients present (background excluded), largest
            first; ``percent_of_food`` sums to 100 over them (when any food
            is found), and ``percent_of_image`` plus ``background_percent``
            sums to 100 (:func:`~dccd.datasets.ingredient_shares`).
        background_percent: percent of the image labelled background.
        branch: 'student' (image only) or 'teacher' (image + ingredients).
        steps: DDIM steps used.
        ingredients: the teacher's ingredient list as class names, in
            class-id order ([] = generic prompt); None for the student.
        ingredient_source: where that list came from: 'none' (student),
            'user' or 'auto:<method>'.
        proposal_scores: for 'auto', each food class's score (share of the
            food or presence probability) by name; else None.
        image_path: the photo's path (None for an array).
        logits: (num_classes, H, W) float32 logits at the photo's size, when
            asked for (``return_logits=True``); else None.
    """
    mask: np.ndarray
    classes: List[str]
    shares: List[IngredientShare]
    background_percent: float
    branch: str
    steps: int
    ingredients: Optional[List[str]]
    ingredient_source: str = 'none'
    proposal_scores: Optional[Dict[str, float]] = None
    image_path: Optional[str] = None
    logits: Optional[np.ndarray] = None

    def to_dict(self, digits: int = 4) -> dict:
        """JSON-ready summary (no mask, no logits); percents rounded to ``digits``."""
        height, width = self.mask.shape
        return dict(
            image=self.image_path, height=int(height), width=int(width),
            branch=self.branch, steps=int(self.steps),
            ingredients_given=self.ingredients, ingredient_source=self.ingredient_source,
            proposal_scores=self.proposal_scores,
            background_percent_of_image=round(self.background_percent, digits),
            shares=[dict(class_id=s.class_id, name=s.name, pixels=s.pixels,
                         percent_of_image=round(s.percent_of_image, digits),
                         percent_of_food=round(s.percent_of_food, digits))
                    for s in self.shares])


# --------------------------------------------------------------------------
# model
# --------------------------------------------------------------------------
def _check_device(device: str) -> torch.device:
    try:
        dev = torch.device(device)
    except (RuntimeError, TypeError) as exc:
        raise InputError(f"device '{device}' is not a torch device (use cpu or cuda)") from exc
    if dev.type == 'cuda' and not torch.cuda.is_available():
        raise InputError(f"device '{device}': CUDA is not available on this machine "
                         '(use --device cpu)')
    return dev


def _dataset_meta(model: torch.nn.Module, cfg: Config, ckpt: Optional[dict]) -> dict:
    """Classes and palette: the checkpoint's, else the model's class names,
    else the test dataset type's METAINFO."""
    meta = (ckpt or {}).get('meta') or {}
    classes = palette = None
    if isinstance(meta.get('dataset_meta'), dict):
        classes = meta['dataset_meta'].get('classes')
        palette = meta['dataset_meta'].get('palette')
    if classes is None:
        classes = getattr(model, 'class_names', None)
    if classes is None:
        dataset_type = cfg.get('test_dataloader', {}).get('dataset', {}).get('type')
        dataset = DATASETS.get(dataset_type) if isinstance(dataset_type, str) else None
        if dataset is not None and 'classes' in getattr(dataset, 'METAINFO', {}):
            classes = dataset.METAINFO['classes']
            palette = dataset.METAINFO.get('palette')
    num_classes = model.decode_head.num_classes
    if classes is None or len(classes) != num_classes:
        classes = [f'class {i}' for i in range(num_classes)]
    if palette is None or len(palette) != len(classes):
        palette = get_palette(len(classes))
    return dict(classes=list(classes), palette=[list(c) for c in palette])


def text_tower_left_out(model: torch.nn.Module, state: dict) -> bool:
    """Whether the checkpoint weights ``state`` leave out ``model``'s CLIP
    text tower by design (frozen, from ``text_encoder.pretrained``): the
    tower then comes from that file (:func:`load_text_tower`)."""
    encoder = getattr(model, 'text_encoder', None)
    if encoder is None or getattr(encoder, 'tower_in_state_dict', True):
        return False
    return not any(re.sub(r'^module\.', '', key).startswith('text_encoder.tower.')
                   for key in state)


def load_text_tower(model: torch.nn.Module, checkpoint: str, check_only: bool = False) -> None:
    """Read the frozen CLIP text tower that ``checkpoint`` left out from
    ``model.text_encoder.pretrained`` (``check_only``: only check that a
    file named there exists, e.g. on a model on the meta device).

    Raises:
        InputError: the file is missing or unreadable (or a tag cannot be
            fetched), in one line that says what to set.
    """
    encoder = model.text_encoder
    try:
        encoder.check_pretrained() if check_only else encoder.load_pretrained()
    except InputError as exc:
        raise InputError(
            f'checkpoint {checkpoint} holds no CLIP text tower (a frozen pretrained tower '
            'is not saved; the teacher reads it from model.text_encoder.pretrained, '
            f'{encoder.pretrained!r}): {exc}; set model.text_encoder.pretrained=FILE, the '
            'CLIP text weights the model was trained with') from None


def init_segmentor(config: Union[str, Path, Config],
                   checkpoint: Optional[str] = None,
                   device: str = 'cpu',
                   cfg_options: Optional[dict] = None,
                   amp: bool = False) -> torch.nn.Module:
    """Build a segmentor from a config and load a trained checkpoint.

    Args:
        config: config file or a loaded :class:`Config` (copied, not changed).
        checkpoint: a checkpoint of the same config (``tools/train.py``'s
            ``iter_*.pth``); None keeps random weights (for smoke tests).
        device: 'cpu', 'cuda' or 'cuda:N'.
        cfg_options: overrides (``--cfg-options`` style), every key must
            exist in the config.
        amp: run :func:`segment_food` under autocast (bfloat16 where
            ``device`` computes it natively, else float16).

    Returns:
        nn.Module: the model in eval mode on ``device``, with ``model.cfg``,
        ``model.dataset_meta`` (classes and palette) and ``model.amp_dtype``
        (None without ``amp``) set, as mmseg's ``init_model``.

    Raises:
        InputError: a missing/bad config or checkpoint, a checkpoint that does
            not fit the config (e.g. another number of classes), or an
            unavailable device; one line naming the file or option.
    """
    if isinstance(config, (str, Path)):
        cfg = load_config(str(config), cfg_options)
    elif isinstance(config, Config):
        cfg = copy.deepcopy(config)
        if cfg_options:
            cfg.merge_from_dict(cfg_options)
    else:
        raise TypeError(f'config must be a file name or a Config, got {type(config).__name__}')
    dev = _check_device(device)
    ckpt = None
    if checkpoint is not None:
        ckpt = read_checkpoint(str(checkpoint))  # before the (slow) build
    # the checkpoint brings the weights (a frozen CLIP tower it leaves out
    # comes from the text encoder's file: kept)
    drop_pretrained(cfg.model, text_encoder=False)
    cfg.model.train_cfg = None
    init_default_scope(cfg.get('default_scope', 'mmseg'))
    model = MODELS.build(cfg.model)
    model.text_tower_from = None
    if ckpt is not None:
        load_checked_weights(model, ckpt, str(checkpoint))
        if text_tower_left_out(model, ckpt.get('state_dict', ckpt)):
            model.text_tower_from = str(checkpoint)  # read when the teacher first runs
    model.cfg = cfg
    model.dataset_meta = _dataset_meta(model, cfg, ckpt)
    model.amp_dtype = amp_dtype(dev) if amp else None
    apply_tf32(tf32_from_cfg(cfg))
    model.to(dev)
    model.eval()
    return model


# --------------------------------------------------------------------------
# ingredients
# --------------------------------------------------------------------------
def match_ingredients(model: torch.nn.Module, names: Sequence[Union[str, int]]) -> List[int]:
    """Class ids of the user's ingredients, for the teacher branch.

    Args:
        model: a DCC/DCCD segmentor (with ``text_encoder`` and ``class_names``).
        names: ingredient names (any case, surrounding spaces ignored) and/or
            class ids, as in an ``--ingredients-file``.

    Returns:
        list[int]: distinct class ids, ascending (the training prompts' order).

    Raises:
        InputError: the model has no text encoder, or an item is not one of
            its food classes (the message lists the closest class names).
    """
    if isinstance(names, str):
        raise TypeError('ingredients must be a list of names, e.g. ["rice", "egg"], '
                        f"'{AUTO}' for a list proposed from the image, not another string")
    if getattr(model, 'text_encoder', None) is None:
        raise InputError('ingredients need a model with a text encoder (a DCC/DCCD '
                         'config); this model is image only (DDP): leave them out')
    return match_ingredient_ids(names, model.class_names)


# --------------------------------------------------------------------------
# inference
# --------------------------------------------------------------------------
def build_inference_pipeline(cfg: Config, from_array: bool = False) -> Compose:
    """The config's test pipeline without annotation transforms.

    Args:
        cfg: the model's config (``test_dataloader.dataset.pipeline``, else
            ``test_pipeline``).
        from_array: load from ``results['img']`` (an array) instead of a file.
    """
    pipeline = None
    test_loader = cfg.get('test_dataloader') or {}
    if isinstance(test_loader.get('dataset'), dict):
        pipeline = test_loader['dataset'].get('pipeline')
    pipeline = pipeline or cfg.get('test_pipeline')
    if not pipeline:
        raise InputError('the config has no test pipeline (test_dataloader.dataset.'
                         'pipeline or test_pipeline)')
    steps = [copy.deepcopy(t) for t in pipeline
             if t.get('type') not in ANNOTATION_TRANSFORMS]
    first = steps[0].get('type') if steps else None
    if first not in _FILE_LOADERS:
        raise InputError('the test pipeline must start with LoadImageFromFile or '
                         f'LoadCheckedImageFromFile, got {first}')
    if from_array:
        steps[0] = dict(type='LoadImageFromNDArray')
    return Compose(steps)


_warnings_held = False


def _warn(message: str) -> None:
    """One warning line, unless :func:`warnings_held`."""
    if not _warnings_held:
        print_log(message, logger='current', level=logging.WARNING)


@contextlib.contextmanager
def warnings_held():
    """Hold back the input and step warnings of :func:`segment_food` (a
    tool that said them once, from :func:`check_input` and
    :func:`check_steps`, before its loop over the photos)."""
    global _warnings_held
    held, _warnings_held = _warnings_held, True
    try:
        yield
    finally:
        _warnings_held = held


def check_steps(steps) -> int:
    """``steps`` as an int; InputError unless a whole number >= 1, and one
    warning line above ``MANY_STEPS``."""
    if isinstance(steps, bool) or not isinstance(steps, (int, np.integer)) or steps < 1:
        raise InputError(f'steps must be a whole number >= 1, got {steps!r}')
    if steps > MANY_STEPS:
        _warn(f'{steps} DDIM steps: each runs the whole decoder (DDP uses 3; more than '
              f'{MANY_STEPS} rarely changes the mask and costs {steps}x the time)')
    return int(steps)


def select_branch(model: torch.nn.Module, ingredients: Optional[Sequence[str]]
                  ) -> Tuple[str, Union[None, str, List[int]]]:
    """The branch :func:`segment_food` runs for ``ingredients``, and their ids.

    Returns:
        tuple: ('student', None) for ``ingredients=None``, ('teacher',
        'auto') for ``'auto'``, else ('teacher', class ids from
        :func:`match_ingredients`).

    Raises:
        InputError: as :func:`match_ingredients`; no ingredients for a DCC
            model, whose image-only branch was never trained; 'auto' for a
            model that cannot propose lists.
    """
    if isinstance(ingredients, str) and ingredients == AUTO:
        try:
            model.check_auto(model.test_cfg.auto['method'])
        except (AttributeError, ValueError) as exc:
            reason = str(exc) if isinstance(exc, ValueError) else 'not a DCCD segmentor'
            raise InputError(f"ingredients 'auto': {reason}") from None
        _check_weights_for(model, 'teacher', model.test_cfg.auto['method'])
        _ensure_text_tower(model)
        return 'teacher', AUTO
    if ingredients is not None:
        ids = match_ingredients(model, ingredients)
        _check_weights_for(model, 'teacher')
        _ensure_text_tower(model)
        return 'teacher', ids
    if getattr(model, 'kind', None) == 'dcc':
        raise InputError(
            'this DCC model was trained as the teacher only (no image-only branch): '
            'give ingredients (e.g. --ingredients "rice, egg"; an empty list uses '
            "the prompt 'a photo of food')")
    _check_weights_for(model, 'student')
    return 'student', None


def _check_weights_for(model: torch.nn.Module, branch: str, method: Optional[str] = None):
    """InputError when the loaded checkpoint lacks weights ``branch`` runs."""
    if isinstance(model, SelfDistillSegmentor) and getattr(model, 'missing_weights', ()):
        check_branch_weights(model, model.missing_weights, model.weights_file, branch, method)


def _ensure_text_tower(model: torch.nn.Module) -> None:
    """Read the CLIP text tower the checkpoint left out, once, before the
    teacher first runs (:func:`load_text_tower`)."""
    checkpoint = getattr(model, 'text_tower_from', None)
    if checkpoint is not None:
        load_text_tower(model, checkpoint)
        model.text_tower_from = None


def _pack(model: torch.nn.Module, image: Union[str, Path, np.ndarray]) -> Dict[str, list]:
    """Run the inference pipeline on one image: a batch for ``test_step``."""
    if isinstance(image, np.ndarray):
        if image.dtype != np.uint8 or not (
                image.ndim == 2 or (image.ndim == 3 and image.shape[2] == 3)):
            raise InputError('image array must be (H, W, 3) BGR or (H, W) uint8, got '
                             f'{image.dtype} {image.shape}')
        if image.ndim == 2:
            image = np.repeat(image[:, :, None], 3, axis=2)
        _check_image_size(image.shape[:2], 'image array')
        data = build_inference_pipeline(model.cfg, from_array=True)(dict(img=image))
    elif isinstance(image, (str, Path)):
        path = str(image)
        if not osp.isfile(path):
            raise InputError(f'image not found: {path}')
        _check_image_size(_image_size(path), path)
        data = build_inference_pipeline(model.cfg)(dict(img_path=path))
    else:
        raise TypeError(f'image must be a path or an ndarray, got {type(image).__name__}')
    _check_input_size(data['inputs'].shape[-2:], image)
    return dict(inputs=[data['inputs']], data_samples=[data['data_samples']])


def header_size(source: Union[str, BinaryIO], name: str) -> Tuple[int, int]:
    """(height, width) from an image's header (Pillow reads no pixels).

    Args:
        source: an image file, or its bytes as a binary stream.
        name: the file, for the messages.

    Raises:
        InputError: more pixels than Pillow's ``Image.MAX_IMAGE_PIXELS``
            (its guard against decompression bombs; no photo needs more),
            said before anything is decoded.
        OSError, SyntaxError, ValueError: Pillow cannot read the header.
    """
    with warnings.catch_warnings():  # above the limit: Pillow warns, above twice it: raises
        warnings.simplefilter('error', Image.DecompressionBombWarning)
        try:
            with Image.open(source) as img:
                width, height = img.size
        except (Image.DecompressionBombWarning, Image.DecompressionBombError):
            raise InputError(f'image too large: {name} has more than '
                             f'{Image.MAX_IMAGE_PIXELS:,} pixels, the limit for one photo '
                             "(Pillow's MAX_IMAGE_PIXELS): shrink it first") from None
    return height, width


def _image_size(path: str) -> Tuple[int, int]:
    """(height, width) from the file's header; InputError naming ``path``."""
    try:
        return header_size(path, path)
    except InputError:
        raise
    except (OSError, SyntaxError, ValueError) as exc:
        raise InputError(f'cannot read image {path}: {one_line_error(exc)}') from None


def _check_image_size(size, name: str, what: str = 'the image') -> None:
    """InputError for a side below the backbone's stride: such a photo
    breaks the network (or a resize only blows up a few pixels)."""
    height, width = (int(v) for v in size)
    if min(height, width) < MIN_INPUT_SIDE:
        raise InputError(f'{name}: too small: {what} is {width}x{height} px, at least '
                         f'{MIN_INPUT_SIDE} px a side is needed (the backbone downsamples 32x)')


def _check_input_size(size, image) -> None:
    """The network input's size: not below the stride; one warning line when
    so large that a CPU takes minutes."""
    name = str(image) if isinstance(image, (str, Path)) else 'image array'
    _check_image_size(size, name, 'the network input')
    height, width = (int(v) for v in size)
    if height * width > LARGE_INPUT_PIXELS:
        _warn(f'{name} enters the network at {width}x{height} px (the config\'s test '
              'pipeline does not shrink it): expect a slow, memory-hungry run; '
              'add a Resize to the test pipeline')


def check_input(model: torch.nn.Module, image: Union[str, Path, np.ndarray]) -> None:
    """Run the inference pipeline on ``image`` without the network: every
    check :func:`segment_food` makes of the image (readable, a photo, not
    below the backbone's stride), so a tool can check all inputs first."""
    _pack(model, image)


def segment_food(model: torch.nn.Module,
                 image: Union[str, Path, np.ndarray],
                 ingredients: Union[None, str, Sequence[Union[str, int]]] = None,
                 steps: Optional[int] = None,
                 return_logits: bool = False) -> FoodSegResult:
    """Segment the food in one photo.

    Args:
        model: from :func:`init_segmentor`.
        image: an image file, or an (H, W, 3) uint8 BGR array (as
            ``cv2.imread`` returns; mmseg's convention).
        ingredients: None for the image-only student; a list of class names
            (or ids) for the teacher ([] = the generic "a photo of food"
            prompt); 'auto' for the teacher with a list proposed from the
            photo (see the module docstring).
        steps: DDIM steps; None = the config's ``test_cfg.steps``.
        return_logits: also return the (num_classes, H, W) logits.

    Returns:
        FoodSegResult: the mask at the photo's size, the ingredient shares,
        and what was run.

    Raises:
        InputError: an unreadable image, an unknown ingredient, ingredients
            for an image-only model, no ingredients for a DCC model, or bad
            ``steps``.
    """
    test_cfg = model.test_cfg or {}
    steps = check_steps(steps if steps is not None else test_cfg.get('steps', 3))
    branch, ids = select_branch(model, ingredients)
    data = model.data_preprocessor(_pack(model, image), False)
    source = 'none' if ids is None else 'user'
    dtype = getattr(model, 'amp_dtype', None)
    cast = (torch.autocast(data['inputs'].device.type, dtype=dtype) if dtype is not None
            else contextlib.nullcontext())
    with torch.no_grad(), cast:
        if ids == AUTO:
            sample: SegDataSample = model.predict_auto(data['inputs'], data['data_samples'],
                                                       steps=steps)[0]
            ids, source = sample.proposed_ingredients, sample.ingredient_source
        elif hasattr(model, 'predict_branch'):  # DCCD's, or an exported student
            sample = model.predict_branch(data['inputs'], data['data_samples'], branch,
                                          None if ids is None else [ids], steps)[0]
        else:  # a plain mmseg segmentor: its own test_cfg
            sample = model.predict(data['inputs'], data['data_samples'])[0]
    mask = sample.pred_sem_seg.data[0].cpu().numpy().astype(np.int64)
    classes = list(model.dataset_meta['classes'])
    shares, background_percent = ingredient_shares(mask, classes, background_index(classes))
    scores = sample.metainfo.get('proposal_scores')
    return FoodSegResult(
        mask=mask, classes=classes, shares=shares, background_percent=background_percent,
        branch=branch, steps=steps,
        ingredients=None if ids is None else ingredient_names(ids, model.class_names),
        ingredient_source=source,
        proposal_scores=None if scores is None else {
            model.class_names[int(c)]: v for c, v in scores.items()},
        image_path=str(image) if isinstance(image, (str, Path)) else None,
        logits=sample.seg_logits.data.float().cpu().numpy() if return_logits else None)
