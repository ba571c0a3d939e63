"""forensic-train's --help texts say the defaults the code uses."""

from __future__ import annotations

import pytest

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
