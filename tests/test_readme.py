"""README.md's results tables are rendered from the JSON the measuring tools wrote."""
import glob
import os.path as osp
import re
import shutil

import pytest

from conftest import REPO, load_tool
from dccd.utils.results import BLOCK, read_result, stale_blocks

README = osp.join(REPO, 'README.md')


def readme() -> str:
    with open(README, encoding='utf-8') as f:
        return f.read()


def test_every_results_block_equals_its_file():
    text = readme()
    files = {match.group(2) for match in BLOCK.finditer(text)}
    assert {'configs/toy/results.json', 'configs/toy/ingredient_robustness.json',
            'configs/toy/benchmark_cpu.json'} <= files
    assert stale_blocks(text, REPO) == []


def test_render_check_covers_every_readme_with_results():
    """``render_results.py --check`` (what CI runs through this test) reads
    README.md and every configs/*/README.md, and finds nothing stale."""
    tool = load_tool('misc/render_results.py')
    readmes = tool.default_readmes()
    with_blocks = [r for r in glob.glob(osp.join(REPO, '**', 'README.md'), recursive=True)
                   if BLOCK.search(open(r, encoding='utf-8').read())
                   and '/work_dirs/' not in r and '/data/' not in r]
    assert set(with_blocks) <= set(readmes)
    assert osp.join(REPO, 'configs', 'foodseg103-mini', 'README.md') in readmes
    tool.main(['--check'])  # exits 1 on a stale block


def test_result_files_say_how_and_where_they_were_measured():
    for match in BLOCK.finditer(readme()):
        result = read_result(osp.join(REPO, match.group(2)))
        assert result['command'].startswith('python ') and result['date']
        assert result['machine']['name'] and result['machine']['torch']
        assert result.get('config') or result.get('spec')


def test_an_edited_number_is_caught(tmp_path):
    """Edit one number of the first table, as a hand edit would."""
    text = readme()
    match = next(BLOCK.finditer(text))
    body = match.group(4)
    number = re.search(r'\d+\.\d\d', body)
    edited = (body[:number.start()] + f'{float(number.group()) + 0.01:.2f}'
              + body[number.end():])
    copy = tmp_path / 'README.md'
    copy.write_text(text[:match.start(4)] + edited + text[match.end(4):])
    shutil.copytree(osp.join(REPO, 'configs'), tmp_path / 'configs')
    assert stale_blocks(copy.read_text(), str(tmp_path)) == [match.group(2)]
    tool = load_tool('misc/render_results.py')
    with pytest.raises(SystemExit) as info:
        tool.main(['--readme', str(copy), '--root', str(tmp_path), '--check'])
    assert info.value.code == 1
    tool.main(['--readme', str(copy), '--root', str(tmp_path)])  # re-rendered
    assert copy.read_text() == text


def test_the_reproduced_run_equals_the_recorded_one():
    """The mini README says DDP seed 1, retrained from a fresh clone, gave the
    recorded numbers exactly: test metrics, per-class IoU, learning curve."""
    mini = osp.join(REPO, 'configs', 'foodseg103-mini')
    again = read_result(osp.join(mini, 'reproduction.json'))
    recorded = read_result(osp.join(mini, 'results.json'))

    def seed1(result):
        run = result['runs']['ddp']['seeds']['1']
        row = next(r for r in result['rows'] if r['name'] == 'DDP')
        return repr((run['iters'], run['curve'], row['per_seed']['1']))  # repr: NaN == NaN

    assert again['runs']['ddp']['seeds']['1']['work_dir'] != \
        recorded['runs']['ddp']['seeds']['1']['work_dir']
    assert seed1(again) == seed1(recorded)
