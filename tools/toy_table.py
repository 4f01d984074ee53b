"""Train the three toy configs and print the toy table: DDP, DCC, DCCD.

    python tools/toy_table.py [--work-root work_dirs] [--retrain]
        [--cfg-options KEY=VALUE ...]

Each config is trained with tools/train.py into ``<work-root>/<config name>``
unless its final checkpoint is already there (so the README's main command,
which trains toy_dccd, is reused), then tested with tools/test.py:

* DDP  — configs/toy/toy_ddp.py, image only;
* DCC  — configs/toy/toy_dcc.py, the teacher given each image's ingredients
  (from its GT mask: an oracle);
* DCCD — configs/toy/toy_dccd.py, the student on images alone (and, for
  reference, the same checkpoint's teacher).

Besides mIoU / mAcc the table gives the mean IoU of the six look-alike
classes (peach/mango, cucumber/zucchini, tofu/chicken), which only the
ingredient list can tell apart, and of the five other foods. The table is
printed as markdown and written to ``<work-root>/toy_table.json``.
"""
import argparse
import glob
import json
import os
import os.path as osp
import subprocess
import sys

from mmengine.config import DictAction

from dccd.datasets import TOY_FOOD_PAIRS
from dccd.utils import TOY_FOOD_CLASSES, InputError, exit_on_input_error, load_config

HERE = osp.dirname(osp.abspath(__file__))
REPO = osp.dirname(HERE)

ROWS = (  # label, config, branch
    ('DDP', 'toy_ddp', 'student'),
    ('DCC (teacher, GT ingredients)', 'toy_dcc', 'teacher'),
    ('DCCD (student, image only)', 'toy_dccd', 'student'),
    ('DCCD teacher (GT ingredients)', 'toy_dccd', 'teacher'),
)
LOOK_ALIKE = [TOY_FOOD_CLASSES[i] for pair in TOY_FOOD_PAIRS for i in pair]
OTHER_FOODS = [name for name in TOY_FOOD_CLASSES[1:] if name not in LOOK_ALIKE]


def parse_args():
    parser = argparse.ArgumentParser(description='Train and compare the toy configs')
    parser.add_argument('--work-root', default='work_dirs',
                        help='work dirs go to <work-root>/<config name>')
    parser.add_argument('--retrain', action='store_true',
                        help='train even if a final checkpoint exists')
    parser.add_argument('--cfg-options', nargs='+', action=DictAction, default={},
                        help='passed to tools/train.py and tools/test.py')
    return parser.parse_args()


def _options(cfg_options: dict) -> list:
    return [f'{k}={v}' for k, v in cfg_options.items()]


def _run(script: str, *args) -> None:
    cmd = [sys.executable, osp.join(HERE, script), *args]
    print('+', ' '.join(cmd), flush=True)
    result = subprocess.run(cmd)
    if result.returncode != 0:
        raise InputError(f'{script} failed (exit {result.returncode}): {" ".join(cmd)}')


def train(name: str, work_dir: str, cfg_options: dict, retrain: bool) -> str:
    config = osp.join(REPO, 'configs', 'toy', f'{name}.py')
    max_iters = load_config(config, cfg_options).train_cfg.max_iters
    ckpt = osp.join(work_dir, f'iter_{max_iters}.pth')
    if retrain or not osp.isfile(ckpt):
        opts = _options(cfg_options)
        _run('train.py', config, '--work-dir', work_dir,
             *(['--cfg-options', *opts] if opts else []))
    return ckpt


def test(name: str, ckpt: str, branch: str, work_dir: str, cfg_options: dict) -> dict:
    config = osp.join(REPO, 'configs', 'toy', f'{name}.py')
    out_dir = osp.join(work_dir, f'test_{branch}')
    before = set(glob.glob(osp.join(out_dir, '*', '*.json')))
    opts = _options(cfg_options) + [
        f'model.test_cfg.branch={branch}', 'test_evaluator.type=PerClassIoUMetric']
    _run('test.py', config, ckpt, '--work-dir', out_dir, '--cfg-options', *opts)
    new = sorted(set(glob.glob(osp.join(out_dir, '*', '*.json'))) - before)
    with open(new[-1]) as f:
        return json.load(f)


def summarise(metrics: dict) -> dict:
    def mean_iou(names):
        return round(sum(metrics[f'IoU.{n}'] for n in names) / len(names), 2)

    return dict(mIoU=metrics['mIoU'], mAcc=metrics['mAcc'],
                look_alike_mIoU=mean_iou(LOOK_ALIKE), other_foods_mIoU=mean_iou(OTHER_FOODS))


def markdown(rows: list) -> str:
    lines = ['| model | mIoU | mAcc | look-alike mIoU | other foods mIoU |',
             '|---|---|---|---|---|']
    for label, s in rows:
        lines.append(f"| {label} | {s['mIoU']:.2f} | {s['mAcc']:.2f} | "
                     f"{s['look_alike_mIoU']:.2f} | {s['other_foods_mIoU']:.2f} |")
    return '\n'.join(lines)


@exit_on_input_error
def main():
    args = parse_args()
    checkpoints, rows = {}, []
    for label, name, branch in ROWS:
        work_dir = osp.join(args.work_root, name)
        if name not in checkpoints:
            checkpoints[name] = train(name, work_dir, args.cfg_options, args.retrain)
        metrics = test(name, checkpoints[name], branch, work_dir, args.cfg_options)
        rows.append((label, summarise(metrics)))
    table = markdown(rows)
    print('\nToy table (look-alike: ' + ', '.join(LOOK_ALIKE) + ')\n' + table)
    os.makedirs(args.work_root, exist_ok=True)
    with open(osp.join(args.work_root, 'toy_table.json'), 'w') as f:
        json.dump(dict(rows=[dict(model=label, **s) for label, s in rows]), f, indent=2)


if __name__ == '__main__':
    main()
