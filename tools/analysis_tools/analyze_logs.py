"""Plot training curves of one or several runs from mmengine's JSON scalar logs.

    python tools/analysis_tools/analyze_logs.py RUN [RUN ...]
        [--keys loss_ce_teacher loss_ce_student loss_kl aux.loss_ce lr mIoU]
        [--legend NAME ...] [--out-dir DIR]

RUN is a work dir (``work_dirs/foodseg103_dccd``), one of its timestamp
folders, a ``vis_data`` folder or a ``scalars.json`` file. mmengine's
``LocalVisBackend`` writes ``<work_dir>/<timestamp>/vis_data/scalars.json``,
one JSON object per line: training records carry the loss terms and ``lr``
at their ``step`` (the iteration), validation records (those without
``lr``) the metrics (``mIoU``) at theirs; their ``time``/``data_time`` are read
as ``val/time``/``val/data_time``. A work dir with several timestamp folders (a resumed run) is read
in time order and a step logged twice keeps its latest value.

Writes one PNG per key to ``--out-dir`` (default: ``<first RUN>/curves``),
one line per run: by default DCCD's three loss terms (Eq. 6: teacher CE,
student CE, KL) separately, the auxiliary FCN loss, the learning rate and
the validation mIoU. Keys a run never logged (a DDP run has no teacher) are
skipped. Prints, per run and key, the last value and, for mIoU, the best.

Written for DCCD (Apache-2.0), with the interface of mmsegmentation's
``tools/analysis_tools/analyze_logs.py``.
"""
import argparse
import glob
import json
import os
import os.path as osp
from typing import Dict, List, Sequence, Tuple

from dccd.utils import ArgumentParser, InputError, exit_on_input_error
from dccd.utils.atomic_io import write_figure_atomic

DEFAULT_KEYS = ('loss_ce_teacher', 'loss_ce_student', 'loss_kl', 'aux.loss_ce',
                'lr', 'mIoU')
SCALARS = 'scalars.json'
#: keys whose best value is the highest (validation metrics)
HIGHER_IS_BETTER = ('mIoU', 'mAcc', 'aAcc', 'mDice', 'mFscore')
#: keys both training and validation records carry
TIMING_KEYS = ('time', 'data_time')

Series = Dict[str, Tuple[List[int], List[float]]]


def parse_args(argv=None) -> argparse.Namespace:
    parser = ArgumentParser(description='Plot training curves from JSON logs')
    parser.add_argument('runs', nargs='+', help='work dirs, timestamp dirs or scalars.json')
    parser.add_argument('--keys', nargs='+', default=list(DEFAULT_KEYS),
                        help='scalars to plot, one PNG each')
    parser.add_argument('--legend', nargs='+', help='one name per run (default: folder names)')
    parser.add_argument('--out-dir', help='where the PNGs go (default: <first run>/curves)')
    return parser.parse_args(argv)


def scalar_files(run: str) -> List[str]:
    """The ``scalars.json`` files of a run, oldest first."""
    if osp.isfile(run):
        return [run]
    if not osp.isdir(run):
        raise InputError(f'log not found: {run}')
    for pattern in (SCALARS, osp.join('vis_data', SCALARS),
                    osp.join('*', 'vis_data', SCALARS)):
        found = sorted(glob.glob(osp.join(run, pattern)))  # timestamps sort by time
        if found:
            return found
    raise InputError(f'no {SCALARS} under {run} (expected '
                     f'<work_dir>/<timestamp>/vis_data/{SCALARS})')


def load_scalars(run: str) -> Series:
    """Every numeric scalar of a run: key -> (steps, values), steps ascending.

    Args:
        run: a work dir, timestamp dir, vis_data dir or scalars.json file.

    Returns:
        dict: e.g. ``{'loss_kl': ([1, 2, ...], [0.0015, 0.0016, ...]),
        'mIoU': ([6], [6.76])}``.
    """
    by_key: Dict[str, Dict[int, float]] = {}
    for path in scalar_files(run):
        with open(path, encoding='utf-8') as file:
            for number, line in enumerate(file, 1):
                if not line.strip():
                    continue
                try:
                    record = json.loads(line)
                except json.JSONDecodeError:
                    raise InputError(f'{path}, line {number}: not a JSON record') from None
                if not isinstance(record, dict) or 'step' not in record:
                    raise InputError(f'{path}, line {number}: a scalar record needs '
                                     "a 'step'")
                step = int(record['step'])
                evaluation = 'lr' not in record  # a validation record
                for key, value in record.items():
                    if key in ('step', 'iter', 'epoch') or isinstance(value, bool) \
                            or not isinstance(value, (int, float)):
                        continue
                    if evaluation and key in TIMING_KEYS:
                        key = f'val/{key}'  # not the training iteration's timing
                    by_key.setdefault(key, {})[step] = float(value)  # latest wins
    return {key: (sorted(values), [values[s] for s in sorted(values)])
            for key, values in by_key.items()}


def run_names(runs: Sequence[str], legend) -> List[str]:
    """Legend entries: ``--legend`` or a readable name per run."""
    if legend:
        if len(legend) != len(runs):
            raise InputError(f'--legend needs {len(runs)} names (one per run), '
                             f'got {len(legend)}')
        return list(legend)
    names = []
    for run in runs:
        path = osp.abspath(run)
        parts = [p for p in path.split(os.sep) if p not in ('', 'vis_data', SCALARS)]
        names.append(parts[-1] if parts else run)
    return names


def plot_key(key: str, curves: List[Tuple[str, Tuple[List[int], List[float]]]]):
    """One matplotlib figure of ``key`` with one line per run."""
    import matplotlib
    matplotlib.use('Agg')
    import matplotlib.pyplot as plt
    fig, ax = plt.subplots(figsize=(6.4, 4.0))
    for name, (steps, values) in curves:
        marker = 'o' if len(steps) <= 30 else None
        ax.plot(steps, values, label=name, marker=marker, markersize=3)
    ax.set_xlabel('iteration')
    ax.set_ylabel(key)
    ax.set_title(key)
    ax.grid(alpha=0.3)
    if key == 'lr':
        ax.ticklabel_format(axis='y', style='sci', scilimits=(-3, 3))
    ax.legend()
    return fig


def summary_line(name: str, key: str, steps: List[int], values: List[float]) -> str:
    line = f'{name}: {key} last {values[-1]:.6g} (iter {steps[-1]})'
    if key in HIGHER_IS_BETTER:
        best = max(range(len(values)), key=values.__getitem__)
        line += f', best {values[best]:.6g} (iter {steps[best]})'
    return line


@exit_on_input_error
def main(argv=None) -> None:
    args = parse_args(argv)
    names = run_names(args.runs, args.legend)
    series = [load_scalars(run) for run in args.runs]
    out_dir = args.out_dir or osp.join(
        args.runs[0] if osp.isdir(args.runs[0]) else osp.dirname(args.runs[0]), 'curves')
    os.makedirs(out_dir, exist_ok=True)
    written = []
    for key in args.keys:
        curves = [(name, run[key]) for name, run in zip(names, series) if key in run]
        if not curves:
            print(f'{key}: not logged by any run, skipped')
            continue
        path = osp.join(out_dir, f'{key}.png')
        write_figure_atomic(path, plot_key(key, curves))
        written.append(path)
        for name, (steps, values) in curves:
            print(summary_line(name, key, steps, values))
    if not written:
        logged = sorted(set().union(*series))
        raise InputError(f'none of the keys {args.keys} was logged; logged keys: {logged}')
    print(f'wrote {len(written)} plot(s) to {out_dir}')


if __name__ == '__main__':
    main()
