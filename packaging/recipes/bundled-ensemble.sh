#!/usr/bin/env bash
# Recipe of the bundled ensemble (equation 6 over the three bundled models): run after the
# three model recipes. Weights and thresholds are chosen on the CASIA validation split (see
# trainer/ensemble.py) and written to resources/models/bundled-ensemble.ensemble.json, the
# figures to runs/casia/ensemble-eval.json (copied into the ensemble's card by model_card.py).
set -euo pipefail
source "$(dirname "$0")/casia_data.sh"
$PY -m trainer.cli ensemble \
    --model resources/models/crfd-net-compact.safetensors \
    --model resources/models/m2f-swin-nano.safetensors \
    --model resources/models/diffforensics-compact.safetensors \
    --data "$DATA" --split val --threads "$THREADS" \
    --out resources/models/bundled-ensemble.ensemble.json --json "$DATA_RUN/ensemble-eval.json"
