# Sourced by the model recipes: the shared training data of every bundled model.
#
# 1. the leak-free split of DATA (by source photograph, 15 %, seed 0) as JSON pair lists, with
#    the held-out part halved into choose.json (validation: picks epochs and thresholds) and
#    test.json (reports only; docs/VERDICTS.md);
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
[ -f "$SPLIT/choose.json" ] || $PY packaging/recipes/split_casia.py "$DATA" "$SPLIT"
[ -d "$SYNTH/Tp" ] || $PY -m trainer.cli synth "$SPLIT/au-train" --out "$SYNTH" --count 1500 --seed 1
# Training data (CASIA training split + synthetic forgeries) and validation data, as fit args:
# the validation part only, so that the test part chooses no epoch.
TRAIN_DATA=(--data "$SPLIT/train.json" --data "$SYNTH")
CHOOSE=$SPLIT/choose.json
TRAIN_VAL=("${TRAIN_DATA[@]}" --val-data "$CHOOSE")

# The --resume flag when the trainer's --out folder OUT holds an interrupted run (else nothing);
# used unquoted: $(resume_flag OUT). last.resume.pt is trainer.plan.RESUME_NAME.
resume_flag() { if [ -f "$1/last.resume.pt" ]; then echo --resume; fi; }

# Calibrate θ (the paper's midpoint, as the bundled models were made: calibrate's default is
# now the best of Table 3's three) and the pixel threshold on the validation part (choose.json),
# write the checkpoint to MODELS_OUT (default
# resources/models; point it elsewhere to compare a candidate before replacing a bundled file),
# evaluate it.
# usage: finish NAME BEST_CHECKPOINT RUN_DIR
finish() {
    local name=$1 best=$2 run=$3
    mkdir -p "$MODELS_OUT"
    $PY -m trainer.cli calibrate --model "$best" --data "$SPLIT/train.json" --val-data "$CHOOSE" \
        --threads "$THREADS" --pixel-threshold auto --choose midpoint \
        --out "$MODELS_OUT/$name.safetensors" --json "$run/calibration.json"
    $PY -m trainer.cli eval --model "$MODELS_OUT/$name.safetensors" --data "$DATA" \
        --threads "$THREADS" --split choose --json "$run/eval-val.json"
}

# DiffForensics in two resumable stages: stage 1 `pretrain` (Simplex-noise DDPM,
# no labels) on every training image, CASIA and synthetic; stage 2 `fit --init` stage 1 on the
# same images with their masks, validated on the CASIA validation split. Each stage resumes
# when the recipe is run again; logs are appended to RUN/pretrain.jsonl and RUN/fit.jsonl.
# The result is RUN/fit/best.safetensors (the recipe then calls finish on it, or refines it).
# The stage sequence is the one trainer/plan.py gives DiffForensics (the training dialog's, in
# RUN/stage1 and RUN/stage2 there); tests/trainer/test_recipes.py checks every recipe against it.
# usage: diffforensics_two_stage NAME RUN EPOCHS1 STEPS1 LR1 EPOCHS2 LR2 WARMUP [PRETRAIN_ARG...]
# (STEPS1 > 0 stops stage 1 after that many steps; PRETRAIN_ARGs go to stage 1 only.)
diffforensics_two_stage() {
    local name=$1 run=$2 epochs1=$3 steps1=$4 lr1=$5 epochs2=$6 lr2=$7 warmup=$8
    shift 8
    local common=(--arch "$name" "${TRAIN_DATA[@]}" --threads "$THREADS"
        --window "${WINDOW:-256}" --checkpoint-minutes 5 --name "$name" --batch-size 8
        --warmup "$warmup")
    mkdir -p "$run"
    if [ ! -f "$run/pretrain/done" ]; then
        $PY -m trainer.cli pretrain "${common[@]}" "$@" --out "$run/pretrain" \
            --epochs "$epochs1" --max-steps "$steps1" --lr "$lr1" --no-val \
            $(resume_flag "$run/pretrain") >> "$run/pretrain.jsonl"
        touch "$run/pretrain/done"
    fi
    $PY -m trainer.cli fit "${common[@]}" --init "$run/pretrain/last.safetensors" \
        --val-data "$CHOOSE" --out "$run/fit" --epochs "$epochs2" --lr "$lr2" \
        --val-max-images 100 $(resume_flag "$run/fit") >> "$run/fit.jsonl"
}

# Refine a checkpoint by weight averaging (trainer/average.py): fine-tune INIT for EPOCHS at a
# constant LR (the FIT_ARGs give the data, window and augmentation), keeping each epoch's
# weights, then average INIT and every epoch into RUN/average.safetensors, with no epoch chosen
# on validation. Resumes when run again; the log is appended to RUN/light.jsonl.
# usage: light_average NAME RUN INIT EPOCHS LR FIT_ARG...
light_average() {
    local name=$1 run=$2 init=$3 epochs=$4 lr=$5
    shift 5
    $PY -m trainer.cli fit --arch "$name" --name "$name" --init "$init" "$@" \
        --threads "$THREADS" --checkpoint-minutes 5 --warmup 20 --out "$run/light" \
        --epochs "$epochs" --lr "$lr" --schedule constant --keep-epochs \
        $(resume_flag "$run/light") >> "$run/light.jsonl"
    local snapshots=()
    for ((i = 1; i <= epochs; i++)); do snapshots+=("$run/light/epoch-$i.safetensors"); done
    $PY -m trainer.cli average "$init" "${snapshots[@]}" --out "$run/average.safetensors"
}
