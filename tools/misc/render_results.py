"""Render the READMEs' results tables from the JSON files that hold the measurements.

    python tools/misc/render_results.py [--check] [--readme FILE ...]

Each block ``<!-- results FILE [VIEW] -->`` ... ``<!-- /results -->`` of a
README (default: README.md and every ``configs/*/README.md``) is replaced
by the table ``FILE`` renders (:mod:`dccd.utils.results`; FILE is relative to
the repository root). ``--check`` changes nothing and
exits 1, naming the blocks, when any differs from its file: a number edited by
hand, or a file re-measured without re-rendering. Written for DCCD (Apache-2.0).
"""
import glob
import os.path as osp
import sys

from dccd.utils import ArgumentParser, InputError, exit_on_input_error
from dccd.utils.atomic_io import write_bytes_atomic
from dccd.utils.results import render_readme, stale_blocks

REPO = osp.dirname(osp.dirname(osp.dirname(osp.abspath(__file__))))


def default_readmes() -> list:
    """README.md and every configs/*/README.md."""
    return [osp.join(REPO, 'README.md')] + sorted(
        glob.glob(osp.join(REPO, 'configs', '*', 'README.md')))


def parse_args(argv=None):
    parser = ArgumentParser(description="Render README.md's results tables")
    parser.add_argument('--readme', nargs='+', default=default_readmes(),
                        help='the files (their blocks name files relative to --root)')
    parser.add_argument('--root', default=REPO, help='what the blocks\' paths are relative to')
    parser.add_argument('--check', action='store_true',
                        help='only report blocks that differ from their files (exit 1)')
    return parser.parse_args(argv)


@exit_on_input_error
def main(argv=None):
    args = parse_args(argv)
    stale_total = 0
    for readme in args.readme:
        if not osp.isfile(readme):
            raise InputError(f'README not found: {readme}')
        with open(readme, encoding='utf-8') as f:
            text = f.read()
        stale = stale_blocks(text, args.root)
        stale_total += len(stale)
        if args.check:
            for block in stale:
                print(f'{readme}: the block of {block} differs from what the file renders')
        elif stale:
            write_bytes_atomic(readme, render_readme(text, args.root).encode('utf-8'))
            print(f'{len(stale)} block(s) re-rendered in {readme}')
    if args.check and stale_total:
        sys.exit(1)

if __name__ == '__main__':
    main()
