"""The ``arch:path`` model form (issue 16, item 8) does not exist, and saying so is the fix.

``engine/catalog.py`` described ``--model ARCH:FILE.pth`` without it being implemented. It is
not implemented: a plain state dict has no input policy and no calibrated θ, and the viewer
shows no verdict without them (see the docstring of :mod:`engine.catalog`). These tests hold
the refusal and its reasons, made from a state dict the test saves.
"""

from __future__ import annotations

from pathlib import Path

import pytest
import torch

from engine import catalog
from engine.assembly import assemble_analyzer
from engine.checkpoints import load_checkpoint
from engine.errors import CheckpointError
from engine.models.registry import create_model


def test_plain_state_dicts_are_not_models_of_the_viewer(tmp_path: Path) -> None:
    plain = tmp_path / "plain.pth"
    torch.save(create_model("crfd-net-compact").state_dict(), plain)
    with pytest.raises(CheckpointError) as e:
        assemble_analyzer([f"crfd-net-compact:{plain}"], device="cpu", faces=False)
    assert str(e.value).startswith(f"crfd-net-compact:{plain}: the ARCH:FILE form is not supported")
    assert "calibrated θ" in str(e.value)
    with pytest.raises(CheckpointError) as e:
        assemble_analyzer([str(plain)], device="cpu", faces=False)
    assert str(e.value).startswith(f"{plain}: a plain state dict does not say its architecture")
    assert "--arch" not in str(e.value)  # the viewer has no such option
    # Windows paths keep working as paths: only a registered architecture before ':' is the form.
    with pytest.raises(CheckpointError, match="no such checkpoint file or model name"):
        catalog.resolve("C:/nowhere.safetensors")


def test_the_engine_api_reads_a_state_dict_as_uncalibrated(tmp_path: Path) -> None:
    plain = tmp_path / "plain.pth"
    torch.save(create_model("crfd-net-compact").state_dict(), plain)
    loaded = load_checkpoint(plain, architecture="crfd-net-compact")
    assert loaded.meta.decision.provenance.startswith("default θ, not calibrated")


def test_an_unknown_model_name_lists_the_known_models_and_ensembles() -> None:
    """`--model bundled-ensemble` works, so the line that answers a wrong name names it too."""
    from engine.catalog import resolve

    with pytest.raises(CheckpointError) as e:
        resolve("no-such-model")
    text = str(e.value)
    assert "known models: " in text and "crfd-net-compact" in text
    assert "known ensembles: " in text and "bundled-ensemble" in text
    assert "\n" not in text


def test_a_file_that_is_no_checkpoint_is_refused_saying_what_it_is(tmp_path: Path) -> None:
    """Every file not ``.safetensors`` was refused as "a plain state dict" (a researcher's
    ``forensic-train eval --model bundled-ensemble.ensemble.json``); a state dict alone is one."""
    ensemble = tmp_path / "two.ensemble.json"
    ensemble.write_text("{}", encoding="utf-8")
    notes = tmp_path / "notes.txt"
    notes.write_text("not weights", encoding="utf-8")
    folder = tmp_path / "run"
    folder.mkdir()
    expected = {
        ensemble: "a '.json' file, not a checkpoint",
        notes: "a '.txt' file, not a checkpoint",
        folder: "a folder, not a checkpoint",
    }
    for path, what in expected.items():
        with pytest.raises(CheckpointError) as e:
            load_checkpoint(path)
        assert str(e.value).startswith(f"{path}: {what}")
        assert "plain state dict" not in str(e.value)
        assert ".safetensors checkpoint written by forensic-train" in str(e.value)
    # the viewer's --model gets the same line
    with pytest.raises(CheckpointError, match=r"a '\.txt' file, not a checkpoint"):
        assemble_analyzer([str(notes)], device="cpu", faces=False)
