""".ci/run's guards: the README's test command and the junit check."""
import os.path as osp
import subprocess
import sys

import pytest

from conftest import REPO

CHECK = osp.join(REPO, '.ci', 'check_junit.py')


def junit(tmp_path, cases) -> str:
    body = ''.join(f'<testcase classname="tests.{c}" name="{n}">{inner}</testcase>'
                   for c, n, inner in cases)
    path = tmp_path / 'junit.xml'
    path.write_text(f'<testsuites><testsuite name="pytest">{body}</testsuite></testsuites>')
    return str(path)


def check(path, expected):
    return subprocess.run([sys.executable, CHECK, path, str(expected)],
                          capture_output=True, text=True)


GPU = ('test_models.test_layers.test_deformable_attention',
       'test_compiled_kernel_matches_pure_pytorch', '<skipped message="needs CUDA"/>')


def test_junit_check_passes_and_fails_for_the_right_reasons(tmp_path):
    ok = [('a', 'test_1', ''), ('a', 'test_2', ''), GPU]
    assert check(junit(tmp_path, ok), 2).returncode == 0
    result = check(junit(tmp_path, ok), 3)
    assert result.returncode == 1 and '2 tests passed, README.md states 3' in result.stderr
    skipped = ok + [('b', 'test_3', '<skipped message="shared data missing"/>')]
    result = check(junit(tmp_path, skipped), 2)
    assert result.returncode == 1 and 'skipped: tests.b.test_3' in result.stderr
    failed = ok + [('b', 'test_4', '<failure message="boom"/>')]
    result = check(junit(tmp_path, failed), 2)
    assert result.returncode == 1 and 'failure: tests.b.test_4' in result.stderr


@pytest.mark.parametrize('command, refused', [
    ('python -m pytest tests -q', False),
    ('python -m pytest tests -q -x', True),
    ('python -m pytest tests -q -k "not slow"', True),
    ('python -m pytest tests -qx', True),
    ('python -m pytest tests -q --deselect tests/test_ci.py', True),
    ('python -m pytest tests -q || true', True),
    ('true || python -m pytest tests -q', True),
])
def test_the_test_command_guard(tmp_path, command, refused):
    """The guard of .ci/run, run on a README holding ``command``."""
    with open(osp.join(REPO, '.ci', 'run')) as f:
        script = f.read()
    guard = script[script.index('readme_block()'):script.index('work=$(mktemp -d)')]
    readme = tmp_path / 'README.md'
    readme.write_text('<!-- install -->\n```\npip install .\n```\n<!-- /install -->\n'
                      f'<!-- test -->\n```\n{command}\n```\n<!-- /test -->\n'
                      '<!-- test-count 1 -->\n')
    result = subprocess.run(['bash', '-c', 'set -euo pipefail\n' + guard + 'echo PASSED'],
                            cwd=tmp_path, capture_output=True, text=True)
    assert ('PASSED' not in result.stdout) == refused, result.stderr
