"""How much does a wrong ingredient list cost the teacher? Against the student.

    python tools/analysis_tools/ingredient_robustness.py CONFIG CHECKPOINT
        [--rates 0 0.1 0.25 0.5] [--seed 0] [--out-dir DIR]
        [--cfg-options KEY=VALUE ...]

DCCD's teacher (Hou et al. 2024) reads each image's ingredient list; tests
give it the GT-derived list, an oracle, while a real recipe misses some
ingredients and names absent ones. For each rate ``r`` this evaluates the
teacher on the config's test set with every list corrupted by
:class:`~dccd.datasets.transforms.CorruptIngredients`: a fraction ``r`` of
the true ingredients dropped and as many wrong ones (``r`` times the true
count) added, drawn per image from ``--seed`` and the file name, so a run is
reproducible. Rate 0 is the oracle teacher (``tools/test.py`` with
``model.test_cfg.branch=teacher``). It then evaluates the teacher with lists
proposed from each image (``--ingredients auto``: the student's segmentation,
or a presence head; the threshold chosen on the config's held-out training
images) and the image-only student (DCCD's deployed model; both left out for
DCC without a presence head, whose student is not trained) the same way
``tools/test.py`` does.

Prints a markdown table (mIoU, mAcc, aAcc, the realised drop/add fractions
and the teacher's mIoU minus the student's) and writes
``ingredient_robustness.json`` and ``ingredient_robustness.png`` (mIoU
against the rate) to ``--out-dir`` (default:
``work_dirs/<config name>/ingredient_robustness``). DDIM steps and noise seed
are the config's ``model.test_cfg``.

Written for DCCD (Apache-2.0).
"""
import argparse
import os.path as osp
from typing import List, Optional

from mmengine.config import DictAction
from mmengine.logging import MMLogger
from mmengine.registry import init_default_scope

import dccd  # noqa: F401  (registers DCCD modules, applies dccd.compat)
from dccd.apis import use_corrupted_ingredients, use_teacher_branch
from dccd.apis.evaluation import choose_auto, evaluate, load_model
from dccd.utils import (ArgumentParser, InputError, default_work_dir, exit_on_input_error,
                        load_config)
from dccd.utils.atomic_io import write_figure_atomic
from dccd.utils.results import render, write_result

DEFAULT_RATES = (0.0, 0.1, 0.25, 0.5)


def parse_args(argv=None) -> argparse.Namespace:
    parser = ArgumentParser(
        description='Teacher mIoU under corrupted ingredient lists, against the student')
    parser.add_argument('config', help='config file path')
    parser.add_argument('checkpoint', help='checkpoint file')
    parser.add_argument('--rates', type=float, nargs='+', default=list(DEFAULT_RATES),
                        help='fractions of true ingredients dropped (and of wrong '
                        'ones added)')
    parser.add_argument('--seed', type=int, default=0, help='seed of the corruption')
    parser.add_argument('--out-dir', help='where ingredient_robustness.json and .png go')
    parser.add_argument(
        '--cfg-options', nargs='+', action=DictAction,
        help='override settings of the config; every key must already exist')
    return parser.parse_args(argv)


def plot(teacher: List[dict], student: Optional[dict], title: str,
         auto: Optional[dict] = None):
    """Teacher mIoU against the corruption rate; the student as a line, the
    teacher with automatic lists as a point at their share of dropped
    ingredients (1 - micro recall)."""
    import matplotlib
    matplotlib.use('Agg')
    import matplotlib.pyplot as plt
    fig, ax = plt.subplots(figsize=(6.4, 4.2))
    rates = [100 * row['rate'] for row in teacher]
    ax.plot(rates, [row['mIoU'] for row in teacher], marker='o',
            label='teacher (image + corrupted ingredient list)')
    if student is not None:
        ax.axhline(student['mIoU'], color='tab:orange', linestyle='--',
                   label='student (image only)')
    if auto is not None:
        ax.plot([100 - auto['presence/auto_micro_recall']], [auto['mIoU']], marker='s',
                linestyle='none', color='tab:green',
                label=f"teacher, auto lists ({auto['method']}; x: % dropped)")
    ax.set_xlabel('ingredients dropped = wrong ones added (% of the true list)')
    ax.set_ylabel('mIoU (%)')
    ax.set_title(title, fontsize=9)
    ax.grid(alpha=0.3)
    ax.legend()
    return fig


@exit_on_input_error
def main(argv=None) -> None:
    args = parse_args(argv)
    rates = sorted(set(args.rates))
    if rates[0] < 0 or rates[-1] > 1:
        raise InputError(f'--rates must lie in [0, 1], got {args.rates}')
    if args.seed < 0:
        raise InputError(f'--seed must be >= 0, got {args.seed}')
    cfg = load_config(args.config, args.cfg_options)
    init_default_scope(cfg.get('default_scope', 'mmseg'))
    use_teacher_branch(cfg, 'ingredient_robustness.py')
    model = load_model(cfg, args.checkpoint)
    evaluator = cfg.test_evaluator
    # the metric's per-class tables go to a quiet logger; the table below is ours
    MMLogger.get_instance('ingredient_robustness', log_level='WARNING')
    teacher = []
    for rate in rates:
        row = evaluate(model, use_corrupted_ingredients(cfg.test_dataloader, rate, args.seed),
                       evaluator, 'teacher')
        teacher.append(dict(rate=rate, **row))
        print(f'teacher, rate {rate:g}: mIoU {row["mIoU"]:.2f}', flush=True)
    auto = None
    if model.kind == 'dccd' or model.presence_head is not None:
        auto = choose_auto(model, cfg)
        row = evaluate(model, cfg.test_dataloader, evaluator, 'teacher',
                       auto=dict(method=auto['method'], threshold=auto['threshold']))
        auto.update({k: v for k, v in row.items() if not k.startswith('IoU.')})
        print(f"teacher, auto lists ({auto['method']}, threshold {auto['threshold']}): "
              f"mIoU {row['mIoU']:.2f}", flush=True)
    student = None
    if model.kind == 'dccd':
        student = evaluate(model, cfg.test_dataloader, evaluator, 'student')
        print(f'student: mIoU {student["mIoU"]:.2f}', flush=True)
    else:
        print('no student row: in DCC the image-only branch is not trained')
    steps = model.test_cfg.steps
    out_dir = args.out_dir or osp.join(default_work_dir(args.config), 'ingredient_robustness')
    result = write_result(osp.join(out_dir, 'ingredient_robustness.json'), 'ingredient_robustness',
                          dict(config=args.config, checkpoint=args.checkpoint, seed=args.seed,
                               ddim_steps=steps, teacher=teacher, auto=auto, student=student))
    print(f'\nIngredient robustness: {args.config}, {args.checkpoint}; '
          f'{teacher[0]["images"]} test images, {steps} DDIM steps, seed {args.seed}\n')
    print(render(result, 'bare'))
    title = f'{osp.basename(args.config)}: teacher vs student, seed {args.seed}'
    write_figure_atomic(osp.join(out_dir, 'ingredient_robustness.png'),
                        plot(teacher, student, title, auto))
    print(f'\nwrote ingredient_robustness.json and ingredient_robustness.png to {out_dir}')


if __name__ == '__main__':
    main()
