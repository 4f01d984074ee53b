"""The commit a result file records, and when it is called dirty."""
import subprocess

import pytest

from dccd.utils.results import _git_commit


def _git(repo, *args):
    subprocess.run(['git', *args], cwd=repo, check=True, capture_output=True)


@pytest.fixture
def repo(tmp_path):
    _git(tmp_path, 'init', '-q')
    _git(tmp_path, 'config', 'user.email', 'test@example.com')
    _git(tmp_path, 'config', 'user.name', 'test')
    (tmp_path / 'dccd').mkdir()
    (tmp_path / 'dccd' / 'model.py').write_text('x = 1\n')
    (tmp_path / 'tests').mkdir()
    (tmp_path / 'tests' / 'test_model.py').write_text('x = 1\n')
    (tmp_path / 'results').mkdir()
    (tmp_path / 'results' / 'table.json').write_text('{}\n')
    (tmp_path / 'README.md').write_text('# t\n')
    _git(tmp_path, 'add', '.')
    _git(tmp_path, 'commit', '-q', '-m', 'first')
    sha = subprocess.run(['git', 'rev-parse', '--short', 'HEAD'], cwd=tmp_path, check=True,
                         capture_output=True, text=True).stdout.strip()
    return tmp_path, sha


def test_a_rewritten_results_file_readme_or_test_is_not_dirty(repo):
    root, sha = repo
    (root / 'results' / 'table.json').write_text('{"mIoU": 12.1}\n')
    (root / 'README.md').write_text('# t\n\n12.1\n')
    (root / 'tests' / 'test_model.py').write_text('x = 2\n')
    (root / 'tests' / 'test_new.py').write_text('x = 3\n')
    assert _git_commit(str(root / 'dccd')) == sha


def test_changed_code_is_dirty_from_any_folder_of_the_checkout(repo):
    root, sha = repo
    (root / 'dccd' / 'model.py').write_text('x = 2\n')
    assert _git_commit(str(root / 'results')) == sha + '-dirty'
    assert _git_commit(str(root)) == sha + '-dirty'


def test_new_untracked_code_is_dirty_as_the_table_tool_refuses_it(repo):
    """The same definition as ``experiment_table.code_state``: an untracked
    ``.py`` under dccd/ (here in a new folder) is code the result ran."""
    root, sha = repo
    (root / 'dccd' / 'new').mkdir()
    (root / 'dccd' / 'new' / 'layer.py').write_text('y = 1\n')
    assert _git_commit(str(root / 'results')) == sha + '-dirty'


def test_outside_a_checkout_there_is_no_commit(tmp_path):
    assert _git_commit(str(tmp_path)) is None
