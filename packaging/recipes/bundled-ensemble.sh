#!/usr/bin/env bash
# Recipe of the bundled ensemble (equation 6 over every bundled model): run after the model
# recipes. Weights and thresholds are chosen on the CASIA validation part (`--split choose`,
# the held-out part's validation half; the test half chooses nothing; trainer/ensemble.py) and written to MODELS_OUT/bundled-ensemble.ensemble.json (default
# resources/models), the figures to runs/casia/ensemble-eval.json (copied into the ensemble's
# card by model_card.py). The members are every checkpoint in MODELS_OUT but the face models
# (FACE_MODELS: they analyse face crops, not whole images, and join the verdict by the face rule).
set -euo pipefail
source "$(dirname "$0")/casia_data.sh"
FACE_MODELS=${FACE_MODELS:-diffforensics-faces}
members=()
for f in "$MODELS_OUT"/*.safetensors; do
    [[ " $FACE_MODELS " == *" $(basename "$f" .safetensors) "* ]] || members+=(--model "$f")
done
$PY -m trainer.cli ensemble "${members[@]}" \
    --data "$DATA" --split choose --threads "$THREADS" \
    --out "$MODELS_OUT/bundled-ensemble.ensemble.json" --json "$DATA_RUN/ensemble-eval.json"
$PY packaging/model_card.py --ensemble "$MODELS_OUT/bundled-ensemble.ensemble.json" \
    "$DATA_RUN/ensemble-eval.json"

# The paper's own ensemble (§3.5: two Mask2Former-style models with different backbones, weights
# for detection and localization chosen apart) when both are in MODELS_OUT: m2f-ensemble, an
# alternative an analyst can pick (`--model m2f-ensemble`); the default stays bundled-ensemble.
pair=("$MODELS_OUT/m2f-swin-nano.safetensors" "$MODELS_OUT/m2f-effl0.safetensors")
if [ -f "${pair[0]}" ] && [ -f "${pair[1]}" ]; then
    $PY -m trainer.cli ensemble --model "${pair[0]}" --model "${pair[1]}" \
        --data "$DATA" --split choose --threads "$THREADS" \
        --out "$MODELS_OUT/m2f-ensemble.ensemble.json" --json "$DATA_RUN/m2f-ensemble-eval.json"
    $PY packaging/model_card.py --ensemble "$MODELS_OUT/m2f-ensemble.ensemble.json" \
        "$DATA_RUN/m2f-ensemble-eval.json"
fi

# Verdicts at evidence size (issue 17, trainer/verdict.py, docs/VERDICTS.md): every default
# network and the classic analyses on the CASIA validation and test parts and the camera
# photographs (two shards, one per core; resumable), then θ, calibrations, the stacked default
# verdict and the ensemble's localization chosen on the validation part, the test part
# reported; the checkpoints' headers, the ensemble files and the cards' verdict sections are
# rewritten.
# The logit-rule networks decide on the photograph reduced to DETECT_SIDE pixels on its long
# side (docs/VERDICTS.md section 6); the verdict step writes the rows' setting into the headers.
# The authentic camera photographs: camera-photos beside DATA (as diffforensics-faces.sh reads
# them), or PHOTOS.
PHOTOS=${PHOTOS:-$(dirname "$DATA")/camera-photos}
VERDICT_RUN=${VERDICT_RUN:-runs/verdict}
DETECT_SIDE=${DETECT_SIDE:-512}
mkdir -p "$VERDICT_RUN"
# Forgeries of the camera photographs at full size, two of each photograph, made once per half
# (docs/VERDICTS.md section 6): the validation half's join the stacking's fit and θ, the test
# half's are reported. Their features rows need only the copy-move analysis of the classic ones.
forgeries=()
for half in val test; do
    out="$VERDICT_RUN/forgeries-$half"
    [ -f "$out/photos.json" ] || $PY -m trainer.cli synth "$PHOTOS" --out "$out" \
        --camera-half "$half" --per-photo 2 --seed 101
    forgeries+=("$out")
done
for k in 0 1; do
    { $PY -m trainer.cli features --casia "$DATA" --photos "$PHOTOS" --parts val,test \
        --detect-side "$DETECT_SIDE" --out "$VERDICT_RUN/features-$k.jsonl" --shard "$k/2" &&
      $PY -m trainer.cli features --forgeries "${forgeries[@]}" --parts val,test --classic clone \
        --detect-side "$DETECT_SIDE" --out "$VERDICT_RUN/features-$k.jsonl" --shard "$k/2"; } &
done
wait
$PY -m trainer.cli verdict --features "$VERDICT_RUN"/features-*.jsonl --casia "$DATA" \
    --models "$MODELS_OUT" --maps "$VERDICT_RUN"/features-*.maps \
    --ensemble "$MODELS_OUT/bundled-ensemble.ensemble.json" \
    $( [ -f "$MODELS_OUT/m2f-ensemble.ensemble.json" ] && echo "$MODELS_OUT/m2f-ensemble.ensemble.json" ) \
    --json "$VERDICT_RUN/report.json"
$PY packaging/verdict_cards.py "$VERDICT_RUN/report.json"
