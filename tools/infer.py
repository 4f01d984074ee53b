"""Segment food photos with a trained checkpoint: masks, overlays, ingredient shares.

    python tools/infer.py CONFIG CHECKPOINT INPUT [INPUT ...] --out-dir DIR
        [--device cpu|cuda] [--ingredients "rice, egg, broccoli"] [--steps N] [--amp]
        [--cfg-options KEY=VALUE ...]
    python tools/infer.py CONFIG MODEL.onnx INPUT [INPUT ...] --out-dir DIR
        --backend onnxruntime

INPUT: image files and/or folders (their images, by extension, sorted; not
recursive). For each image ``<name>.<ext>`` it writes, into ``--out-dir``:

- ``<name>_mask.png``: the class ids (uint8, the photo's size);
- ``<name>_overlay.<jpg|png>``: the photo with the food coloured and a legend
  of the ingredients found (JPEG for JPEG photos, else PNG);
- ``<name>.json``: each ingredient's pixel share (percent of the image and of
  the food area, i.e. the non-background pixels), largest first, with the
  branch, DDIM steps and given ingredients.

Default: the image-only student. ``--ingredients`` runs the teacher with the
given comma-separated list (names matched to the model's classes ignoring
case; ``--ingredients ""`` = the generic prompt "a photo of food"), or, with
the reserved word ``--ingredients auto``, with a list proposed from each photo
(``model.test_cfg.auto``); the JSON then records the proposed list, its source
and each class's score.

``--backend onnxruntime`` runs a student exported by
``tools/deployment/pytorch2onnx.py`` instead of the checkpoint (the config
still gives the test pipeline; the DDIM steps are the graph's; a graph of a
fixed size gets its inputs padded to it): the same files, and with a
dynamic graph, or where PyTorch pads to the same size, the same mask but for
pixels where two classes' logits tie to float rounding. Everything
(config, checkpoint, ingredients, every image) is checked before the first
image is processed (an image must be whole, decodable and within Pillow's
``MAX_IMAGE_PIXELS``: :func:`dccd.apis.check_image_file`, which the browser
demo shares); each file is written whole (temporary file + rename). A
bad input stops the tool with one line ``error: ...`` and exit code 2.
``--amp`` runs the network under autocast (bfloat16 where the device has it,
else float16).
"""
import os
import os.path as osp
import sys
import warnings
from typing import List, Optional

import mmcv
from mmengine.config import DictAction
from mmengine.utils import ProgressBar

import dccd  # noqa: F401  (registers DCCD modules, applies dccd.compat)
from dccd.apis import (AUTO, check_image_file, check_input, check_mask_classes,
                       check_steps, init_segmentor, mask_file_name, parse_ingredients,
                       segment_food, select_branch, warnings_held, write_mask_png)
from dccd.deployment import init_onnx_segmentor
from dccd.engine.hooks import overlay_name
from dccd.utils import ArgumentParser, InputError, exit_on_input_error
from dccd.utils.atomic_io import write_image_atomic, write_json_atomic
from dccd.visualization import FoodSegLocalVisualizer

IMAGE_EXTENSIONS = ('.jpg', '.jpeg', '.png', '.bmp', '.webp', '.tif', '.tiff')
BACKENDS = ('pytorch', 'onnxruntime')


def parse_args(argv: Optional[List[str]] = None):
    parser = ArgumentParser(
        description='Segment food photos: class-id masks, overlays with a legend, '
        'and per-ingredient pixel shares (JSON)')
    parser.add_argument('config', help='config file of the checkpoint')
    parser.add_argument('checkpoint', metavar='MODEL',
                        help='trained checkpoint (.pth); with --backend onnxruntime, '
                        'the exported student (.onnx)')
    parser.add_argument('inputs', nargs='+', metavar='INPUT',
                        help='image files and/or folders of images')
    parser.add_argument('--out-dir', required=True, help='folder for the results')
    parser.add_argument('--device', default='cpu', help="'cpu' (default), 'cuda' or 'cuda:N'")
    parser.add_argument(
        '--ingredients', default=None,
        help='comma-separated ingredient names: run the teacher (image + text) '
        "with them instead of the image-only student; 'auto': with a list "
        'proposed from each photo')
    parser.add_argument('--steps', type=int, default=None,
                        help="DDIM steps (default: the config's test_cfg.steps)")
    parser.add_argument('--backend', choices=BACKENDS, default='pytorch',
                        help='pytorch (default: the checkpoint) or onnxruntime (an '
                        'exported student)')
    parser.add_argument('--amp', action='store_true',
                        help='autocast: bf16 where supported (A100/H100, CPU), else fp16')
    parser.add_argument(
        '--cfg-options', nargs='+', action=DictAction,
        help='override settings of the config; every key must already exist')
    return parser.parse_args(argv)


def collect_images(inputs: List[str]) -> List[str]:
    """Image files of ``inputs`` (files as given, folders' images sorted).

    Raises:
        InputError: a missing input, a folder without images, or two images
            whose results would share a name.
    """
    images = []
    for item in inputs:
        if osp.isdir(item):
            found = sorted(
                osp.join(item, name) for name in os.listdir(item)
                if not name.startswith('.') and osp.isfile(osp.join(item, name))
                and osp.splitext(name)[1].lower() in IMAGE_EXTENSIONS)
            if not found:
                raise InputError(f'no images ({", ".join(IMAGE_EXTENSIONS)}) in folder {item}')
            images.extend(found)
        elif osp.isfile(item):
            images.append(item)
        else:
            raise InputError(f'input not found: {item}')
    seen = {}
    for path in images:
        stem = osp.splitext(osp.basename(path))[0]
        if stem in seen:
            raise InputError(f'two inputs would write the same result files ({stem}_*): '
                             f'{seen[stem]} and {path}')
        seen[stem] = path
    return images


def result_names(image: str) -> List[str]:
    """The three files ``image`` writes: mask, overlay, JSON."""
    stem = osp.splitext(osp.basename(image))[0]
    return [mask_file_name(image), overlay_name(image), f'{stem}.json']


def make_out_dir(path: str, images: List[str]) -> None:
    """Create ``--out-dir``; InputError if it cannot hold every result file."""
    if osp.exists(path) and not osp.isdir(path):
        raise InputError(f'--out-dir {path} exists and is not a folder')
    try:
        os.makedirs(path, exist_ok=True)
    except OSError as exc:
        raise InputError(f'cannot create --out-dir {path}: {exc.strerror or exc}') from exc
    if not os.access(path, os.W_OK):
        raise InputError(f'--out-dir {path} is not writable')
    for image in images:
        for name in result_names(image):
            if osp.isdir(osp.join(path, name)):
                raise InputError(f'cannot write {osp.join(path, name)}: a folder has that name')


def load_model(args, ingredients):
    """The checkpoint's segmentor, or with ``--backend onnxruntime`` the
    exported student; InputError for options the backend cannot take."""
    if args.backend == 'pytorch':
        if args.checkpoint.lower().endswith('.onnx'):
            raise InputError(f'{args.checkpoint} is an ONNX model: add --backend onnxruntime')
        with warnings.catch_warnings():  # mmseg's deprecation notices, not the user's
            warnings.filterwarnings('ignore', category=UserWarning, module=r'mmseg\.')
            return init_segmentor(args.config, args.checkpoint, device=args.device,
                                  cfg_options=args.cfg_options, amp=args.amp)
    if args.amp:
        raise InputError('--amp: an exported model runs in the precision it was exported in')
    if ingredients is not None:
        raise InputError('--ingredients: an exported model is the image-only student; '
                         'run the teacher with the PyTorch checkpoint')
    model = init_onnx_segmentor(args.config, args.checkpoint, device=args.device,
                                cfg_options=args.cfg_options)
    if args.steps is not None and args.steps != model.steps:
        raise InputError(f'--steps {args.steps}: {args.checkpoint} unrolls {model.steps} '
                         f'DDIM step(s); export it again with --steps {args.steps}')
    return model


@exit_on_input_error
def main(argv: Optional[List[str]] = None):
    args = parse_args(argv)
    if args.steps is not None and args.steps < 1:
        raise InputError(f'--steps must be >= 1, got {args.steps}')
    images = collect_images(args.inputs)
    for path in images:
        check_image_file(path)
    ingredients = parse_ingredients(args.ingredients)
    model = load_model(args, ingredients)
    check_mask_classes(model, args.config)
    try:
        select_branch(model, ingredients)
    except InputError as exc:
        raise InputError(f'--ingredients: {exc}') from None
    for path in images:
        check_input(model, path)  # readable, not below the stride; warns if huge
    check_steps(args.steps or model.test_cfg.get('steps', 3))  # warns if many
    make_out_dir(args.out_dir, images)

    visualizer = FoodSegLocalVisualizer(name='dccd_infer')
    visualizer.dataset_meta = model.dataset_meta
    progress = ProgressBar(len(images), file=sys.stdout)
    summary = None
    with warnings_held():  # each said once above, not again into the bar
        for path in images:
            result = segment_food(model, path, ingredients=ingredients, steps=args.steps)
            mask_file, overlay_file, json_file = (osp.join(args.out_dir, name)
                                                  for name in result_names(path))
            write_mask_png(mask_file, result.mask)
            photo = mmcv.imread(path, channel_order='rgb')
            overlay = visualizer.draw_overlay(photo, result.mask)
            write_image_atomic(overlay_file, mmcv.rgb2bgr(overlay))
            info = result.to_dict()
            info.update(image=osp.abspath(path), config=args.config,
                        checkpoint=osp.abspath(args.checkpoint), backend=args.backend)
            write_json_atomic(json_file, info)
            summary = (result.branch, result.steps, result.ingredient_source)
            progress.update()
    branch, steps, source = summary
    lists = f' ({source} lists)' if source.startswith(AUTO) else ''
    backend = ' (onnxruntime)' if args.backend == 'onnxruntime' else ''
    print(f'\nsegmented {len(images)} image(s) with the {branch} branch{lists}{backend}, '
          f'{steps} DDIM step(s): results in {args.out_dir}')


if __name__ == '__main__':
    main()
