#!/usr/bin/env bash
# The test command of the README: installs what is missing, runs the whole suite, then the kill -9
# resume check.
set -euo pipefail
cd "$(dirname "$0")/.."
bash scripts/install-deps.sh
swift build --build-tests
swift test --skip-build
# Exact resume across a real kill -9 of `duet pretrain` (builds the release binary).
bash scripts/resume-check.sh
