#!/usr/bin/env bash
# Recipe of the bundled diffforensics-compact model: `make weights DATA=../shared/data/casia1-dev`.
#
# Stage 1 (self-supervised, no labels): Simplex-noise DDPM pre-training on every training image,
# CASIA and synthetic, tampered and authentic. No ADE20K encoder exists here, so the encoder
# is trained too (--encoder auto does so without encoder weights; see engine.models.diffforensics).
# Stage 2: multi-task fine-tuning from stage 1 on the same images with their masks, validated on
# the CASIA validation split; θ calibrated on it; the result written to resources/models.
# Both stages resume when the command is run again. Set THREADS, EPOCHS1 and EPOCHS2.
set -euo pipefail
source "$(dirname "$0")/casia_data.sh"
RUN=${RUN:-runs/diffforensics-compact}
mkdir -p "$RUN"
EPOCHS1=${EPOCHS1:-2}
EPOCHS2=${EPOCHS2:-6}
WINDOW=${WINDOW:-256}
common=(--arch diffforensics-compact --data "$SPLIT/train.json" --data "$SYNTH"
    --threads "$THREADS" --window "$WINDOW" --checkpoint-minutes 5 --name diffforensics-compact)
if [ ! -f "$RUN/pretrain/done" ]; then
    resume=()
    [ -f "$RUN/pretrain/last.resume.pt" ] && resume=(--resume)
    $PY -m trainer.cli pretrain "${common[@]}" --out "$RUN/pretrain" --epochs "$EPOCHS1" \
        --batch-size 8 --lr 3e-4 --warmup 100 --no-val "${resume[@]}" > "$RUN/pretrain.jsonl"
    touch "$RUN/pretrain/done"
fi
resume=()
[ -f "$RUN/fit/last.resume.pt" ] && resume=(--resume)
$PY -m trainer.cli fit "${common[@]}" --init "$RUN/pretrain/last.safetensors" \
    --val-data "$SPLIT/val.json" --out "$RUN/fit" --epochs "$EPOCHS2" --batch-size 8 \
    --lr 3e-4 --warmup 100 --val-max-images 100 "${resume[@]}" > "$RUN/fit.jsonl"
finish diffforensics-compact "$RUN/fit/best.safetensors" "$RUN"
