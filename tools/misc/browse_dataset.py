"""Write pictures of augmented samples with the teacher's ingredient prompt on them.

    python tools/misc/browse_dataset.py CONFIG [--split train|val|test]
        [--num 8] [--output-dir DIR] [--seed 0] [--scale S]
        [--cfg-options KEY=VALUE ...]

Each of the first ``--num`` samples of the split is run through the split's
pipeline (augmentations included, seeded by ``--seed``) and written as
``<output-dir>/<image stem>.png``: the augmented image and the same with its
ground-truth mask painted on (dataset palette, half opacity; ignored pixels
left bare), side by side, enlarged ``--scale`` times (default: the smallest
integer that makes each half at least 256 px wide; nearest neighbour), above
a white strip with the prompt the teacher would read for this sample, e.g.
"a photo of peach, blueberry, rice". The prompt is the text encoder's own
``build_prompt`` of the sample's ``metainfo['ingredients']`` (so template and
separator are the config's); an image-only config (DDP) shows the ingredient
names. ``<output-dir>/samples.json`` lists, per picture, the image, the
ingredient ids and names, the prompt and the augmented size.

The text encoder is built on PyTorch's meta device: only its prompt template
and tokenizer are used, no weights are allocated or loaded.

Written for DCCD (Apache-2.0), with the interface of mmsegmentation's
``tools/misc/browse_dataset.py``.
"""
import argparse
import math
import os
import os.path as osp
from typing import Callable, List, Optional, Sequence

import cv2
import numpy as np
import torch
from mmengine.config import DictAction
from mmengine.registry import init_default_scope
from mmengine.runner import set_random_seed
from mmseg.registry import DATASETS, MODELS

import dccd  # noqa: F401  (registers DCCD modules, applies dccd.compat)
from dccd.utils import (ArgumentParser, InputError, exit_on_input_error, get_classes, image_key,
                        ingredient_names, load_config)
from dccd.utils.atomic_io import write_image_atomic, write_json_atomic

SPLITS = ('train', 'val', 'test')
MIN_PANEL_WIDTH = 256
FONT = cv2.FONT_HERSHEY_SIMPLEX
FONT_SCALE = 0.5
LINE_HEIGHT = 20  # px per caption line
MARGIN = 6  # px above and below the caption lines
IGNORE_INDEX = 255


def parse_args(argv=None) -> argparse.Namespace:
    parser = ArgumentParser(
        description='Write augmented samples with their ingredient prompt')
    parser.add_argument('config', help='config file path')
    parser.add_argument('--split', choices=SPLITS, default='train',
                        help='dataloader whose dataset and pipeline to browse')
    parser.add_argument('--num', type=int, default=8, help='number of samples')
    parser.add_argument('--output-dir', default='work_dirs/browse_dataset',
                        help='where the pictures go')
    parser.add_argument('--seed', type=int, default=0, help='seed of the augmentations')
    parser.add_argument('--scale', type=int,
                        help='integer enlargement (default: halves >= 256 px wide)')
    parser.add_argument(
        '--cfg-options', nargs='+', action=DictAction,
        help='override settings of the config; every key must already exist')
    return parser.parse_args(argv)


# --------------------------------------------------------------------------
# prompt
# --------------------------------------------------------------------------
def prompt_builder(cfg, dataset_classes: Sequence[str]):
    """(class names, names -> caption text) as the config's teacher writes it."""
    model = cfg.model
    classes = model.get('class_names')
    classes = get_classes(classes) if classes is not None else list(dataset_classes)
    text_cfg = model.get('text_encoder')
    if text_cfg is None:
        return classes, lambda names: 'ingredients (image-only model): ' + (
            ', '.join(names) if names else 'none')
    with torch.device('meta'):  # template + tokenizer only, no weights
        encoder = MODELS.build(text_cfg)
    return classes, encoder.build_prompt


# --------------------------------------------------------------------------
# picture
# --------------------------------------------------------------------------
def wrap_text(text: str, width: int) -> List[str]:
    """Greedy word wrap to ``width`` pixels in the caption font."""
    lines: List[str] = []
    for word in text.split():
        candidate = f'{lines[-1]} {word}' if lines else word
        fits = cv2.getTextSize(candidate, FONT, FONT_SCALE, 1)[0][0] <= width - 2 * MARGIN
        if lines and fits:
            lines[-1] = candidate
        else:
            lines.append(word)
    return lines or ['']


def caption_height(num_lines: int) -> int:
    """Height of the caption strip for ``num_lines`` lines of text."""
    return 2 * MARGIN + LINE_HEIGHT * num_lines


def default_scale(width: int) -> int:
    """Smallest integer enlargement that makes a panel >= MIN_PANEL_WIDTH."""
    return max(1, math.ceil(MIN_PANEL_WIDTH / max(1, width)))


def paint_mask(image: np.ndarray, mask: np.ndarray, palette: Sequence) -> np.ndarray:
    """``image`` (BGR) half covered by the mask's class colours (RGB palette)."""
    colours = np.zeros((256, 3), np.uint8)
    colours[:len(palette)] = np.asarray(palette, np.uint8)[:, ::-1]  # RGB -> BGR
    painted = (image.astype(np.float32) * 0.5 + colours[mask].astype(np.float32) * 0.5)
    painted = painted.round().astype(np.uint8)
    valid = (mask != IGNORE_INDEX) & (mask < len(palette))
    return np.where(valid[..., None], painted, image)


def compose(image: np.ndarray, mask: np.ndarray, palette: Sequence, text: str,
            scale: int) -> np.ndarray:
    """[image | image + mask] enlarged ``scale`` times above the caption."""
    panels = np.concatenate([image, paint_mask(image, mask, palette)], axis=1)
    panels = cv2.resize(panels, None, fx=scale, fy=scale, interpolation=cv2.INTER_NEAREST)
    width = panels.shape[1]
    lines = wrap_text(text, width)
    strip = np.full((caption_height(len(lines)), width, 3), 255, np.uint8)
    for number, line in enumerate(lines):
        baseline = MARGIN + LINE_HEIGHT * (number + 1) - 6
        cv2.putText(strip, line, (MARGIN, baseline), FONT, FONT_SCALE, (0, 0, 0), 1,
                    cv2.LINE_AA)
    return np.concatenate([panels, strip], axis=0)


# --------------------------------------------------------------------------
# main
# --------------------------------------------------------------------------
def build_split(cfg, split: str):
    loader = cfg.get(f'{split}_dataloader')
    if not loader or 'dataset' not in loader:
        raise InputError(f'the config has no {split}_dataloader.dataset')
    return DATASETS.build(loader.dataset)


def sample_record(data: dict, classes: Sequence[str], build_prompt: Callable,
                  ) -> dict:
    """What the picture shows: image path, ingredient ids/names, prompt."""
    sample = data['data_samples']
    ids: Optional[list] = sample.metainfo.get('ingredients')
    record = dict(img_path=sample.metainfo.get('img_path'),
                  shape=list(data['inputs'].shape[-2:]))
    if ids is None:
        record.update(ingredients=None, names=None, prompt=None,
                      caption='(no ingredient list: add ExtractIngredients and '
                      "'ingredients' to PackSegInputs meta_keys)")
        return record
    names = ingredient_names([int(i) for i in ids], classes)
    prompt = build_prompt(names)
    record.update(ingredients=[int(i) for i in ids], names=names, prompt=prompt,
                  caption=prompt)
    return record


@exit_on_input_error
def main(argv=None) -> None:
    args = parse_args(argv)
    if args.num < 1:
        raise InputError(f'--num must be >= 1, got {args.num}')
    if args.scale is not None and args.scale < 1:
        raise InputError(f'--scale must be >= 1, got {args.scale}')
    cfg = load_config(args.config, args.cfg_options)
    init_default_scope(cfg.get('default_scope', 'mmseg'))
    set_random_seed(args.seed)
    dataset = build_split(cfg, args.split)
    classes, build_prompt = prompt_builder(cfg, dataset.metainfo['classes'])
    palette = dataset.metainfo.get('palette') or [[0, 0, 0]] * len(classes)
    os.makedirs(args.output_dir, exist_ok=True)
    index = {}
    for i in range(min(args.num, len(dataset))):
        data = dataset[i]
        record = sample_record(data, classes, build_prompt)
        image = np.ascontiguousarray(data['inputs'].numpy().transpose(1, 2, 0))
        mask = data['data_samples'].gt_sem_seg.data[0].numpy().astype(np.int64)
        scale = args.scale or default_scale(image.shape[1])
        picture = compose(image, mask, palette, record.pop('caption'), scale)
        name = f'{osp.splitext(image_key(record["img_path"] or str(i)))[0]}.png'
        write_image_atomic(osp.join(args.output_dir, name), picture)
        index[name] = dict(record, scale=scale, size=list(picture.shape[:2]))
    write_json_atomic(osp.join(args.output_dir, 'samples.json'), index)
    print(f'wrote {len(index)} pictures of the {args.split} split to {args.output_dir}')


if __name__ == '__main__':
    main()
