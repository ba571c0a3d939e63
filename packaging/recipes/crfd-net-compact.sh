#!/usr/bin/env bash
# Recipe of the bundled crfd-net-compact model: `make weights DATA=../shared/data/casia1-dev`.
#
# 1. the leak-free split of DATA (by source photograph, 15 %, seed 0) as JSON pair lists;
# 2. synthetic forgeries made only from the training split's authentic photographs;
# 3. CRFD-Net compact trained on the CASIA training split + the synthetic forgeries, validated
#    on the CASIA validation split (resumable: re-run the same command after an interruption);
# 4. θ calibrated on the same split; the result written to resources/models.
# Set THREADS (default 2) and EPOCHS (default 8). Wall time is written into the model card.
set -euo pipefail
DATA=${DATA:?set DATA to a Tp/Gt/Au folder, e.g. ../shared/data/casia1-dev}
RUN=${RUN:-runs/crfd-net-compact}
THREADS=${THREADS:-2}
EPOCHS=${EPOCHS:-8}
PY=${PY:-.venv/bin/python}
mkdir -p "$RUN"
[ -f "$RUN/split/train.json" ] || $PY packaging/recipes/split_casia.py "$DATA" "$RUN/split"
[ -d "$RUN/synth/Tp" ] || $PY -m trainer.cli synth "$RUN/split/au-train" --out "$RUN/synth" --count 1500 --seed 1
resume=()
[ -f "$RUN/fit/last.resume.pt" ] && resume=(--resume)
$PY -m trainer.cli fit --arch crfd-net-compact \
    --data "$RUN/split/train.json" --data "$RUN/synth" --val-data "$RUN/split/val.json" \
    --out "$RUN/fit" --threads "$THREADS" --window 128 --epochs "$EPOCHS" --lr 3e-4 --warmup 200 \
    --authentic-share 1.0 --val-max-images 100 --checkpoint-minutes 5 --name crfd-net-compact \
    "${resume[@]}" > "$RUN/fit.jsonl"
$PY -m trainer.cli calibrate --model "$RUN/fit/best.safetensors" --data "$DATA" \
    --out resources/models/crfd-net-compact.safetensors --json "$RUN/calibration.json"
$PY -m trainer.cli eval --model resources/models/crfd-net-compact.safetensors --data "$DATA" \
    --split val --json "$RUN/eval-val.json"
