"""What ``forensic-train eval --model`` takes (a researcher's walk-through, 2026-12-06).

``eval --model resources/models/bundled-ensemble.ensemble.json`` was refused as "a plain
state dict does not say its architecture ...": the file is an ensemble, and eval takes one
checkpoint. ``eval --model crfd-net-compact`` said "no such checkpoint file": eval took a file
only, though its help spoke of a bundled or installed model.
"""

from __future__ import annotations

import shutil
from pathlib import Path

import pytest

from engine.catalog import BUNDLED_MODELS
from tests.trainer.conftest import make_folder
from tests.trainer.test_cli import tiny_checkpoint
from trainer import cli

pytestmark = pytest.mark.usefixtures("seeded_single_thread")


def _error(capsys: pytest.CaptureFixture[str], argv: list[str]) -> str:
    assert cli.main(argv) == 2
    err = capsys.readouterr().err
    lines = err.strip().splitlines()
    assert len(lines) == 1 and "Traceback" not in err, err
    return lines[0]


def test_eval_of_an_ensemble_file_says_how_an_ensemble_is_scored(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    ensemble = tmp_path / "bundled-ensemble.ensemble.json"
    shutil.copyfile(BUNDLED_MODELS / "bundled-ensemble.ensemble.json", ensemble)
    data = make_folder(tmp_path / "A", 1, 1, seed=0, size=48)
    line = _error(capsys, ["eval", "--model", str(ensemble), "--data", str(data)])
    assert f"{ensemble}: an ensemble file: eval takes one checkpoint" in line
    assert f"forensic-viewer scan DIR --model {ensemble} --out OUT --gt DIR" in line
    assert sorted(p.name for p in tmp_path.iterdir()) == ["A", ensemble.name]  # nothing written


def test_eval_takes_a_model_name_as_the_viewer_resolves_it(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    """``eval --model crfd-net-compact`` said "no such checkpoint file" though ``forensic-viewer
    models`` lists the name and eval's help spoke of "a bundled or installed model"."""
    import json

    models = tmp_path / "models"
    models.mkdir()
    monkeypatch.setenv("FORENSIC_VIEWER_MODELS", str(models))
    model = tiny_checkpoint(models / "mine.safetensors")
    data = make_folder(tmp_path / "A", 2, 2, seed=0, size=48)
    work = tmp_path / "work"
    work.mkdir()
    monkeypatch.chdir(work)
    assert cli.main(["eval", "--model", "mine", "--data", str(data), "--threads", "1"]) == 0
    figures = json.loads((work / "mine.eval-A-all.json").read_text(encoding="utf-8"))
    assert Path(figures["checkpoint"]) == model  # the file the name chose, recorded
    assert sorted(p.name for p in models.iterdir()) == ["mine.safetensors"]
    capsys.readouterr()  # the evaluation's progress
    # a bundled ensemble's name finds its file, which eval refuses as it refuses the file
    line = _error(capsys, ["eval", "--model", "bundled-ensemble", "--data", str(data)])
    assert f"error: {BUNDLED_MODELS / 'bundled-ensemble.ensemble.json'}: an ensemble" in line


def test_eval_refuses_a_name_two_installed_headers_carry(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    """The viewer's resolver refuses a name only headers carry, twice, naming the files; so
    does eval, which would otherwise report figures of a model the user did not choose."""
    models = tmp_path / "models"
    models.mkdir()
    monkeypatch.setenv("FORENSIC_VIEWER_MODELS", str(models))
    first = tiny_checkpoint(models / "a.safetensors")  # both headers name "tiny"
    second = tiny_checkpoint(models / "b.safetensors")
    data = make_folder(tmp_path / "A", 1, 1, seed=0, size=48)
    line = _error(capsys, ["eval", "--model", "tiny", "--data", str(data)])
    assert line.startswith("forensic-train eval: error: tiny: 2 models are named so")
    assert f"{first} and {second}" in line
    line = _error(capsys, ["eval", "--model", "nothing-so-named", "--data", str(data)])
    assert "nothing-so-named: no such checkpoint file or model name; known models: " in line
