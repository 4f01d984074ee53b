"""Convert UEC-FoodPIX Complete masks to single-channel class-id PNGs, or check a copy.

    python tools/dataset_converters/uecfoodpix.py data/UECFoodPIXCOMPLETE
        [--out-dir DIR] [--overwrite] [--nproc 4]
    python tools/dataset_converters/uecfoodpix.py data/UECFoodPIXCOMPLETE --check

The release stores ``{train,test}/img/<id>.jpg`` and RGB masks
``{train,test}/mask/<id>.png`` whose red channel is the class id (0..102).
Converting writes ``<out-dir>/{train,test}/mask_id/<id>.png`` (one channel,
pixel = class id; ``--out-dir`` defaults to the root), which
``UECFoodPIXDataset`` loads. Some release masks have width and height swapped
relative to their image: they are transposed and reported. Each file is
written to a temporary name and renamed, so an interrupted run leaves no
half-written mask; masks already converted are kept unless ``--overwrite``.
Pairs that cannot be converted (no partner, other size mismatch, ids > 102,
unreadable) are reported and skipped.

``--check`` counts images, raw and converted masks per split and verifies the
pairs the dataset will load (converted masks when present, else the raw ones).
Exit status: 0 when clean, 1 when problems were found, 2 for a bad ROOT.
"""
import os
import os.path as osp
import sys

import cv2
from mmengine.logging import print_log
from PIL import Image

from dccd.datasets.file_checks import (bad_ids, check_folder_pairs, decode_mask,
                                       list_files, pair_files, size_mismatch)
from dccd.utils import (UECFOODPIX_CLASSES, ArgumentParser, InputError, exit_on_input_error,
                        present_ids)
from dccd.utils.atomic_io import write_bytes_atomic

SPLITS = ('train', 'test')
NUM_CLASSES = len(UECFOODPIX_CLASSES)
RED = 0  # channel of Pillow's RGB arrays


def parse_args():
    parser = ArgumentParser(
        description='Convert UEC-FoodPIX Complete masks, or check a copy')
    parser.add_argument('root', help='dataset root, e.g. data/UECFoodPIXCOMPLETE')
    parser.add_argument('--out-dir', help='where {split}/mask_id goes (default: root)')
    parser.add_argument('--check', action='store_true',
                        help='count files and verify pairs; write nothing')
    parser.add_argument('--overwrite', action='store_true',
                        help='rewrite masks that are already converted')
    parser.add_argument('--nproc', type=int, default=min(4, os.cpu_count() or 1),
                        help='worker processes')
    return parser.parse_args()


def convert_one(job: tuple):
    """Convert one mask; return (status, problem or message)."""
    img_path, mask_path, out_path, overwrite = job
    if osp.exists(out_path) and not overwrite:
        return 'present', None
    try:
        with Image.open(img_path) as img:
            width, height = img.size
        with open(mask_path, 'rb') as f:
            mask = decode_mask(f.read(), mask_path)
    except (InputError, OSError) as exc:
        return 'problem', f'unreadable: {exc}'
    ids = mask[..., RED] if mask.ndim == 3 else mask
    bad = [i for i in present_ids(ids) if i >= NUM_CLASSES and i != 255]
    if bad:
        return 'problem', bad_ids(mask_path, bad, NUM_CLASSES, 255)
    status, message = 'written', None
    if ids.shape != (height, width):
        message = size_mismatch(img_path, (height, width), mask_path, ids.shape)
        if ids.shape != (width, height):
            return 'problem', message
        ids, status = ids.T, 'fixed'
        message = f'transposed: {message}'
    ok, png = cv2.imencode('.png', ids.copy())
    if not ok:
        return 'problem', f'cannot encode {out_path}'
    write_bytes_atomic(out_path, png.tobytes())
    return status, message


def split_dirs(root: str, split: str):
    return (osp.join(root, split, 'img'), osp.join(root, split, 'mask'))


def convert(root: str, out_dir=None, overwrite: bool = False, nproc: int = 1):
    """Convert every split; return (report lines, number of problems)."""
    out_root = out_dir or root
    report, problems = [], 0
    for split in SPLITS:
        img_dir, mask_dir = split_dirs(root, split)
        if not osp.isdir(img_dir) and not osp.isdir(mask_dir):
            report.append(f'{split}: not present ({img_dir})')
            continue
        for folder in (img_dir, mask_dir):
            if not osp.isdir(folder):
                raise InputError(f'UEC-FoodPIX folder not found: {folder}')
        split_out = osp.join(out_root, split, 'mask_id')
        found = pair_files(img_dir, mask_dir, '.jpg', '.png')
        lines = [f'problem: image {i} has no mask {m}'
                 for i, m in found.images_without_mask]
        lines += [f'problem: mask {m} has no image {i}'
                  for m, i in found.masks_without_image]
        jobs = [(img, mask, osp.join(split_out, osp.relpath(mask, mask_dir)), overwrite)
                for img, mask in found.pairs]
        for job in jobs:
            os.makedirs(osp.dirname(job[2]), exist_ok=True)
        if nproc > 1 and len(jobs) > 1:
            import multiprocessing

            # spawn, not fork: the parent has torch (and its thread pools) loaded
            with multiprocessing.get_context('spawn').Pool(nproc) as pool:
                results = pool.map(convert_one, jobs, chunksize=16)
        else:
            results = [convert_one(job) for job in jobs]
        counts = dict(written=0, fixed=0, present=0, problem=0)
        for status, message in results:
            counts[status] += 1
            if status == 'problem':
                lines.append(f'problem: {message}')
            elif message:
                lines.append(message)
        split_problems = counts['problem'] + len(found.images_without_mask) + len(
            found.masks_without_image)
        report += lines
        report.append(f"{split}: {len(found.pairs)} pairs -> {split_out}: "
                      f"{counts['written'] + counts['fixed']} written "
                      f"({counts['fixed']} swapped masks transposed), "
                      f"{counts['present']} already there, {split_problems} problems")
        problems += split_problems
    return report, problems


def check(root: str, out_dir=None, nproc: int = 1):
    """Count and verify every split; return (report lines, number of problems)."""
    report, problems = [], 0
    for split in SPLITS:
        img_dir, mask_dir = split_dirs(root, split)
        id_dir = osp.join(out_dir or root, split, 'mask_id')
        if not osp.isdir(img_dir) and not osp.isdir(mask_dir):
            report.append(f'{split}: not present ({img_dir})')
            continue
        if not osp.isdir(img_dir):
            report.append(f'problem: folder not found: {img_dir}')
            problems += 1
            continue
        count = {d: len(list_files(d, s)) if osp.isdir(d) else None
                 for d, s in ((img_dir, '.jpg'), (mask_dir, '.png'), (id_dir, '.png'))}
        converted = ('not converted' if count[id_dir] is None
                     else f'{count[id_dir]} converted masks')
        report.append(f'{split}: {count[img_dir]} images, {count[mask_dir]} raw masks, '
                      f'{converted}')
        if count[id_dir] is not None:
            checked, channel = id_dir, None
        elif count[mask_dir] is not None:
            checked, channel = mask_dir, RED
        else:
            report.append(f'problem: folder not found: {mask_dir}')
            problems += 1
            continue
        pairs, lines = check_folder_pairs(img_dir, checked, '.jpg', '.png', NUM_CLASSES,
                                          mask_channel=channel, nproc=nproc)
        report += [f'problem: {line}' for line in lines]
        hint = ' (run the converter: it transposes swapped masks)' if (
            channel == RED and any('swapped' in line for line in lines)) else ''
        report.append(f'{split}: {pairs} pairs checked against {checked}, '
                      f'{len(lines)} problems{hint}')
        problems += len(lines)
    return report, problems


@exit_on_input_error
def main():
    args = parse_args()
    if not osp.isdir(args.root):
        raise InputError(f'UEC-FoodPIX root not found: {args.root}')
    if not any(osp.isdir(d) for s in SPLITS for d in split_dirs(args.root, s)):
        raise InputError(f'no UEC-FoodPIX split under {args.root}: expected '
                         '{train,test}/img and {train,test}/mask')
    if args.check:
        report, problems = check(args.root, args.out_dir, args.nproc)
    else:
        report, problems = convert(args.root, args.out_dir, args.overwrite, args.nproc)
    for line in report + [f'total: {problems} problems']:
        print_log(line, logger='current')
    sys.exit(1 if problems else 0)


if __name__ == '__main__':
    main()
