"""The model recipes (``packaging/recipes/*.sh``, ``make weights``) assemble the commands their
model cards claim: run with a stand-in interpreter that records its arguments and creates what
each command would write, so the order, the arguments, the resume logic and the output folder
are checked without training anything. Each recipe also runs the stages that the plan of a run
(``trainer.plan``, which the training dialog runs) gives its architecture."""

from __future__ import annotations

import os
import shlex
import stat
import subprocess
import sys
from pathlib import Path

import pytest

from tests.conftest import HANG_S
from trainer.plan import RESUME_NAME, TrainingConfig, known_architectures, pretrained_field

ROOT = Path(__file__).resolve().parents[2]
RECIPES = ROOT / "packaging" / "recipes"

# Records argv, then creates each --out (a file when it has a suffix, else a folder).
FAKE_PY = """#!/usr/bin/env bash
printf '%s\\n' "$*" >> "$FAKE_LOG"
prev=""
for a in "$@"; do
    if [ "$prev" = "--out" ]; then
        case "$a" in
            *.safetensors|*.json) mkdir -p "$(dirname "$a")"; : > "$a" ;;
            *) mkdir -p "$a" ;;
        esac
    fi
    prev=$a
done
"""


def _run(tmp_path: Path, recipe: str, **env: str) -> list[list[str]]:
    fake = tmp_path / "fake-python"
    fake.write_text(FAKE_PY)
    fake.chmod(fake.stat().st_mode | stat.S_IXUSR)
    log = tmp_path / "calls.log"
    log.unlink(missing_ok=True)
    full = {
        **os.environ,
        "PY": str(fake),
        "FAKE_LOG": str(log),
        "DATA": "/data/casia",
        "DATA_RUN": str(tmp_path / "casia"),
        "MODELS_OUT": str(tmp_path / "models"),
        "THREADS": "1",
        **env,
    }
    done = subprocess.run(
        ["bash", str(RECIPES / f"{recipe}.sh")],
        cwd=tmp_path,
        env=full,
        capture_output=True,
        text=True,
        timeout=HANG_S,
    )
    assert done.returncode == 0, done.stderr
    return [shlex.split(line) for line in log.read_text().splitlines()]


def _value(argv: list[str], flag: str) -> str:
    return argv[argv.index(flag) + 1]


def _training(calls: list[list[str]]) -> list[list[str]]:
    """The training commands (``fit``, ``pretrain``) among ``calls``, from the sub-command on."""
    return [c[2:] for c in calls if c[:2] == ["-m", "trainer.cli"] and c[2] in ("fit", "pretrain")]


def _commands(calls: list[list[str]]) -> list[str]:
    """The trainer sub-command (or script) of each call."""
    return [c[2] if c[:2] == ["-m", "trainer.cli"] else Path(c[0]).name for c in calls]


# The recipes of one model each, named after its architecture (casia_data.sh is sourced by them).
MODEL_RECIPES = sorted(
    p.stem
    for p in RECIPES.glob("*.sh")
    if p.stem not in ("casia_data", "bundled-ensemble", "diffforensics-faces")
)


def _pretrained(argv: list[str], key: str | None) -> list[str]:
    """The pretrained-weights settings among ``argv``'s --model-config items."""
    items = [argv[i + 1] for i, a in enumerate(argv) if a == "--model-config"]
    return [item for item in items if key and item.startswith(f"{key}=")]


@pytest.mark.parametrize("recipe", MODEL_RECIPES)
def test_recipe_runs_the_stages_the_plan_gives_its_architecture(
    tmp_path: Path, recipe: str
) -> None:
    # The plan (what the training dialog runs) and the recipe agree on the stage sequence: the
    # same sub-commands in order, a later stage --init the earlier stage's checkpoint of the
    # same name, pretrained weights where the plan puts them, and --resume exactly when the
    # stage folder holds the trainer's resume file. What follows the planned stages (a second
    # run, an averaged refinement) is the recipe's own.
    assert recipe in known_architectures()
    run = tmp_path / "run"
    calls = _run(tmp_path, recipe, RUN=str(run))
    training = _training(calls)
    key = pretrained_field(recipe)
    given = [item.split("=", 1)[1] for item in _pretrained(training[0], key)]
    plan = TrainingConfig(
        name=recipe,
        arch=recipe,
        data=["/data/casia"],
        runs_dir=str(tmp_path / "dialog"),
        pretrained=given[0] if given else "",
    )
    stages = plan.stages()
    assert len(training) >= len(stages)
    recipe_out: dict[Path, Path] = {}  # the plan's stage folder -> the recipe's
    for stage, argv in zip(stages, training, strict=False):
        planned = plan.stage_argv(stage, resume=False)
        assert argv[0] == planned[0] == stage.command
        assert _value(argv, "--arch") == _value(planned, "--arch")
        assert _pretrained(argv, key) == _pretrained(planned, key)
        if stage.init is None:
            assert "--init" not in argv
        else:
            earlier = recipe_out[stage.init.parent]
            assert Path(_value(argv, "--init")) == earlier / stage.init.name
        recipe_out[stage.out] = Path(_value(argv, "--out"))
        assert "--resume" not in argv

    # Run again after an interruption of the last training command: it continues (as the plan
    # resumes a stage whose folder holds the resume file); the others start anew or are done.
    stopped = Path(_value(training[-1], "--out"))
    (stopped / RESUME_NAME).write_bytes(b"")
    again = _training(_run(tmp_path, recipe, RUN=str(run)))
    assert [Path(_value(a, "--out")) for a in again if "--resume" in a] == [stopped]


def test_effl0_recipe_two_stages_from_imagenet_then_averaged_and_calibrated_into_models_out(
    tmp_path: Path,
) -> None:
    run = tmp_path / "run"
    calls = _run(tmp_path, "diffforensics-effl0", RUN=str(run))
    assert _commands(calls) == [
        "split_casia.py", "synth", "pretrain", "fit", "fit", "average", "calibrate", "eval",
    ]  # fmt: skip
    pre, fit, light, avg, cal, ev = calls[2:]
    assert "encoder_weights=imagenet" in pre and _value(pre, "--max-steps") == "131"
    assert "encoder_weights=imagenet" not in fit  # stage 2 starts from stage 1's checkpoint
    assert _value(fit, "--init") == f"{run}/pretrain/last.safetensors"
    assert _value(fit, "--epochs") == "7" and "--resume" not in fit
    synth = _value(calls[1], "--out")
    assert [_value(c, "--data") for c in (pre, fit)] == [f"{tmp_path}/casia/split/train.json"] * 2
    assert all(synth in c for c in (pre, fit, light))
    # the refinement: light augmentation from stage 2's best, every epoch kept and averaged
    best = f"{run}/fit/best.safetensors"
    assert _value(light, "--init") == best and _value(light, "--aug") == "light"
    assert "--keep-epochs" in light and _value(light, "--epochs") == "3"
    assert avg[3:6] == [best] + [f"{run}/light/epoch-{i}.safetensors" for i in (1, 2)]
    assert avg[6] == f"{run}/light/epoch-3.safetensors"
    assert _value(avg, "--out") == f"{run}/average.safetensors"
    assert _value(cal, "--model") == f"{run}/average.safetensors"
    assert _value(cal, "--pixel-threshold") == "auto"
    # the validation part alone chooses: the epoch (stage 2, and the light fit's figures),
    # θ and the pixel threshold; the test half of the held-out part never appears
    choose = f"{tmp_path}/casia/split/choose.json"
    assert [_value(c, "--val-data") for c in (fit, light, cal)] == [choose] * 3
    assert _value(cal, "--data") == f"{tmp_path}/casia/split/train.json"
    assert _value(ev, "--split") == "choose"
    assert not any("test.json" in a or "/val.json" in a for c in calls for a in c)
    out = f"{tmp_path}/models/diffforensics-effl0.safetensors"
    assert _value(cal, "--out") == out and _value(ev, "--model") == out

    # Run again after an interruption of stage 2: stage 1 is done, stage 2 resumes, the data
    # split and the synthetic forgeries are reused.
    (run / "fit" / RESUME_NAME).write_bytes(b"")
    (tmp_path / "casia" / "split").mkdir(parents=True)
    (tmp_path / "casia" / "split" / "choose.json").write_text("[]")
    (tmp_path / "casia" / "synth" / "Tp").mkdir(parents=True)
    again = _run(tmp_path, "diffforensics-effl0", RUN=str(run))
    assert _commands(again) == ["fit", "fit", "average", "calibrate", "eval"]
    assert again[0][-1] == "--resume" and "--resume" not in again[1]


def test_compact_diffforensics_recipe_finishes_its_stage_2_checkpoint(tmp_path: Path) -> None:
    run = tmp_path / "run"
    calls = _run(tmp_path, "diffforensics-compact", RUN=str(run))
    assert _commands(calls) == ["split_casia.py", "synth", "pretrain", "fit", "calibrate", "eval"]
    assert _value(calls[4], "--model") == f"{run}/fit/best.safetensors"


def test_m2f_swin_nano_recipe_one_stage(tmp_path: Path) -> None:
    calls = _run(tmp_path, "m2f-swin-nano", RUN=str(tmp_path / "run"))
    assert _commands(calls) == ["split_casia.py", "synth", "fit", "calibrate", "eval"]
    fit = calls[2]
    assert _value(fit, "--arch") == "m2f-swin-nano" and _value(fit, "--name") == "m2f-swin-nano"
    assert _value(fit, "--epochs") == "7" and "backbone_weights=imagenet" not in fit  # no Swin
    assert _value(fit, "--val-data") == f"{tmp_path}/casia/split/choose.json"
    assert _value(calls[3], "--out") == f"{tmp_path}/models/m2f-swin-nano.safetensors"


def test_m2f_effl0_recipe_from_imagenet_then_averaged(tmp_path: Path) -> None:
    run = tmp_path / "run"
    calls = _run(tmp_path, "m2f-effl0", RUN=str(run))
    assert _commands(calls) == [
        "split_casia.py", "synth", "fit", "fit", "average", "calibrate", "eval",
    ]  # fmt: skip
    fit, light, avg, cal = calls[2:6]
    assert _value(fit, "--arch") == "m2f-effl0" and "backbone_weights=imagenet" in fit
    assert _value(fit, "--epochs") == "4"
    best = f"{run}/fit/best.safetensors"
    assert _value(light, "--init") == best and _value(light, "--aug") == "light"
    assert "--keep-epochs" in light and _value(light, "--epochs") == "2"
    assert _value(light, "--window") == "256"
    assert avg[3:5] == [best, f"{run}/light/epoch-1.safetensors"]
    assert _value(cal, "--model") == f"{run}/average.safetensors"
    assert _value(cal, "--out") == f"{tmp_path}/models/m2f-effl0.safetensors"


def test_crfd_recipe_is_the_two_runs_of_its_card(tmp_path: Path) -> None:
    run = tmp_path / "run"
    calls = _run(tmp_path, "crfd-net-compact", RUN=str(run))
    assert _commands(calls) == ["split_casia.py", "synth", "fit", "fit", "calibrate", "eval"]
    one, two = calls[2:4]
    train = f"{tmp_path}/casia/split/train.json"  # CASIA's training part alone
    assert [_value(c, "--data") for c in (one, two)] == [train] * 2
    choose = f"{tmp_path}/casia/split/choose.json"  # each best epoch chosen on validation
    assert [_value(c, "--val-data") for c in (one, two, calls[4])] == [choose] * 3
    assert [_value(c, "--epochs") for c in (one, two)] == ["6", "4"]
    assert [_value(c, "--lr") for c in (one, two)] == ["3e-4", "1.5e-4"]
    assert "--init" not in one and _value(two, "--init") == f"{run}/run1/best.safetensors"
    assert _value(calls[4], "--model") == f"{run}/run2/best.safetensors"
    (run / "run2" / RESUME_NAME).write_bytes(b"")
    calls = _run(tmp_path, "crfd-net-compact", RUN=str(run))
    again = _commands(calls)
    assert again[-3:] == ["fit", "calibrate", "eval"] and again.count("fit") == 1  # run 1 done
    assert calls[-3][-1] == "--resume" and "--resume" not in one  # run 2 continues


def test_ensemble_recipe_takes_every_model_in_models_out(tmp_path: Path) -> None:
    models = tmp_path / "models"
    models.mkdir()
    for name in ("a", "b", "diffforensics-faces"):
        (models / f"{name}.safetensors").write_bytes(b"")
    calls = _run(tmp_path, "bundled-ensemble")
    ens = next(c for c in calls if c[:3] == ["-m", "trainer.cli", "ensemble"])
    members = [ens[i + 1] for i, a in enumerate(ens) if a == "--model"]
    # the face model analyses face crops (the Analyzer refuses it whole images): not a member
    assert members == [f"{models}/a.safetensors", f"{models}/b.safetensors"]
    assert _value(ens, "--out") == f"{models}/bundled-ensemble.ensemble.json"
    card = calls[3]
    assert Path(card[0]).name == "model_card.py" and card[1] == "--ensemble"
    # split, synth, ensemble, card (no Mask2Former pair here), then the verdicts at evidence
    # size: forgeries of each camera half, features in two shards (CASIA and the photographs,
    # then the forgeries), verdict (writes headers and ensembles), the cards' sections
    assert _commands(calls) == [
        "split_casia.py", "synth", "ensemble", "model_card.py", "synth", "synth",
        "features", "features", "features", "features", "verdict", "verdict_cards.py",
    ]  # fmt: skip
    halves = calls[4:6]
    assert [_value(c, "--camera-half") for c in halves] == ["val", "test"]
    assert all(_value(c, "--per-photo") == "2" for c in halves)
    features = calls[6:10]
    assert all(_value(c, "--detect-side") == "512" for c in features)
    plain = [c for c in features if "--casia" in c]
    forged = [c for c in features if "--forgeries" in c]
    assert sorted(_value(c, "--shard") for c in plain) == ["0/2", "1/2"]
    assert sorted(_value(c, "--shard") for c in forged) == ["0/2", "1/2"]
    assert all(_value(c, "--classic") == "clone" for c in forged)
    # the camera photographs beside DATA, as README and the Makefile say (it read
    # ../shared/data/camera-photos whatever DATA was)
    assert [c[3] for c in halves] == ["/data/camera-photos"] * 2
    assert all(_value(c, "--photos") == "/data/camera-photos" for c in plain)
    made = [_value(c, "--out") for c in halves]
    assert all(c[c.index("--forgeries") + 1 : c.index("--forgeries") + 3] == made for c in forged)
    verdict = calls[10]
    assert _value(verdict, "--models") == str(models)
    assert _value(verdict, "--ensemble") == f"{models}/bundled-ensemble.ensemble.json"
    assert _value(ens, "--split") == "choose"  # weights chosen on the validation part

    # With both Mask2Former-style models present, the paper's two-backbone ensemble is made too.
    for name in ("m2f-swin-nano", "m2f-effl0"):
        (models / f"{name}.safetensors").write_bytes(b"")
    calls = _run(tmp_path, "bundled-ensemble")
    ensembles = [c for c in calls if c[:3] == ["-m", "trainer.cli", "ensemble"]]
    assert [_value(c, "--out") for c in ensembles] == [
        f"{models}/bundled-ensemble.ensemble.json",
        f"{models}/m2f-ensemble.ensemble.json",
    ]
    pair = [ensembles[1][i + 1] for i, a in enumerate(ensembles[1]) if a == "--model"]
    assert pair == [f"{models}/m2f-swin-nano.safetensors", f"{models}/m2f-effl0.safetensors"]
    assert len([c for c in ensembles[0] if c == "--model"]) == 4  # the default takes them all


def test_split_script_with_a_relative_data_folder_writes_lists_readable_from_anywhere(
    tmp_path: Path,
) -> None:
    # The recipes are documented with DATA=../shared/data/casia1-dev: a relative folder. The
    # JSON lists must still name the images wherever they are read from (their entries are read
    # against the JSON's own folder, which is not where the relative path started).
    from tests.trainer.conftest import make_folder
    from trainer.data.records import read_dataset

    make_folder(tmp_path / "shared" / "casia", n_tp=12, n_au=8, seed=0, casia_names=True)
    work = tmp_path / "project"
    work.mkdir()
    done = subprocess.run(
        [sys.executable, str(RECIPES / "split_casia.py"), "../shared/casia", "runs/split"],
        cwd=work,
        env={**os.environ, "PYTHONPATH": str(ROOT)},
        capture_output=True,
        text=True,
        timeout=HANG_S,
    )
    assert done.returncode == 0, done.stderr
    train = read_dataset(work / "runs" / "split" / "train.json")
    val = read_dataset(work / "runs" / "split" / "val.json")
    assert len(train) + len(val) == 20 and val
    # the held-out part's two halves, exactly: validation (choose) and test
    choose = read_dataset(work / "runs" / "split" / "choose.json")
    test = read_dataset(work / "runs" / "split" / "test.json")
    assert choose and test
    assert sorted(s.image for s in choose + test) == sorted(s.image for s in val)
    for s in train + val:
        assert s.image.is_file(), s.image
        assert s.mask is None or s.mask.is_file(), s.mask


def test_face_model_recipe_trains_the_lite2_network_on_face_crops(tmp_path: Path) -> None:
    # diffforensics-faces: split the faces, add CASIA's camera-like training faces, make each
    # part's crops at the face path's geometry, train diffforensics-effl2 from ImageNet with
    # each epoch kept, average the last three, choose and report with face-model, write the card.
    calls = _run(tmp_path, "diffforensics-faces", RUN=str(tmp_path / "run"))
    commands = _commands(calls)
    assert "face_sources.py" in commands and "casia_faces.py" in commands
    synth = [c for c in calls if c[2:3] == ["synth"] and "faces" in c]
    assert [_value(c, "--out").rsplit("/", 1)[1] for c in synth] == ["fr", "cf", "val", "test"]
    assert [_value(c, "--faces").rsplit("/", 2)[1:] for c in synth] == [
        ["src", "train"], ["casia", "train"], ["src", "val"], ["src", "test"],
    ]  # fmt: skip
    assert all(_value(c, "--crop-size") == "256" and _value(c, "--margin") == "0.3" for c in synth)
    (fit,) = _training(calls)
    assert _value(fit, "--arch") == "diffforensics-effl2" and "--init" not in fit
    assert "encoder_weights=imagenet" in fit and "--keep-epochs" in fit
    assert _value(fit, "--aug") == "faces"
    average = next(c for c in calls if c[2:3] == ["average"])
    soup = str(tmp_path / "run" / "soup.safetensors")
    epochs = [str(tmp_path / "run" / "fit" / f"epoch-{e}.safetensors") for e in (4, 5, 6)]
    assert average[3:6] == epochs
    assert _value(average, "--out") == soup
    face = next(c for c in calls if c[2:3] == ["face-model"])
    assert _value(face, "--model") == soup
    assert _value(face, "--out") == str(tmp_path / "models" / "diffforensics-faces.safetensors")
    # θ is chosen on the validation photographs' faces as the product cuts them, too
    assert _value(face, "--val-photos").endswith("/src/val")
    assert _value(face, "--photos").endswith("/src/test")
    assert any(c[0].endswith("model_card.py") and "--face" in c for c in calls)


@pytest.mark.parametrize("recipe", MODEL_RECIPES)
def test_recipes_store_the_papers_midpoint_theta_as_the_bundled_models_were_made(
    tmp_path: Path, recipe: str
) -> None:
    """calibrate's default became ``--choose best`` (fine-tune walk-through, 2026-12-06: the
    midpoint flagged no tampered validation image); the recipes pass the midpoint, so that
    ``make weights`` still rebuilds the bundled models' θ."""
    calls = _run(tmp_path, recipe, RUN=str(tmp_path / "run"))
    calibrations = [c for c in calls if c[:3] == ["-m", "trainer.cli", "calibrate"]]
    assert calibrations and all(_value(c, "--choose") == "midpoint" for c in calibrations)
