"""fit/pretrain ``--no-val``: every image of ``--data`` trains (it trained on 85 % of them,
the rest never used, while casia_data.sh's stage 1 said "on every training image"); a run
started before that keeps its split when resumed; eval says such a model held nothing out."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from engine.checkpoints import load_checkpoint
from tests.trainer.conftest import make_folder
from trainer import cli
from trainer.setup import NO_VAL_SPLIT

TINY_FIT = ["--model-config", "channels=8,16,32", "--window", "32", "--threads", "1"]


def _fit(data: Path, out: Path, *extra: str) -> list[str]:
    return ["fit", "--arch", "crfd-net-compact", "--data", str(data), "--out", str(out),
            *TINY_FIT, "--epochs", "1", "--max-steps", "1", *extra]  # fmt: skip


def _decoded(capsys: pytest.CaptureFixture[str], argv: list[str]) -> int:
    """The N of fit's "decoding N training images" line; the run must succeed."""
    code = cli.main(argv)
    out, err = capsys.readouterr()
    assert code == 0, err
    (line,) = [
        ln for ln in (out + err).splitlines() if "decoding" in ln and "training images" in ln
    ]
    return int(line.split("decoding ")[1].split()[0])


def test_no_val_trains_on_every_image_and_eval_says_none_was_held_out(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    data = make_folder(tmp_path / "d", 6, 4, seed=0, size=48)
    out = tmp_path / "run"
    assert _decoded(capsys, _fit(data, out, "--no-val")) == 10
    split = load_checkpoint(out / "last.safetensors").meta.training["split"]
    assert split == {str(data): {"by": NO_VAL_SPLIT, "train_images": 10}}
    record = json.loads((out / "run.json").read_text(encoding="utf-8"))
    assert record["settings"]["every_image"] is True
    # --keep-split (the training dialog's unvalidated run) holds the validation part out
    assert _decoded(capsys, _fit(data, tmp_path / "kept", "--no-val", "--keep-split")) < 10
    # eval's "val" of the run's own split options is no held-out part of a --no-val model
    code = cli.main(["eval", "--model", str(out / "last.safetensors"), "--data", str(data),
                     "--split", "val"])  # fmt: skip
    lines = [ln for ln in capsys.readouterr().out.splitlines() if ln.startswith("note: ")]
    assert code == 0 and len(lines) == 1, lines
    assert "the run trained on every image of it" in lines[0]
    assert "data the run did not train on measures held-out images" in lines[0]


def test_a_run_started_before_the_fix_resumes_with_its_split_and_a_changed_choice_is_refused(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    data = make_folder(tmp_path / "d", 6, 4, seed=0, size=48)
    old = tmp_path / "old"
    held = _decoded(capsys, _fit(data, old, "--no-val", "--keep-split"))
    assert held < 10
    run_json = old / "run.json"
    record = json.loads(run_json.read_text(encoding="utf-8"))
    del record["settings"]["every_image"]  # as a run started before --no-val trained on all
    run_json.write_text(json.dumps(record), encoding="utf-8")
    again = [*_fit(data, old, "--no-val", "--resume")]
    again[again.index("--epochs") + 1], again[again.index("--max-steps") + 1] = "2", "2"
    assert _decoded(capsys, again) == held  # the images it started with, no more
    assert "every_image" not in json.loads(run_json.read_text(encoding="utf-8"))["settings"]
    # a new run records its choice: a resume with the other one is refused
    new = tmp_path / "new"
    assert _decoded(capsys, _fit(data, new, "--no-val")) == 10
    code = cli.main([*_fit(data, new), "--resume"])
    err = capsys.readouterr().err
    assert code == 2 and "--resume with other every_image than the run was started with" in err


def test_calibrate_says_when_the_validation_images_that_set_theta_were_trained_on(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    """calibrate rebuilt its validation part from --data without a word about the checkpoint:
    run by hand on a --no-val model (which trained on every image), θ was set on images it had
    trained on, unsaid; the dialog's --keep-split run, calibrated with its own split, is not."""
    data = make_folder(tmp_path / "d", 12, 12, seed=0, size=48)  # θ needs 5 images a side
    split = ["--split-by", "seed", "--val-fraction", "0.5"]
    for run, extra in (("all", ["--no-val"]), ("kept", ["--no-val", "--keep-split"])):
        assert cli.main(_fit(data, tmp_path / run, *split, *extra)) == 0
        capsys.readouterr()
        argv = ["calibrate", "--model", str(tmp_path / run / "last.safetensors"), *split,
                "--data", str(data), "--out", str(tmp_path / f"{run}.safetensors")]  # fmt: skip
        assert cli.main(argv) == 0
        out = capsys.readouterr().out.splitlines()
        notes = [ln for ln in out if ln.startswith("note: ") and "was trained on" in ln]
        if run == "all":
            assert len(notes) == 1 and "the run trained on every image of it" in notes[0]
            assert "the validation images that set θ include training images" in notes[0]
        else:
            assert notes == []
