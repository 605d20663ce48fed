#!/usr/bin/env bash
# One-shot GPU check (see scripts/gpu_check.py): on a host with an NVIDIA GPU, a CUDA 13
# driver, nvcc and this repo's Python environment, compile ResNet(tiny, ResNet-50) and a
# Transformer encoder for CUDA and CPU, run on the GPU, compare within 1e-3, print
# latencies for batch 1 and 8 (and onnxruntime-gpu when installed). A few minutes.
#   scripts/gpu_check.sh [--compile-only | --run-only] [--archs sm_80,sm_90]
set -euo pipefail
cd "$(dirname "$0")/.."
PYTHON="${PYTHON:-.venv/bin/python}"
[ -x "$PYTHON" ] || PYTHON=python3
if [ -z "${CUDA_PATH:-}" ]; then
  for root in /usr/local/cuda /usr/local/cuda-*; do
    if [ -f "$root/include/cuda.h" ]; then export CUDA_PATH="$root"; break; fi
  done
fi
export TVM_NUM_THREADS="${TVM_NUM_THREADS:-$(nproc)}"
nvidia-smi --query-gpu=name,driver_version,memory.total --format=csv,noheader 2>/dev/null || true
exec "$PYTHON" scripts/gpu_check.py "$@"
