#!/usr/bin/env bash
# The main command of the README: installs what is missing, builds in release, and pretrains the
# tiny AudioMAE recipe (a few minutes on 2 cores), printing progress and the loss as it falls.
# Extra arguments go to `duet pretrain` (for example --set train.steps=100).
set -euo pipefail
cd "$(dirname "$0")/.."
bash scripts/install-deps.sh
swift build -c release --product duet
run="runs/demo-$(date +%Y%m%d-%H%M%S)"
.build/release/duet pretrain --config configs/audiomae-tiny.yaml --run-dir "$run" "$@"
echo "run folder: $run (config.yaml, metrics.jsonl, TensorBoard events, checkpoints/)"
echo "kernel timings: env -u OPENBLAS_CORETYPE -u OPENBLAS_L2_SIZE .build/release/duet bench --kernels"
