"""An option a command does not have is refused by that command, with its usage.

``parse_args`` on the top-level parser reported ``scan scanin --out scanout --resume`` with the
program's usage (``usage: forensic-viewer [-h] {analyze,scan,...}``), which names no option of
``scan`` (found by an analyst's walk-through, 2026-12-05).
"""

from __future__ import annotations

from pathlib import Path

import pytest

from forensic_viewer.cli import main


def test_scan_resume_gets_scans_usage_and_the_hint(tmp_path: Path, capsys) -> None:
    argv = ["scan", str(tmp_path), "--out", str(tmp_path / "out"), "--resume"]
    assert main(argv) == 2
    err = capsys.readouterr().err
    assert err.startswith("usage: forensic-viewer scan [-h] --out OUT")
    assert "forensic-viewer scan: error: unrecognized arguments: --resume" in err
    assert "a scan resumes when run again with the same --out" in err
    assert "{analyze,scan" not in err  # not the top-level usage
    assert not (tmp_path / "out").exists()  # refused before anything is written


@pytest.mark.parametrize(
    ("argv", "usage"),
    [
        (["analyze", "a.png", "--out", "o", "--bogus"], "usage: forensic-viewer analyze "),
        (["probe", "a.png", "--out", "o", "--bogus"], "usage: forensic-viewer probe "),
        (["models", "--bogus"], "usage: forensic-viewer models "),
        (["selftest", "--bogus"], "usage: forensic-viewer selftest "),
        (["audit", "verify", "log", "--bogus"], "usage: forensic-viewer audit verify "),
        (["audit", "show", "log", "--bogus", "x"], "usage: forensic-viewer audit show "),
    ],
)
def test_every_command_refuses_unknown_options_with_its_own_usage(
    argv: list[str], usage: str, tmp_path: Path, monkeypatch: pytest.MonkeyPatch, capsys
) -> None:
    monkeypatch.chdir(tmp_path)
    assert main(argv) == 2
    err = capsys.readouterr().err
    assert err.startswith(usage)
    assert "unrecognized arguments: --bogus" in err
    assert "resumes" not in err  # the hint is for --resume alone
    assert not (tmp_path / "o").exists()


def test_analyze_resume_gets_its_hint(tmp_path: Path, capsys) -> None:
    assert main(["analyze", "a.png", "--out", str(tmp_path / "o"), "--resume"]) == 2
    assert "analyze resumes when run again with the same --out" in capsys.readouterr().err
