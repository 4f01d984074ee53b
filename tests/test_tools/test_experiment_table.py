"""tools/experiment_table.py: spec checks, class-group means, summary, table."""
import json
import math
import os.path as osp

import pytest

from conftest import load_tool
from dccd.utils import InputError
from dccd.utils.results import last_quarter_gain, render, write_result

tool = load_tool('experiment_table.py')


def test_group_means_skip_classes_without_a_value():
    metrics = {'IoU.peach': 10.0, 'IoU.mango': math.nan, 'IoU.tofu': 40.0,
               'IoU.rice': math.nan}
    groups = dict(look_alike=['peach', 'mango', 'tofu'], other=['rice'])
    # a class absent from the test set has no IoU (NaN): it is left out, not 0
    assert tool.group_means(metrics, groups) == dict(look_alike=25.0, other=None)


def spec_file(tmp_path, text):
    path = tmp_path / 'table.yaml'
    path.write_text(text)
    return str(path)


GOOD = """output: results.json
runs:
  a: {config: a.py, seeds: [0, 1]}
rows:
  - {name: A, run: a, branch: student}
  - {name: A teacher, run: a, branch: teacher, lists: 'corrupt:0.25'}
metrics: [mIoU]
comparisons:
  - {row: A teacher, minus: A}
"""


def test_spec_checks(tmp_path):
    spec = tool.read_spec(spec_file(tmp_path, GOOD))
    assert tool.lists_of(spec.rows[1]) == ('corrupt', 0.25)
    for bad, message in (
            (GOOD.replace('run: a, branch: student', 'run: b, branch: student'),
             "row 'A' names run 'b'"),
            (GOOD.replace('minus: A}', 'minus: B}'), "comparison names row 'B'"),
            (GOOD.replace("'corrupt:0.25'", "'corrupt:2'"), "lists must be 'gt'"),
            (GOOD.replace('metrics: [mIoU]\n', ''), "no 'metrics'")):
        with pytest.raises(InputError, match=message):
            tool.read_spec(spec_file(tmp_path, bad))


def test_summary_over_seeds_and_the_rendered_table(tmp_path):
    spec = tool.read_spec(spec_file(tmp_path, GOOD))
    per_seed = {
        'A': {0: dict(mIoU=40.0, mAcc=50.0, aAcc=90.0), 1: dict(mIoU=44.0, mAcc=52.0, aAcc=91.0)},
        'A teacher': {0: dict(mIoU=60.0, mAcc=70.0, aAcc=95.0),
                      1: dict(mIoU=61.0, mAcc=70.0, aAcc=95.0)}}
    rows = tool.summarise(spec, per_seed)
    assert rows[0]['mean'] == dict(mIoU=42.0, mAcc=51.0, aAcc=90.5)
    assert rows[0]['spread'] == dict(mIoU=2.0, mAcc=1.0, aAcc=0.5)  # half the range
    assert rows[1]['lists'] == 'corrupt:0.25' and rows[0]['lists'] is None
    result = dict(kind='experiment_table', metrics=['mIoU', 'mAcc'],
                  metric_labels=dict(mIoU='mIoU', mAcc='mAcc'), rows=rows,
                  comparisons=list(spec.comparisons), runs={}, date='2026-11-30 00:00 UTC',
                  git_commit='abc1234', machine=dict(name='a test machine', torch='2'))
    table = render(result).splitlines()
    assert table[:4] == ['| model | mIoU | mAcc |', '|---|---|---|',
                         '| A | 42.00 ± 2.00 | 51.00 ± 1.00 |',
                         '| A teacher | 60.50 ± 0.50 | 70.00 |']
    assert 'a test machine' in table[-1] and 'abc1234' in table[-1]
    result['runs'] = dict(a=dict(seeds={'0': dict(commit='0123456789'), '1': dict(commit='f00')}))
    assert render(result, 'seeds').splitlines()[:4] == [
        '| model | seed | trained at | mIoU | mAcc |', '|---|---|---|---|---|',
        '| A | 0 | 0123456 | 40.00 | 50.00 |', '| A | 1 | f00 | 44.00 | 52.00 |']
    # 18.5 apart, spreads 2.0 + 0.5: outside them
    assert render(result, 'comparisons') == (
        '- A teacher − A: mIoU +18.50 (outside the seed spread)\n')


def test_row_groups_head_their_rows_in_every_row_view(tmp_path):
    """A row's optional ``group`` starts an italic heading row where it changes."""
    grouped = GOOD.replace("run: a, branch: student}", "run: a, branch: student, group: G1}")
    grouped = grouped.replace("lists: 'corrupt:0.25'}", "lists: 'corrupt:0.25', group: G2}")
    spec = tool.read_spec(spec_file(tmp_path, grouped))
    per_seed = {'A': {0: dict(mIoU=40.0)}, 'A teacher': {0: dict(mIoU=60.0)}}
    rows = tool.summarise(spec, per_seed)
    assert [row['group'] for row in rows] == ['G1', 'G2']
    result = dict(kind='experiment_table', metrics=['mIoU'], metric_labels=dict(mIoU='mIoU'),
                  rows=rows, runs=dict(a=dict(seeds={'0': dict(commit='0123456')})),
                  date='d', machine=dict(name='m', torch='2'))
    assert render(result).splitlines()[2:6] == [
        '| *G1* |  |', '| A | 40.00 |', '| *G2* |  |', '| A teacher | 60.00 |']
    assert render(result, 'seeds').splitlines()[2:6] == [
        '| *G1* |  |  |  |', '| A | 0 | 0123456 | 40.00 |',
        '| *G2* |  |  |  |', '| A teacher | 0 | 0123456 | 60.00 |']
    ingredients = render(result, 'ingredients').splitlines()
    assert ingredients[2].startswith('| *G1* |') and ingredients[4].startswith('| *G2* |')
    rows[1]['group'] = 'G1'  # one group: one heading
    assert render(result).splitlines()[2:5] == [
        '| *G1* |  |', '| A | 40.00 |', '| A teacher | 60.00 |']


def test_the_headline_view_is_the_first_group_and_its_comparisons(tmp_path):
    """A top-level README shows the first group's rows, the comparisons
    between them and the machines of their runs; nothing of the other groups."""
    three = """output: results.json
runs:
  a: {config: a.py, seeds: [0]}
  b: {config: b.py, seeds: [0]}
rows:
  - {name: A, run: a, branch: student, group: G1}
  - {name: A teacher, run: a, branch: teacher, group: G1}
  - {name: B, run: b, branch: student, group: G2}
metrics: [mIoU]
comparisons:
  - {row: A teacher, minus: A}
  - {row: B, minus: A}
"""
    spec = tool.read_spec(spec_file(tmp_path, three))
    per_seed = {'A': {0: dict(mIoU=40.0)}, 'A teacher': {0: dict(mIoU=61.5)},
                'B': {0: dict(mIoU=45.0)}}
    result = dict(kind='experiment_table', metrics=['mIoU'], metric_labels=dict(mIoU='mIoU'),
                  rows=tool.summarise(spec, per_seed), comparisons=list(spec.comparisons),
                  runs=dict(a=dict(seeds={'0': dict(machine='m1')}),
                            b=dict(seeds={'0': dict(machine='m2')})),
                  date='d', git_commit='abc1234', machine=dict(name='m1', torch='2'))
    assert render(result, 'headline').splitlines() == [
        '| model | mIoU |', '|---|---|', '| *G1* |  |', '| A | 40.00 |',
        '| A teacher | 61.50 |', '', 'Measured on m1 (d, commit abc1234), torch 2.', '',
        '- A teacher − A: mIoU +21.50']
    assert 'm2' in render(result)  # the full table's runs span both machines


def test_auto_rows_and_the_ingredients_view(tmp_path):
    spec = tool.read_spec(spec_file(tmp_path, GOOD.replace("'corrupt:0.25'", "'auto:area'")))
    assert tool.lists_of(spec.rows[1]) == ('auto', 'area')
    with pytest.raises(InputError, match=r"'auto:area', 'auto:presence'\], got 'auto:sizes'"):
        tool.read_spec(spec_file(tmp_path, GOOD.replace("'corrupt:0.25'", "'auto:sizes'")))
    per_seed = {
        'A': {0: dict(mIoU=40.0, seg_precision=50.0, seg_recall=90.0, seg_f1=60.0)},
        'A teacher': {0: dict(mIoU=45.0, threshold=0.1, auto_precision=80.0, auto_recall=70.0,
                              auto_f1=72.5, seg_precision=55.0, seg_recall=85.0, seg_f1=64.0)}}
    rows = tool.summarise(spec, per_seed)
    assert rows[1]['mean']['threshold'] == 0.1 and rows[1]['lists'] == 'auto:area'
    result = dict(kind='experiment_table', rows=rows, metrics=['mIoU'])
    assert render(result, 'ingredients').splitlines()[2:] == [
        '| A | none (image only) | - | - | - | - | 50.00 | 90.00 | 60.00 |',
        '| A teacher | auto:area | 0.10 | 80.00 | 70.00 | 72.50 | 55.00 | 85.00 | 64.00 |']


def test_test_short_side_rows_and_their_view(tmp_path):
    sized = GOOD.replace("run: a, branch: student}",
                         "run: a, branch: student, test_short_sides: [160, 192]}")
    spec = tool.read_spec(spec_file(tmp_path, sized))
    assert tool.test_short_sides_of(spec.rows[0]) == [160, 192]
    assert tool.test_short_sides_of(spec.rows[1]) is None
    for bad, message in (
            (sized.replace('[160, 192]', '[160, -1]'), 'list of positive pixel counts'),
            (sized.replace('[160, 192]', "'big'"), 'list of positive pixel counts'),
            (sized.replace("lists: 'corrupt:0.25'}",
                           "lists: 'corrupt:0.25', test_short_sides: [160]}"),
             "row 'A teacher': test_short_sides needs GT lists")):
        with pytest.raises(InputError, match=message):
            tool.read_spec(spec_file(tmp_path, bad))
    candidates = [dict(short_side=160, mIoU=12.5), dict(short_side=192, mIoU=14.25)]
    per_seed = {'A': {0: dict(mIoU=13.0, test_short_side=192,
                              test_short_side_candidates=candidates)},
                'A teacher': {0: dict(mIoU=20.0)}}
    result = dict(kind='experiment_table', rows=tool.summarise(spec, per_seed), metrics=['mIoU'])
    assert render(result, 'test_scale').splitlines() == [
        '| model | seed | held-out, 160 px | held-out, 192 px | chosen | test mIoU |',
        '|---|---|---|---|---|---|', '| A | 0 | 12.50 | 14.25 | 192 | 13.00 |']


def test_tta_rows_are_checked(tmp_path):
    tta = GOOD.replace("run: a, branch: student}", "run: a, branch: student, tta: true}")
    spec = tool.read_spec(spec_file(tmp_path, tta))
    assert [tool.tta_of(row) for row in spec.rows] == [True, False]
    for bad, message in (
            (tta.replace('tta: true', "tta: 'yes'"), "row 'A': tta must be true or false"),
            (tta.replace('tta: true', 'tta: true, test_short_sides: [160]'),
             "row 'A': tta and test_short_sides exclude each other")):
        with pytest.raises(InputError, match=message):
            tool.read_spec(spec_file(tmp_path, bad))


# ---------------------------------------------------------------- runs pinned to code
def git(repo, *args):
    import subprocess
    return subprocess.run(['git', *args], cwd=repo, check=True, capture_output=True,
                          text=True).stdout


@pytest.fixture
def code_repo(tmp_path, monkeypatch):
    """A git repository with dccd/, configs/ and tools/ for ``code_state``."""
    repo = tmp_path / 'repo'
    for folder in ('dccd', 'configs', 'tools'):
        (repo / folder).mkdir(parents=True)
        (repo / folder / 'a.py').write_text('x = 1\n')
    (repo / 'README.md').write_text('text\n')
    git(repo, 'init', '-q')
    git(repo, 'add', '.')
    git(repo, '-c', 'user.name=t', '-c', 'user.email=t@t', 'commit', '-qm', 'init')
    monkeypatch.setattr(tool, 'REPO', str(repo))
    return repo


def test_code_state_names_the_commit_and_refuses_uncommitted_code(code_repo):
    head = git(code_repo, 'rev-parse', 'HEAD').strip()
    assert tool.code_state(False) == dict(commit=head, diff_sha256=None)
    (code_repo / 'README.md').write_text('edited\n')  # not code: still clean
    assert tool.code_state(False)['diff_sha256'] is None
    (code_repo / 'dccd' / 'a.py').write_text('x = 2\n')
    with pytest.raises(InputError, match=r"1 \.py file\(s\) under dccd, configs, tools have "
                                         r"uncommitted changes \(e\.g\. dccd/a\.py\)"):
        tool.code_state(False)
    first = tool.code_state(True)
    assert first['commit'] == head and len(first['diff_sha256']) == 64
    (code_repo / 'tools' / 'new.py').write_text('y = 1\n')  # an untracked file counts
    second = tool.code_state(True)
    assert second['diff_sha256'] != first['diff_sha256']
    (code_repo / 'tools' / 'new.py').unlink()
    assert tool.code_state(True) == first  # the same changes, the same hash


def test_learning_curve_reads_every_logged_validation(tmp_path):
    """Two timestamped folders, as a resumed run leaves them."""
    for stamp, lines in (('20261206_070000', [dict(step=50, loss=3.0),
                                              dict(step=100, mIoU=5.5, mAcc=9.0, aAcc=50.0)]),
                         ('20261206_080000', [dict(step=200, mIoU=8.25, mAcc=12.0,
                                                   aAcc=60.0)])):
        folder = tmp_path / stamp / 'vis_data'
        folder.mkdir(parents=True)
        (folder / 'scalars.json').write_text(''.join(json.dumps(l) + '\n' for l in lines))
    assert tool.learning_curve(str(tmp_path)) == [
        dict(iter=100, mIoU=5.5, mAcc=9.0, aAcc=50.0),
        dict(iter=200, mIoU=8.25, mAcc=12.0, aAcc=60.0)]
    assert tool.learning_curve(str(tmp_path / 'none')) == []


def test_the_curve_view_and_the_last_quarter_gain():
    curve = [dict(iter=i, mIoU=m) for i, m in ((250, 4.0), (500, 8.0), (750, 10.5),
                                                (1000, 11.0))]
    # 3/4 of 1,000 is 750: 11.0 - 10.5
    assert last_quarter_gain(curve, 1000) == pytest.approx(0.5)
    assert last_quarter_gain(curve[:3], 1000) is None  # not finished
    result = dict(kind='experiment_table', runs=dict(a=dict(config='x/a.py', seeds={
        '0': dict(iters=1000, curve=curve), '1': dict(iters=1000, curve=[])})))
    assert render(result, 'curve').splitlines() == [
        '| config | seed | 250 | 500 | 750 | 1,000 | last quarter |',
        '|---|---|---|---|---|---|---|',
        '| `a.py` | 0 | 4.00 | 8.00 | 10.50 | 11.00 | +0.50 |']


def test_recorded_runs_are_kept_and_a_changed_schedule_is_not(tmp_path):
    spec = tool.read_spec(spec_file(tmp_path, GOOD))
    plan = [dict(run='a', seed=0, config=str(tmp_path / 'a.py'), iters=100),
            dict(run='a', seed=1, config=str(tmp_path / 'a.py'), iters=100)]
    rows = [dict(name='A', run='a', per_seed={'0': dict(mIoU=40.0)}),
            dict(name='A teacher', run='a', per_seed={'0': dict(mIoU=50.0)})]
    record = dict(iters=100, commit='abc', curve=[])
    output = tmp_path / 'results.json'
    write_result(str(output), 'experiment_table', dict(
        runs=dict(a=dict(config=osp.relpath(plan[0]['config']), seeds={'0': record})),
        rows=rows, metrics=['mIoU']))
    kept = tool.recorded_runs(str(output), plan, spec)
    assert list(kept) == [('a', 0)]
    assert kept['a', 0] == dict(info=record, rows={'A': dict(mIoU=40.0),
                                                   'A teacher': dict(mIoU=50.0)}, missing=set())
    rows.pop()  # a row the spec has and the file lacks
    write_result(str(output), 'experiment_table', dict(
        runs=dict(a=dict(config=osp.relpath(plan[0]['config']), seeds={'0': record})),
        rows=rows, metrics=['mIoU']))
    assert tool.recorded_runs(str(output), plan, spec)['a', 0] == dict(
        info=record, rows={'A': dict(mIoU=40.0)}, missing={'A teacher'})
    plan[0]['iters'] = 200  # another schedule: trained again
    assert tool.recorded_runs(str(output), plan, spec) == {}


def test_the_plan_takes_every_runs_first_seed_first(tmp_path):
    for name in ('a', 'b'):
        (tmp_path / f'{name}.py').write_text(
            "randomness = dict(seed=0)\ntrain_cfg = dict(max_iters=10)\n")
    spec = tool.read_spec(spec_file(tmp_path, GOOD.replace(
        "  a: {config: a.py, seeds: [0, 1]}\n",
        "  a: {config: a.py, seeds: [0, 1]}\n  b: {config: b.py, seeds: [0, 1]}\n")))
    plan = tool.plan_runs(spec, str(tmp_path), 'wd', {})
    assert [(e['run'], e['seed']) for e in plan] == [('a', 0), ('b', 0), ('a', 1), ('b', 1)]
    assert plan[2]['work_dir'] == 'wd/a_seed1' and plan[0]['checkpoint'] == 'wd/a/iter_10.pth'


def test_only_trains_the_named_runs_first_and_marks_the_rest(tmp_path):
    plan = [dict(run=r, seed=s) for s in (0, 1) for r in ('a', 'b')]
    picked = tool.select_runs(plan, ['b:1', 'a'])
    assert [(e['run'], e['seed'], e['train']) for e in picked] == [
        ('b', 1, True), ('a', 0, True), ('a', 1, True), ('b', 0, False)]
    assert all(e['train'] for e in tool.select_runs(plan, []))
    with pytest.raises(InputError, match=r"--only: 'c' is not a run and seed"):
        tool.select_runs(plan, ['c'])
    with pytest.raises(InputError, match=r"--only: 'a:x' is not RUN or RUN:SEED"):
        tool.select_runs(plan, ['a:x'])


def test_the_first_file_written_keeps_the_recorded_runs(tmp_path, monkeypatch):
    """A table cut short after its first new run must still hold the old ones."""
    (tmp_path / 'a.py').write_text("randomness = dict(seed=0)\ntrain_cfg = dict(max_iters=10)\n")
    spec_path = spec_file(tmp_path, GOOD)
    config = osp.relpath(str(tmp_path / 'a.py'))
    write_result(str(tmp_path / 'results.json'), 'experiment_table', dict(
        runs=dict(a=dict(config=config, seeds={'0': dict(iters=10, commit='old')})),
        rows=[dict(name='A', run='a', per_seed={'0': dict(mIoU=40.0)}),
              dict(name='A teacher', run='a', per_seed={'0': dict(mIoU=50.0)})],
        metrics=['mIoU']))
    written = []
    monkeypatch.setattr(tool, 'code_state', lambda allow_dirty: {})
    monkeypatch.setattr(tool, 'train', lambda entry, options, state: 1.0)
    monkeypatch.setattr(tool, 'evaluate_rows', lambda spec, entry, options, names=None: {
        'A': dict(mIoU=44.0), 'A teacher': dict(mIoU=54.0)})
    monkeypatch.setattr(tool, 'run_record', lambda entry: dict(iters=10, commit='new'))
    monkeypatch.setattr(tool, 'write_table', lambda output, spec, args, runs, per_seed:
                        written.append(json.loads(json.dumps(dict(runs=runs, rows=per_seed))))
                        or dict(kind='experiment_table', rows=[], metrics=[], runs={}))
    monkeypatch.setattr(tool, 'render', lambda result, view=None: '')
    tool.main([spec_path, '--work-root', str(tmp_path / 'wd'), '--only', 'a:1'])
    first = written[0]
    assert first['runs']['a']['seeds'] == {'0': dict(iters=10, commit='old'),
                                           '1': dict(iters=10, commit='new')}
    assert first['rows']['A'] == {'0': dict(mIoU=40.0), '1': dict(mIoU=44.0)}


def test_a_new_row_of_a_recorded_run_is_evaluated_alone(tmp_path, monkeypatch):
    """A row added to the spec is evaluated on the run's checkpoint; the run's
    record (its commit, wall time, curve) and its other rows stay as recorded."""
    (tmp_path / 'a.py').write_text("randomness = dict(seed=0)\ntrain_cfg = dict(max_iters=10)\n")
    spec_path = spec_file(tmp_path, GOOD)
    config = osp.relpath(str(tmp_path / 'a.py'))
    old = dict(iters=10, commit='old', train_wall_s=60.0)
    write_result(str(tmp_path / 'results.json'), 'experiment_table', dict(
        runs=dict(a=dict(config=config, seeds={'0': old})),
        rows=[dict(name='A', run='a', per_seed={'0': dict(mIoU=40.0)})], metrics=['mIoU']))
    checkpoint = tmp_path / 'wd' / 'a' / 'iter_10.pth'
    checkpoint.parent.mkdir(parents=True)
    checkpoint.write_bytes(b'')
    asked, written = [], []
    monkeypatch.setattr(tool, 'train', lambda *args: pytest.fail('trained again'))
    monkeypatch.setattr(tool, 'evaluate_rows', lambda spec, entry, options, names=None:
                        asked.append(names) or {'A teacher': dict(mIoU=54.0)})
    monkeypatch.setattr(tool, 'write_table', lambda output, spec, args, runs, per_seed:
                        written.append(json.loads(json.dumps(dict(runs=runs, rows=per_seed))))
                        or dict(kind='experiment_table', rows=[], metrics=[], runs={}))
    monkeypatch.setattr(tool, 'render', lambda result, view=None: '')
    tool.main([spec_path, '--work-root', str(tmp_path / 'wd'), '--only', 'a:0'])
    assert asked == [{'A teacher'}]
    assert written[0]['runs']['a']['seeds'] == {'0': old}
    assert written[0]['rows']['A'] == {'0': dict(mIoU=40.0)}
    assert written[0]['rows']['A teacher'] == {'0': dict(mIoU=54.0)}


def test_curve_figure_gives_each_run_a_colour_and_each_seed_a_line_style(monkeypatch):
    figures = []
    monkeypatch.setattr('dccd.utils.atomic_io.write_figure_atomic',
                        lambda path, fig: figures.append(fig))
    curve = [dict(iter=250, mIoU=1.0), dict(iter=500, mIoU=2.0)]
    names = [f'run{i}' for i in range(11)]  # more runs than a 10-colour cycle
    runs = {name: dict(seeds={'0': dict(curve=curve), '1': dict(curve=curve)}) for name in names}
    runs['no_curve'] = dict(seeds={'0': dict(curve=[])})
    tool.plot_curves(dict(runs=runs), 'unused.png')
    lines = figures[0].axes[0].get_lines()
    assert [line.get_label() for line in lines] == [
        f'{name} (seed {seed})' for name in names for seed in (0, 1)]
    colours = [line.get_color() for line in lines]
    assert colours[0::2] == colours[1::2]  # the seeds of a run share its colour
    assert len(set(colours[0::2])) == len(names)
    assert {line.get_linestyle() for line in lines[0::2]} == {'-'}
    assert {line.get_linestyle() for line in lines[1::2]} == {'--'}


def test_a_trained_run_records_the_machine_that_trained_it(tmp_path, monkeypatch):
    """Wall times are only comparable on one machine: each run keeps its own,
    and the runs view shows it (a run the tool did not train has none)."""
    work_dir = tmp_path / 'a'
    work_dir.mkdir()
    entry = dict(work_dir=str(work_dir), checkpoint=str(work_dir / 'iter_10.pth'), iters=10)
    assert 'machine' not in tool.run_record(entry)
    assert tool.run_record(entry)['train_wall_s'] is None
    monkeypatch.setattr(tool, 'machine_info', lambda: dict(name='2-core Test CPU'))
    monkeypatch.setattr(tool.subprocess, 'run', lambda cmd: exited_0())
    wall = tool.train(dict(entry, config='a.py', default_seed=True), {}, dict(commit='c0ffee1'))
    record = tool.run_record(entry)
    assert record['machine'] == '2-core Test CPU' and record['commit'] == 'c0ffee1'
    assert record['train_wall_s'] == round(wall, 1)
    result = dict(kind='experiment_table', runs=dict(a=dict(config='x/a.py', seeds={
        '0': dict(record, train_wall_s=1500.0), '1': dict(iters=10, train_wall_s=None)})))
    assert render(result, 'runs').splitlines()[2:] == [
        '| `a.py` | 0 | 10 | 25.0 min | c0ffee1 | 2-core Test CPU |',
        '| `a.py` | 1 | 10 | - | - | - |']
    result.update(metrics=['mIoU'], metric_labels=dict(mIoU='mIoU'), rows=[],
                  date='2026-12-07 00:00 UTC', machine=dict(name='2-core Test CPU', torch='2'))
    assert 'machines' not in render(result, 'seeds')
    result['runs']['a']['seeds']['1']['machine'] = '2-core Other CPU'
    assert render(result, 'seeds').splitlines()[-1].endswith(
        'The runs were trained and tested on 2 machines: 2-core Other CPU, 2-core Test CPU '
        "(the runs view names each run's).")


def exited_0():
    """What ``subprocess.run`` returns for a training that exited 0."""
    return type('Done', (), dict(returncode=0))()


def test_curve_figure_has_a_panel_per_table_group(monkeypatch):
    """Runs are drawn in the panel of the first row that tests them, panels
    in the rows' order; a run no row tests gets the last panel."""
    figures = []
    monkeypatch.setattr('dccd.utils.atomic_io.write_figure_atomic',
                        lambda path, fig: figures.append(fig))
    curve = [dict(iter=250, mIoU=1.0), dict(iter=500, mIoU=2.0)]
    runs = {name: dict(seeds={'0': dict(curve=curve)}) for name in ('a', 'b', 'c', 'd')}
    rows = [dict(run='b', group='Second step'), dict(run='a', group='First step'),
            dict(run='c', group='Second step'), dict(run='a', group='Second step')]
    result = dict(title='T', runs=runs, rows=rows)
    assert tool.curve_panels(result) == [
        ('Second step', ['b', 'c']), ('First step', ['a']), ('T', ['d'])]
    tool.plot_curves(result, 'unused.png')
    axes = figures[0].axes
    assert [ax.get_title(loc='left') for ax in axes] == ['Second step', 'First step', 'T']
    assert [[line.get_label() for line in ax.get_lines()] for ax in axes] == [
        ['b (seed 0)', 'c (seed 0)'], ['a (seed 0)'], ['d (seed 0)']]
