#!/usr/bin/env bash
# Test (evaluate) a checkpoint with N processes, as mmsegmentation's
# tools/dist_test.sh but launched with torchrun (torch.distributed.run):
#
#   bash tools/dist_test.sh CONFIG CHECKPOINT NUM_PROCS [test.py options ...]
#
# Each test image is evaluated exactly once over the processes, and DCCD's
# DDIM noise is seeded per image file name: the metrics equal those of one
# process. The config's env_cfg.dist_cfg.backend must suit the machine (the
# toy configs use gloo, which runs on CPU). PYTHON picks the interpreter.
set -euo pipefail
if [ $# -lt 3 ]; then
    echo "usage: $0 CONFIG CHECKPOINT NUM_PROCS [test.py options ...]" >&2
    exit 2
fi
CONFIG=$1
CHECKPOINT=$2
NPROC=$3
NNODES=${NNODES:-1}
NODE_RANK=${NODE_RANK:-0}
MASTER_ADDR=${MASTER_ADDR:-127.0.0.1}
ROOT="$(cd "$(dirname "$0")/.." && pwd)"

if [ "$NNODES" = 1 ] && [ -z "${PORT:-}" ]; then
    # one machine and no PORT: torchrun binds a free port itself (no race)
    LAUNCH=(--standalone)
else
    LAUNCH=(--nnodes="$NNODES" --node_rank="$NODE_RANK" --master_addr="$MASTER_ADDR"
            --master_port="${PORT:-29500}")
fi

PYTHONPATH="$ROOT${PYTHONPATH:+:$PYTHONPATH}" \
exec "${PYTHON:-python}" -m torch.distributed.run \
    "${LAUNCH[@]}" \
    --nproc_per_node="$NPROC" \
    "$ROOT/tools/test.py" \
    "$CONFIG" \
    "$CHECKPOINT" \
    --launcher pytorch "${@:4}"
