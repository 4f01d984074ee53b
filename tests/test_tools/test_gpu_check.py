"""tools/gpu_check.sh at micro size on the CPU (issue 20): the one-call GPU
check runs every section and writes one JSON (on a GPU it runs the full
DCCD config; not measured here)."""
import json
import os.path as osp
import subprocess
import sys

from conftest import REPO, tool_env


def test_gpu_check_micro_on_cpu_writes_one_json(tmp_path):
    out = tmp_path / 'gpu_check.json'
    result = subprocess.run(
        ['bash', osp.join(REPO, 'tools', 'gpu_check.sh'), '--device', 'cpu', '--micro',
         '--out', str(out)], cwd=REPO, env=tool_env(PYTHON=sys.executable),
        capture_output=True, text=True, timeout=600)
    assert result.returncode == 0, result.stderr[-3000:]
    check = json.loads(out.read_text())
    assert check['kind'] == 'gpu_check' and check['ok'] and check['micro']
    for section in ('stack', 'attention', 'build', 'fp32', 'bf16', 'train'):
        assert check[section]['ok'], (section, check[section].get('error'))
    assert check['stack']['torch'] == __import__('torch').__version__
    attention = check['attention']
    assert set(attention['ops']) >= {'pytorch', 'pytorch_recompute'}
    assert attention['ops']['pytorch_recompute']['grad_max_abs_diff'] <= 1e-5
    saved = attention['saved_bytes']
    assert saved['new']['attention'] <= 0.5 * saved['old']['attention']
    for amp in ('fp32', 'bf16'):
        assert set(check[amp]['infer']['per_steps']) == {'1', '3', '10'}
        assert check[amp]['train']['ms_per_iter'] > 0
    train = check['train']
    assert train['finite'] and train['iters'] == len(train['losses']) == 3
    assert train['optim_wrapper'] == 'AutocastOptimWrapper'  # bf16 on a CPU: no scaler
    lines = result.stdout.strip().splitlines()
    assert lines[-7].startswith('DCCD gpu_check on ') and ': ok;' in lines[-7]
    assert [line.split()[0] for line in lines[-6:]] == [
        'stack', 'attention', 'build', 'fp32', 'bf16', 'train']
