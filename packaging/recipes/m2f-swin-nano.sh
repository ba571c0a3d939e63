#!/usr/bin/env bash
# Recipe of the bundled m2f-swin-nano model: `make weights DATA=../shared/data/casia1-dev`.
#
# The Mask2Former-style detector/localizer at CPU size (reduced Swin, L=3, N=10), trained from
# random initialisation (no ImageNet Swin here, so the backbone learns at the full rate) on the
# CASIA training split + the synthetic forgeries, validated on the CASIA validation split,
# resumable; θ calibrated on the same split; the result written to resources/models.
set -euo pipefail
source "$(dirname "$0")/casia_data.sh"
RUN=${RUN:-runs/m2f-swin-nano}
mkdir -p "$RUN"
EPOCHS=${EPOCHS:-7}
WINDOW=${WINDOW:-256}
$PY -m trainer.cli fit --arch m2f-swin-nano \
    "${TRAIN_VAL[@]}" \
    --out "$RUN/fit" --threads "$THREADS" --window "$WINDOW" --epochs "$EPOCHS" \
    --batch-size 8 --lr 2e-4 --clip-grad 1.0 --warmup 100 --val-max-images 100 --checkpoint-minutes 5 \
    --name m2f-swin-nano $(resume_flag "$RUN/fit") >> "$RUN/fit.jsonl"
finish m2f-swin-nano "$RUN/fit/best.safetensors" "$RUN"
