"""Generate the toy food dataset (DCCD's embedded default; no downloads).

    python tools/make_toy_food.py [--root data/toy_food] [--seed 0]
        [--num-train 600] [--num-test 150] [--size 128] [--overwrite]

Plates with 2-4 food regions in the FoodSeg103 layout, 12 classes including
three look-alike pairs told apart only by the ingredient list (and, weakly,
by co-occurring foods); see ``dccd/datasets/toy_food.py``. Deterministic per
seed; a few seconds. ``ToyFoodDataset`` also generates the default set on
first use, so running this is optional.
"""
import time

from mmengine.logging import print_log

from dccd.datasets.toy_food import generate_toy_food
from dccd.utils import ArgumentParser, exit_on_input_error


def parse_args():
    parser = ArgumentParser(description='Generate the toy food dataset')
    parser.add_argument('--root', default='data/toy_food', help='output folder')
    parser.add_argument('--seed', type=int, default=0, help='random seed')
    parser.add_argument('--num-train', type=int, default=600, help='train images')
    parser.add_argument('--num-test', type=int, default=150, help='test images')
    parser.add_argument('--size', type=int, default=128, help='image side (px)')
    parser.add_argument('--overwrite', action='store_true',
                        help='replace an existing, different dataset at --root')
    return parser.parse_args()


@exit_on_input_error
def main():
    args = parse_args()
    start = time.time()
    generate_toy_food(args.root, seed=args.seed, num_train=args.num_train,
                      num_test=args.num_test, size=args.size, overwrite=args.overwrite)
    print_log(f'toy food dataset in {args.root} ({args.num_train} train, '
              f'{args.num_test} test, {args.size}x{args.size}, seed {args.seed}; '
              f'{time.time() - start:.1f} s)', logger='current')


if __name__ == '__main__':
    main()
