#!/usr/bin/env bash
# The main command of the README: installs what is missing, builds in release, runs the kernel
# benchmark (later: the pretraining demo). Extra arguments go to `duet bench`.
set -euo pipefail
cd "$(dirname "$0")/.."
bash scripts/install-deps.sh
swift build -c release --product duet
env -u OPENBLAS_CORETYPE -u OPENBLAS_L2_SIZE .build/release/duet bench --kernels "$@"
