#!/usr/bin/env bash
# Train with N processes on one machine (or several: NNODES / NODE_RANK /
# MASTER_ADDR), as mmsegmentation's tools/dist_train.sh but launched with
# torchrun (torch.distributed.run):
#
#   bash tools/dist_train.sh CONFIG NUM_PROCS [train.py options ...]
#   PORT=29501 bash tools/dist_train.sh configs/foodseg103_dccd.py 8 --resume
#
# One process per GPU. Without CUDA, tools/train.py switches an nccl config
# to gloo (CPU), so the same command runs on a laptop. PYTHON picks the
# interpreter (default: python).
set -euo pipefail
if [ $# -lt 2 ]; then
    echo "usage: $0 CONFIG NUM_PROCS [train.py options ...]" >&2
    exit 2
fi
CONFIG=$1
NPROC=$2
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
    "$ROOT/tools/train.py" \
    "$CONFIG" \
    --launcher pytorch "${@:3}"
