"""forensic-train on hostile files (issue 16, item 6): ``--model-config backbone_weights=FILE``
and ``fit --resume`` print one line naming the file, never PyTorch's advice to retry with
``weights_only=False``, and run no code from it."""

from __future__ import annotations

from pathlib import Path

import pytest

from tests.engine.test_torchload import Hostile, assert_refused, hostile_files
from tests.trainer.conftest import make_folder
from trainer import cli
from trainer.plan import RESUME_NAME

pytestmark = pytest.mark.usefixtures("seeded_single_thread")


def _error_line(capsys: pytest.CaptureFixture[str], argv: list[str]) -> str:
    code = cli.main(argv)
    err = capsys.readouterr().err
    errors = [ln for ln in err.splitlines() if "error" in ln.lower()]  # progress lines aside
    assert code == 2 and len(errors) == 1 and "Traceback" not in err, err
    assert "weights_only" not in err, err
    return errors[0]


def test_hostile_backbone_weights_are_refused_in_one_line(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    data = make_folder(tmp_path / "d", 2, 1, seed=0)
    for i, weights in enumerate(hostile_files(tmp_path)):
        argv = ["fit", "--arch", "m2f-swin-nano", "--data", str(data)]
        argv += [
            "--out",
            str(tmp_path / f"run{i}"),
            "--model-config",
            f"backbone_weights={weights}",
        ]
        line = _error_line(capsys, argv)
        assert_refused(line.removeprefix("forensic-train fit: error: "), weights)
    assert not Hostile.marker.exists()


def test_a_hostile_resume_file_is_refused_in_one_line(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    data = make_folder(tmp_path / "d", 2, 1, seed=0)
    for i, hostile in enumerate(hostile_files(tmp_path)):
        out = tmp_path / f"run{i}"
        out.mkdir()
        resume = out / RESUME_NAME
        resume.write_bytes(hostile.read_bytes())
        argv = ["fit", "--arch", "crfd-net-compact", "--model-config", "channels=8,16,32"]
        argv += ["--data", str(data), "--out", str(out), "--window", "32", "--resume"]
        line = _error_line(capsys, argv)
        assert_refused(line.removeprefix("forensic-train fit: error: "), resume)
    assert not Hostile.marker.exists()


def test_a_resume_file_of_something_else_is_refused_in_one_line(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    import torch

    data = make_folder(tmp_path / "d", 2, 1, seed=0)
    out = tmp_path / "run"
    out.mkdir()
    torch.save({"model": {"w": torch.zeros(2)}}, out / RESUME_NAME)  # safe, but not ours
    argv = ["fit", "--arch", "crfd-net-compact", "--model-config", "channels=8,16,32"]
    argv += ["--data", str(data), "--out", str(out), "--window", "32", "--resume"]
    line = _error_line(capsys, argv)
    assert line.startswith(f"forensic-train fit: error: {out / RESUME_NAME}: not a resume file")
