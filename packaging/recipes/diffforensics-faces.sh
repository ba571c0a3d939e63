#!/usr/bin/env bash
# Recipe of the bundled face model diffforensics-faces (issue 20, item 4; docs/FACES.md):
# run after diffforensics-effl0.sh, e.g. `make weights DATA=../shared/data/casia1-dev`.
#
# 1. The real face photographs split by person / photograph into train, validation and test
#    (face_sources.py: FASSEG faces-real by person, camera photographs by the verdict's halves,
#    CASIA Au by the three-way split), and face forgeries made from each part alone
#    (`forensic-train synth --kind faces`: self-blended, swapped, eyes, mouth, skin), every
#    crop of the face path's geometry (margin 0.3, resized to the 256-pixel window).
# 2. diffforensics-effl0 fine-tuned on the training part's forgeries and untouched faces (the
#    untouched ones repeated AU_WEIGHT more times, so about 40 % of the samples are authentic),
#    validated on the validation part.
# 3. `forensic-train face-model`: pixel threshold, θ (at most FALSE_ALARMS of the validation
#    part's authentic faces) and calibration chosen on validation, figures on the test part,
#    the whole face path on the test photographs; written with scope "faces" to MODELS_OUT.
# Resumes when run again.
set -euo pipefail
source "$(dirname "$0")/casia_data.sh"
FACES_REAL=${FACES_REAL:-$(dirname "$DATA")/faces-real}
PHOTOS=${PHOTOS:-$(dirname "$DATA")/camera-photos}
FACES_RUN=${FACES_RUN:-runs/faces}
RUN=${RUN:-$FACES_RUN/diffforensics-faces}
AU_WEIGHT=${AU_WEIGHT:-6}
FALSE_ALARMS=${FALSE_ALARMS:-0.03}
mkdir -p "$RUN"
[ -f "$FACES_RUN/src/parts.json" ] || $PY packaging/recipes/face_sources.py "$FACES_RUN/src" \
    --faces-real "$FACES_REAL" --photos "$PHOTOS" --casia "$DATA"
for spec in "train 1500 11" "val 240 12" "test 360 13"; do
    set -- $spec
    [ -d "$FACES_RUN/$1/Tp" ] || $PY -m trainer.cli synth --kind faces \
        --faces "$FACES_RUN/src/$1" --out "$FACES_RUN/$1" --count "$2" --seed "$3" \
        --margin 0.3 --crop-size 256
done
$PY - "$FACES_RUN/train" "$FACES_RUN/train-au.json" <<'EOF'
import json, sys
from pathlib import Path
au = sorted(str(p.resolve()) for p in (Path(sys.argv[1]) / "Au").glob("*.png"))
Path(sys.argv[2]).write_text(json.dumps([[p, "Negative"] for p in au]))
EOF
$PY -m trainer.cli fit --arch diffforensics-effl0 --name diffforensics-faces \
    --init "$MODELS_OUT/diffforensics-effl0.safetensors" \
    --data "$FACES_RUN/train" --data "$FACES_RUN/train-au.json:$AU_WEIGHT" \
    --val-data "$FACES_RUN/val" --window 256 --batch-size 8 --aug light \
    --epochs "${EPOCHS:-4}" --lr "${LR:-1e-4}" --warmup 20 --threads "$THREADS" \
    --checkpoint-minutes 5 --out "$RUN/fit" $(resume_flag "$RUN/fit") >> "$RUN/fit.jsonl"
$PY -m trainer.cli face-model --model "$RUN/fit/best.safetensors" \
    --val "$FACES_RUN/val" --test "$FACES_RUN/test" --false-alarms "$FALSE_ALARMS" \
    --photos "$FACES_RUN/src/test" \
    --out "$MODELS_OUT/diffforensics-faces.safetensors" --json "$RUN/face-model.json"
