"""Build FoodSeg103-mini from an official FoodSeg103 release.

    python tools/dataset_converters/foodseg103_mini.py data/FoodSeg103 data/foodseg103_mini

FoodSeg103-mini is DCCD's small real-food set for CPU experiments: 1,035
train and 65 test image/mask pairs, ALL drawn from the release's **test**
split (so results on it are not comparable with published FoodSeg103
numbers), listed in ``configs/foodseg103-mini/splits/mini_{train,test}_ids.txt``.
Train images whose long side exceeds 640 px are resized to 640 with Pillow
(image LANCZOS, JPEG quality 90; mask NEAREST), as the shared copy was made;
all other files are copied as released.
The output has FoodSeg103's layout (``Images/{img_dir,ann_dir}/{train,test}``),
so ``FoodSeg103Dataset`` reads it. Every file is written whole (temporary file
+ rename); a missing release file stops with one line before anything is
written. Written for DCCD (Apache-2.0); FoodSeg103 (Wu et al., ACM MM 2021)
is Apache-2.0.
"""
import io
import os.path as osp

from PIL import Image

from dccd.utils import ArgumentParser, InputError, exit_on_input_error
from dccd.utils.atomic_io import write_bytes_atomic

REPO = osp.dirname(osp.dirname(osp.dirname(osp.abspath(__file__))))
SPLITS = osp.join(REPO, 'configs', 'foodseg103-mini', 'splits')
LONG_SIDE = 640
JPEG_QUALITY = 90


def parse_args(argv=None):
    parser = ArgumentParser(description='Build FoodSeg103-mini from FoodSeg103')
    parser.add_argument('release', help='the FoodSeg103 release root (data/FoodSeg103)')
    parser.add_argument('out', help='the FoodSeg103-mini root to write')
    return parser.parse_args(argv)


def read_ids(split: str) -> list:
    with open(osp.join(SPLITS, f'mini_{split}_ids.txt')) as f:
        return [line.strip() for line in f if line.strip()]


def release_pair(release: str, image_id: str) -> tuple:
    return (osp.join(release, 'Images', 'img_dir', 'test', f'{image_id}.jpg'),
            osp.join(release, 'Images', 'ann_dir', 'test', f'{image_id}.png'))


def shrunk_bytes(src: str, resample, **save_args) -> bytes:
    """The file ``src`` with its long side cut to LONG_SIDE, encoded again."""
    with Image.open(src) as image:
        width, height = image.size
        scale = LONG_SIDE / max(width, height)
        resized = image.resize((round(width * scale), round(height * scale)), resample)
        buffer = io.BytesIO()
        resized.save(buffer, format=image.format, **save_args)
    return buffer.getvalue()


def long_side(path: str) -> int:
    with Image.open(path) as image:
        return max(image.size)


@exit_on_input_error
def main(argv=None):
    args = parse_args(argv)
    plan = {split: read_ids(split) for split in ('train', 'test')}
    for ids in plan.values():
        for image_id in ids:
            for path in release_pair(args.release, image_id):
                if not osp.isfile(path):
                    raise InputError(f'FoodSeg103 release file not found: {path} '
                                     '(FoodSeg103-mini is drawn from the release test split)')
    for split, ids in plan.items():
        for image_id in ids:
            src_img, src_mask = release_pair(args.release, image_id)
            dst_img = osp.join(args.out, 'Images', 'img_dir', split, f'{image_id}.jpg')
            dst_mask = osp.join(args.out, 'Images', 'ann_dir', split, f'{image_id}.png')
            if split == 'train' and long_side(src_img) > LONG_SIDE:
                write_bytes_atomic(dst_img, shrunk_bytes(src_img, Image.LANCZOS,
                                                         quality=JPEG_QUALITY))
                write_bytes_atomic(dst_mask, shrunk_bytes(src_mask, Image.NEAREST))
                continue
            for src, dst in ((src_img, dst_img), (src_mask, dst_mask)):
                with open(src, 'rb') as f:
                    write_bytes_atomic(dst, f.read())
        print(f'{split}: {len(ids)} pairs -> {osp.join(args.out, "Images")}')

if __name__ == '__main__':
    main()
