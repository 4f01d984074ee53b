"""Measured results: the JSON a measuring tool writes, and the tables rendered from it.

Written for DCCD (Apache-2.0). No number in README.md is typed by hand: every
results table sits between two markers::

    <!-- results configs/toy/results.json -->
    | ... rendered table ... |
    <!-- /results -->

(``<!-- results FILE VIEW -->`` picks another view of the same file). The file
is written by the tool that measured it, through :func:`write_result`, which
adds the command, the date, the machine and the git commit; its ``kind``
selects the renderer. ``tools/misc/render_results.py`` rewrites the README's
blocks from the files, and a test fails when a block differs from what its
file renders.
"""
import datetime
import hashlib
import json
import os
import os.path as osp
import platform
import re
import subprocess
import sys
from typing import Callable, Dict, List, Optional

from .atomic_io import write_json_atomic
from .errors import InputError

__all__ = [
    'machine_info', 'git_head', 'code_changes', 'code_diff_sha256', 'write_result', 'read_result',
    'render', 'render_readme', 'stale_blocks', 'mean_and_spread'
]

BLOCK = re.compile(r'(<!-- results (\S+?)(?: (\w+))? -->\n)(.*?)(<!-- /results -->)', re.S)
_RENDERERS: Dict[str, Callable[[dict, Optional[str]], str]] = {}


# --------------------------------------------------------------------------
# writing
# --------------------------------------------------------------------------
def _cpu_name() -> str:
    try:
        with open('/proc/cpuinfo') as f:
            for line in f:
                if line.startswith('model name'):
                    return line.split(':', 1)[1].strip()
    except OSError:
        pass
    return platform.processor() or platform.machine()


def machine_info(device: Optional[str] = None) -> dict:
    """What the numbers were measured on: CPU, cores, GPU, versions.

    Args:
        device: 'cuda' to name the GPU; None or 'cpu' for a CPU run.
    """
    import torch
    gpu = None
    if device and str(device).startswith('cuda') and torch.cuda.is_available():
        gpu = torch.cuda.get_device_name(0)
    cores = os.cpu_count()
    cpu = _cpu_name()
    name = gpu or f'{cores}-core {cpu} CPU ({platform.machine()})'
    return dict(name=name, cpu=cpu, cores=cores, arch=platform.machine(), gpu=gpu,
                torch_threads=torch.get_num_threads(), python=platform.python_version(),
                torch=torch.__version__)


# The code a result depends on: one definition for the ``-dirty`` of every
# result file and for the refusal of ``tools/experiment_table.py``. Results,
# figures, docs, tests and run specs may change without making a run dirty.
CODE_PATHSPEC = (':(top)dccd/*.py', ':(top)configs/*.py', ':(top)tools/*.py')


def _git(cwd: str, *args: str) -> Optional[str]:
    """``git ARGS`` in ``cwd``: its stdout, or None outside a checkout."""
    try:
        out = subprocess.run(['git', *args], capture_output=True, text=True, timeout=10,
                             cwd=cwd)
    except (OSError, subprocess.SubprocessError):
        return None
    return out.stdout if out.returncode == 0 else None


def code_changes(cwd: Optional[str] = None) -> Optional[List[str]]:
    """The ``.py`` files under ``dccd/``, ``configs/`` and ``tools/`` that differ
    from HEAD or are untracked, as ``git status --porcelain`` lines (paths from
    the top of the checkout); None outside a checkout."""
    out = _git(cwd or osp.dirname(osp.abspath(__file__)), 'status', '--porcelain',
               '--untracked-files=all', '--', *CODE_PATHSPEC)
    return None if out is None else [line for line in out.splitlines() if line.strip()]


def code_diff_sha256(cwd: str, changes: List[str]) -> str:
    """SHA-256 of the code's diff against HEAD and of its untracked files: the
    same changes give the same hash."""
    top = (_git(cwd, 'rev-parse', '--show-toplevel') or cwd).strip()
    text = _git(cwd, 'diff', 'HEAD', '--', *CODE_PATHSPEC) or ''
    for line in sorted(line for line in changes if line.startswith('??')):
        with open(osp.join(top, line[3:]), encoding='utf-8', errors='replace') as f:
            text += f.read()
    return hashlib.sha256(text.encode('utf-8')).hexdigest()


def git_head(cwd: str, short: bool = False) -> Optional[str]:
    """The checked-out commit's SHA (abbreviated when ``short``); None outside
    a checkout."""
    sha = (_git(cwd, 'rev-parse', *(['--short'] if short else []), 'HEAD') or '').strip()
    return sha or None


def _git_commit(cwd: Optional[str] = None) -> Optional[str]:
    """The checked-out commit, with ``-dirty`` when :func:`code_changes` finds
    any: a results file rewritten by the run it records does not make it dirty."""
    cwd = cwd or osp.dirname(osp.abspath(__file__))
    sha = git_head(cwd, short=True)
    if not sha:
        return None
    return sha + ('-dirty' if code_changes(cwd) else '')


def write_result(path: str, kind: str, data: dict, device: Optional[str] = None) -> dict:
    """Write a result file: ``data`` plus what, when, where and from which commit.

    Args:
        path: the JSON file (written whole or not at all).
        kind: selects the renderer ('experiment_table', 'ingredient_robustness',
            'benchmark', 'attention_memory').
        data: the measurements (JSON-ready).
        device: the device measured on (names the GPU in ``machine``).

    Returns:
        dict: what was written.
    """
    record = dict(
        kind=kind, command=' '.join(['python'] + [a for a in sys.argv]),
        date=datetime.datetime.now(datetime.timezone.utc).strftime('%Y-%m-%d %H:%M UTC'),
        machine=machine_info(device), git_commit=_git_commit(), **data)
    write_json_atomic(path, record)
    return record


def read_result(path: str) -> dict:
    """A result file; InputError naming it when missing or not one."""
    try:
        with open(path, encoding='utf-8') as f:
            result = json.load(f)
    except (OSError, ValueError) as exc:
        raise InputError(f'cannot read result file {path}: {exc}') from None
    if not isinstance(result, dict) or result.get('kind') not in _RENDERERS:
        raise InputError(f'{path} is not a DCCD result file (no known "kind")')
    return result


# --------------------------------------------------------------------------
# rendering
# --------------------------------------------------------------------------
def renderer(kind: str):
    """Register the markdown renderer of a result ``kind``."""

    def register(fn):
        _RENDERERS[kind] = fn
        return fn

    return register


def render(result: dict, view: Optional[str] = None) -> str:
    """The markdown of a result (``view`` picks one of its tables)."""
    return _RENDERERS[result['kind']](result, view).rstrip('\n') + '\n'


def _table(header: List[str], rows: List[List[str]], align: Optional[str] = None) -> str:
    lines = ['| ' + ' | '.join(header) + ' |',
             '|' + '|'.join(align or ['---'] * len(header)) + '|']
    lines += ['| ' + ' | '.join(row) + ' |' for row in rows]
    return '\n'.join(lines)


def _machine_line(result: dict) -> str:
    line = (f"Measured on {result['machine']['name']} ({result['date']}, commit "
            f"{result.get('git_commit') or 'unknown'}), torch {result['machine']['torch']}.")
    trained_on = {info['machine'] for run in (result.get('runs') or {}).values()
                  for info in run['seeds'].values() if info.get('machine')}
    if len(trained_on) > 1:  # each run was tested where it was trained
        line += (f" The runs were trained and tested on {len(trained_on)} machines: "
                 f"{', '.join(sorted(trained_on))} (the runs view names each run's).")
    return line


def mean_and_spread(values: List[float]) -> tuple:
    """(mean, half the range): 2 seeds give their mean and half their gap."""
    return sum(values) / len(values), (max(values) - min(values)) / 2


def _number(value: Optional[float], spread: Optional[float] = None) -> str:
    if value is None:
        return '-'
    return f'{value:.2f}' if not spread else f'{value:.2f} ± {spread:.2f}'


# ---- experiment tables (tools/experiment_table.py) -----------------------
@renderer('experiment_table')
def _experiment_table(result: dict, view: Optional[str]) -> str:
    if view == 'runs':
        return _experiment_runs(result)
    if view == 'comparisons':
        return _experiment_comparisons(result)
    if view == 'ingredients':
        return _experiment_ingredients(result)
    if view == 'curve':
        return _experiment_curve(result)
    if view == 'seeds':
        return _experiment_seeds(result)
    if view == 'test_scale':
        return _experiment_test_scale(result)
    if view == 'headline':
        first = _first_group(result)
        return _experiment_table(first, None) + '\n\n' + _experiment_comparisons(first)
    labels = result['metric_labels']
    header = ['model'] + [labels[m] for m in result['metrics']]
    rows = []
    for row in result['rows']:
        cells = [row['label']]
        for metric in result['metrics']:
            cells.append(_number(row['mean'].get(metric), row['spread'].get(metric)))
        rows.append((row, cells))
    rows = _grouped(rows)
    seeds = sorted({len(row['per_seed']) for row in result['rows']})
    note = ('' if seeds == [1] else
            '\n\nWith more than one seed: mean ± half the range over the seeds.')
    return _table(header, rows) + note + '\n\n' + _machine_line(result)


def _first_group(result: dict) -> dict:
    """``result`` cut to the rows of its first group (all rows when none has
    a group), the runs they test and the comparisons between them: the
    summary a top-level README shows, the other groups left to the full table."""
    group = result['rows'][0].get('group')
    rows = [row for row in result['rows'] if row.get('group') == group]
    names = {row['name'] for row in rows}
    runs = {row['run'] for row in rows}
    return dict(result, rows=rows,
                runs={n: r for n, r in (result.get('runs') or {}).items() if n in runs},
                comparisons=[c for c in result.get('comparisons', [])
                             if c['row'] in names and c['minus'] in names])


def _grouped(rows: List[tuple]) -> List[List[str]]:
    """The cells of ``(row, cells)`` pairs, with a heading row (the group in
    italics) where a row's ``group`` (optional in the spec) starts."""
    out, current = [], None
    for row, cells in rows:
        group = row.get('group')
        if group and group != current:
            out.append([f'*{group}*'] + [''] * (len(cells) - 1))
        current = group
        out.append(cells)
    return out


def _trained_at(info: dict) -> str:
    """A run's commit, short, and the hash of its uncommitted diff if any."""
    commit = (info.get('commit') or '-')[:7]
    if info.get('diff_sha256'):
        commit += f" + diff {info['diff_sha256'][:8]}"
    return commit


def _experiment_seeds(result: dict) -> str:
    """Each row's metrics per seed, and the commit that seed trained at."""
    labels = result['metric_labels']
    commits = {(name, seed): _trained_at(info)
               for name, run in result['runs'].items() for seed, info in run['seeds'].items()}
    rows = []
    for row in result['rows']:
        for seed, values in sorted(row['per_seed'].items(), key=lambda item: int(item[0])):
            rows.append((row, [row['label'], seed, commits.get((row['run'], seed), '-')]
                         + [_number(values.get(m)) for m in result['metrics']]))
    header = ['model', 'seed', 'trained at'] + [labels[m] for m in result['metrics']]
    return _table(header, _grouped(rows)) + '\n\n' + _machine_line(result)


def _experiment_test_scale(result: dict) -> str:
    """Rows tested at a short side chosen on the held-out images: per seed,
    each candidate's held-out mIoU, the chosen side and the test mIoU."""
    chosen = [(row, seed, values) for row in result['rows']
              for seed, values in sorted(row['per_seed'].items(), key=lambda i: int(i[0]))
              if 'test_short_side' in values]
    sides = sorted({c['short_side'] for _, _, values in chosen
                    for c in values['test_short_side_candidates']})
    rows = []
    for row, seed, values in chosen:
        held_out = {c['short_side']: c['mIoU'] for c in values['test_short_side_candidates']}
        rows.append((row, [row['label'], seed] + [_number(held_out.get(s)) for s in sides]
                     + [str(values['test_short_side']), _number(values['mIoU'])]))
    header = (['model', 'seed'] + [f'held-out, {s} px' for s in sides]
              + ['chosen', 'test mIoU'])
    return _table(header, _grouped(rows))


def _experiment_runs(result: dict) -> str:
    rows = []
    for name, run in result['runs'].items():
        for seed, info in sorted(run['seeds'].items()):
            wall = info.get('train_wall_s')
            rows.append([f"`{osp.basename(run['config'])}`", seed, f"{info['iters']:,}",
                         '-' if wall is None else _duration(wall), _trained_at(info),
                         info.get('machine') or '-'])
    return _table(['config', 'seed', 'iterations', 'train + test wall time', 'trained at',
                   'trained on'], rows)


def last_quarter_gain(curve: List[dict], iters: int) -> Optional[float]:
    """mIoU at the end of a run minus its mIoU at the last validation at or
    before 3/4 of it (None without both points)."""
    if not curve or curve[-1]['iter'] != iters:
        return None
    earlier = [p for p in curve if p['iter'] <= 0.75 * iters]
    return curve[-1]['mIoU'] - earlier[-1]['mIoU'] if earlier else None


def _experiment_curve(result: dict) -> str:
    """mIoU on the held-out images at each validated iteration, per run and
    seed, and the gain over the last quarter of the run."""
    steps = sorted({p['iter'] for run in result['runs'].values()
                    for info in run['seeds'].values() for p in info.get('curve') or []})
    rows = []
    for name, run in result['runs'].items():
        for seed, info in sorted(run['seeds'].items()):
            curve = {p['iter']: p['mIoU'] for p in info.get('curve') or []}
            if not curve:
                continue
            gain = last_quarter_gain(info['curve'], info['iters'])
            rows.append([f"`{osp.basename(run['config'])}`", seed]
                        + [_number(curve.get(step)) for step in steps]
                        + ['-' if gain is None else f'{gain:+.2f}'])
    header = ['config', 'seed'] + [f'{step:,}' for step in steps] + ['last quarter']
    return _table(header, rows)


def _scores(mean: dict, kind: str) -> List[str]:
    """Precision / recall / F1 cells of a row's ``kind`` ingredient list."""
    return [_number(mean.get(f'{kind}_{score}')) for score in ('precision', 'recall', 'f1')]


def _experiment_ingredients(result: dict) -> str:
    """Per row: where the teacher's list came from (the threshold chosen on
    held-out training images), the proposed list's scores, and those of the
    classes the row's segmentation predicts."""
    rows = []
    for row in result['rows']:
        lists = row.get('lists')
        source = {None: 'none (image only)', 'gt': 'GT mask (oracle)'}.get(lists, lists)
        threshold = row['mean'].get('threshold')
        rows.append((row, [row['label'], source, _number(threshold)]
                     + _scores(row['mean'], 'auto') + _scores(row['mean'], 'seg')))
    header = ['model', "teacher's list", 'threshold', 'list P', 'list R', 'list F1',
              'segmented P', 'segmented R', 'segmented F1']
    return _table(header, _grouped(rows))


def _duration(seconds: float) -> str:
    return f'{seconds:.0f} s' if seconds < 600 else f'{seconds / 60:.1f} min'


def _experiment_comparisons(result: dict) -> str:
    by_name = {row['name']: row for row in result['rows']}
    lines = []
    for comparison in result.get('comparisons', []):
        a, b = by_name[comparison['row']], by_name[comparison['minus']]
        parts = []
        for metric in comparison.get('metrics', ['mIoU']):
            delta = a['mean'][metric] - b['mean'][metric]
            spread = a['spread'].get(metric, 0) + b['spread'].get(metric, 0)
            beyond = ''
            if spread:
                beyond = (' (outside the seed spread)' if abs(delta) > spread
                          else ' (within the seed spread)')
            parts.append(f"{result['metric_labels'][metric]} {delta:+.2f}{beyond}")
        lines.append(f"- {comparison['row']} − {comparison['minus']}: {', '.join(parts)}")
    return '\n'.join(lines)


# ---- ingredient robustness (tools/analysis_tools/ingredient_robustness.py) ----
def _percent(part: int, whole: int) -> str:
    return f'{100 * part / whole:.1f} %' if whole else '-'


@renderer('ingredient_robustness')
def _robustness(result: dict, view: Optional[str]) -> str:
    student = result.get('student')
    rows = []
    for row in result['teacher']:
        label = row.get('label') or ('teacher, GT lists (oracle)' if row['rate'] == 0
                                     else f'teacher, {100 * row["rate"]:g} % corrupted')
        delta = '-' if student is None else f'{row["mIoU"] - student["mIoU"]:+.2f}'
        rows.append([label, _percent(row['dropped'], row['true']),
                     _percent(row['added'], row['true']), _number(row['mIoU']),
                     _number(row['mAcc']), _number(row['aAcc']), delta])
    auto = result.get('auto')
    if auto is not None:
        # micro scores of the proposed lists: dropped = 1 - R, added = R/P - R
        recall = auto['presence/auto_micro_recall'] / 100
        precision = auto['presence/auto_micro_precision'] / 100
        added = recall / precision - recall if precision else 0.0
        delta = '-' if student is None else f'{auto["mIoU"] - student["mIoU"]:+.2f}'
        rows.append([f"teacher, auto lists ({auto['method']}, threshold {auto['threshold']:g}, "
                     f"chosen on {auto['chosen_on']})", f'{100 * (1 - recall):.1f} %',
                     f'{100 * added:.1f} %', _number(auto['mIoU']), _number(auto['mAcc']),
                     _number(auto['aAcc']), delta])
    if student is not None:
        rows.append(['student (image only)', '-', '-', _number(student['mIoU']),
                     _number(student['mAcc']), _number(student['aAcc']), '0.00'])
    header = ['ingredient list', 'dropped', 'added', 'mIoU', 'mAcc', 'aAcc',
              'mIoU - student']
    table = _table(header, rows, ['---', '---:', '---:', '---:', '---:', '---:', '---:'])
    return table if view == 'bare' else table + '\n\n' + _machine_line(result)


# ---- benchmark (tools/benchmark.py) ---------------------------------------
def _onnx_row(result: dict) -> str:
    """PyTorch vs onnxruntime per DDIM step count, with the export's parity."""
    rows = []
    torch_steps = (result.get('infer') or {}).get('per_steps', {})
    for steps, ort in result['infer_onnxruntime']['per_steps'].items():
        torch_ms = torch_steps.get(steps, {}).get('ms_per_image')
        parity = result['infer_onnxruntime']['parity'][steps]
        rows.append([f"`{osp.basename(result['config'])}`",
                     f"{result['size'][0]}×{result['size'][1]}", steps,
                     f'{torch_ms:.1f} ms' if torch_ms else '-',
                     f"{ort['ms_per_image']:.1f} ms",
                     f"{torch_ms / ort['ms_per_image']:.2f}×" if torch_ms else '-',
                     f"{parity['max_abs_diff']:.1e}",
                     f"{100 * parity['argmax_agreement']:.2f} %"])
    header = ['student', 'input', 'DDIM steps', 'PyTorch', 'onnxruntime', 'speed-up',
              'max abs diff', 'argmax agreement']
    threads = result['machine']['torch_threads']
    setup = (f"batch {result['batch']}, random weights, {threads} "
             f"thread{'s' if threads != 1 else ''} each, median of {result['iters']}, onnxruntime "
             f"{result['infer_onnxruntime']['onnxruntime']}")
    return _table(header, rows) + f'\n\n{setup}. ' + _machine_line(result)


@renderer('benchmark')
def _benchmark(result: dict, view: Optional[str]) -> str:
    if view == 'onnx':
        return _onnx_row(result)
    header, cells = [], []
    if result.get('train'):
        header.append('train step')
        cells.append(f"{result['train']['ms_per_iter']:.1f} ms")
    for steps, r in (result.get('infer') or {}).get('per_steps', {}).items():
        header.append(f'infer, {steps} DDIM step{"s" if steps != "1" else ""}')
        cells.append(f"{r['ms_per_image']:.1f} ms/img ({r['images_per_s']:.0f} img/s)")
    measured = result.get('infer') or result.get('train')
    if measured:
        header.append('peak RSS' if result['device_type'] == 'cpu' else 'peak CUDA memory')
        cells.append(f"{measured['peak_memory_mib'] / 1024:.2f} GiB")
    setup = (f"`{osp.basename(result['config'])}`, batch {result['batch']}, "
             f"{result['size'][0]}×{result['size'][1]}, {result['amp']}, "
             f"{result['machine']['torch_threads']} torch threads")
    return _table(header, [cells]) + f'\n\n{setup}. ' + _machine_line(result)


@renderer('benchmark_compare')
def _benchmark_compare(result: dict, view: Optional[str]) -> str:
    """Old and new train step of one ``benchmark.py --compare`` run."""
    rows = []
    for side in ('old', 'new'):
        run, train = result[side], result[side]['train']
        rows.append([f"`{osp.basename(run['config'])}`", run['revision'],
                     f"{train['ms_per_iter']:.0f} ms", f"{train['cpu_ms_per_iter']:.0f} ms"])
    speedup = result['speedup']
    rows[1] += [f"{speedup['wall']:.2f}×", f"{speedup['cpu']:.2f}×"]
    rows[0] += ['', '']
    new = result['new']
    setup = (f"batch {new['batch']}, {new['size'][0]}×{new['size'][1]}, {new['amp']}, "
             f"{new['machine']['torch_threads']} torch threads, median of {new['iters']} "
             f"steps after {new['warmup']}")
    header = ['config', 'code', 'train step (wall)', 'CPU time', 'speed-up (wall)',
              'speed-up (CPU)']
    return _table(header, rows) + f'\n\n{setup}. ' + _machine_line(result)


# ---- deformable attention memory (tools/benchmark.py --attn-memory) -------
@renderer('attention_memory')
def _attention_memory(result: dict, view: Optional[str]) -> str:
    rows = []
    for part, what in (('attention', 'one `MSDeformAttn` call'),
                       ('layer', 'one decoder layer')):
        old, new = (result['bytes'][k][part] for k in ('old', 'new'))
        rows.append([what, f'{old / 2**20:.1f} MiB', f'{new / 2**20:.1f} MiB',
                     f'{100 * new / old:.0f} %'])
    table = _table(['kept for backward', 'sampling kept (old)', 'recomputed (new)',
                    'new / old'], rows, ['---', '---:', '---:', '---:'])
    setup = (f"`{osp.basename(result['config'])}`'s decoder: batch {result['batch']} × "
             f"{result['grid'][0]}×{result['grid'][1]} queries, {result['channels']} "
             f"channels, {result['num_heads']} heads, {result['num_points']} points, "
             'float32; inputs and parameters not counted')
    return table + f'\n\n{setup}. ' + _machine_line(result)


# --------------------------------------------------------------------------
# README
# --------------------------------------------------------------------------
def render_readme(text: str, root: str) -> str:
    """``text`` with every results block rendered from its file (relative to ``root``)."""

    def replace(match):
        path = osp.join(root, match.group(2))
        body = render(read_result(path), match.group(3))
        return match.group(1) + body + match.group(5)

    return BLOCK.sub(replace, text)


def stale_blocks(text: str, root: str) -> List[str]:
    """The blocks of ``text`` whose content differs from their file's rendering."""
    stale = []
    for match in BLOCK.finditer(text):
        path = osp.join(root, match.group(2))
        if match.group(4) != render(read_result(path), match.group(3)):
            stale.append(' '.join(filter(None, (match.group(2), match.group(3)))))
    return stale
