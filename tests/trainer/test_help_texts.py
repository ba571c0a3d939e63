"""forensic-train's --help texts say the defaults the code uses."""

from __future__ import annotations

import dataclasses

import pytest

from engine.analyses import base
from engine.analyses.base import list_analyses
from trainer import cli
from trainer.verdict_features import CLASSIC


def _help(capsys: pytest.CaptureFixture[str], command: str) -> str:
    assert cli.main([command, "--help"]) == 0
    return " ".join(capsys.readouterr().out.split())


def test_features_help_names_its_default_analyses_and_parts(
    capsys: pytest.CaptureFixture[str],
) -> None:
    """It said "default: all five" of seven registered analyses, and no default for --parts
    (found by the docs review of 2026-12-05)."""
    text = _help(capsys, "features")
    assert "all five" not in text
    assert f"default: {','.join(CLASSIC)}" in text
    left = sorted(set(list_analyses()) - set(CLASSIC))
    assert f"not {' or '.join(left)}" in text
    assert "(default: val,test)" in text


def test_calibrate_help_says_keep_is_the_default(capsys: pytest.CaptureFixture[str]) -> None:
    assert "auto (best mean pixel F1 on the validation part) (default: keep)" in _help(
        capsys, "calibrate"
    )


def test_features_help_names_an_analysis_registered_later(
    capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch
) -> None:
    """The help's "not jpeg-tables or metadata" was written out: an analysis added under
    engine/analyses/ was missing from it (dev walk-through, finding 7). It is the registry's
    when the help is shown."""
    spec = base.get_analysis_spec("noise")
    monkeypatch.setitem(base._REGISTRY, "localvar", dataclasses.replace(spec, name="localvar"))
    assert "not jpeg-tables or localvar or metadata;" in _help(capsys, "features")
