"""Train and test the runs of an experiment table, write its results JSON.

    python tools/experiment_table.py SPEC [--work-root work_dirs] [--retrain]
        [--allow-dirty] [--render-only] [--cfg-options KEY=VALUE ...]

SPEC (``configs/toy/table.yaml``, ``configs/foodseg103-mini/table.yaml``)
names the runs (a config, relative to SPEC, and its seeds) and the rows of
the table (a run, a branch and where the teacher's ingredient lists come
from). For each run and seed the tool trains with ``tools/train.py`` into
``<work-root>/<config name>`` (``..._seed<S>`` for a seed other than the
config's ``randomness.seed``) unless that run's final checkpoint is already
there (so the README's main command, which trains the toy DCCD, is reused),
then evaluates every row of it in this process
(:func:`dccd.apis.evaluation.evaluate`, the same metrics as ``tools/test.py``).
It says which run of how many it is on, with an ETA, and writes
``SPEC's folder/<output>`` after every finished run (so a run cut off by the
end of a session is the only one lost): per run and seed the checkpoint,
iterations, wall time, the commit it trained on (taken at its start) and its
learning curve (the validation metrics the run logged, on the held-out
images); per row and seed mIoU, mAcc, aAcc, the per-class IoU and the spec's
class-group means; over the seeds the mean and half the range; plus the
command, date, machine and commit. A run and seed already in that file with
the same config and iterations is kept as recorded (no checkpoint needed:
``--retrain`` trains it again); when the spec has rows of it that the file
lacks, those rows alone are evaluated on its checkpoint (if it is in
``--only``, or there is none). Training refuses to start while ``.py`` files
under ``dccd/``, ``configs/`` or ``tools/`` have uncommitted changes;
``--allow-dirty`` allows it and records the diff's SHA-256. README.md renders
its tables from that file (``tools/misc/render_results.py``); a spec's
``curve_figure`` is drawn from it too (a panel per table group).
``--render-only`` reprints the table of an existing file and redraws its
curve figure.

Lists of a teacher row (``lists``): ``gt`` (default: from the GT mask, an
oracle), ``corrupt:R`` (the GT list with a fraction R dropped and as many
wrong ingredients added, seeded; ``CorruptIngredients``), or ``auto:area`` /
``auto:presence`` (proposed from each image, at the threshold with the best
micro F1 on the config's held-out training images, among the spec's
``auto_thresholds``). Every row also records its ingredient-list scores
(``IngredientPresenceMetric``: ``seg_*`` for the classes its segmentation
predicts, ``auto_*`` for a proposed list).

A row may test at another resolution (``test_short_sides``: candidate short
sides in pixels, for the test pipeline's ``Resize``): the one with the best
mIoU on the config's held-out training images is chosen, per seed, never on
the test split; the row records it and every candidate's held-out mIoU
(rendered by the ``test_scale`` view). A row with ``tta: true`` tests with
the config's ``tta_pipeline``, its views merged as ``tools/test.py --tta``
merges them (:func:`dccd.apis.evaluation.with_tta`).
Written for DCCD (Apache-2.0).
"""
import glob
import json
import math
import os.path as osp
import subprocess
import sys
import time
from typing import Dict, List, Optional

from mmengine.config import Config, DictAction
from mmengine.fileio import dump, load
from mmengine.logging import MMLogger
from mmengine.registry import init_default_scope

import dccd  # noqa: F401  (registers DCCD modules, applies dccd.compat)
from dccd.apis import use_corrupted_ingredients
from dccd.models.segmentors.self_distill_segmentor import AUTO_METHODS
from dccd.apis.evaluation import (choose_auto, choose_test_short_side, evaluate, heldout_loader,
                                  load_model, with_test_short_side, with_tta)
from dccd.utils import ArgumentParser, InputError, exit_on_input_error, load_config
from dccd.utils.results import (code_changes, code_diff_sha256, git_head, machine_info,
                                mean_and_spread, read_result, render, write_result)

HERE = osp.dirname(osp.abspath(__file__))
BASE_METRICS = ('mIoU', 'mAcc', 'aAcc')
#: Ingredient-list scores (percent) kept from IngredientPresenceMetric.
PRESENCE_METRICS = tuple(f'{kind}_{score}' for kind in ('seg', 'auto')
                         for score in ('precision', 'recall', 'f1', 'micro_f1'))


def parse_args(argv=None):
    parser = ArgumentParser(description='Train and test an experiment table')
    parser.add_argument('spec', help='table spec, e.g. configs/toy/table.yaml')
    parser.add_argument('--work-root', default='work_dirs',
                        help='work dirs go to <work-root>/<config name>[_seed<S>]')
    parser.add_argument('--retrain', action='store_true',
                        help='train even where a final checkpoint exists')
    parser.add_argument('--allow-dirty', action='store_true',
                        help='train although .py files under dccd/, configs/ or tools/ have '
                        "uncommitted changes (the diff's SHA-256 is recorded)")
    parser.add_argument('--render-only', action='store_true',
                        help="print the table of the spec's existing results file and "
                        'redraw its curve figure')
    parser.add_argument('--only', nargs='+', default=[], metavar='RUN[:SEED]',
                        help='train only these runs (every seed, or the one given), in this '
                        'order; recorded runs of the others are kept, the rest left out')
    parser.add_argument('--cfg-options', nargs='+', action=DictAction, default={},
                        help='passed to every training run and evaluation')
    return parser.parse_args(argv)


# --------------------------------------------------------------------------
# the spec
# --------------------------------------------------------------------------
def read_spec(path: str) -> Config:
    """The spec, checked: every row names a run, every comparison a row."""
    spec = load_config(path)
    for key in ('output', 'runs', 'rows', 'metrics'):
        if key not in spec:
            raise InputError(f'{path}: no {key!r}')
    names = [row['name'] for row in spec.rows]
    for row in spec.rows:
        if row['run'] not in spec.runs:
            raise InputError(f"{path}: row {row['name']!r} names run {row['run']!r}, "
                             f'which is not in runs')
        lists_of(row, path)
        test_short_sides_of(row, path)
        tta_of(row, path)
    for comparison in spec.get('comparisons', []):
        for key in ('row', 'minus'):
            if comparison[key] not in names:
                raise InputError(f'{path}: comparison names row {comparison[key]!r}, '
                                 'which is not in rows')
    return spec


def lists_of(row: dict, where: str = 'spec') -> tuple:
    """('gt', None), ('corrupt', rate) or ('auto', method) for a row's ``lists``."""
    lists = str(row.get('lists', 'gt'))
    if lists == 'gt':
        return 'gt', None
    if lists in (f'auto:{method}' for method in AUTO_METHODS):
        return 'auto', lists.split(':', 1)[1]
    if lists.startswith('corrupt:'):
        try:
            rate = float(lists.split(':', 1)[1])
        except ValueError:
            rate = -1.0
        if 0.0 <= rate <= 1.0:
            return 'corrupt', rate
    raise InputError(f"{where}: row {row['name']!r}: lists must be 'gt', 'corrupt:R' "
                     f"with R in [0, 1] or one of {[f'auto:{m}' for m in AUTO_METHODS]}, "
                     f'got {lists!r}')


def test_short_sides_of(row: dict, where: str = 'spec') -> Optional[List[int]]:
    """A row's candidate test short sides (None: the config's test size)."""
    sides = row.get('test_short_sides')
    if sides is None:
        return None
    if not isinstance(sides, (list, tuple)) or not sides or \
            not all(isinstance(s, int) and s > 0 for s in sides):
        raise InputError(f"{where}: row {row['name']!r}: test_short_sides must be a non-empty "
                         f'list of positive pixel counts, got {sides!r}')
    if lists_of(row, where)[0] != 'gt':
        raise InputError(f"{where}: row {row['name']!r}: test_short_sides needs GT lists "
                         f"(its held-out choice scores the row's branch as tested)")
    return list(sides)


def tta_of(row: dict, where: str = 'spec') -> bool:
    """Whether a row tests with the config's ``tta_pipeline``."""
    tta = row.get('tta', False)
    if not isinstance(tta, bool):
        raise InputError(f"{where}: row {row['name']!r}: tta must be true or false, got {tta!r}")
    if tta and row.get('test_short_sides') is not None:
        raise InputError(f"{where}: row {row['name']!r}: tta and test_short_sides exclude each "
                         "other (the tta_pipeline sets its own sizes)")
    return tta


def plan_runs(spec: Config, spec_dir: str, work_root: str, cfg_options: dict) -> List[dict]:
    """One entry per run and seed: config, seed, work dir, final checkpoint;
    every run's first seed first, then every run's second seed, and so on
    (a table cut short still has one seed of each run)."""
    plan = []
    for name, run in spec.runs.items():
        config = osp.normpath(osp.join(spec_dir, run['config']))
        cfg = load_config(config, cfg_options)
        stem = osp.splitext(osp.basename(config))[0]
        default_seed = (cfg.get('randomness') or {}).get('seed', 0)
        for rank, seed in enumerate(run['seeds']):
            work_dir = osp.join(work_root, stem if seed == default_seed else f'{stem}_seed{seed}')
            iters = cfg.train_cfg.max_iters
            plan.append(dict(run=name, config=config, seed=int(seed), work_dir=work_dir,
                             iters=iters, checkpoint=osp.join(work_dir, f'iter_{iters}.pth'),
                             default_seed=seed == default_seed, rank=rank))
    return sorted(plan, key=lambda entry: entry['rank'])  # stable: spec order within a rank


def select_runs(plan: List[dict], only: List[str]) -> List[dict]:
    """The plan with the ``RUN[:SEED]`` entries of ``only`` first, in that
    order; every other entry is marked ``train=False`` (kept when recorded)."""
    if not only:
        return [dict(entry, train=True) for entry in plan]
    chosen = []
    for item in only:
        name, _, seed = item.partition(':')
        if seed and not seed.lstrip('-').isdigit():
            raise InputError(f'--only: {item!r} is not RUN or RUN:SEED')
        hits = [e for e in plan if e['run'] == name and (not seed or e['seed'] == int(seed))]
        if not hits:
            raise InputError(f"--only: {item!r} is not a run and seed of the spec "
                             f"(runs: {sorted({e['run'] for e in plan})})")
        chosen += [e for e in hits if e not in chosen]
    return [dict(e, train=True) for e in chosen] + \
        [dict(e, train=False) for e in plan if e not in chosen]


# --------------------------------------------------------------------------
# what a run trained on
# --------------------------------------------------------------------------
REPO = osp.dirname(HERE)


def code_state(allow_dirty: bool) -> dict:
    """The commit a run starts from; InputError when ``.py`` files under
    ``dccd/``, ``configs/`` or ``tools/`` have uncommitted changes (the
    definition of dirty every result file uses), unless ``allow_dirty`` (then
    the SHA-256 of their diff against HEAD and of the untracked files is
    recorded)."""
    status = code_changes(REPO)
    head = git_head(REPO)
    if status is None or not head:
        raise InputError(f'{REPO} is not a git checkout: a run must record its commit')
    state = dict(commit=head, diff_sha256=None)
    if not status:
        return state
    if not allow_dirty:
        raise InputError(f'{len(status)} .py file(s) under dccd, configs, tools have '
                         f'uncommitted changes (e.g. {status[0][3:]}): commit them, or pass '
                         '--allow-dirty to record the diff\'s hash')
    state['diff_sha256'] = code_diff_sha256(REPO, status)
    return state


def learning_curve(work_dir: str) -> List[dict]:
    """The validation metrics a run logged (mmengine's ``vis_data/scalars.json``
    of each of its timestamped folders; a resumed run has several), one
    entry per validated iteration, in order."""
    points = {}
    for path in sorted(glob.glob(osp.join(glob.escape(work_dir), '*', 'vis_data',
                                          'scalars.json'))):
        with open(path, encoding='utf-8') as f:
            for line in f:
                record = json.loads(line)
                if 'mIoU' in record and 'step' in record:
                    points[int(record['step'])] = {m: record[m] for m in BASE_METRICS
                                                   if m in record}
    return [dict(iter=step, **points[step]) for step in sorted(points)]


# --------------------------------------------------------------------------
# training and testing
# --------------------------------------------------------------------------
WALL_FILE = 'train_wall.json'
RUN_FILE = 'run_info.json'


def train(entry: dict, cfg_options: dict, state: dict) -> float:
    """Train one run with tools/train.py; its wall time in seconds, also
    written to ``<work dir>/train_wall.json`` (read back when it is reused).
    ``state`` (:func:`code_state`) goes to ``<work dir>/run_info.json``
    before training starts."""
    dump(dict(state, started=time.strftime('%Y-%m-%d %H:%M UTC', time.gmtime())),
         osp.join(entry['work_dir'], RUN_FILE))
    options = [f'{k}={v}' for k, v in cfg_options.items()]
    if not entry['default_seed']:
        options.append(f"randomness.seed={entry['seed']}")
    cmd = [sys.executable, osp.join(HERE, 'train.py'), entry['config'],
           '--work-dir', entry['work_dir']] + (['--cfg-options', *options] if options else [])
    print('+', ' '.join(cmd), flush=True)
    start = time.time()
    result = subprocess.run(cmd)
    if result.returncode != 0:
        raise InputError(f'training failed (exit {result.returncode}): {" ".join(cmd)}')
    wall = time.time() - start
    dump(dict(train_wall_s=round(wall, 1), machine=machine_info()['name']),
         osp.join(entry['work_dir'], WALL_FILE))
    return wall


def wall_record(entry: dict) -> dict:
    """What ``train`` wrote to ``<work dir>/train_wall.json`` (the wall time
    and the machine that trained the run); empty for a run this tool did
    not train."""
    path = osp.join(entry['work_dir'], WALL_FILE)
    return dict(load(path)) if osp.isfile(path) else {}


def run_info(entry: dict) -> dict:
    """What ``run_info.json`` recorded when the run started (commit, diff
    hash, start time); empty for a run this tool did not start."""
    path = osp.join(entry['work_dir'], RUN_FILE)
    return dict(load(path)) if osp.isfile(path) else {}


def group_means(metrics: dict, groups: Dict[str, List[str]]) -> dict:
    """Mean IoU of each group of classes, over the classes with a value
    (a class absent from both prediction and GT has none, not 0)."""
    means = {}
    for group, names in groups.items():
        values = [metrics[f'IoU.{n}'] for n in names
                  if not math.isnan(metrics.get(f'IoU.{n}', math.nan))]
        means[group] = round(sum(values) / len(values), 2) if values else None
    return means


def evaluate_rows(spec: Config, entry: dict, cfg_options: dict,
                  names: Optional[set] = None) -> Dict[str, dict]:
    """The rows of ``entry``'s run (those in ``names``, default all) on its
    final checkpoint: row name -> metrics."""
    cfg = load_config(entry['config'], cfg_options)
    init_default_scope(cfg.get('default_scope', 'mmseg'))
    model = load_model(cfg, entry['checkpoint'])
    evaluator = dict(cfg.test_evaluator, type='PerClassIoUMetric')
    out = {}
    for row in spec.rows:
        if row['run'] != entry['run'] or (names is not None and row['name'] not in names):
            continue
        lists, arg = lists_of(row)
        loader, auto, chosen, size = cfg.test_dataloader, None, {}, {}
        tta = tta_of(row)
        if tta:
            loader = with_tta(loader, cfg, f"row {row['name']!r}")
        if lists == 'corrupt':
            loader = use_corrupted_ingredients(loader, arg, spec.get('corrupt_seed', 0))
        elif lists == 'auto':
            chosen = choose_auto_threshold(spec, cfg, model, arg)
            auto = dict(method=arg, threshold=chosen['threshold'])
        sides = test_short_sides_of(row)
        if sides:
            size = choose_test_short_side(model, cfg, row['branch'], sides,
                                          f"row {row['name']!r}")
            loader = with_test_short_side(loader, size['short_side'], f"row {row['name']!r}")
            print(f"  {row['name']}: test short side {size['short_side']} (best mIoU on "
                  f"{size['heldout_images']} held-out images)", flush=True)
        metrics = evaluate(model, loader, evaluator, row['branch'], auto=auto)
        iou = {k[len('IoU.'):]: v for k, v in metrics.items() if k.startswith('IoU.')}
        presence = {k.split('/', 1)[1]: v for k, v in metrics.items()
                    if k.startswith('presence/')}
        out[row['name']] = dict(
            {m: metrics[m] for m in BASE_METRICS}, IoU=iou, **presence,
            **group_means(metrics, spec.get('class_groups') or {}),
            **({'threshold': chosen['threshold'], 'threshold_candidates': chosen['candidates']}
               if chosen else {}),
            **({'test_short_side': size['short_side'],
                'test_short_side_candidates': size['candidates']} if size else {}),
            **({'tta': True} if tta else {}))
        print(f"  {row['name']}: mIoU {metrics['mIoU']:.2f}", flush=True)
    return out


def choose_auto_threshold(spec: Config, cfg: Config, model, method: str) -> dict:
    """The threshold of an automatic-list row, chosen on the config's held-out
    training images (``heldout_dataloader``), never on the test split; the
    spec's ``auto_thresholds`` may replace the candidates."""
    heldout_loader(cfg, cfg.filename, 'auto lists choose their threshold')
    chosen = choose_auto(model, cfg, method, (spec.get('auto_thresholds') or {}).get(method))
    print(f"  auto:{method}: threshold {chosen['threshold']} (best micro F1 on "
          f"{chosen['heldout_images']} held-out images)", flush=True)
    return chosen


def summarise(spec: Config, per_seed: Dict[str, Dict[int, dict]]) -> list:
    """The spec's rows with at least one seed: per seed, mean and spread."""
    rows = []
    for row in spec.rows:
        seeds = per_seed[row['name']]
        if not seeds:
            continue
        metrics = [m for m in list(BASE_METRICS) + list(spec.get('class_groups') or {})
                   + list(PRESENCE_METRICS) + ['threshold']
                   if all(seeds[s].get(m) is not None for s in seeds)]
        mean, spread = {}, {}
        for metric in metrics:
            mean[metric], spread[metric] = mean_and_spread([seeds[s][metric] for s in seeds])
        rows.append(dict(name=row['name'], label=row.get('label', row['name']),
                         group=row.get('group'), run=row['run'], branch=row['branch'],
                         lists=str(row.get('lists', 'gt')) if row['branch'] == 'teacher' else None,
                         per_seed={str(s): v for s, v in seeds.items()},
                         mean=mean, spread=spread))
    return rows


def recorded_runs(output: str, plan: List[dict], spec: Config) -> Dict[tuple, dict]:
    """(run, seed) -> its record, row metrics and the spec's rows of it that
    are not recorded (``missing``), for the planned runs that ``output``
    already holds with the same config and iterations."""
    if not osp.isfile(output):
        return {}
    old = read_result(output)
    recorded = {}
    for entry in plan:
        run = old.get('runs', {}).get(entry['run'])
        info = (run or {}).get('seeds', {}).get(str(entry['seed']))
        if not info or info.get('iters') != entry['iters'] or \
                osp.normpath(run['config']) != osp.relpath(entry['config']):
            continue
        rows = {row['name']: row['per_seed'][str(entry['seed'])] for row in old['rows']
                if row['run'] == entry['run'] and str(entry['seed']) in row['per_seed']}
        missing = {row['name'] for row in spec.rows if row['run'] == entry['run']} - set(rows)
        recorded[entry['run'], entry['seed']] = dict(info=info, rows=rows, missing=missing)
    return recorded


def run_record(entry: dict) -> dict:
    """What the results file keeps of a run and seed."""
    wall = wall_record(entry)
    machine = {'machine': wall['machine']} if 'machine' in wall else {}
    return dict(work_dir=entry['work_dir'], checkpoint=entry['checkpoint'],
                iters=entry['iters'], train_wall_s=wall.get('train_wall_s'), **machine,
                **run_info(entry), curve=learning_curve(entry['work_dir']))


def in_spec_order(spec: Config, runs: dict) -> dict:
    """``runs`` in the spec's order, each run's seeds in ascending order."""
    return {name: dict(runs[name], seeds=dict(sorted(runs[name]['seeds'].items(),
                                                       key=lambda item: int(item[0]))))
            for name in spec.runs if name in runs}


def write_table(output: str, spec: Config, args, runs: dict,
                per_seed: Dict[str, Dict[int, dict]]) -> dict:
    """Write the results file of the runs done so far (rows without a seed
    yet are left out), and the spec's curve figure."""
    labels = dict(mIoU='mIoU', mAcc='mAcc', aAcc='aAcc', **(spec.get('metric_labels') or {}))
    names = {name for name, seeds in per_seed.items() if seeds}
    result = write_result(output, 'experiment_table', dict(
        title=spec.get('title', ''), spec=osp.relpath(args.spec), cfg_options=args.cfg_options,
        metrics=list(spec.metrics), metric_labels=labels,
        class_groups=dict(spec.get('class_groups') or {}),
        comparisons=[c for c in spec.get('comparisons') or []
                     if c['row'] in names and c['minus'] in names],
        runs=in_spec_order(spec, runs), rows=summarise(spec, per_seed)))
    if spec.get('curve_figure'):
        plot_curves(result, osp.join(osp.dirname(output), spec.curve_figure))
    return result


def curve_panels(result: dict) -> List[tuple]:
    """``[(title, run names)]``: the runs with a learning curve, grouped by the
    table group of the first row that tests them, in the rows' order (runs in
    no group share a last panel, titled by the table)."""
    group_of, order = {}, []
    for row in result.get('rows') or []:
        group_of.setdefault(row['run'], row.get('group'))
        if row.get('group') and row['group'] not in order:
            order.append(row['group'])
    panels = {title: [] for title in order + [None]}
    for name, run in result['runs'].items():
        if any(info.get('curve') for info in run['seeds'].values()):
            panels[group_of.get(name)].append(name)
    return [(title or result.get('title', ''), names) for title, names in panels.items() if names]


def plot_curves(result: dict, path: str) -> None:
    """mIoU on the held-out images against the iteration: one panel per table
    group (:func:`curve_panels`), one colour per run within it and one line
    style per seed, the y axis shared (a PNG, written atomically)."""
    import matplotlib
    matplotlib.use('Agg')
    import matplotlib.pyplot as plt
    from dccd.utils.atomic_io import write_figure_atomic
    pairs = plt.get_cmap('tab20').colors  # dark/light pairs: the darks first
    colors, styles = pairs[0::2] + pairs[1::2], ('-', '--', ':', '-.')
    panels = curve_panels(result)
    # each panel tall enough for its legend, which sits beside its axes
    entries = [sum(bool(info.get('curve')) for name in names
                   for info in result['runs'][name]['seeds'].values()) for _, names in panels]
    heights = [max(3.0, 0.135 * n + 0.9) for n in entries]
    fig, axes = plt.subplots(len(panels), 1, figsize=(10.0, sum(heights) + 0.4), dpi=100,
                             sharex=True, sharey=True, squeeze=False,
                             gridspec_kw=dict(height_ratios=heights))
    for ax, (title, names) in zip(axes[:, 0], panels):
        for index, name in enumerate(names):
            for order, (seed, info) in enumerate(sorted(result['runs'][name]['seeds'].items())):
                curve = info.get('curve') or []
                if curve:
                    ax.plot([p['iter'] for p in curve], [p['mIoU'] for p in curve],
                            marker='o', markersize=3, color=colors[index % len(colors)],
                            linestyle=styles[order % len(styles)], label=f'{name} (seed {seed})')
        ax.set_title(title.replace('`', ''), fontsize=9, loc='left')
        ax.set_ylabel('mIoU, held-out photos', fontsize=8)
        ax.tick_params(labelbottom=True)
        ax.grid(alpha=0.3)
        ax.legend(fontsize=7, loc='upper left', bbox_to_anchor=(1.01, 1.0))
    axes[-1, 0].set_xlabel('iteration')
    fig.tight_layout()
    write_figure_atomic(path, fig)


@exit_on_input_error
def main(argv=None):
    args = parse_args(argv)
    spec = read_spec(args.spec)
    spec_dir = osp.dirname(osp.abspath(args.spec))
    output = osp.join(spec_dir, spec.output)
    if args.render_only:
        result = read_result(output)
        if spec.get('curve_figure'):
            plot_curves(result, osp.join(osp.dirname(output), spec.curve_figure))
        print(render(result))
        return
    plan = select_runs(plan_runs(spec, spec_dir, args.work_root, args.cfg_options), args.only)
    MMLogger.get_instance('experiment_table', log_level='WARNING')
    recorded = {} if args.retrain else recorded_runs(output, plan, spec)
    per_seed = {row['name']: {} for row in spec.rows}
    runs, trained_walls, start = {}, [], time.time()
    for entry in plan:  # the recorded runs are in every results file written below
        key = entry['run'], entry['seed']
        if key in recorded:
            runs.setdefault(entry['run'], dict(config=osp.relpath(entry['config']), seeds={}))
            runs[entry['run']]['seeds'][str(entry['seed'])] = recorded[key]['info']
            for name, metrics in recorded[key]['rows'].items():
                per_seed[name][entry['seed']] = metrics
    for index, entry in enumerate(plan, 1):
        key = entry['run'], entry['seed']
        record = recorded.get(key)
        head = (f"\n== run {index}/{len(plan)}: {osp.basename(entry['config'])} "
                f"seed {entry['seed']}")
        if (record and not record['missing']) or not entry['train']:
            kept = f'recorded in {spec.output}, kept' if record else 'not in --only, left out'
            if record and record['missing']:
                kept += f" without its new rows {sorted(record['missing'])} (not in --only)"
            print(f'{head}: {kept}', flush=True)
            continue
        runs.setdefault(entry['run'], dict(config=osp.relpath(entry['config']), seeds={}))
        to_train = args.retrain or not osp.isfile(entry['checkpoint'])
        if record and not to_train:  # a recorded run the spec has new rows for
            print(f"{head}: recorded in {spec.output}, evaluating its new rows "
                  f"{sorted(record['missing'])}", flush=True)
            rows = evaluate_rows(spec, entry, args.cfg_options, record['missing'])
        else:
            eta = ''
            if trained_walls:
                left = sum(1 for e in plan[index - 1:]
                           if recorded.get((e['run'], e['seed']), {}).get('missing', True)
                           and e['train'] and (args.retrain or not osp.isfile(e['checkpoint'])))
                eta = f', ETA {left * sum(trained_walls) / len(trained_walls) / 60:.0f} min'
            print(f"{head} ({'training' if to_train else 'reusing its checkpoint'}"
                  f"{eta}; {(time.time() - start) / 60:.1f} min so far)", flush=True)
            if to_train:
                trained_walls.append(train(entry, args.cfg_options, code_state(args.allow_dirty)))
            rows = evaluate_rows(spec, entry, args.cfg_options)
            runs[entry['run']]['seeds'][str(entry['seed'])] = run_record(entry)
        for name, metrics in rows.items():
            per_seed[name][entry['seed']] = metrics
        result = write_table(output, spec, args, runs, per_seed)
        print(f'wrote {output} ({index}/{len(plan)} runs)', flush=True)
    result = write_table(output, spec, args, runs, per_seed)
    print('\n' + render(result) + '\n' + render(result, 'comparisons'))
    print(f'wrote {output}')


if __name__ == '__main__':
    main()
