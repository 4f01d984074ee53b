"""tools/experiment_table.py: spec checks, class-group means, summary, table."""
import math

import pytest

from conftest import load_tool
from dccd.utils import InputError
from dccd.utils.results import render

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
    rows = tool.summarise(spec, [], per_seed)
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
    # 18.5 apart, spreads 2.0 + 0.5: outside them
    assert render(result, 'comparisons') == (
        '- A teacher − A: mIoU +18.50 (outside the seed spread)\n')


def test_auto_rows_and_the_ingredients_view(tmp_path):
    spec = tool.read_spec(spec_file(tmp_path, GOOD.replace("'corrupt:0.25'", "'auto:area'")))
    assert tool.lists_of(spec.rows[1]) == ('auto', 'area')
    with pytest.raises(InputError, match=r"'auto:area', 'auto:presence'\], got 'auto:sizes'"):
        tool.read_spec(spec_file(tmp_path, GOOD.replace("'corrupt:0.25'", "'auto:sizes'")))
    per_seed = {
        'A': {0: dict(mIoU=40.0, seg_precision=50.0, seg_recall=90.0, seg_f1=60.0)},
        'A teacher': {0: dict(mIoU=45.0, threshold=0.1, auto_precision=80.0, auto_recall=70.0,
                              auto_f1=72.5, seg_precision=55.0, seg_recall=85.0, seg_f1=64.0)}}
    rows = tool.summarise(spec, [], per_seed)
    assert rows[1]['mean']['threshold'] == 0.1 and rows[1]['lists'] == 'auto:area'
    result = dict(kind='experiment_table', rows=rows, metrics=['mIoU'])
    assert render(result, 'ingredients').splitlines()[2:] == [
        '| A | none (image only) | - | - | - | - | 50.00 | 90.00 | 60.00 |',
        '| A teacher | auto:area | 0.10 | 80.00 | 70.00 | 72.50 | 55.00 | 85.00 | 64.00 |']
