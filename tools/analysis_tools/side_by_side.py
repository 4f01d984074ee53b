"""Overlays of the ground truth and of several models, side by side, per photo.

    python tools/analysis_tools/side_by_side.py IMAGE [IMAGE ...] --out-dir DIR
        --model "DDP" CONFIG CHECKPOINT [--model "DCCD student" CONFIG CHECKPOINT ...]
        [--masks MASK_DIR] [--height 200] [--quality 85]

For each photo it writes ``DIR/<name>_side_by_side.jpg``: the GT overlay (when
``--masks`` holds ``<name>.png``) and one overlay per ``--model``, left to
right, each titled, drawn with the ingredient legend of
:class:`~dccd.visualization.FoodSegLocalVisualizer` and scaled to
``--height`` pixels. Every model runs its config's test branch through
:func:`dccd.apis.segment_food` (so a DCCD config shows its image-only student).
Inputs are checked before anything is written; files are written whole.
Written for DCCD (Apache-2.0).
"""
import os.path as osp
from typing import List

import cv2
import numpy as np

import dccd  # noqa: F401  (registers DCCD modules, applies dccd.compat)
from dccd.apis import check_input, init_segmentor, segment_food
from dccd.utils import ArgumentParser, InputError, exit_on_input_error
from dccd.utils.atomic_io import write_image_atomic
from dccd.visualization import FoodSegLocalVisualizer

TITLE_H = 22


def parse_args(argv=None):
    parser = ArgumentParser(description='GT and model overlays side by side')
    parser.add_argument('images', nargs='+', help='photos')
    parser.add_argument('--out-dir', required=True, help='where the JPEGs go')
    parser.add_argument('--model', nargs=3, action='append', required=True,
                        metavar=('TITLE', 'CONFIG', 'CHECKPOINT'), help='a model to show')
    parser.add_argument('--masks', help='folder of GT masks <name>.png (class ids)')
    parser.add_argument('--height', type=int, default=200, help='panel height (px)')
    parser.add_argument('--quality', type=int, default=85, help='JPEG quality')
    return parser.parse_args(argv)


def titled(panel: np.ndarray, title: str, height: int) -> np.ndarray:
    """``panel`` (RGB) scaled to ``height`` with a title bar above it."""
    width = round(panel.shape[1] * height / panel.shape[0])
    panel = cv2.resize(panel, (width, height), interpolation=cv2.INTER_AREA)
    bar = np.full((TITLE_H, width, 3), 255, np.uint8)
    cv2.putText(bar, title, (4, TITLE_H - 7), cv2.FONT_HERSHEY_SIMPLEX, 0.5, (0, 0, 0), 1,
                cv2.LINE_AA)
    return np.concatenate([bar, panel], axis=0)


def gt_mask(masks: str, image: str) -> np.ndarray:
    path = osp.join(masks, osp.splitext(osp.basename(image))[0] + '.png')
    mask = cv2.imread(path, cv2.IMREAD_UNCHANGED)
    if mask is None:
        raise InputError(f'GT mask not found or unreadable: {path}')
    return mask


@exit_on_input_error
def main(argv=None) -> None:
    args = parse_args(argv)
    for image in args.images:
        if not osp.isfile(image):
            raise InputError(f'image not found: {image}')
        if args.masks:
            gt_mask(args.masks, image)
    if args.height < 32:
        raise InputError(f'--height must be >= 32, got {args.height}')
    models = [(title, init_segmentor(config, checkpoint)) for title, config, checkpoint
              in args.model]
    for image in args.images:
        check_input(models[0][1], image)
    visualizer = FoodSegLocalVisualizer(name='side_by_side')
    visualizer.dataset_meta = models[0][1].dataset_meta
    for image in args.images:
        photo = cv2.cvtColor(cv2.imread(image), cv2.COLOR_BGR2RGB)
        panels: List[np.ndarray] = []
        if args.masks:
            panels.append(titled(visualizer.draw_overlay(photo, gt_mask(args.masks, image)),
                                 'ground truth', args.height))
        for title, model in models:
            mask = segment_food(model, image).mask
            panels.append(titled(visualizer.draw_overlay(photo, mask), title, args.height))
        out = osp.join(args.out_dir,
                       osp.splitext(osp.basename(image))[0] + '_side_by_side.jpg')
        write_image_atomic(out, cv2.cvtColor(np.concatenate(panels, axis=1),
                                             cv2.COLOR_RGB2BGR), jpeg_quality=args.quality)
        print(f'wrote {out}')


if __name__ == '__main__':
    main()
