"""A browser demo: photo in, food segmented, ingredients typed or proposed.

    python tools/demo/gradio_app.py CONFIG CHECKPOINT [--device cpu] [--port 7860]
        [--examples IMAGE [IMAGE ...]] [--cfg-options KEY=VALUE ...]

Serves one page on http://127.0.0.1:PORT (the loopback address only). Needs
the ``demo`` extra (``pip install -c constraints.txt -e ".[lite,demo]"``). The
model is loaded once (:func:`dccd.apis.init_segmentor`); each click on
*Segment* is one :func:`dccd.apis.segment_food` call, so the page shows what
``tools/infer.py`` writes for the same photo and settings:

- **Photo**: upload one, or click an example: toy plates (512x384) that the
  app draws when it starts (nothing is downloaded), or the images given with
  ``--examples``.
- **Branch**: the image-only student (default); the teacher with a typed list
  ("rice, egg, broccoli", matched as ``infer.py --ingredients`` matches it);
  the teacher with a list proposed from the photo (``auto``). A branch the
  model cannot run is not offered and the page says why (a DDP model has no
  text encoder: the student only).
- **DDIM steps**: 1-10, by default the config's ``test_cfg.steps``.
- **Out**: the photo with each ingredient coloured (Gradio's
  ``AnnotatedImage``; its legend names the classes, largest first, and
  pointing at a name highlights that class), the shares table (% of the food
  pixels), the list the teacher read (typed, or proposed with its scores),
  and the class-id mask PNG to download: the bytes ``infer.py`` writes as
  ``<name>_mask.png``.

A bad photo (not an image, truncated, more pixels than the limit of
:func:`dccd.apis.check_image_file`) or an unknown ingredient (with the
closest class names) is one line ``error: ...`` in the page: the line
``infer.py`` prints, naming the photo by its own file name. The layout
follows mmdetection's and mmpretrain's ``projects/gradio_demo`` (Apache-2.0;
nothing copied). Written for DCCD (Apache-2.0).
"""
import os
import os.path as osp
import shutil
import tempfile
from typing import List, Optional, Sequence, Tuple

import cv2
import mmcv
import numpy as np
import torch
from mmengine.config import DictAction

import dccd  # noqa: F401  (registers DCCD modules, applies dccd.compat)
from dccd.apis import (AUTO, FoodSegResult, check_image_file, check_mask_classes,
                       init_segmentor, mask_file_name, parse_ingredients, segment_food,
                       select_branch, write_mask_png)
from dccd.datasets.toy_food import plan_toy_image, render_toy_image
from dccd.utils import (TOY_FOOD_CLASSES, ArgumentParser, InputError, exit_on_input_error,
                        ingredient_names, one_line_error)

#: The branch radio's values and labels.
BRANCHES = {
    'student': 'Student: the photo only',
    'teacher': 'Teacher: the photo + my ingredient list',
    AUTO: 'Teacher: the photo + a list proposed from it (auto)',
}
NO_TEXT_ENCODER = ('This model has no text encoder (an image-only DDP model): the teacher '
                   'reads an ingredient list through one, so only the student runs.')
#: The class colours' opacity over the photo (FoodSegLocalVisualizer's default).
OVERLAY_ALPHA = 0.5
#: (width, height) of the generated example plates.
EXAMPLE_SIZE = (512, 384)


def import_gradio():
    """The ``gradio`` module; InputError saying how to install it."""
    try:
        import gradio
    except ImportError:
        raise InputError('the demo needs gradio: pip install -c constraints.txt '
                         '-e ".[demo]"') from None
    return gradio


def parse_args(argv: Optional[List[str]] = None):
    parser = ArgumentParser(description='Serve a browser demo of a trained checkpoint on '
                            '127.0.0.1: photo in, food segmented with a legend')
    parser.add_argument('config', help='config file of the checkpoint')
    parser.add_argument('checkpoint', help='trained checkpoint (.pth)')
    parser.add_argument('--device', default='cpu', help="'cpu' (default), 'cuda' or 'cuda:N'")
    parser.add_argument('--port', type=int, default=7860, help='port on 127.0.0.1 (7860)')
    parser.add_argument('--examples', nargs='+', metavar='IMAGE',
                        help='example photos to offer (default: generated toy plates)')
    parser.add_argument(
        '--cfg-options', nargs='+', action=DictAction,
        help='override settings of the config; every key must already exist')
    return parser.parse_args(argv)


# --------------------------------------------------------------------------
# examples and branches
# --------------------------------------------------------------------------
def make_example_plates(folder: str, count: int = 3, seed: int = 0,
                        size: Tuple[int, int] = EXAMPLE_SIZE) -> List[Tuple[str, str]]:
    """Draw ``count`` toy plates (:mod:`dccd.datasets.toy_food`) as PNGs.

    Each is rendered square at the larger side and squeezed to ``size``
    (width, height): a plate seen at an angle.

    Returns:
        list: ``(path, label)`` per plate; the label lists its ingredients.
    """
    os.makedirs(folder, exist_ok=True)
    plates = []
    for i in range(count):
        rng = np.random.default_rng([seed, i])
        labels = plan_toy_image(rng)
        image, _ = render_toy_image(rng, labels, max(size))
        path = osp.join(folder, f'toy_plate_{i + 1}.png')
        cv2.imwrite(path, cv2.resize(image, size, interpolation=cv2.INTER_AREA))
        names = ingredient_names(sorted(labels), TOY_FOOD_CLASSES)
        plates.append((path, f'toy plate {i + 1}: {", ".join(names)}'))
    return plates


def copy_examples(images: Sequence[str], folder: str) -> List[Tuple[str, str]]:
    """Check the ``--examples`` photos and copy them where the app serves them
    from (Gradio serves files from the temporary folder, not from anywhere)."""
    os.makedirs(folder, exist_ok=True)
    examples = []
    for image in images:
        check_image_file(image)
        target = osp.join(folder, osp.basename(image))
        if osp.exists(target):
            raise InputError(f'--examples: two photos are named {osp.basename(image)}')
        shutil.copyfile(image, target)
        examples.append((target, osp.basename(image)))
    return examples


def branch_choices(model: torch.nn.Module) -> Tuple[List[Tuple[str, str]], str]:
    """The branches ``model`` can run, as (label, value) radio choices, and
    why the others are left out ('' when none is)."""
    if getattr(model, 'text_encoder', None) is None:
        return [(BRANCHES['student'], 'student')], NO_TEXT_ENCODER
    choices, notes = [], []
    for value, probe in (('student', None), ('teacher', []), (AUTO, AUTO)):
        try:
            select_branch(model, probe)
        except InputError as exc:
            notes.append(f'{BRANCHES[value]}: not available: {exc}')
        else:
            choices.append((BRANCHES[value], value))
    if not choices:
        raise InputError(f'no branch of this model can run: {"; ".join(notes)}')
    return choices, '\n\n'.join(notes)


# --------------------------------------------------------------------------
# one click
# --------------------------------------------------------------------------
def describe(result: FoodSegResult, photo: str) -> str:
    """The status line of a finished run."""
    branch = dict(none='the student (photo only)', user='the teacher with your list').get(
        result.ingredient_source, f'the teacher with a proposed list ({result.ingredient_source})')
    food = 100.0 - result.background_percent
    return (f'{osp.basename(photo)}: {branch}, {result.steps} DDIM step(s): '
            f'{len(result.shares)} ingredient(s) on {food:.1f} % of the photo')


def list_text(result: FoodSegResult) -> str:
    """The list the teacher read: typed, or proposed with its scores."""
    if result.ingredients is None:
        return 'none: the student reads no list'
    if result.proposal_scores is not None:
        names = ', '.join(f'{name} ({result.proposal_scores[name]:.2f})'
                          for name in result.ingredients)
        return f'proposed ({result.ingredient_source}): {names or "none"}'
    return 'used: ' + (', '.join(result.ingredients) or 'none (the prompt "a photo of food")')


def clear_outputs() -> tuple:
    """Empty outputs: a run's error, or a new photo's page before its run."""
    return '', None, None, '', None


class FoodSegDemo:
    """What one click on *Segment* runs: the checks ``infer.py`` makes,
    :func:`~dccd.apis.segment_food`, and the page's outputs.

    Args:
        model: from :func:`~dccd.apis.init_segmentor`.
        work_dir: where the masks offered for download are written.
    """

    def __init__(self, model: torch.nn.Module, work_dir: str):
        self.model = model
        self.work_dir = work_dir
        meta = model.dataset_meta
        self.colours = {name: '#{:02x}{:02x}{:02x}'.format(*colour)
                        for name, colour in zip(meta['classes'], meta['palette'])}

    def __call__(self, photo: Optional[str], branch: str, text: Optional[str],
                 steps: float) -> tuple:
        """Gradio's handler: (status, overlay, shares, used list, mask file)."""
        try:
            result = self.segment(photo, branch, text, int(steps))
        except InputError as exc:
            line = one_line_error(exc)
            if photo:  # the photo by its own name, not the server's copy of it
                line = line.replace(photo, osp.basename(photo))
            return (f'error: {line}', ) + clear_outputs()[1:]
        rows = [[share.name, round(share.percent_of_food, 1)] for share in result.shares]
        return (describe(result, photo), self.overlay(photo, result), rows,
                list_text(result), self.save_mask(photo, result))

    def segment(self, photo: Optional[str], branch: str, text: Optional[str],
                steps: int) -> FoodSegResult:
        if not photo:
            raise InputError('no photo: upload one or click an example')
        check_image_file(photo)
        return segment_food(self.model, photo, self.ingredients(branch, text), steps)

    def ingredients(self, branch: str, text: Optional[str]):
        """What :func:`segment_food` gets for ``branch``: None, 'auto' or the
        typed list (checked as ``infer.py`` checks ``--ingredients``)."""
        if branch == 'student':
            return None
        if branch == AUTO:
            return AUTO
        ingredients = parse_ingredients(text or '')
        try:
            select_branch(self.model, ingredients)
        except InputError as exc:
            raise InputError(f'ingredients: {exc}') from None
        return ingredients

    @staticmethod
    def overlay(photo: str, result: FoodSegResult) -> tuple:
        """``AnnotatedImage``'s value: the photo (as ``infer.py`` reads it) and
        one (mask, name) per ingredient, largest first; a mask's value is its
        colour's opacity, that of ``infer.py``'s overlays."""
        image = mmcv.imread(photo, channel_order='rgb')
        return image, [((result.mask == share.class_id) * np.float32(OVERLAY_ALPHA), share.name)
                       for share in result.shares]

    def save_mask(self, photo: str, result: FoodSegResult) -> str:
        """Write ``<name>_mask.png`` (a folder per click) for the download."""
        path = osp.join(tempfile.mkdtemp(dir=self.work_dir), mask_file_name(photo))
        write_mask_png(path, result.mask)
        return path


# --------------------------------------------------------------------------
# the page
# --------------------------------------------------------------------------
def build_demo(model: torch.nn.Module, examples: Sequence[Tuple[str, str]], work_dir: str,
               title: str = 'DCCD: food segmentation'):
    """The Gradio page (not launched).

    Args:
        model: from :func:`~dccd.apis.init_segmentor`.
        examples: ``(path, label)`` of the example photos.
        work_dir: where the masks for download are written.
        title: the page's heading.

    Returns:
        gradio.Blocks: launch it with ``server_name='127.0.0.1'``.
    """
    gr = import_gradio()
    run_click = FoodSegDemo(model, work_dir)
    choices, note = branch_choices(model)
    has_teacher = any(value != 'student' for _, value in choices)
    default_steps = int((model.test_cfg or {}).get('steps', 3))
    with gr.Blocks(title=title, analytics_enabled=False) as demo:
        gr.Markdown(f'## {title}')
        with gr.Row():
            with gr.Column(scale=2):
                photo = gr.File(label='Photo', file_types=['image'], type='filepath',
                                elem_id='photo')
                if examples:
                    gr.Examples([[path] for path, _ in examples], inputs=photo,
                                example_labels=[label for _, label in examples])
                branch = gr.Radio(choices, value=choices[0][1], label='Branch',
                                  elem_id='branch')
                if note:
                    gr.Markdown(note, elem_id='branch-note')
                text = gr.Textbox(label='Ingredients, for the teacher with my list',
                                  placeholder='rice, egg, broccoli', elem_id='ingredients',
                                  visible=any(value == 'teacher' for _, value in choices))
                steps = gr.Slider(1, max(10, default_steps), value=default_steps, step=1,
                                  label='DDIM steps', elem_id='steps')
                run = gr.Button('Segment', variant='primary', elem_id='run')
            with gr.Column(scale=3):
                outputs = [
                    gr.Textbox(label='Status', interactive=False, elem_id='status'),
                    gr.AnnotatedImage(label='Food found', color_map=run_click.colours,
                                      format='jpeg', elem_id='overlay'),
                    gr.Dataframe(headers=['ingredient', '% of food pixels'],
                                 datatype=['str', 'number'], interactive=False,
                                 label='Shares', elem_id='shares'),
                    gr.Textbox(label='Ingredient list the teacher read', interactive=False,
                               elem_id='used-list', visible=has_teacher),
                    gr.File(label='Class-id mask (PNG, as tools/infer.py writes it)',
                            interactive=False, elem_id='mask'),
                ]
        photo.change(clear_outputs, None, outputs, queue=False)  # a new photo: no old results
        run.click(run_click, [photo, branch, text, steps], outputs, api_name='segment')
    return demo


def launch(demo, port: int, **kwargs):
    """Serve ``demo`` on 127.0.0.1:``port``; InputError when the port is taken."""
    try:
        return demo.launch(server_name='127.0.0.1', server_port=port, **kwargs)
    except OSError as exc:
        raise InputError(f'--port {port}: {one_line_error(exc)}') from None


@exit_on_input_error
def main(argv: Optional[List[str]] = None):
    args = parse_args(argv)
    import_gradio()
    with tempfile.TemporaryDirectory(prefix='dccd_demo_') as work_dir:
        folder = osp.join(work_dir, 'examples')
        examples = copy_examples(args.examples, folder) if args.examples else None
        model = init_segmentor(args.config, args.checkpoint, device=args.device,
                               cfg_options=args.cfg_options)
        check_mask_classes(model, args.config)
        examples = examples or make_example_plates(folder)
        demo = build_demo(model, examples, work_dir,
                          title=f'DCCD: {osp.splitext(osp.basename(args.config))[0]}')
        print(f'serving {args.config} on http://127.0.0.1:{args.port} (Ctrl+C stops it)')
        launch(demo, args.port, quiet=True)


if __name__ == '__main__':
    main()
