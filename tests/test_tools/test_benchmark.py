"""tools/benchmark.py on the toy config at 64x64 on the CPU."""
import json
import os.path as osp

import pytest

from conftest import REPO, load_tool, run_tool_here

TOY = osp.join(REPO, 'configs', 'toy', 'toy_dccd.py')


def test_benchmark_train_and_infer_on_cpu(tmp_path):
    out = str(tmp_path / 'bench.json')
    result = run_tool_here('benchmark.py', TOY, '--train', '--infer', '--steps', '1', '3',
                           '--size', '64', '64', '--batch', '2', '--iters', '2', '--warmup', '1',
                           '--device', 'cpu', '--threads', '1', '--out', out)
    assert result.returncode == 0, result.stderr[-3000:]
    with open(out) as f:
        bench = json.load(f)
    assert bench['device_type'] == 'cpu' and bench['amp'] == 'none'
    assert bench['kind'] == 'benchmark' and bench['machine']['torch_threads'] == 1
    assert bench['command'].startswith('python ') and bench['date']
    assert (bench['batch'], bench['size'], bench['iters']) == (2, [64, 64], 2)
    assert bench['test_branch'] == 'student'
    assert bench['params'] > bench['trainable_params'] > 0  # the CLIP tower is frozen
    train = bench['train']
    assert len(train['ms_per_iter_all']) == 2
    assert 0 < train['ms_per_iter_min'] <= train['ms_per_iter']
    assert train['peak_memory_mib'] > 100  # peak RSS of a torch process
    infer = bench['infer']
    assert set(infer['per_steps']) == {'1', '3'}
    for steps in ('1', '3'):
        r = infer['per_steps'][steps]
        assert 0 < r['ms_per_image_min'] <= r['ms_per_image']
        assert r['ms_per_image'] * 2 == r['ms_per_batch']
        assert abs(r['images_per_s'] - 1000 / r['ms_per_image']) < 1e-6
    assert infer['peak_memory_mib'] >= train['peak_memory_mib']  # RSS never shrinks
    # the table comes last
    lines = result.stdout.strip().splitlines()
    assert 'train step' in lines[-3] and 'ms/iter' in lines[-3]
    assert 'infer 1 step(s)' in lines[-2] and 'infer 3 step(s)' in lines[-1]
    # --table reprints saved runs
    table = run_tool_here('benchmark.py', '--table', out, out)
    assert table.returncode == 0, table.stderr
    assert table.stdout.count('train step') == 2


def test_benchmark_bad_options_exit_2(capsys):
    benchmark = load_tool('benchmark.py')
    for args, expected in (
            ([TOY, '--infer', '--amp', 'fp16', '--device', 'cpu'], '--amp fp16 needs CUDA'),
            ([TOY, '--train', '--amp', 'fp16', '--device', 'cpu'], '--amp fp16 needs CUDA'),
            ([TOY, '--device', 'cpu'], 'nothing to do: give --train, --infer and/or --attn-memory'),
            ([TOY, '--infer', '--steps', '0', '--device', 'cpu'], '--steps'),
            ([TOY, '--infer', '--cfg-options', 'model.backbone.with_cpp=True'],
             "'model.backbone.with_cpp' is not a key"),
            ([TOY, '--train', '--backend', 'onnxruntime', '--device', 'cpu'],
             '--backend onnxruntime times inference: add --infer'),
            ([TOY, '--train', '--compare-config', TOY], '--compare-config needs --compare REV'),
            (['--table', 'missing.json'], 'cannot read result file missing.json')):
        with pytest.raises(SystemExit) as exit_info:
            benchmark.main(args)
        assert exit_info.value.code == 2, args
        lines = capsys.readouterr().err.strip().splitlines()
        assert len(lines) == 1 and expected in lines[0], (args, lines)


def test_compare_measures_a_revision_and_the_working_tree_in_one_run(tmp_path):
    """``--compare HEAD``: the committed code in a temporary worktree, then
    this tree, both rows, the speed-up, and the worktree is gone after;
    ``--compare-config`` gives the config the old side runs."""
    import subprocess
    out = str(tmp_path / 'compare.json')
    result = run_tool_here('benchmark.py', 'configs/toy/toy_dcc.py', '--train', '--size', '64',
                           '64', '--batch', '2', '--iters', '2', '--warmup', '1', '--device',
                           'cpu', '--threads', '1', '--compare', 'HEAD', '--compare-config',
                           'configs/toy/toy_ddp.py', '--out', out)
    assert result.returncode == 0, result.stderr[-3000:]
    with open(out) as f:
        bench = json.load(f)
    assert bench['kind'] == 'benchmark_compare'
    head = subprocess.run(['git', 'rev-parse', '--short', 'HEAD'], cwd=REPO,
                          capture_output=True, text=True).stdout.strip()
    assert (bench['old']['revision'], bench['new']['revision']) == (head, 'working tree')
    assert (bench['old']['config'], bench['new']['config']) == ('configs/toy/toy_ddp.py',
                                                                'configs/toy/toy_dcc.py')
    # the teacher's text tower is built (and counted) on the new side only
    assert bench['new']['params'] > bench['old']['params']
    for side in ('old', 'new'):
        train = bench[side]['train']
        assert len(train['ms_per_iter_all']) == 2 and train['cpu_ms_per_iter'] > 0
    assert bench['speedup']['wall'] == pytest.approx(
        bench['old']['train']['ms_per_iter'] / bench['new']['train']['ms_per_iter'])
    assert 'speed-up over' in result.stdout
    worktrees = subprocess.run(['git', 'worktree', 'list'], cwd=REPO, capture_output=True,
                               text=True).stdout
    assert 'dccd_bench_' not in worktrees
    from dccd.utils.results import render
    table = render(bench).splitlines()
    assert table[2].startswith('| `toy_ddp.py` | ' + head)
    assert table[3].startswith('| `toy_dcc.py` | working tree')


def test_compare_with_an_unknown_revision_is_one_line(tmp_path):
    result = run_tool_here('benchmark.py', TOY, '--train', '--compare', 'no-such-rev')
    assert result.returncode == 2
    assert result.stderr.count('\n') == 1 and '--compare no-such-rev' in result.stderr


def test_benchmark_pytorch_and_onnxruntime_in_one_run(tmp_path):
    from dccd.utils.results import render
    out = str(tmp_path / 'onnx.json')
    result = run_tool_here('benchmark.py', TOY, '--infer', '--backend', 'pytorch', 'onnxruntime',
                           '--steps', '3', '--batch', '1', '--size', '64', '64', '--iters', '2',
                           '--warmup', '1', '--device', 'cpu', '--threads', '1', '--out', out)
    assert result.returncode == 0, result.stderr[-3000:]
    with open(out) as f:
        bench = json.load(f)
    assert bench['backends'] == ['pytorch', 'onnxruntime']
    torch_ms = bench['infer']['per_steps']['3']['ms_per_image']
    ort = bench['infer_onnxruntime']
    assert set(ort['per_steps']) == {'3'} and ort['onnxruntime']
    assert 0 < ort['per_steps']['3']['ms_per_image_min'] <= ort['per_steps']['3']['ms_per_image']
    parity = ort['parity']['3']
    assert parity['max_abs_diff'] <= 1e-3 and parity['argmax_agreement'] >= 0.999
    assert 'infer 3 step(s), onnxruntime' in result.stdout.strip().splitlines()[-1]
    row = render(bench, 'onnx').splitlines()[2]
    assert row.startswith('| `toy_dccd.py` | 64×64 | 3 | ') and f'{torch_ms:.1f} ms' in row


FULL = osp.join(REPO, 'configs', 'foodseg103_dccd.py')


def test_recomputed_sampling_halves_what_attention_keeps(tmp_path):
    """--attn-memory (issue 20): the full config's decoder layer on a 1/64
    of its 2 x 128x256 query grids; old vs new in one run. The bytes scale
    with the number of queries (the README's row is at full size)."""
    out = str(tmp_path / 'attn.json')
    result = run_tool_here('benchmark.py', FULL, '--attn-memory', '--size', '64', '128',
                           '--batch', '2', '--device', 'cpu', '--out', out)
    assert result.returncode == 0, result.stderr[-3000:]
    with open(out) as f:
        memory = json.load(f)
    assert memory['kind'] == 'attention_memory' and memory['grid'] == [16, 32]
    assert (memory['channels'], memory['num_heads'], memory['num_points']) == (256, 8, 4)
    old, new = memory['bytes']['old'], memory['bytes']['new']
    # today's call keeps 416 MiB at full size (issue 20): 6.5 MiB here (and
    # the 8 bytes of the (W, H) divisor)
    assert abs(old['attention'] - 416 * 2**20 // 64) <= 64
    assert new['attention'] <= 0.5 * old['attention']
    assert new['layer'] < old['layer'] and old['layer'] - new['layer'] == (
        old['attention'] - new['attention'])
    assert 'one MSDeformAttn call' in result.stdout and 'one decoder layer' in result.stdout
    from dccd.utils.results import render
    assert '| one `MSDeformAttn` call | 6.5 MiB |' in render(memory)
