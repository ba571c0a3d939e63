"""``report`` and ``scan --report`` say how far the report is (walk-through 2026-12-06: a
report of 9,720 files took 7 minutes with nothing said)."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

import forensic_viewer.cli_report as CR
from engine.types import Progress
from forensic_viewer.cli import main
from forensic_viewer.cli_report import ReportLines
from forensic_viewer.report.text import FIGURES_WORDS, figures_rows
from tests.conftest import write_rgb
from tests.viewer.conftest import scan_args
from tests.viewer.test_cli_progress_rate import FakeClock


def _run(lines: ReportLines, clock: FakeClock, total: int, stage: str, step: float) -> None:
    for i in range(total):
        clock.now += step
        lines(Progress(stage, i + 1, total))


def test_a_line_every_500_files_and_at_the_end_of_each_stage() -> None:
    said: list[str] = []
    clock = FakeClock()
    lines = ReportLines(said.append, clock)
    _run(lines, clock, 1200, "verifying evidence", 0.001)
    _run(lines, clock, 1200, "writing report", 0.001)
    assert said == [
        "report: verifying evidence: 500 of 1,200 files",
        "report: verifying evidence: 1,000 of 1,200 files",
        "report: verifying evidence: 1,200 of 1,200 files",
        "report: writing report: 500 of 1,200 files",
        "report: writing report: 1,000 of 1,200 files",
        "report: writing report: 1,200 of 1,200 files",
    ]


def test_a_line_every_10_seconds_and_none_for_a_quick_small_report() -> None:
    said: list[str] = []
    clock = FakeClock()
    lines = ReportLines(said.append, clock)
    _run(lines, clock, 3, "writing report", 0.5)
    assert said == []
    _run(lines, clock, 3, "writing report", 4.0)  # slow files: 12 s, the line at 10 s or more
    assert said == ["report: writing report: 3 of 3 files"]


@pytest.mark.parametrize("command", ["report", "scan"])
def test_the_command_line_says_the_report_s_progress(
    tmp_path: Path,
    tiny_checkpoint: Path,
    monkeypatch: pytest.MonkeyPatch,
    capsys: pytest.CaptureFixture[str],
    command: str,
) -> None:
    folder, out = tmp_path / "evidence", tmp_path / "out"
    folder.mkdir()
    for i in range(3):
        write_rgb(folder / f"{i}.png", 40, 50, seed=i)
    assert main(scan_args(folder, out, tiny_checkpoint)) == 0
    capsys.readouterr()
    monkeypatch.setattr(CR, "REPORT_EVERY_FILES", 2)
    if command == "report":
        assert main(["report", str(out), "--format", "json"]) == 0
    else:
        assert main(scan_args(folder, out, tiny_checkpoint, "--report", "json")) == 0
    err = capsys.readouterr().err
    assert "report: verifying evidence: 2 of 3 files" in err
    assert "report: writing report: 3 of 3 files" in err


@pytest.mark.parametrize("command", ["report", "scan"])
def test_figures_for_some_files_only_said_on_the_first_page(
    tmp_path: Path, tiny_checkpoint: Path, command: str
) -> None:
    """``--figures none|flagged``: a report of thousands of files without every file's
    figures (9,720 files made a PDF of 19,812 pages); the summary still lists every file and
    the first page (the Case rows) and report.json say which."""
    folder, out = tmp_path / "evidence", tmp_path / "out"
    folder.mkdir()
    for i in range(3):
        write_rgb(folder / f"{i}.png", 40, 50, seed=i)
    extra = ("--figures", "none")
    if command == "report":
        assert main(scan_args(folder, out, tiny_checkpoint)) == 0
        assert main(["report", str(out), "--format", "html,pdf", *extra]) == 0
    else:
        assert main(scan_args(folder, out, tiny_checkpoint, "--report", "html,pdf", *extra)) == 0
    report = json.loads((out / "report.json").read_text("utf-8"))
    assert report["figures"] == "none" and len(report["summary"]) == 3
    assert all(i["figures_drawn"] == [] for i in report["items"])
    html = (out / "report.html").read_text("utf-8")
    assert 'class="figure"' not in html
    assert f'<th scope="row">Figures</th><td>{FIGURES_WORDS["none"]}</td>' in html.replace("\n", "")


def test_figures_words_for_each_choice() -> None:
    assert figures_rows("all") == []
    assert figures_rows("flagged") == [("Figures", FIGURES_WORDS["flagged"])]
