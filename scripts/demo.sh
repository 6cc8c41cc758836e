#!/usr/bin/env bash
# The main command of the README, the lip-reading demo end to end: the synthetic corpus, a
# self-supervised pretraining run (no labels), lip reading fine-tuned with 10 % of the labels from
# the pretrained video encoder and from scratch, both scored on unseen test speakers side by side,
# and the video encoder exported for PyTorch. About 15 minutes on 2 idle cores (release build).
set -euo pipefail
cd "$(dirname "$0")/.."

# The pretraining recipe: videomae-tiny until raven-tiny lands (then configs/raven-tiny.yaml).
PRETRAIN_CONFIG="${PRETRAIN_CONFIG:-configs/videomae-tiny.yaml}"
# Frames decoded at 72² and cut to the tower's 64², as the lip-reading fine-tune reads them.
PRETRAIN_SET=(--set data.decode_size=72)
FINETUNE_CONFIG=configs/lipread-word-tiny.yaml
LABEL_FRACTION=0.1

stage() { printf '\n== %s ==\n' "$*"; }
accuracy() {  # the test accuracy a fine-tuning run's evaluation wrote, in %
    local file
    file=$(ls "$1"/evaluation/step-*/metrics-test.json | tail -1)
    sed -n 's/.*"accuracy": \([0-9.eE+-]*\).*/\1/p' "$file" | awk '{ printf "%.1f", 100 * $1 }'
}

stage "1/6 building duet in release (installing the Debian packages it needs when missing)"
bash scripts/install-deps.sh
swift build -c release --product duet
duet=.build/release/duet
runs="runs/demo-$(date +%Y%m%d-%H%M%S)"
mkdir -p "$runs"

stage "2/6 the synthetic talking-mouth corpus: made once (about 15 s) in \${DUET_CACHE:-~/.cache/duet}, then reused"
echo "24 speakers (16 train / 4 valid / 4 test, disjoint), 30 words, H.264 + AAC clips; the pretraining run makes it when missing"

stage "3/6 pretraining $PRETRAIN_CONFIG on the training speakers' clips, without labels"
"$duet" pretrain --config "$PRETRAIN_CONFIG" "${PRETRAIN_SET[@]}" --run-dir "$runs/pretrain"

stage "4/6 lip reading of single words with $LABEL_FRACTION of the labels, from the pretrained video encoder"
"$duet" finetune --config "$FINETUNE_CONFIG" --init "$runs/pretrain/checkpoints/latest" \
    --set data.label_fraction="$LABEL_FRACTION" --run-dir "$runs/lipread-pretrained"

stage "5/6 the same fine-tune from scratch (random initialisation, same seed, same labels)"
"$duet" finetune --config "$FINETUNE_CONFIG" --set data.label_fraction="$LABEL_FRACTION" --run-dir "$runs/lipread-scratch"

stage "6/6 exporting the pretrained video encoder for PyTorch"
"$duet" export --checkpoint "$runs/pretrain/checkpoints/latest" --modality video --out "$runs/video-encoder"

pretrained=$(accuracy "$runs/lipread-pretrained")
scratch=$(accuracy "$runs/lipread-scratch")
printf '\nWord accuracy on the 4 unseen test speakers (96 clips, 30 words, chance 3.3 %%), %s of the labels:\n' "$LABEL_FRACTION"
printf '  %-34s %6s %%\n' "from $(basename "$PRETRAIN_CONFIG" .yaml)" "$pretrained" "from scratch" "$scratch"
awk -v a="$pretrained" -v b="$scratch" 'BEGIN { printf "  %-34s %+6.1f points\n", "gap", a - b }'
echo
echo "runs: $runs (pretrain/, lipread-pretrained/, lipread-scratch/: config.yaml, metrics.jsonl, checkpoints/,"
echo "      evaluation/step-N/ predictions, confusions, metrics); exported encoder: $runs/video-encoder"
