"""Make a training checkpoint ready for release: weights only, hash in the name.

    python tools/misc/publish_model.py IN_FILE OUT_FILE

Keeps ``meta`` (config text, dataset meta, iteration) and ``state_dict``;
drops the optimizer, the schedulers and the message hub, which are only needed
to resume training and make the file several times larger. Numpy values left
in ``meta`` become plain Python ones, so the result loads with
``torch.load(..., weights_only=True)`` on a stock PyTorch. The file is
written as ``<OUT_FILE without .pth>-<first 8 hex of its sha256>.pth``, the
OpenMMLab model-zoo convention, so a download can be checked against its
name. The input is read with safe loading (``dccd.utils.weights``).

Written for DCCD (Apache-2.0), after the interface of mmsegmentation's
``tools/misc/publish_model.py``.
"""
import argparse
import hashlib
import io
from typing import Any

import numpy as np
import torch
from mmengine.logging import print_log

import dccd  # noqa: F401  (applies dccd.compat: mmengine checkpoints load safely)
from dccd.utils import ArgumentParser, InputError, exit_on_input_error
from dccd.utils.atomic_io import write_bytes_atomic
from dccd.utils.weights import read_checkpoint

KEPT = ('meta', 'state_dict')
HASH_CHARS = 8


def parse_args(argv=None) -> argparse.Namespace:
    parser = ArgumentParser(
        description='Strip a checkpoint to meta + weights and add its hash to the name')
    parser.add_argument('in_file', help='checkpoint from training (e.g. iter_80000.pth)')
    parser.add_argument('out_file', help='output name; -<sha256[:8]>.pth is appended')
    return parser.parse_args(argv)


def plain(value: Any, where: str = 'meta') -> Any:
    """``value`` with numpy scalars/arrays turned into Python ones.

    Raises:
        InputError: an object safe loading would refuse (named by its path).
    """
    if isinstance(value, dict):
        return {k: plain(v, f'{where}.{k}') for k, v in value.items()}
    if isinstance(value, (list, tuple)):
        return type(value)(plain(v, f'{where}[{i}]') for i, v in enumerate(value))
    if isinstance(value, (np.generic, np.ndarray)):
        return value.tolist()
    if value is None or isinstance(value, (str, bytes, bool, int, float, torch.Tensor)):
        return value
    raise InputError(f'{where} holds a {type(value).__name__}, which a weights-only '
                     'checkpoint cannot carry')


def published_name(out_file: str, digest: str) -> str:
    """``work/model.pth`` + digest -> ``work/model-<digest[:8]>.pth``."""
    stem = out_file[:-len('.pth')] if out_file.endswith('.pth') else out_file
    return f'{stem}-{digest[:HASH_CHARS]}.pth'


def publish(in_file: str, out_file: str) -> str:
    """Write the stripped checkpoint; return its final path."""
    ckpt = read_checkpoint(in_file)
    if 'state_dict' not in ckpt:  # a bare state dict
        ckpt = dict(state_dict=ckpt)
    slim = dict(meta=plain(ckpt.get('meta') or {}),
                state_dict={k: v.detach().cpu() for k, v in ckpt['state_dict'].items()})
    buffer = io.BytesIO()
    torch.save(slim, buffer)
    data = buffer.getvalue()
    final = published_name(out_file, hashlib.sha256(data).hexdigest())
    write_bytes_atomic(final, data)  # creates the folder
    dropped = sorted(set(ckpt) - set(KEPT))
    print_log(f'wrote {final} ({len(data) / 2**20:.1f} MiB; dropped: '
              f'{", ".join(dropped) or "nothing"})', logger='current')
    return final


@exit_on_input_error
def main(argv=None) -> None:
    args = parse_args(argv)
    publish(args.in_file, args.out_file)


if __name__ == '__main__':
    main()
