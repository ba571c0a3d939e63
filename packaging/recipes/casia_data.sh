# Sourced by the model recipes: the shared training data of every bundled model.
#
# 1. the leak-free split of DATA (by source photograph, 15 %, seed 0) as JSON pair lists;
# 2. synthetic forgeries made only from the training split's authentic photographs (so no
#    validation photograph reaches training through a synthetic copy).
# Both are made once into DATA_RUN (default runs/casia) and reused by every recipe.
DATA=${DATA:?set DATA to a Tp/Gt/Au folder, e.g. ../shared/data/casia1-dev}
DATA_RUN=${DATA_RUN:-runs/casia}
PY=${PY:-.venv/bin/python}
THREADS=${THREADS:-2}
MODELS_OUT=${MODELS_OUT:-resources/models}  # where finish writes the calibrated checkpoint
SPLIT=$DATA_RUN/split
SYNTH=$DATA_RUN/synth
mkdir -p "$DATA_RUN"
[ -f "$SPLIT/train.json" ] || $PY packaging/recipes/split_casia.py "$DATA" "$SPLIT"
[ -d "$SYNTH/Tp" ] || $PY -m trainer.cli synth "$SPLIT/au-train" --out "$SYNTH" --count 1500 --seed 1

# Calibrate θ on the validation split, write the checkpoint to MODELS_OUT (default
# resources/models; point it elsewhere to compare a candidate before replacing a bundled file),
# evaluate it.
# usage: finish NAME BEST_CHECKPOINT RUN_DIR
finish() {
    local name=$1 best=$2 run=$3
    mkdir -p "$MODELS_OUT"
    $PY -m trainer.cli calibrate --model "$best" --data "$DATA" --threads "$THREADS" \
        --pixel-threshold auto \
        --out "$MODELS_OUT/$name.safetensors" --json "$run/calibration.json"
    $PY -m trainer.cli eval --model "$MODELS_OUT/$name.safetensors" --data "$DATA" \
        --threads "$THREADS" --split val --json "$run/eval-val.json"
}
