"""Checks on a checkpoint file before a tool uses it.

mmengine loads checkpoints non-strictly and only warns about keys whose shape
differs, so a checkpoint trained for another dataset would silently evaluate a
half-loaded model. Tools call these checks first and stop with one line.
"""
import os.path as osp
import pickle
import re

import torch
import torch.nn as nn

from .errors import InputError

__all__ = ['read_checkpoint', 'check_state_dict', 'load_checked_weights']


def read_checkpoint(path: str) -> dict:
    """Load ``path`` with torch's safe loading and return the checkpoint dict.

    Raises:
        InputError: the file is missing, is not a torch checkpoint, holds
            pickled objects outside the safe-loading allow-list, or has no
            weights.
    """
    if not osp.isfile(path):
        raise InputError(f'checkpoint not found: {path}')
    try:
        ckpt = torch.load(path, map_location='cpu', weights_only=True)
    except pickle.UnpicklingError as exc:
        first = str(exc).strip().splitlines()[0] if str(exc).strip() else ''
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


def load_checked_weights(model: nn.Module, ckpt: dict, path: str) -> None:
    """Load the weights of an already read checkpoint into ``model`` after
    :func:`check_state_dict` (a ``module.`` prefix from DDP is dropped), so
    the file is read once."""
    from mmengine.runner import load_state_dict
    state = ckpt.get('state_dict', ckpt)
    state = {re.sub(r'^module\.', '', k): v for k, v in state.items()}
    check_state_dict(model, dict(state_dict=state), path)
    load_state_dict(model, state, strict=False)
