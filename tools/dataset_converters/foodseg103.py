"""Check a FoodSeg103 copy: pairs per split and every problem, one line each.

    python tools/dataset_converters/foodseg103.py --check data/FoodSeg103 [--nproc 4]

FoodSeg103 is released in mmsegmentation's layout
(``Images/img_dir/{train,test}/*.jpg``, ``Images/ann_dir/{train,test}/*.png``),
so there is nothing to convert. ``--check`` decodes every pair and reports an
image without a mask or the reverse, an image/mask size mismatch, label ids
outside 0..103 (255 = ignore is allowed) and unreadable or truncated files.
Exit status: 0 when clean, 1 when problems were found, 2 for a bad ROOT.
"""
import os
import os.path as osp
import sys

from mmengine.logging import print_log

from dccd.datasets.file_checks import check_folder_pairs
from dccd.utils import FOODSEG103_CLASSES, ArgumentParser, InputError, exit_on_input_error

SPLITS = ('train', 'test')


def parse_args():
    parser = ArgumentParser(description='Check a FoodSeg103 copy')
    parser.add_argument('root', help='dataset root, e.g. data/FoodSeg103')
    parser.add_argument('--check', action='store_true', required=True,
                        help='count pairs and report problems (the only mode)')
    parser.add_argument('--nproc', type=int, default=min(4, os.cpu_count() or 1),
                        help='worker processes for decoding')
    return parser.parse_args()


def check(root: str, nproc: int = 1):
    """Check every split present; return (report lines, number of problems)."""
    if not osp.isdir(root):
        raise InputError(f'FoodSeg103 root not found: {root}')
    report, total_pairs, total_problems, splits_found = [], 0, 0, 0
    for split in SPLITS:
        img_dir = osp.join(root, 'Images', 'img_dir', split)
        ann_dir = osp.join(root, 'Images', 'ann_dir', split)
        if not osp.isdir(img_dir) and not osp.isdir(ann_dir):
            report.append(f'{split}: not present ({img_dir})')
            continue
        splits_found += 1
        missing = [d for d in (img_dir, ann_dir) if not osp.isdir(d)]
        if missing:
            pairs, problems = 0, [f'folder not found: {missing[0]}']
        else:
            pairs, problems = check_folder_pairs(
                img_dir, ann_dir, '.jpg', '.png', len(FOODSEG103_CLASSES), nproc=nproc)
        report += [f'problem: {line}' for line in problems]
        report.append(f'{split}: {pairs} pairs, {len(problems)} problems')
        total_pairs += pairs
        total_problems += len(problems)
    if not splits_found:
        raise InputError(f'no FoodSeg103 split under {root}: expected '
                         'Images/img_dir/{train,test} and Images/ann_dir/{train,test}')
    report.append(f'total: {total_pairs} pairs, {total_problems} problems')
    return report, total_problems


@exit_on_input_error
def main():
    args = parse_args()
    report, problems = check(args.root, args.nproc)
    for line in report:
        print_log(line, logger='current')
    sys.exit(1 if problems else 0)


if __name__ == '__main__':
    main()
