"""Hold out a seeded validation split of a training folder, as id lists.

    python tools/dataset_converters/val_split.py IMG_DIR OUT_DIR [--fraction 0.1]
        [--seed 0] [--suffix .jpg]

IMG_DIR is a training image folder (e.g. ``data/FoodSeg103/Images/img_dir/train``).
OUT_DIR receives ``train.txt`` and ``val.txt``: the image stems, one per line,
sorted; ``val.txt`` holds ``round(fraction * n)`` of them, drawn with the seed.
Point a config's train loader at ``train.txt`` and a validation loader, reading
the same training folders, at ``val.txt`` (``dataset.ann_file``): the held-out
images are then never trained on, and checkpoints or thresholds can be chosen
on them instead of on the test split. Written for DCCD (Apache-2.0).
"""
import os
import os.path as osp

from dccd.datasets.val_split import split_ids, write_id_list
from dccd.utils import ArgumentParser, InputError, exit_on_input_error


def parse_args(argv=None):
    parser = ArgumentParser(description='Write a seeded train/val id split')
    parser.add_argument('img_dir', help='the training image folder')
    parser.add_argument('out_dir', help='where train.txt and val.txt go')
    parser.add_argument('--fraction', type=float, default=0.1,
                        help='share of the images held out (default 0.1)')
    parser.add_argument('--seed', type=int, default=0, help='seed of the draw')
    parser.add_argument('--suffix', default='.jpg', help='image suffix (default .jpg)')
    return parser.parse_args(argv)


@exit_on_input_error
def main(argv=None):
    args = parse_args(argv)
    if not osp.isdir(args.img_dir):
        raise InputError(f'image folder not found: {args.img_dir}')
    stems = [name[:-len(args.suffix)] for name in os.listdir(args.img_dir)
             if name.endswith(args.suffix) and not name.startswith('.')]
    if not stems:
        raise InputError(f'no *{args.suffix} images in {args.img_dir}')
    train, val = split_ids(stems, args.fraction, args.seed)
    for name, ids in (('train.txt', train), ('val.txt', val)):
        write_id_list(osp.join(args.out_dir, name), ids)
    print(f'{len(train)} train and {len(val)} val ids (seed {args.seed}) -> {args.out_dir}')


if __name__ == '__main__':
    main()
