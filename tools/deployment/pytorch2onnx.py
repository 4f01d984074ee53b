"""Export the image-only student (DDP, or DCCD's student) to ONNX, checked against PyTorch.

    python tools/deployment/pytorch2onnx.py CONFIG CHECKPOINT --out student.onnx
        [--steps 3] [--size H W] [--dynamic] [--cfg-options KEY=VALUE ...]

The graph takes a normalised image ``image`` (N, 3, H, W) and the DDIM start
noise ``noise`` (N, channels, H/4, W/4), and gives the last step's logits
``logits`` (N, num_classes, H/4, W/4); the DDIM loop is unrolled for
``--steps`` (default: the config's ``test_cfg.steps``). The noise is an input
so that the graph gives PyTorch's result for an image exactly: PyTorch seeds
it from the file name (see ``dccd/deployment/onnx_export.py``), and
``tools/infer.py --backend onnxruntime`` computes it the same way.
``--size`` (default: the config's input size) is fixed in the graph, and
inputs are padded to it; ``--dynamic`` leaves the batch and the image size
free (``--size`` is then the size it is traced at), so every photo runs at
the size PyTorch runs it.

After exporting, onnxruntime (CPU) and PyTorch run 3 inputs (with
``--dynamic`` of 3 sizes); unless the
logits agree (max |diff| <= 1e-3) and their argmax agrees on >= 99.9 % of the
pixels, the tool stops with one line (exit code 1) and writes nothing. A bad
checkpoint or a model without a trained image-only student (DCC, the teacher
only) stops with one line (exit code 2). The file is written whole.
"""
import os.path as osp
import sys

from mmengine.config import DictAction

import dccd  # noqa: F401  (registers DCCD modules, applies dccd.compat)
from dccd.apis import init_segmentor, select_branch
from dccd.deployment import ParityError, check_exportable, export_checked
from dccd.utils import ArgumentParser, InputError, exit_on_input_error
from dccd.utils.atomic_io import write_bytes_atomic


def parse_args(argv=None):
    parser = ArgumentParser(description='Export the image-only student to ONNX, with an '
                            'onnxruntime parity check')
    parser.add_argument('config', help='config file of the checkpoint')
    parser.add_argument('checkpoint', help='trained checkpoint (.pth)')
    parser.add_argument('--out', required=True, help='the ONNX file to write')
    parser.add_argument('--steps', type=int, default=None,
                        help="DDIM steps to unroll (default: the config's test_cfg.steps)")
    parser.add_argument('--size', type=int, nargs=2, metavar=('H', 'W'),
                        help="input size fixed in the graph (default: the config's)")
    parser.add_argument('--dynamic', action='store_true',
                        help='leave the batch and the image size free')
    parser.add_argument(
        '--cfg-options', nargs='+', action=DictAction,
        help='override settings of the config; every key must already exist')
    return parser.parse_args(argv)


def default_size(cfg) -> tuple:
    """The config's input size: the pre-processor's test-time pad size, else
    its training pad size, else ``crop_size``."""
    preprocessor = cfg.model.get('data_preprocessor') or {}
    size = ((preprocessor.get('test_cfg') or {}).get('size') or preprocessor.get('size')
            or cfg.get('crop_size'))
    if size is None:
        raise InputError('the config has no input size (data_preprocessor.size or '
                         'crop_size): give --size H W')
    return tuple(size)


def check_out(path: str) -> None:
    """InputError when ``--out`` cannot be a file."""
    if osp.isdir(path):
        raise InputError(f'--out {path} is a folder: give a file name, e.g. student.onnx')
    folder = osp.dirname(osp.abspath(path))
    while not osp.exists(folder):
        folder = osp.dirname(folder)
    if not osp.isdir(folder):
        raise InputError(f'--out {path}: {folder} is a file, not a folder')


@exit_on_input_error
def main(argv=None):
    args = parse_args(argv)
    if args.steps is not None and args.steps < 1:
        raise InputError(f'--steps must be >= 1, got {args.steps}')
    if args.size is not None and min(args.size) < 32:
        raise InputError(f'--size must be at least 32 x 32, got {args.size}')
    check_out(args.out)
    model = init_segmentor(args.config, args.checkpoint, device='cpu',
                           cfg_options=args.cfg_options)
    check_exportable(model)
    select_branch(model, None)  # the checkpoint holds the student's weights
    size = tuple(args.size) if args.size else default_size(model.cfg)
    steps = args.steps or model.test_cfg.steps
    try:
        data, report = export_checked(model, size, steps, dynamic=args.dynamic)
    except ParityError as exc:
        print(f'error: {exc}; nothing written', file=sys.stderr)
        sys.exit(1)
    write_bytes_atomic(args.out, data)
    shape = 'any batch and size' if args.dynamic else f'input {size[0]}x{size[1]}'
    print(f'wrote {args.out} ({len(data) / 2**20:.1f} MiB): the {model.kind.upper()} '
          f'student, {steps} DDIM step(s), {shape}; onnxruntime vs PyTorch: {report}')


if __name__ == '__main__':
    main()
