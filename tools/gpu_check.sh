#!/usr/bin/env bash
# One call on a GPU machine (issue 20): the stack, mmcv's deformable-attention
# kernel vs the pure-PyTorch op (forward and backward), the full-size benchmark
# in fp32 and bf16, and 30 training steps of the full DCCD config on synthetic
# 512x1024 batches, all into one JSON. No network, no datasets; a few minutes
# on one H100 (at most 8). See tools/gpu_check.py.
#
#   bash tools/gpu_check.sh --out $OUT/gpu_check.json
#   bash tools/gpu_check.sh --device cpu --micro --out work_dirs/gpu_check_micro.json  # CI
#
# PYTHON picks the interpreter (default: python3); the repository goes on
# PYTHONPATH, so an uninstalled checkout with the wheels of
# ../shared/device/README.md runs it too.
set -euo pipefail
ROOT="$(cd "$(dirname "$0")/.." && pwd)"
PYTHONPATH="$ROOT${PYTHONPATH:+:$PYTHONPATH}" \
exec "${PYTHON:-python3}" "$ROOT/tools/gpu_check.py" "$@"
