# The demo's word lip-reading fine-tune with 10 % of the labels, shared by scripts/demo.sh and
# scripts/gap-sweep.sh so that both run the same recipe: source it from the repository root.
# FINETUNE_CONFIG, FINETUNE_STEPS, FREEZE_STEPS and WORD_CLIPS may be set in the environment.

# Word lip reading with RAVEn's tower. The tower's shape and the frames it reads are not repeated
# here: both fine-tunes take them from the pretraining run's resolved config (tower_sets below).
FINETUNE_CONFIG="${FINETUNE_CONFIG:-configs/lipread-word-raven-tiny.yaml}"
# 400 steps, the first FREEZE_STEPS of them training the head alone on the frozen encoder, then
# 300 of the whole model (12 passes over the 390 labelled clips): LP-FT (Kumar et al., 2022), the
# head learns on the frozen features first, so that a head that knows nothing yet does not pull
# the pretrained encoder about. Over 15 pairs (three pretraining runs, five corpora) it widened
# the gap on unseen speakers from +14.0 to +19.1 points on test and from +14.6 to +19.0 on valid
# (README, "Fine-tuning").
FINETUNE_STEPS="${FINETUNE_STEPS:-400}"
FREEZE_STEPS="${FREEZE_STEPS:-$((FINETUNE_STEPS / 4))}"  # 100 of 400; a quarter of a shorter check's steps
LABEL_FRACTION=0.1
# The labelled words: the corpus's 24 speakers saying WORD_CLIPS one-word clips each, so 10 % of
# the 16 training speakers' labels is about 13 clips a word (LRW's 10 % is about 100); with the
# default corpus's 24 word clips a speaker it would be one clip a word, a one-shot task.
WORD_CLIPS="${WORD_CLIPS:-240}"  # 0: the default corpus (40 clips a speaker, 24 of them words)
# lr 2e-3 and no time masks: in 150 steps the recipe's time mask (up to 10 of the 32 frames) cost
# the pretrained encoder 3-5 points on test and the encoder from scratch about 1 (README, "Fine-tuning").
FINETUNE_SET=(--set train.steps="$FINETUNE_STEPS" --set task.freeze_encoder_steps="$FREEZE_STEPS"
              --set data.label_fraction="$LABEL_FRACTION"
              --set data.word_clips_per_speaker="$WORD_CLIPS" --set optim.lr=2e-3 --set data.augment.time_masks=0)

# A run's resolved config.yaml (every key, as duet wrote it) as key.path=value lines, then the
# keys that fix the pretrained video tower and its input: all of model.video but drop_path (a
# fine-tuning choice), RAVEn's LayerScale (the blocks have ls1 / ls2 only with it), and the frame
# rate, window, decode size and per-clip centring (the fine-tunes read frames exactly as the
# pretraining did).
tower_sets() {
    awk 'match($0, /^ */) { level = RLENGTH / 2 }
         /^ *[A-Za-z0-9_]+:/ {
             key = $1; sub(/:$/, "", key); value = $0; sub(/^ *[A-Za-z0-9_]+: ?/, "", value)
             path[level] = key; full = path[0]; for (i = 1; i <= level; i++) full = full "." path[i]
             if (value != "") print full "=" value
         }' "$1" \
        | grep -E '^(model\.video\.|objective\.raven\.(layer_scale|positions)=|data\.(fps|clip_seconds|decode_size|video_norm)=)' \
        | grep -v '^model\.video\.drop_path='
}
# add_tower_sets CONFIG: appends the tower keys of a pretraining run's config.yaml to FINETUNE_SET
# and lists them in TOWER (both fine-tunes of a pair need them, with or without --init).
add_tower_sets() {
    mapfile -t TOWER < <(tower_sets "$1")
    local kv
    for kv in "${TOWER[@]}"; do FINETUNE_SET+=(--set "$kv"); done
}
build_duet() {  # installs the Debian packages duet needs when missing and builds it in release
    bash scripts/install-deps.sh
    swift build -c release --product duet
}
accuracy() {  # accuracy RUN [SPLIT]: the accuracy (test by default) a fine-tuning run's evaluation wrote, in %
    local file
    file=$(ls "$1"/evaluation/step-*/metrics-"${2:-test}".json | tail -1)
    sed -n 's/.*"accuracy": \([0-9.eE+-]*\).*/\1/p' "$file" | awk '{ printf "%.1f", 100 * $1 }'
}
