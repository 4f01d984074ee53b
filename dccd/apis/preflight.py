"""What the tools check before mmengine's Runner is built.

Building a Runner creates the work dir, a timestamped log folder and a copy
of the config, and prints the environment and the config (hundreds of
lines). A missing dataset, a missing pretrained file, a checkpoint of another
config or an output path that cannot be created, found only after that,
arrives as an error line below the dump and leaves those folders behind.
These checks find them first, each with the message the part itself gives:

- the datasets the run reads are built (their own file checks; the toy data
  is generated as the run would generate it);
- the model is built on the ``meta`` device (no memory, no weights: its
  constructors check their settings); to train, every pretrained file it
  starts from must exist (or be a name to fetch);
- a checkpoint to test must fit that model and hold the weights of the
  branch that will run;
- output folders must be creatable.

Written for DCCD (Apache-2.0).
"""
import os.path as osp
import warnings
from typing import Iterable, Optional

import torch
from mmengine.config import Config
from mmengine.registry import init_default_scope
from torch import nn

from mmseg.registry import DATASETS, MODELS

from ..utils import InputError
from ..utils.weights import locate_weights, pretrained_checkpoint

__all__ = ['check_output_dir', 'check_datasets', 'build_on_meta', 'check_pretrained_files',
           'check_run_inputs']


def check_output_dir(path: Optional[str], option: str) -> None:
    """InputError when the folder ``path`` (given as ``option``) cannot be
    created: it, or a folder above it, is a file."""
    if not path:
        return
    existing = osp.abspath(path)
    while not osp.exists(existing):
        existing = osp.dirname(existing)
    if osp.isdir(existing):
        return
    if existing == osp.abspath(path):
        raise InputError(f'{option} {path} exists and is not a folder')
    raise InputError(f'cannot create {option} {path}: {existing} is a file, not a folder')


def check_datasets(cfg: Config, loaders: Iterable[str]) -> None:
    """Build the dataset of each of ``cfg``'s ``loaders`` that is set
    (``'train_dataloader'``, ...): a missing root, folder or file is the
    dataset's own InputError."""
    init_default_scope(cfg.get('default_scope', 'mmseg'))
    for name in loaders:
        loader = cfg.get(name)
        if isinstance(loader, dict) and loader.get('dataset') is not None:
            DATASETS.build(loader['dataset'])


def build_on_meta(model_cfg: dict) -> nn.Module:
    """The model of ``model_cfg`` on the meta device: its structure, state
    dict keys and shapes, no weights (mmseg's construction warnings, which
    the real build repeats, are held back)."""
    with warnings.catch_warnings():
        warnings.simplefilter('ignore')
        with torch.device('meta'):
            return MODELS.build(model_cfg)


def check_pretrained_files(model: nn.Module) -> None:
    """InputError when the pretrained weights a part of ``model`` starts
    from name a file that does not exist: an ``init_cfg`` of type
    ``Pretrained`` (with the part's ``missing_hint``), or what a part's own
    ``check_pretrained()`` finds (the CLIP encoder's ``pretrained``)."""
    for module in model.modules():
        checkpoint = pretrained_checkpoint(getattr(module, 'init_cfg', None))
        if checkpoint is not None:
            locate_weights(checkpoint, 'pretrained weights', getattr(module, 'missing_hint', ''))
        if callable(getattr(module, 'check_pretrained', None)):
            module.check_pretrained()


def check_run_inputs(cfg: Config, loaders: Iterable[str], outputs: Iterable[tuple] = (),
                     pretrained: bool = True) -> nn.Module:
    """All of the above for a run of ``cfg``: the output folders
    (``(path, option)`` pairs), the datasets of ``loaders``, the model and,
    with ``pretrained`` (training: testing loads a checkpoint instead), its
    pretrained files.

    Returns:
        nn.Module: the model on the meta device, for checks of a checkpoint.
    """
    for path, option in outputs:
        check_output_dir(path, option)
    check_datasets(cfg, loaders)
    model = build_on_meta(cfg.model)
    if pretrained:
        check_pretrained_files(model)
    return model
