"""What ``forensic-train eval --model`` takes (a researcher's walk-through, 2026-12-06).

``eval --model resources/models/bundled-ensemble.ensemble.json`` was refused as "a plain
state dict does not say its architecture ...": the file is an ensemble, and eval takes one
checkpoint.
"""

from __future__ import annotations

import shutil
from pathlib import Path

import pytest

from engine.catalog import BUNDLED_MODELS
from tests.trainer.conftest import make_folder
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
