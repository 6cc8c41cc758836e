#!/usr/bin/env bash
# How general the demo's gap is: the demo's fine-tune (scripts/lib/lipread-recipe.sh) from a
# pretraining run and from scratch on the word corpora of several seeds (each its own 24
# speakers, its own 10 % of the labels, head and order), then the test and valid accuracies of
# both arms per corpus and the mean gaps. One corpus on the demo's keys takes about 4-5 minutes
# on 2 cores (made in the cache first when missing, about 45 s).
#
#   bash scripts/gap-sweep.sh RUN [SEED ...]     e.g. bash scripts/gap-sweep.sh runs/demo-…/pretrain 0 1 2 3 4
#
# RUN is a pretraining run folder (its config.yaml fixes the tower, its checkpoints/latest the
# weights); the seeds default to 0 1 2. Fine-tunes go to runs/gap-sweep-<time>/corpus-S/{pretrained,scratch}.
set -euo pipefail
cd "$(dirname "$0")/.."
source scripts/lib/lipread-recipe.sh

run="${1:?usage: bash scripts/gap-sweep.sh PRETRAINING_RUN [SEED ...]}"
shift
seeds=("$@")
[ ${#seeds[@]} -gt 0 ] || seeds=(0 1 2)
for file in "$run/config.yaml" "$run/checkpoints"; do
    [ -e "$file" ] || { echo "error: $file: not found; RUN must be a pretraining run folder" >&2; exit 1; }
done
[ "$WORD_CLIPS" -gt 0 ] || { echo "error: WORD_CLIPS: must be above 0 (the sweep's corpora are word corpora)" >&2; exit 1; }

build_duet
duet=.build/release/duet
out="runs/gap-sweep-$(date +%Y%m%d-%H%M%S)"
mkdir -p "$out"
add_tower_sets "$run/config.yaml"

# Rows of "SEED pretrained-test pretrained-valid scratch-test scratch-valid" as aligned lines with their gaps.
format_rows() {
    awk '{ printf "  corpus %-3s pretrained %5.1f / %5.1f %%   scratch %5.1f / %5.1f %%   gap %+5.1f / %+5.1f\n", $1, $2, $3, $4, $5, $2 - $4, $3 - $5 }'
}
rows=()
for seed in "${seeds[@]}"; do
    sets=("${FINETUNE_SET[@]}" --set seed="$seed")
    echo "== corpus $seed: from $run, then from scratch =="
    for arm in pretrained scratch; do
        init=(); [ "$arm" = scratch ] || init=(--init "$run/checkpoints/latest")
        log="$out/corpus-$seed-$arm.log"
        "$duet" finetune --config "$FINETUNE_CONFIG" "${init[@]}" "${sets[@]}" --run-dir "$out/corpus-$seed/$arm" > "$log" 2>&1 \
            || { tail -3 "$log" >&2; echo "error: the $arm fine-tune on corpus $seed failed; its log: $log" >&2; exit 1; }
    done
    row="$seed"
    for arm in pretrained scratch; do
        for split in test valid; do row+=" $(accuracy "$out/corpus-$seed/$arm" "$split")"; done
    done
    rows+=("$row")
    format_rows <<< "$row"
done

printf '\nWord accuracy, %s of the labels, %s steps (the first %s the head alone), test / valid (960 clips each, chance 3.3 %%); logs in %s\n' \
    "$LABEL_FRACTION" "$FINETUNE_STEPS" "$FREEZE_STEPS" "$out"
printf '%s\n' "${rows[@]}" | format_rows
printf '%s\n' "${rows[@]}" | awk '{ test += $2 - $4; valid += $3 - $5; n++ }
    END { printf "  mean gap over %d corpora: %+.1f points test, %+.1f valid\n", n, test / n, valid / n }'
