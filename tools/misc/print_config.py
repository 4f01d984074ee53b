"""Print a config with its ``_base_`` files and ``--cfg-options`` merged in.

    python tools/misc/print_config.py CONFIG [--cfg-options KEY=VALUE ...]
        [--out FILE.py]

What the runner will see, as one Python config: useful to check what a leaf
config (``configs/foodseg103_dccd.py`` states only its diff) inherits. Every
``--cfg-options`` key must already exist (``dccd.utils.load_config``).
``--out`` also writes it to a file that ``tools/train.py`` accepts.

Written for DCCD (Apache-2.0), with the interface of mmsegmentation's
``tools/misc/print_config.py``.
"""
import argparse
import os
import os.path as osp

from mmengine.config import DictAction

import dccd  # noqa: F401  (registers DCCD modules, applies dccd.compat)
from dccd.utils import ArgumentParser, exit_on_input_error, load_config
from dccd.utils.atomic_io import write_bytes_atomic


def parse_args(argv=None) -> argparse.Namespace:
    parser = ArgumentParser(description='Print the merged config')
    parser.add_argument('config', help='config file path')
    parser.add_argument(
        '--cfg-options', nargs='+', action=DictAction,
        help='override settings of the config; every key must already exist')
    parser.add_argument('--out', help='also write the merged config to this .py file')
    return parser.parse_args(argv)


@exit_on_input_error
def main(argv=None) -> None:
    args = parse_args(argv)
    cfg = load_config(args.config, args.cfg_options)
    text = cfg.pretty_text
    print(f'Config ({args.config}):\n{text}')
    if args.out:
        os.makedirs(osp.dirname(osp.abspath(args.out)), exist_ok=True)
        write_bytes_atomic(args.out, text.encode('utf-8'))


if __name__ == '__main__':
    main()
