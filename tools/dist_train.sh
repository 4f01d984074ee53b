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
PORT=${PORT:-29500}
MASTER_ADDR=${MASTER_ADDR:-127.0.0.1}
ROOT="$(cd "$(dirname "$0")/.." && pwd)"

PYTHONPATH="$ROOT${PYTHONPATH:+:$PYTHONPATH}" \
exec "${PYTHON:-python}" -m torch.distributed.run \
    --nnodes="$NNODES" \
    --node_rank="$NODE_RANK" \
    --master_addr="$MASTER_ADDR" \
    --nproc_per_node="$NPROC" \
    --master_port="$PORT" \
    "$ROOT/tools/train.py" \
    "$CONFIG" \
    --launcher pytorch "${@:3}"
