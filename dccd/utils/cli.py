"""What every DCCD command-line tool shares: config loading and error exits.

Tools stay thin (``Config.fromfile``, ``--cfg-options``, ``Runner.from_cfg``,
as mmsegmentation's); this module adds the checks that turn a user's mistake
into one clear line instead of a traceback.
"""
import argparse
import functools
import os
import os.path as osp
import sys
from typing import Callable, Optional

from mmengine.config import Config

from .errors import InputError, closest, did_you_mean, one_line_error

__all__ = ['ArgumentParser', 'load_config', 'default_work_dir', 'exit_on_input_error',
           'drop_pretrained']


class ArgumentParser(argparse.ArgumentParser):
    """argparse's parser with usage mistakes in one line, like every other
    DCCD error: ``error: <tool>: <what argparse says> (see --help)``, exit 2
    (argparse prints its usage block first)."""

    def error(self, message: str):
        self.exit(2, f'error: {self.prog}: {message} (see --help)\n')


def _check_key(cfg: Config, key: str, cfg_path: str):
    """The value at the dotted ``key`` of ``cfg``; InputError unless it exists."""
    node, walked = cfg, []
    for part in key.split('.'):
        if isinstance(node, (list, tuple)) and part.isdigit() and int(part) < len(node):
            node = node[int(part)]
        elif isinstance(node, (dict, Config)) and part in node:
            node = node[part]
        else:
            options = node.keys() if isinstance(node, (dict, Config)) else []
            where = '.'.join(walked) or 'the top level'
            raise InputError(
                f"--cfg-options: '{key}' is not a key of {cfg_path}: "
                f"no '{part}' under {where}{did_you_mean(part, options)}")
        walked.append(part)
    return node


#: What a ``--cfg-options`` value must be where the config holds a flag or
#: a number (anything else may change kind: None -> a dict, a path -> None).
_KIND_WORDS = dict(bool='true or false', int='a whole number', float='a number')


def _kind(value) -> Optional[str]:
    for kind in (bool, int, float):  # bool first: True is an int too
        if isinstance(value, kind):
            return kind.__name__
    return None


def _check_type(key: str, old, new) -> None:
    """InputError when ``new`` (from --cfg-options) is not the kind of ``old``."""
    old_kind, new_kind = _kind(old), _kind(new)
    if old_kind is None or new_kind == old_kind or (old_kind, new_kind) == ('float', 'int'):
        return
    raise InputError(f'--cfg-options {key}={new!r}: must be {_KIND_WORDS[old_kind]}, like '
                     f"the config's {old!r}")


def _check_model(cfg: Config, where: str) -> None:
    """The model class's own checks of its settings (``check_config``), as
    one line, before anything is built or written."""
    from mmseg.registry import MODELS
    model = cfg.get('model')
    if not isinstance(model, dict) or not isinstance(model.get('type'), str):
        return
    model_cls = MODELS.get(model['type'])
    check = getattr(model_cls, 'check_config', None)
    if check is not None:
        try:
            check(model)
        except ValueError as exc:
            key = where.split()[-1]  # the option, when the message names it already
            raise InputError(f"{'--cfg-options' if str(exc).startswith(key) else where}: "
                             f'{exc}') from None


def load_config(path: str, cfg_options: Optional[dict] = None) -> Config:
    """Load a config file and merge ``--cfg-options`` into it.

    Every ``--cfg-options`` key must already exist in the config, so a typo
    fails here instead of being silently added as a new, unused setting.
    """
    if not osp.isfile(path):
        raise InputError(f'config file not found: {path}{_nearest_config(path)}')
    try:
        cfg = Config.fromfile(path)
    except Exception as exc:  # a syntax error, a missing _base_ file, ...
        raise InputError(f'cannot load config {path}: {one_line_error(exc)}') from exc
    for key, value in (cfg_options or {}).items():
        _check_type(key, _check_key(cfg, key, path), value)
    if cfg_options:
        cfg.merge_from_dict(cfg_options)
    model_options = [k for k in cfg_options or {} if k.startswith('model.')]
    _check_model(cfg, f'--cfg-options {model_options[0]}' if model_options else path)
    return cfg


def _nearest_config(path: str) -> str:
    """' (did you mean X?)' for the config file nearest to a mistyped path:
    among the .py files of its folder, else of ``configs/``."""
    folder = osp.dirname(path) or '.'
    if not osp.isdir(folder):
        folder = 'configs'
    candidates = []
    for root, _, files in os.walk(folder):
        candidates += [osp.join(root, f) for f in files if f.endswith('.py')]
    match = closest(osp.normpath(path), candidates, cutoff=0.75)
    return f' (did you mean {match[0]}?)' if match else ''


def drop_pretrained(model_cfg, text_encoder: bool = True) -> None:
    """Random init, no downloads: clear the pretrained weights of a model config
    (backbone / neck / heads ``init_cfg``, and with ``text_encoder`` the text
    encoder's ``pretrained``; a checkpoint without the frozen CLIP tower needs
    that one kept, to read the tower from)."""
    model_cfg.pretrained = None
    for part in ('backbone', 'neck', 'decode_head', 'auxiliary_head'):
        if isinstance(model_cfg.get(part), dict) and 'init_cfg' in model_cfg[part]:
            model_cfg[part].init_cfg = None
    if text_encoder and isinstance(model_cfg.get('text_encoder'), dict):
        model_cfg.text_encoder.pretrained = None


def default_work_dir(config_path: str) -> str:
    """``work_dirs/<config name>``, as mmsegmentation's tools."""
    return osp.join('work_dirs', osp.splitext(osp.basename(config_path))[0])


def exit_on_input_error(main: Callable) -> Callable:
    """Run ``main``; on :class:`InputError` print one line and exit with 2."""

    @functools.wraps(main)
    def wrapper(*args, **kwargs):
        try:
            return main(*args, **kwargs)
        except InputError as exc:
            # also when re-raised from a DataLoader worker: one_line_error
            # recovers the original message from the worker's traceback
            print(f'error: {one_line_error(exc)}', file=sys.stderr)
            sys.exit(2)

    return wrapper
