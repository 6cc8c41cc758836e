#!/usr/bin/env bash
# Issue 7's comparison: Duet and PyTorch alternately on W1-W3, both without the OpenBLAS
# overrides and with 2 threads, ROUNDS rounds (default 2), each round's JSON kept in OUT.
# Needs a release build of duet and a Python with torch (PYTHON, default python3) for the
# PyTorch side only; DUET names another duet binary.   Example: PYTHON=/work/venv/bin/python ROUNDS=3 bash scripts/bench-vs-pytorch.sh
set -euo pipefail
cd "$(dirname "$0")/.."
rounds=${ROUNDS:-2}
out=${OUT:-bench-out}
python=${PYTHON:-python3}
duet=${DUET:-.build/release/duet}
reference=${REFERENCE:-../shared/bench/torch_reference.py}
mkdir -p "$out"
for round in $(seq 1 "$rounds"); do
    echo "== round $round: $(uptime)"
    env -u OPENBLAS_CORETYPE -u OPENBLAS_L2_SIZE "$duet" bench --only W1,W2,W3 --json "$out/duet-$round.json"
    env -u OPENBLAS_CORETYPE -u OPENBLAS_L2_SIZE "$python" scripts/torch_reference_peak.py --reference "$reference" \
        --threads 2 --steps 10 --json "$out/torch-$round.json" --duet-json "$out/duet-$round.json"
done
# The rounds together: per-round ratios, medians and how many rounds meet 0.8x.
"$python" scripts/torch_reference_peak.py --summarise "$out"
