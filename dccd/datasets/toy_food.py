"""Toy food plates: DCCD's embedded default dataset, generated, no downloads.

Written for DCCD (Apache-2.0). A deterministic generator of 128x128 "plates
on a table" in the FoodSeg103 layout, designed so that the method's claim
(ingredient lists help where pixels are ambiguous) can be tested in minutes
on a CPU::

    <root>/Images/img_dir/{train,test}/<id>.png   RGB, lossless PNG
    <root>/Images/ann_dir/{train,test}/<id>.png   one channel, pixel = class id
    <root>/toy_food.json                           the generator's arguments

Ids are global (train 00000..00599, test 00600..00749 by default). Images are
PNG so that the pixel statistics below hold exactly (JPEG would mix them).

Classes (12, ``reduce_zero_label=False``, 255 unused)::

    0 background (table + plate)   6 chicken   (look-alike of 5)
    1 peach                        7 tomato
    2 mango     (look-alike of 1)  8 broccoli
    3 cucumber                     9 rice
    4 zucchini  (look-alike of 3)  10 blueberry
    5 tofu                         11 steak

Look-alike pairs: (peach, mango), (cucumber, zucchini), (tofu, chicken). The
two members of a pair are rendered by the *same* appearance model (base
colour, texture, per-region brightness jitter, per-pixel noise): their colour
distributions are identical, so no image-only model can tell them apart from
their pixels. The eight looks (stone fruit, green stripes, pale meat, tomato,
broccoli, rice, blueberry, steak) differ clearly in colour (mean RGB at least
~40 apart, against a per-pixel noise std of 6) and texture, and so do the
table and the plate.

Each image ("recipe"), drawn independently:

1. one look-alike pair, uniformly; one member of it, uniformly. No image
   ever contains both members of a pair, nor two pairs;
2. one *cue* food (:data:`TOY_FOOD_CUES`): with probability 0.65
   (:data:`RECIPE_PROBABILITY`) the cue of the chosen member, else the cue of
   the other member. The cue of peach is blueberry (fruit bowl), of mango
   rice (mango sticky rice), of cucumber tomato (salad), of zucchini steak
   (grill), of tofu broccoli (stir-fry), of chicken rice (chicken rice);
3. 0, 1 or 2 (uniformly) extra foods, drawn without replacement from the
   three foods that are neither cue of the pair.

So an image holds 2-4 food regions: P(member | its cue on the plate) = 0.65
exactly, and the extras carry no information. An image-only model can at
best label look-alike pixels with the cue prior (65 % right); a model told
the ingredient list can be 100 % right. Everything else is easy.

Rendering: a textured table, a plate (disc, radius 0.40-0.47 of the image,
pale blue, with a rim) and one irregular blob per food (ellipse with
perturbed radius, semi-axes 0.10-0.19 of the image, i.e. 13-24 px at 128),
drawn in random order so some overlap; every region keeps at least half of
its area and (0.09 * size)^2 pixels visible (about 12x12 px at 128, 3x3 at
1/4 resolution). Then a global illumination gradient and Gaussian noise.

Determinism: image ``i`` of a split is drawn from
``np.random.default_rng([seed, split, i])``: same arguments, same bytes (for a
given OpenCV build); another seed gives another dataset. The default 600 + 150
images take about 3 s on one core. :func:`generate_toy_food` writes into a
hidden temp folder next to the target and renames it into place, so a crash
or concurrent processes never leave a half-written dataset;
:class:`ToyFoodDataset` calls it on first use, in its ``generated_root``.
"""
import json
import os
import os.path as osp
import shutil
import tempfile
import time
from typing import Dict, List, Optional, Tuple

import cv2
import numpy as np
from mmengine.logging import print_log

from mmseg.registry import DATASETS

from ..utils import InputError
from ..utils.class_names import TOY_FOOD_CLASSES, get_palette
from .checked_seg_dataset import CheckedSegDataset
from .val_split import split_ids, write_id_list

__all__ = [
    'TOY_FOOD_CLASSES', 'TOY_FOOD_PAIRS', 'TOY_FOOD_CUES', 'RECIPE_PROBABILITY',
    'plan_toy_image', 'render_toy_image', 'generate_toy_food', 'ToyFoodDataset'
]

#: Look-alike pairs of class ids (identical appearance).
TOY_FOOD_PAIRS = ((1, 2), (3, 4), (5, 6))
#: The cue food (co-occurring ingredient) of each look-alike class.
TOY_FOOD_CUES = {1: 10, 2: 9, 3: 7, 4: 11, 5: 8, 6: 9}
#: P(the cue of the pictured member | member).
RECIPE_PROBABILITY = 0.65
#: Per-pixel Gaussian noise std, in 8-bit levels.
NOISE_STD = 6.0

MARKER = 'toy_food.json'
_SPLITS = ('train', 'test')
_DISTINCT = (7, 8, 9, 10, 11)
# appearance: RGB base colour, texture kind, texture amplitude (levels)
_LOOKS = {
    'stone fruit': ((235, 150, 60), 'smooth', 22.0),
    'green stripes': ((95, 150, 60), 'stripes', 30.0),
    'pale meat': ((225, 205, 165), 'grain', 14.0),
    'tomato': ((200, 35, 30), 'smooth', 28.0),
    'broccoli': ((45, 105, 40), 'spots', 40.0),
    'rice': ((240, 238, 225), 'speckle', 22.0),
    'blueberry': ((55, 60, 125), 'spots', 30.0),
    'steak': ((115, 55, 35), 'stripes', 35.0),
}
_LOOK_OF = {1: 'stone fruit', 2: 'stone fruit', 3: 'green stripes',
            4: 'green stripes', 5: 'pale meat', 6: 'pale meat', 7: 'tomato',
            8: 'broccoli', 9: 'rice', 10: 'blueberry', 11: 'steak'}
_TABLE = ((95, 90, 80), 10.0)
_PLATE = ((205, 215, 230), 6.0)


def plan_toy_image(rng: np.random.Generator) -> List[int]:
    """Draw one image's food class ids: look-alike member, cue, then extras.

    Args:
        rng: the image's random generator.

    Returns:
        list[int]: 2-4 distinct class ids, in that order.
    """
    pair = TOY_FOOD_PAIRS[rng.integers(len(TOY_FOOD_PAIRS))]
    member = pair[rng.integers(2)]
    other = pair[0] if member == pair[1] else pair[1]
    cue = TOY_FOOD_CUES[member if rng.random() < RECIPE_PROBABILITY else other]
    spare = [c for c in _DISTINCT if c not in (TOY_FOOD_CUES[pair[0]],
                                                TOY_FOOD_CUES[pair[1]])]
    extras = rng.permutation(spare)[:rng.integers(3)].tolist()
    return [int(member), int(cue)] + [int(c) for c in extras]


def _smooth_field(rng: np.random.Generator, size: int, cells: int) -> np.ndarray:
    """Zero-mean, unit-std low-frequency noise, (size, size) float32."""
    grid = rng.standard_normal((cells, cells)).astype(np.float32)
    field = cv2.resize(grid, (size, size), interpolation=cv2.INTER_CUBIC)
    return (field - field.mean()) / (field.std() + 1e-6)


def _texture(rng: np.random.Generator, kind: str, size: int) -> np.ndarray:
    """A zero-mean texture of roughly unit amplitude, (size, size) float32."""
    if kind == 'smooth':
        return _smooth_field(rng, size, 6)
    if kind == 'grain':
        return _smooth_field(rng, size, max(4, size // 6))
    if kind == 'speckle':
        grains = rng.standard_normal((size // 2, size // 2)).astype(np.float32)
        return cv2.resize(grains, (size, size), interpolation=cv2.INTER_NEAREST)
    yy, xx = np.mgrid[0:size, 0:size].astype(np.float32)
    if kind == 'stripes':
        theta = rng.uniform(0, np.pi)
        period = size * rng.uniform(0.08, 0.12)
        phase = (xx * np.cos(theta) + yy * np.sin(theta)) / period
        return -np.clip(3 * np.sin(2 * np.pi * phase + rng.uniform(0, 6.3)), -1, 1)
    if kind == 'spots':
        canvas = np.zeros((size, size), np.float32)
        radius = max(1, round(size * 0.025))
        for _ in range(int(size * size * 0.006)):
            x, y = rng.integers(0, size, 2)
            cv2.circle(canvas, (int(x), int(y)), radius, -1.0, -1, cv2.LINE_AA)
        return canvas + 0.5
    raise ValueError(kind)


def _blob(rng: np.random.Generator, size: int, centre: Tuple[float, float]
          ) -> np.ndarray:
    """Boolean (size, size) mask of an irregular ellipse around ``centre``."""
    axes = rng.uniform(0.10, 0.19, 2) * size
    rot = rng.uniform(0, np.pi)
    angles = np.linspace(0, 2 * np.pi, 48, endpoint=False)
    wobble = 1 + sum(rng.uniform(-0.08, 0.08) * np.cos(k * angles + rng.uniform(0, 6.3))
                     for k in (2, 3, 5))
    x = axes[0] * np.cos(angles) * wobble
    y = axes[1] * np.sin(angles) * wobble
    pts = np.stack([centre[0] + x * np.cos(rot) - y * np.sin(rot),
                    centre[1] + x * np.sin(rot) + y * np.cos(rot)], axis=1)
    canvas = np.zeros((size, size), np.uint8)
    cv2.fillPoly(canvas, [np.round(pts * 16).astype(np.int32)], 1, cv2.LINE_8, 4)
    return canvas.astype(bool)


def _layout(rng: np.random.Generator, labels: List[int], size: int):
    """Plate and region masks; every region stays visible enough."""
    plate_c = size / 2 + rng.normal(0, 0.03 * size, 2)
    plate_r = rng.uniform(0.40, 0.47) * size
    min_area = (0.09 * size) ** 2
    for _ in range(200):
        mask = np.zeros((size, size), np.uint8)
        blobs = []
        for label in labels:
            r = plate_r * 0.55 * np.sqrt(rng.random())
            a = rng.uniform(0, 2 * np.pi)
            blob = _blob(rng, size, (plate_c[0] + r * np.cos(a),
                                     plate_c[1] + r * np.sin(a)))
            blobs.append(blob)
        order = rng.permutation(len(labels))
        for i in order:
            mask[blobs[i]] = labels[i]
        if all((mask == labels[i]).sum() >= max(min_area, 0.5 * blobs[i].sum())
               for i in range(len(labels))):
            return plate_c, plate_r, mask
    raise RuntimeError('toy food layout failed')  # not reached in practice


def render_toy_image(rng: np.random.Generator, labels: List[int], size: int = 128
                     ) -> Tuple[np.ndarray, np.ndarray]:
    """Render a plate with one region per class id in ``labels``.

    Args:
        rng: the image's random generator.
        labels: food class ids (from :func:`plan_toy_image`).
        size: image side in pixels.

    Returns:
        tuple: (size, size, 3) uint8 BGR image and (size, size) uint8 mask.
    """
    plate_c, plate_r, mask = _layout(rng, labels, size)
    yy, xx = np.mgrid[0:size, 0:size].astype(np.float32)
    dist = np.hypot(xx - plate_c[0], yy - plate_c[1])

    (colour, amp) = _TABLE
    wood = _smooth_field(rng, size, 3)[:, :1] * 0.5 + _smooth_field(rng, size, 5)
    img = np.asarray(colour, np.float32) + amp * wood[..., None]
    colour, amp = _PLATE
    on_plate = dist <= plate_r
    plate = (np.asarray(colour, np.float32)
             + amp * _smooth_field(rng, size, 3)[..., None])
    plate -= 25 * ((dist > plate_r * 0.86) & on_plate)[..., None]  # the rim
    img[on_plate] = plate[on_plate]

    for label in labels:
        region = mask == label
        colour, kind, amp = _LOOKS[_LOOK_OF[label]]
        jitter = 1 + rng.normal(0, 0.04)
        food = (np.asarray(colour, np.float32) * jitter
                + amp * _texture(rng, kind, size)[..., None])
        img[region] = food[region]

    theta = rng.uniform(0, 2 * np.pi)
    light = 1 + 0.08 * ((xx * np.cos(theta) + yy * np.sin(theta)) / size - 0.5)
    img = img * light[..., None] + rng.normal(0, NOISE_STD, img.shape)
    img = np.clip(np.round(img), 0, 255).astype(np.uint8)
    return np.ascontiguousarray(img[..., ::-1]), mask


def _write_split(root: str, split: str, first_id: int, count: int, seed: int,
                 size: int) -> None:
    img_dir = osp.join(root, 'Images', 'img_dir', split)
    ann_dir = osp.join(root, 'Images', 'ann_dir', split)
    os.makedirs(img_dir)
    os.makedirs(ann_dir)
    for i in range(count):
        rng = np.random.default_rng([seed, _SPLITS.index(split), i])
        img, mask = render_toy_image(rng, plan_toy_image(rng), size)
        name = f'{first_id + i:05d}.png'
        cv2.imwrite(osp.join(img_dir, name), img)
        cv2.imwrite(osp.join(ann_dir, name), mask)


def _read_marker(root: str) -> Dict:
    try:
        with open(osp.join(root, MARKER)) as f:
            return json.load(f)
    except (OSError, ValueError):
        return {}


def generate_toy_food(root: str = 'data/toy_food', seed: int = 0,
                      num_train: int = 600, num_test: int = 150, size: int = 128,
                      val_fraction: float = 0.0, overwrite: bool = False) -> str:
    """Write the toy food dataset (see the module docstring) to ``root``.

    Atomic: the files are written to a hidden temp folder next to ``root``
    and renamed into place. If ``root`` already holds a toy dataset made with
    the same arguments, nothing is done.

    Args:
        root: the dataset folder to create.
        seed: random seed; the data is a pure function of the arguments.
        num_train: number of train images.
        num_test: number of test images.
        size: image side in pixels (>= 32).
        val_fraction: if > 0, also write ``splits/train.txt`` and
            ``splits/val.txt``: a seeded validation split of the train ids
            (:func:`~dccd.datasets.val_split.split_ids`, seed ``seed``), for
            ``ann_file``.
        overwrite: replace an existing ``root`` (else InputError if it holds
            anything else).

    Returns:
        str: ``root``.
    """
    if size < 32 or num_train < 0 or num_test < 0:
        raise InputError(f'toy food: need size >= 32 and counts >= 0, got '
                         f'size={size}, num_train={num_train}, num_test={num_test}')
    args = dict(generator='dccd.datasets.toy_food', version=1, seed=seed,
                num_train=num_train, num_test=num_test, size=size)
    if val_fraction:
        args['val_fraction'] = val_fraction
    if not overwrite and _read_marker(root) == args:
        return root
    if not overwrite and osp.isdir(root) and os.listdir(root):
        raise InputError(
            f'toy food: {root} exists and is not the toy dataset for {args}; '
            'pass overwrite=True (--overwrite) or pick another root')
    parent = osp.dirname(osp.abspath(root))
    os.makedirs(parent, exist_ok=True)
    tmp = tempfile.mkdtemp(prefix=f'.{osp.basename(root)}.', dir=parent)
    try:
        _write_split(tmp, 'train', 0, num_train, seed, size)
        _write_split(tmp, 'test', num_train, num_test, seed, size)
        if val_fraction:
            train, val = split_ids([f'{i:05d}' for i in range(num_train)], val_fraction, seed)
            write_id_list(osp.join(tmp, 'splits', 'train.txt'), train)
            write_id_list(osp.join(tmp, 'splits', 'val.txt'), val)
        with open(osp.join(tmp, MARKER), 'w') as f:
            json.dump(args, f, indent=1)
        os.chmod(tmp, 0o755)
        if overwrite and osp.exists(root):
            old = tempfile.mkdtemp(prefix=f'.{osp.basename(root)}.old.', dir=parent)
            os.rename(root, osp.join(old, 'data'))
            os.rename(tmp, root)
            shutil.rmtree(old, ignore_errors=True)
        else:
            try:
                os.rename(tmp, root)  # also replaces an empty folder
            except OSError:  # another process won the race
                if _read_marker(root) != args:
                    raise InputError(f'toy food: {root} appeared while generating '
                                     'and is not the same toy dataset') from None
    finally:
        shutil.rmtree(tmp, ignore_errors=True)
    return root


@DATASETS.register_module()
class ToyFoodDataset(CheckedSegDataset):
    """Generated toy food plates in the FoodSeg103 layout (module docstring).

    Label convention: single-channel PNG masks, pixel = class id, 12 classes
    with 0 = background (table and plate), ``reduce_zero_label=False``.
    Images are ``.png``.

    Args:
        generated_root: the folder the toy data is generated in on first use
            (``full_init``) when it does not exist or is empty (a folder with
            other content is never touched). Any other ``data_root`` must
            exist: a mistyped root is an error, not a new dataset. None never
            generates. Defaults to ``'data/toy_food'``.
        generate_args: arguments of :func:`generate_toy_food` (``seed``,
            ``num_train``, ``num_test``, ``size``, ``val_fraction``); None for
            its defaults (seed 0, 600 train / 150 test, 128x128).
        img_suffix: image file ending. Defaults to '.png'.
        seg_map_suffix: mask file ending. Defaults to '.png'.
        **kwargs: the rest of mmseg's ``BaseSegDataset`` arguments, e.g.
            ``data_root='data/toy_food'`` and ``data_prefix=dict(
            img_path='Images/img_dir/train', seg_map_path='Images/ann_dir/train')``.
    """
    METAINFO = dict(classes=TOY_FOOD_CLASSES,
                    palette=get_palette(len(TOY_FOOD_CLASSES)))

    def __init__(self, generated_root: Optional[str] = 'data/toy_food',
                 generate_args: Optional[dict] = None, img_suffix: str = '.png',
                 seg_map_suffix: str = '.png', **kwargs) -> None:
        self.generated_root = generated_root
        self.generate_args = dict(generate_args or {})
        super().__init__(img_suffix=img_suffix, seg_map_suffix=seg_map_suffix,
                         reduce_zero_label=False, **kwargs)

    def missing_dir_hint(self, path: str) -> str:
        """Say where the toy data is generated when another root is missing."""
        if self.generated_root and path == self.data_root:
            return (f' (the toy data is generated only in {self.generated_root}; to '
                    'generate it elsewhere set generated_root to the same folder)')
        return ''

    def load_data_list(self) -> List[dict]:
        """Generate the data if this is its generation root and it is missing,
        then list it.

        Returns:
            list[dict]: one data info per image.
        """
        root = self.data_root
        if (self.generated_root and root
                and osp.normpath(osp.abspath(root)) == osp.normpath(
                    osp.abspath(self.generated_root))
                and not osp.isfile(osp.join(root, MARKER))
                and not (osp.isdir(root) and os.listdir(root))):
            start = time.time()
            print_log(f'generating the toy food dataset in {root}', logger='current')
            generate_toy_food(root, **self.generate_args)
            print_log(f'toy food dataset ready ({time.time() - start:.1f} s)',
                      logger='current')
        return super().load_data_list()
