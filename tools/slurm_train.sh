#!/usr/bin/env bash
# Train on a Slurm cluster, as mmsegmentation's tools/slurm_train.sh but with
# one torchrun per node (srun starts it on every node; torchrun starts one
# process per GPU there):
#
#   GPUS=16 GPUS_PER_NODE=8 bash tools/slurm_train.sh PARTITION JOB_NAME CONFIG \
#       [train.py options ...]
#
# SRUN_ARGS adds srun options (e.g. "--quotatype=reserved"); PORT sets the
# rendezvous port (default 29500); PYTHON the interpreter.
set -euo pipefail
if [ $# -lt 3 ]; then
    echo "usage: $0 PARTITION JOB_NAME CONFIG [train.py options ...]" >&2
    exit 2
fi
PARTITION=$1
JOB_NAME=$2
CONFIG=$3
GPUS=${GPUS:-8}
GPUS_PER_NODE=${GPUS_PER_NODE:-8}
CPUS_PER_TASK=${CPUS_PER_TASK:-5}
NPROC_PER_NODE=$(( GPUS < GPUS_PER_NODE ? GPUS : GPUS_PER_NODE ))
NODES=$(( (GPUS + NPROC_PER_NODE - 1) / NPROC_PER_NODE ))
PORT=${PORT:-29500}
SRUN_ARGS=${SRUN_ARGS:-""}
ROOT="$(cd "$(dirname "$0")/.." && pwd)"
PY=${PYTHON:-python}
TRAIN_ARGS=$(printf '%q ' "${@:4}")

# The rendezvous address is the first node of the allocation, resolved on
# the node itself; torchrun numbers the nodes through the c10d rendezvous.
PYTHONPATH="$ROOT${PYTHONPATH:+:$PYTHONPATH}" \
srun -p "$PARTITION" \
    --job-name="$JOB_NAME" \
    --nodes="$NODES" \
    --ntasks-per-node=1 \
    --gres=gpu:"$NPROC_PER_NODE" \
    --cpus-per-task=$(( CPUS_PER_TASK * NPROC_PER_NODE )) \
    --kill-on-bad-exit=1 \
    ${SRUN_ARGS} \
    bash -c "MASTER=\$(scontrol show hostnames \"\$SLURM_JOB_NODELIST\" | head -n 1); \
exec $PY -m torch.distributed.run --nnodes=$NODES --nproc_per_node=$NPROC_PER_NODE \
--rdzv_id=\$SLURM_JOB_ID --rdzv_backend=c10d --rdzv_endpoint=\$MASTER:$PORT \
$(printf '%q' "$ROOT/tools/train.py") $(printf '%q' "$CONFIG") --launcher pytorch $TRAIN_ARGS"
