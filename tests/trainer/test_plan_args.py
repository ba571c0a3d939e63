"""The training dialog's "more arguments" and the steps of its plan (``trainer.plan_args``).

The fine-tune walk-through (2026-12-06): "more arguments" ``--seed 1 --warmup 5`` reached
``fit`` alone: the command run was ``fit … --seed 0 … --seed 1``, so fit held out one
validation part while check counted another and calibrate set θ on a third that held training
images; calibrate's log said so, the review did not. The same for ``--val-data``,
``--val-fraction``, ``--split-by``, ``--no-val``."""

from __future__ import annotations

import dataclasses
from pathlib import Path

import pytest

from tests.trainer.conftest import make_folder
from trainer import cli
from trainer.plan import TrainingConfig
from trainer.plan_args import calibrate_caveat, more_args_problems


def _config(tmp_path: Path, arch: str = "crfd-net-compact", **kw: object) -> TrainingConfig:
    return TrainingConfig(name="run1", arch=arch, data=["/d/a"], runs_dir=str(tmp_path), **kw)


def _pairs(argv: list[str], option: str) -> list[str]:
    return [argv[i + 1] for i, a in enumerate(argv) if a == option]


@pytest.mark.parametrize(
    ("extra", "field"),
    [
        (["--seed", "1"], "'seed"),
        (["--val-fraction=0.3"], "'validation share'"),
        (["--split-by", "seed"], "'by"),
        (["--no-val"], "'validate after every epoch'"),
        (["--keep-split"], "'validate after every epoch'"),
        (["--data", "/d/b"], "'data"),
        (["--masks-as-given"], "'masks as given'"),
        (["--device", "cuda"], "'device'"),
        (["--threads", "4"], "'CPU threads'"),
        (["--name", "other"], "'output name'"),
        (["--see", "1"], "'seed"),  # argparse takes an abbreviation for the option
        # the stages' fields: fit read the last value, so the dialog's step total and ETA,
        # counted from the fields, were wrong
        (["--epochs", "3"], "'epochs'"),
        (["--max-steps=10"], "'max steps'"),
        (["--batch-size", "8"], "'batch size'"),
        (["--window", "64"], "'window'"),
        (["--nproc", "2"], "'processes'"),
        (["--model-config", "channels=8,16,32"], "'configuration'"),
        (["--epoch", "3"], "'epochs'"),
    ],
)
def test_an_option_a_field_sets_is_refused_in_more_arguments_naming_the_field(
    tmp_path: Path, extra: list[str], field: str
) -> None:
    c = _config(tmp_path, extra=["--warmup", "5", *extra])
    problems = c.problems()
    assert len(problems) == 1, problems
    assert problems[0].startswith(f"more arguments: {extra[0].split('=')[0]} is set by")
    assert field in problems[0] and "\n" not in problems[0]


def test_a_stage_option_is_refused_in_one_line_saying_where_to_set_it() -> None:
    assert more_args_problems(["--lr", "1e-3", "--epochs", "3"], face_model=False) == [
        "more arguments: --epochs is set by the field 'epochs': set it there"
    ]


def test_model_config_adds_to_a_fine_tunes_checkpoint_configuration(tmp_path: Path) -> None:
    """Fine-tuning, the configuration field is locked (the checkpoint's is passed): a
    ``--model-config`` in more arguments is fit's documented way to change a field of it."""
    from tests.trainer.test_plan import write_checkpoint

    tiny = write_checkpoint(tmp_path / "t.safetensors", "crfd-net-compact", channels=(8, 16, 32))
    extra = ["--model-config", "channels=8,16,32"]
    assert _config(tmp_path, init=str(tiny), extra=extra).problems() == []
    assert _config(tmp_path, extra=extra).problems() == [
        "more arguments: --model-config is set by the field 'configuration': set it there"
    ]


def test_other_more_arguments_stay_fit_arguments(tmp_path: Path) -> None:
    c = _config(tmp_path, extra=["--warmup", "5", "--lr", "2e-4", "--val-max-images", "4"])
    assert c.problems() == []
    argv = c.stage_argv(c.stages()[0], resume=False)
    assert argv[-6:] == ["--warmup", "5", "--lr", "2e-4", "--val-max-images", "4"]
    assert "--warmup" not in c.check_argv() and "--lr" not in c.calibrate_argv(Path("m"))


@pytest.mark.parametrize("form", [["--val-data", "/v"], ["--val-data=/v"], ["--val-d", "/v"]])
def test_val_data_reaches_the_check_every_stage_and_calibrate_once(
    tmp_path: Path, form: list[str]
) -> None:
    c = _config(tmp_path, arch="diffforensics-compact", extra=["--warmup", "5", *form])
    assert c.problems() == []
    given = " ".join(form)
    for argv in (
        c.check_argv(),
        *(c.stage_argv(s, resume=False) for s in c.stages()),
        c.calibrate_argv(Path("m.safetensors")),
    ):
        assert " ".join(argv).count(given) == 1, argv
    assert c.stage_argv(c.stages()[0], resume=False)[-2:] == ["--warmup", "5"]
    assert "--warmup" not in c.check_argv()


def test_val_data_is_refused_when_face_model_sets_theta(tmp_path: Path) -> None:
    from tests.trainer.test_plan import write_checkpoint

    face = write_checkpoint(tmp_path / "f.safetensors", "crfd-net-compact", scope="faces")
    c = _config(tmp_path, init=str(face), extra=["--val-data", "/v"])
    assert c.face_start()
    (problem,) = c.problems()
    assert problem.startswith("more arguments: --val-data: face-model") and "remove it" in problem


def test_the_plans_steps_split_alike_and_calibrates_note_is_picked_out(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    """The plan's fit and calibrate with the form's seed: θ set on held-out images, no note.
    Calibrate on another seed than fit's (what "more arguments" --seed 1 did): its note that
    the validation images that set θ include training images, which the dialog's review must
    show, is the line :func:`calibrate_caveat` picks out."""
    # calibrate sets θ on at least 5 images of a side (MIN_IMAGES_PER_CLASS): 20 + 20 at 0.5
    data = make_folder(tmp_path / "d", 20, 20, seed=0, size=48)
    c = TrainingConfig(
        name="run1", arch="crfd-net-compact", data=[str(data)], runs_dir=str(tmp_path / "runs"),
        model_config=["channels=8,16,32"], window=32, epochs=1, max_steps=1, val_fraction=0.5,
        seed=1, device="cpu", threads=1,
    )  # fmt: skip
    assert c.problems() == []
    (stage,) = c.stages()
    assert cli.main(c.stage_argv(stage, resume=False)) == 0
    capsys.readouterr()
    model = c.final_checkpoint()
    assert cli.main(c.calibrate_argv(model)) == 0
    out = capsys.readouterr().out.splitlines()
    assert [ln for ln in out if calibrate_caveat(ln)] == []
    other = dataclasses.replace(c, seed=0, name="run0")
    assert cli.main(other.calibrate_argv(model)) == 0
    out = capsys.readouterr().out.splitlines()
    (caveat,) = [calibrate_caveat(ln) for ln in out if calibrate_caveat(ln)]
    assert "include training images" in caveat and str(data) in caveat


def test_choose_is_the_theta_rows_and_refused_in_more_arguments(tmp_path: Path) -> None:
    """The dialog had no say in how calibrate chose θ; typed in "more arguments", --choose went
    to fit, which takes none. The row's choices are calibrate's, default first."""
    parser = cli.build_parser()
    assert parser.parse_args(["calibrate", "--model", "m", "--data", "d"]).choose == "best"
    problems = _config(tmp_path, extra=["--choose", "midpoint"]).problems()
    assert any("--choose is set by the field 'θ chosen by'" in p for p in problems), problems
    for choose in ("best", "midpoint", "real-max", "fake-min"):
        argv = _config(tmp_path, choose=choose).calibrate_argv(tmp_path / "m.safetensors")
        assert parser.parse_args(argv).choose == choose
    assert "θ chosen by: one of best, midpoint" in _config(tmp_path, choose="max").problems()[-1]
