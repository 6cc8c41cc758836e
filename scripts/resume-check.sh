#!/usr/bin/env bash
# Exact resume across a real SIGKILL: a tiny `duet pretrain` run straight through, the same run
# killed with kill -9 part way and resumed with --resume latest; the final model and optimizer
# files must be byte-identical and the metrics lines the same (samples/s aside).
# DUET_BUILD=debug uses the debug binary instead of building in release.
set -euo pipefail
cd "$(dirname "$0")/.."
build=${DUET_BUILD:-release}
swift build -c "$build" --product duet
duet=".build/$build/duet"
work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT

steps=600
kill_after=230
tiny=(--config configs/audiomae-tiny.yaml
      --set model.audio.dim=32 --set model.audio.depth=1 --set model.audio.heads=2
      --set model.audio.patch=8 --set model.audio.frames=32 --set model.audio.mels=32 --set data.mels=32
      --set model.decoder.dim=16 --set model.decoder.depth=1 --set model.decoder.heads=2
      --set masking.ratio=0.75 --set train.batch_size=4 --set train.steps=$steps --set schedule.warmup_steps=20
      --set train.log_every=1 --set train.eval_every=100 --set train.checkpoint_every=25)

last_step() {  # the step of the last complete line of a metrics file, 0 when none
    local line
    line=$(tail -n 1 "$1" 2>/dev/null || true)
    [[ $line =~ ^\{\"step\":([0-9]+), && $line == *\} ]] && echo "${BASH_REMATCH[1]}" || echo 0
}

start=$SECONDS
"$duet" pretrain "${tiny[@]}" --run-dir "$work/straight" > "$work/straight.log"

"$duet" pretrain "${tiny[@]}" --run-dir "$work/killed" > "$work/killed.log" &
pid=$!
while (( $(last_step "$work/killed/metrics.jsonl") < kill_after )); do
    if ! kill -0 "$pid" 2>/dev/null; then
        echo "resume-check: the run finished before it could be killed; raise steps in $0" >&2
        exit 1
    fi
    sleep 0.01
done
kill -9 "$pid"
wait "$pid" 2>/dev/null || true
killed_at=$(last_step "$work/killed/metrics.jsonl")
latest=$(ls "$work/killed/checkpoints" | grep '^step-' | sort | tail -n 1)
echo "resume-check: killed with SIGKILL after step $killed_at; resuming from $latest"

"$duet" pretrain "${tiny[@]}" --run-dir "$work/killed" --resume latest > "$work/resumed.log"

final=$(printf 'step-%06d' "$steps")
status=0
for file in model.safetensors optimizer.safetensors; do
    if ! cmp "$work/straight/checkpoints/$final/$file" "$work/killed/checkpoints/$final/$file"; then
        echo "resume-check: $final/$file differs between the straight and the resumed run" >&2
        status=1
    fi
done
without_rate() { sed -E 's/"samples_per_s":[^,}]*,?//' "$1"; }
if ! diff <(without_rate "$work/straight/metrics.jsonl") <(without_rate "$work/killed/metrics.jsonl") > "$work/metrics.diff"; then
    echo "resume-check: metrics.jsonl differs:" >&2
    head -n 20 "$work/metrics.diff" >&2
    status=1
fi
if (( status == 0 )); then
    echo "resume-check: ok: $steps steps straight = killed after $killed_at + resumed from $latest" \
         "(model and optimizer bytes identical, $(wc -l < "$work/straight/metrics.jsonl") metrics lines equal) in $((SECONDS - start)) s"
fi
exit $status
