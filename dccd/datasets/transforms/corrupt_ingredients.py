"""Wrong ingredient lists on purpose: how much does an imperfect recipe cost?

Written for DCCD (Apache-2.0). The teacher of Hou et al. 2024
("Ingredient-guided multimodal self-distillation for food image
segmentation") is evaluated with the GT-derived ingredient list, an oracle; a
real recipe or menu misses ingredients and lists absent ones.
:class:`CorruptIngredients` simulates that, reproducibly: of an image's ``n``
true ingredients it drops ``k`` and adds ``k`` wrong ones, where ``k`` is
``rate * n`` rounded stochastically (``floor(rate * n)``, plus one with
probability ``frac(rate * n)``), so that on average exactly ``rate`` of the
true ingredients are dropped and as many wrong ones (``rate * n``) added. When
``rate * n`` is a whole number, ``k`` is exactly that: ``[1, 3, 5, 7]`` at
rate 0.5 always loses two and gains two. Added ids are drawn uniformly from
the classes that are neither in the true list nor the background (nor
``ignore_index``); fewer are added when fewer exist.

The draw depends only on ``seed`` and the image's file name (CRC32 of the
base name of ``img_path``), not on the order, the batch or the worker, so a
rate and a seed always give the same lists. Place it right after
``ExtractIngredients`` (``tools/analysis_tools/ingredient_robustness.py``
does).
"""
import math
from typing import List, Optional, Tuple

import numpy as np
from mmcv.transforms import BaseTransform
from mmseg.registry import TRANSFORMS

from ...utils import InputError
from ...utils.image_key import image_crc

__all__ = ['CorruptIngredients', 'corrupt_ids']


def corrupt_ids(ids: List[int], rate: float, candidates: List[int],
                rng: np.random.Generator) -> Tuple[List[int], List[int], List[int]]:
    """Drop ``k`` of ``ids`` and add ``k`` of ``candidates`` (see module doc).

    Args:
        ids: the true ingredient ids.
        rate: fraction in [0, 1].
        candidates: ids that may be added (not in ``ids``).
        rng: the image's generator.

    Returns:
        tuple: (new ascending ids, dropped ids, added ids), each sorted.
    """
    expected = round(rate * len(ids), 9)  # 0.1 * 10 is 1.0000000000000002
    k = math.floor(expected)
    if rng.random() < expected - k:
        k += 1
    dropped = sorted(int(i) for i in rng.choice(ids, size=k, replace=False)) if k else []
    n_add = min(k, len(candidates))
    added = sorted(int(i) for i in rng.choice(candidates, size=n_add,
                                               replace=False)) if n_add else []
    kept = [i for i in ids if i not in dropped]
    return sorted(kept + added), dropped, added


@TRANSFORMS.register_module()
class CorruptIngredients(BaseTransform):
    """Drop a fraction of the true ingredients and add as many wrong ones.

    Required Keys:

    - ingredients (list[int]): the true ids (from ``ExtractIngredients``)
    - img_path (for the per-image seed)

    Modified Keys:

    - ingredients: the corrupted list, ascending.

    Added Keys:

    - ingredients_dropped (list[int]): the true ids removed.
    - ingredients_added (list[int]): the wrong ids added.

    Args:
        rate: fraction of true ingredients dropped, and (relative to the
            true count) of wrong ones added; in [0, 1].
        num_classes: number of classes, background included.
        seed: with the image's file name, seeds the draw.
        background_index: the background id, never added; None if every
            class is a food. Defaults to 0.
        ignore_index: never added. Defaults to 255.
    """

    def __init__(self, rate: float, num_classes: int, seed: int = 0,
                 background_index: Optional[int] = 0,
                 ignore_index: int = 255) -> None:
        if not 0.0 <= float(rate) <= 1.0:
            raise InputError(f'CorruptIngredients: rate must be in [0, 1], got {rate}')
        if num_classes < 1:
            raise InputError(f'CorruptIngredients: num_classes must be >= 1, '
                             f'got {num_classes}')
        if int(seed) < 0:
            raise InputError(f'CorruptIngredients: seed must be >= 0, got {seed}')
        self.rate = float(rate)
        self.num_classes = num_classes
        self.seed = int(seed)
        self.background_index = background_index
        self.ignore_index = ignore_index

    def rng_for(self, img_path: str) -> np.random.Generator:
        """The generator of one image: ``seed`` and CRC32 of its base name."""
        return np.random.default_rng([self.seed, image_crc(img_path)])

    def transform(self, results: dict) -> dict:
        """Corrupt ``results['ingredients']``.

        Args:
            results: the pipeline's result dict.

        Returns:
            dict: ``results`` with the corrupted list and what changed.
        """
        if 'ingredients' not in results:
            raise InputError('CorruptIngredients needs ingredients: place it '
                             'after ExtractIngredients')
        ids = sorted(int(i) for i in results['ingredients'])
        excluded = set(ids) | {self.background_index, self.ignore_index}
        candidates = [c for c in range(self.num_classes) if c not in excluded]
        new, dropped, added = corrupt_ids(
            ids, self.rate, candidates, self.rng_for(results.get('img_path', '')))
        results['ingredients'] = new
        results['ingredients_dropped'] = dropped
        results['ingredients_added'] = added
        return results

    def __repr__(self) -> str:
        return (f'{self.__class__.__name__}(rate={self.rate}, '
                f'num_classes={self.num_classes}, seed={self.seed}, '
                f'background_index={self.background_index}, '
                f'ignore_index={self.ignore_index})')
