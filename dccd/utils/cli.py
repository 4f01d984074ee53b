"""What every DCCD command-line tool shares: config loading and error exits.

Tools stay thin (``Config.fromfile``, ``--cfg-options``, ``Runner.from_cfg``,
as mmsegmentation's); this module adds the checks that turn a user's mistake
into one clear line instead of a traceback.
"""
import functools
import os.path as osp
import sys
from typing import Callable, Optional

from mmengine.config import Config

from .errors import InputError, did_you_mean, one_line_error

__all__ = ['load_config', 'default_work_dir', 'exit_on_input_error', 'drop_pretrained']


def _check_key(cfg: Config, key: str, cfg_path: str) -> None:
    """Raise InputError unless the dotted ``key`` already exists in ``cfg``."""
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


def load_config(path: str, cfg_options: Optional[dict] = None) -> Config:
    """Load a config file and merge ``--cfg-options`` into it.

    Every ``--cfg-options`` key must already exist in the config, so a typo
    fails here instead of being silently added as a new, unused setting.
    """
    if not osp.isfile(path):
        raise InputError(f'config file not found: {path}')
    try:
        cfg = Config.fromfile(path)
    except Exception as exc:  # a syntax error, a missing _base_ file, ...
        raise InputError(f'cannot load config {path}: {one_line_error(exc)}') from exc
    for key in cfg_options or {}:
        _check_key(cfg, key, path)
    if cfg_options:
        cfg.merge_from_dict(cfg_options)
    return cfg


def drop_pretrained(model_cfg) -> None:
    """Random init, no downloads: clear the pretrained weights of a model config
    (backbone / neck / heads ``init_cfg``, the text encoder's ``pretrained``)."""
    model_cfg.pretrained = None
    for part in ('backbone', 'neck', 'decode_head', 'auxiliary_head'):
        if isinstance(model_cfg.get(part), dict) and 'init_cfg' in model_cfg[part]:
            model_cfg[part].init_cfg = None
    if isinstance(model_cfg.get('text_encoder'), dict):
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
