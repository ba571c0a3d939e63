#!/usr/bin/env bash
# Recipe of the bundled crfd-net-compact model: `make weights DATA=../shared/data/casia1-dev`.
#
# CRFD-Net compact trained on the CASIA training split + the synthetic forgeries (see
# casia_data.sh), validated on the CASIA validation split, resumable (re-run the same command
# after an interruption); θ calibrated on the same split; the result written to resources/models.
# Set THREADS (default 2) and EPOCHS (default 8). Wall time is written into the model card.
set -euo pipefail
source "$(dirname "$0")/casia_data.sh"
RUN=${RUN:-runs/crfd-net-compact}
mkdir -p "$RUN"
EPOCHS=${EPOCHS:-8}
resume=()
[ -f "$RUN/fit/last.resume.pt" ] && resume=(--resume)
$PY -m trainer.cli fit --arch crfd-net-compact \
    --data "$SPLIT/train.json" --data "$SYNTH" --val-data "$SPLIT/val.json" \
    --out "$RUN/fit" --threads "$THREADS" --window 128 --epochs "$EPOCHS" --lr 3e-4 --warmup 200 \
    --authentic-share 1.0 --val-max-images 100 --checkpoint-minutes 5 --name crfd-net-compact \
    "${resume[@]}" >> "$RUN/fit.jsonl"
finish crfd-net-compact "$RUN/fit/best.safetensors" "$RUN"
