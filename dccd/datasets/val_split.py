"""A held-out validation split of a training folder, as id lists.

Written for DCCD (Apache-2.0). FoodSeg103 and UEC-FoodPIX have no validation
split, so choosing anything (a checkpoint, a threshold) on their test split
would tune on the test set. :func:`split_ids` draws a seeded fraction of the
training ids as validation; the two lists are written as text files (one image
stem per line, sorted), which mmseg datasets read as ``ann_file``: the train
list keeps the held-out images out of training, the val list names them.
``tools/dataset_converters/val_split.py`` writes them for a dataset folder.
"""
from typing import List, Sequence, Tuple

import numpy as np

from ..utils import InputError
from ..utils.atomic_io import write_bytes_atomic

__all__ = ['split_ids', 'write_id_list']


def split_ids(ids: Sequence[str], fraction: float = 0.1,
              seed: int = 0) -> Tuple[List[str], List[str]]:
    """Split ``ids`` into (train, val), each sorted.

    ``round(fraction * len(ids))`` ids (at least one) go to val, drawn with
    ``numpy.random.default_rng(seed)`` from the sorted ids, so the split
    depends only on the set of ids, the fraction and the seed.

    Raises:
        InputError: fraction outside (0, 1), or fewer than two ids.
    """
    if not 0.0 < float(fraction) < 1.0:
        raise InputError(f'validation fraction must be in (0, 1), got {fraction}')
    ids = sorted(set(str(i) for i in ids))
    if len(ids) < 2:
        raise InputError(f'cannot split {len(ids)} image(s) into train and val')
    count = min(max(1, round(fraction * len(ids))), len(ids) - 1)
    chosen = set(np.random.default_rng(seed).choice(len(ids), size=count, replace=False))
    val = [i for k, i in enumerate(ids) if k in chosen]
    train = [i for k, i in enumerate(ids) if k not in chosen]
    return train, val


def write_id_list(path: str, ids: Sequence[str]) -> None:
    """Write one id per line (an ``ann_file``), atomically."""
    write_bytes_atomic(path, ''.join(f'{i}\n' for i in ids).encode())
