"""A scan that started from its models' description checks the loaded models against it
(`scan.run.loaded_as`): the refusal names the model, and a default model that could not be
loaded is the analyst's problem in one line, not "a checkpoint changed; run again", which sent
them into the same failure."""

from __future__ import annotations

from types import SimpleNamespace

import pytest

from engine.errors import CheckpointError
from forensic_viewer.scan.run import loaded_as
from forensic_viewer.scan.settings import scan_settings


def _analyzer(**models: str) -> SimpleNamespace:
    return SimpleNamespace(
        models=[SimpleNamespace(name=n, sha256=s) for n, s in models.items()],
        face_models=(),
        window=256,
        stride=128,
        ensemble=None,
        exact=False,
        faces=None,
    )


def test_the_same_models_pass() -> None:
    described = _analyzer(crfd="a" * 64, diff="b" * 64)
    loaded = _analyzer(crfd="a" * 64, diff="b" * 64)
    settings = scan_settings(described, "scan")
    assert loaded_as(loaded, settings, "scan", ()) is loaded


def test_a_model_described_but_not_loaded_is_named_as_the_analysts_to_fix() -> None:
    settings = scan_settings(_analyzer(crfd="a" * 64, diff="b" * 64), "scan")
    with pytest.raises(CheckpointError, match=r"^diff could not be loaded .*--model"):
        loaded_as(_analyzer(crfd="a" * 64), settings, "scan", ())


def test_a_checkpoint_changed_between_the_readings_is_named() -> None:
    settings = scan_settings(_analyzer(crfd="a" * 64, diff="b" * 64), "scan")
    with pytest.raises(RuntimeError, match="the checkpoint of diff changed"):
        loaded_as(_analyzer(crfd="a" * 64, diff="c" * 64), settings, "scan", ())
