"""Per-rank noise (issue 20), with 2 CPU processes (gloo): the two ranks draw
different diffusion times and dropout / drop-path masks (torch's global
generator differs between the ranks inside a step and is the same after it),
and ``--resume`` continues every rank exactly (seeded per step from seed,
rank and iteration). A
1-process run draws what it drew before, from torch's global generator (the
micro-step losses pinned in test_step_cost.py)."""
import glob
import json
import os.path as osp
import subprocess
import sys

import torch

from conftest import MICRO_TOY_CONFIG, REPO, tool_env
from dccd.engine.hooks.random_state_hook import step_seed


def _losses(work_dir):
    path = glob.glob(osp.join(work_dir, '*', 'vis_data', 'scalars.json'))[0]
    with open(path) as f:
        records = [json.loads(line) for line in f]
    return {r['iter']: {k: v for k, v in r.items() if 'loss' in k} for r in records
            if 'iter' in r}


def test_two_ranks_draw_their_own_noise_and_resume_exactly(toy_root, tmp_path):
    env = tool_env(PYTHONPATH=REPO + osp.pathsep + tool_env().get('PYTHONPATH', ''))
    result = subprocess.run(
        [sys.executable, '-m', 'torch.distributed.run', '--standalone', '--nproc_per_node=2',
         osp.join(REPO, 'tests', 'helpers', 'rank_noise_run.py'), MICRO_TOY_CONFIG, toy_root,
         str(tmp_path)], cwd=REPO, env=env, capture_output=True, text=True, timeout=600)
    assert result.returncode == 0, result.stderr[-3000:]
    drawn = [json.load(open(tmp_path / f'noise_rank{r}.json')) for r in (0, 1)]
    first = [d['first'] for d in drawn]
    assert [len(f) for f in first] == [4, 4]  # one draw per step, batch 2 each
    for step in range(4):
        assert first[0][step] != first[1][step], step  # each rank its own t
    for rank in (0, 1):  # iterations 3 and 4 again, from iter_2.pth
        assert drawn[rank]['resumed'] == first[rank][2:], rank
        assert drawn[rank]['resumed_states'] == drawn[rank]['first_states'][2:], rank
    for step in range(4):  # the global generator inside a step: each rank its own
        assert drawn[0]['first_states'][step] != drawn[1]['first_states'][step], step
    assert len(set(drawn[0]['first_states'])) == 4  # and each step its own
    assert drawn[0]['after'] == drawn[1]['after']  # outside the steps: shared
    losses, resumed = _losses(str(tmp_path / 'first')), _losses(str(tmp_path / 'resumed'))
    assert sorted(resumed) == [3, 4] and all(resumed[i] == losses[i] for i in (3, 4))


def test_the_step_seed_depends_on_seed_rank_and_iteration():
    seeds = {step_seed(seed, rank, it) for seed in (0, 1) for rank in (0, 1, 7)
             for it in (0, 1, 79999)}
    assert len(seeds) == 18 and all(0 <= s < 2**64 for s in seeds)
    assert step_seed(0, 1, 5) == step_seed(0, 1, 5)
    assert torch.Generator().manual_seed(step_seed(0, 1, 5)).initial_seed() == step_seed(0, 1, 5)
