#!/usr/bin/env bash
# Recipe of the diffforensics-compact model (trained, not bundled: see docs/TRAINING.md):
# `make weights DATA=../shared/data/casia1-dev MODELS=diffforensics-compact`.
#
# Stage 1 (self-supervised, no labels): Simplex-noise DDPM pre-training on every training image,
# CASIA and synthetic, tampered and authentic. No ADE20K encoder exists here, so the encoder
# is trained too (--encoder auto does so without encoder weights; see engine.models.diffforensics).
# Stage 2: multi-task fine-tuning from stage 1 on the same images with their masks, validated on
# the CASIA validation split; θ calibrated on it (casia_data.sh: diffforensics_two_stage).
# Resumes when run again. Set THREADS, EPOCHS1 and EPOCHS2.
set -euo pipefail
source "$(dirname "$0")/casia_data.sh"
RUN=${RUN:-runs/diffforensics-compact}
diffforensics_two_stage diffforensics-compact "$RUN" "${EPOCHS1:-2}" 0 3e-4 "${EPOCHS2:-6}" 3e-4 100
finish diffforensics-compact "$RUN/fit/best.safetensors" "$RUN"
