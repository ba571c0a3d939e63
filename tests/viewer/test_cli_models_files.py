"""``forensic-viewer models`` and checkpoint files of the user's (the ML engineer's
walk-through, findings 8 and 9): a file given by its path is described as ``--model FILE``
takes it, and a readable header of an architecture this program lacks is said to be so, never
"unreadable"."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
from safetensors import safe_open
from safetensors.torch import load_file, save_file

from engine.checkpoints import META_KEY
from forensic_viewer.cli import main
from tests.conftest import make_tiny_checkpoint, write_calibrated_pair

pytestmark = pytest.mark.usefixtures("models_dir")  # the analyst's own folder never read


def _other_architecture(path: Path, architecture: str = "tiny-fcn") -> Path:
    """The tiny checkpoint as a network added elsewhere would write it: its header readable,
    its architecture not built into this program."""
    path.parent.mkdir()
    make_tiny_checkpoint(path)
    with safe_open(str(path), "pt") as f:
        header = json.loads(f.metadata()[META_KEY])
    header["architecture"] = architecture
    save_file(load_file(str(path)), str(path), metadata={META_KEY: json.dumps(header)})
    return path


def test_models_file_describes_a_checkpoint_given_by_its_path(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    (tmp_path / "run").mkdir()
    path = make_tiny_checkpoint(tmp_path / "run" / "best.safetensors", name="mine")
    assert main(["models", str(path)]) == 0
    out = capsys.readouterr().out
    assert "No model card beside best.safetensors" in out and '"name": "mine"' in out
    assert main(["models", str(path), "--json"]) == 0
    assert json.loads(capsys.readouterr().out)["name"] == "mine"


def test_models_file_describes_an_ensemble_file_given_by_its_path(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    ensemble = write_calibrated_pair(make_tiny_checkpoint(tmp_path / "tiny.safetensors"))
    assert main(["models", str(ensemble)]) == 0
    assert json.loads(capsys.readouterr().out)["name"] == json.loads(ensemble.read_text())["name"]


def test_models_file_refuses_a_file_that_is_no_checkpoint_naming_it(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    notes = tmp_path / "notes.txt"
    notes.write_text("not a model")
    assert main(["models", str(notes)]) == 2
    err = capsys.readouterr().err
    assert f"{notes}: not a checkpoint" in err and len(err.strip().splitlines()) == 1


def test_an_unknown_name_suggests_the_path_or_extra(capsys: pytest.CaptureFixture[str]) -> None:
    assert main(["models", "no-such-model"]) == 2
    err = capsys.readouterr().err
    assert "no checkpoint or ensemble named 'no-such-model'" in err and "--extra DIR" in err


def test_a_header_of_an_architecture_not_built_in_is_not_called_unreadable(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    run = tmp_path / "run"
    path = _other_architecture(run / "best.safetensors")
    said = f"{path}: architecture 'tiny-fcn' is not built into this program"
    assert main(["models", "--extra", str(run)]) == 0
    err = capsys.readouterr().err
    assert said in err and "the header is readable" in err and "unreadable" not in err
    # the name the listing's line gave: its reason, not "no checkpoint named"
    assert main(["models", "best", "--extra", str(run)]) == 2
    err = capsys.readouterr().err
    assert said in err and "no checkpoint or ensemble named" not in err
    assert main(["models", str(path)]) == 2
    assert said in capsys.readouterr().err
