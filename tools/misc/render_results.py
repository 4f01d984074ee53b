"""Render README.md's results tables from the JSON files that hold the measurements.

    python tools/misc/render_results.py [--check] [--readme README.md]

Each block ``<!-- results FILE [VIEW] -->`` ... ``<!-- /results -->`` of the
README is replaced by the table ``FILE`` renders (:mod:`dccd.utils.results`;
FILE is relative to the README's folder). ``--check`` changes nothing and
exits 1, naming the blocks, when any differs from its file: a number edited by
hand, or a file re-measured without re-rendering. Written for DCCD (Apache-2.0).
"""
import argparse
import os.path as osp
import sys

from dccd.utils import InputError, exit_on_input_error
from dccd.utils.atomic_io import write_bytes_atomic
from dccd.utils.results import render_readme, stale_blocks

REPO = osp.dirname(osp.dirname(osp.dirname(osp.abspath(__file__))))


def parse_args(argv=None):
    parser = argparse.ArgumentParser(description="Render README.md's results tables")
    parser.add_argument('--readme', default=osp.join(REPO, 'README.md'), help='the file')
    parser.add_argument('--check', action='store_true',
                        help='only report blocks that differ from their files (exit 1)')
    return parser.parse_args(argv)


@exit_on_input_error
def main(argv=None):
    args = parse_args(argv)
    if not osp.isfile(args.readme):
        raise InputError(f'README not found: {args.readme}')
    with open(args.readme, encoding='utf-8') as f:
        text = f.read()
    root = osp.dirname(osp.abspath(args.readme))
    stale = stale_blocks(text, root)
    if args.check:
        for block in stale:
            print(f'{args.readme}: the block of {block} differs from what the file renders')
        sys.exit(1 if stale else 0)
    if stale:
        write_bytes_atomic(args.readme, render_readme(text, root).encode('utf-8'))
    print(f'{len(stale)} block(s) re-rendered in {args.readme}')


if __name__ == '__main__':
    main()
