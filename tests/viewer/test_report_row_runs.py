"""Which run made each file's row, in a report of a scan resumed over several runs and in
the viewer's Verdict panel.

A hand-over walk-through (2026-12-06, finding 9): examiner B's report of a scan A began gave
"Examiner B" and "Runs 2", and no file's section said which run made its row, though each row
records ``run``; in the viewer a row opened from the scan's table showed A's figures as
"analysis took 0.23 s", as if analysed now.
"""

from __future__ import annotations

import json
from html import unescape
from pathlib import Path

import pytest
from pypdf import PdfReader

from engine.io import load_evidence
from forensic_viewer.scan.replay import analysis_from_record
from forensic_viewer.scan.results import ResultIndex
from forensic_viewer.scan.run_id import run_identity, shown_start
from tests.conftest import write_rgb
from tests.viewer.conftest import scan_cli


@pytest.fixture
def two_runs(tmp_path: Path, tiny_checkpoint: Path) -> tuple[Path, Path]:
    """Two runs into one output folder, a.png analysed by the first, b.png by the second
    (quick runs, often begun within the same second: told apart by their identity all the
    same, tests/viewer/test_scan_run_identity.py)."""
    ev, out = tmp_path / "ev", tmp_path / "out"
    ev.mkdir()
    write_rgb(ev / "a.png", 40, 48, seed=1)
    assert scan_cli(ev, out, tiny_checkpoint) in (0, 1)
    write_rgb(ev / "b.png", 40, 48, seed=2)
    assert scan_cli(ev, out, tiny_checkpoint, "--report", "html,pdf,json") in (0, 1)
    return ev, out


def test_each_files_section_says_which_run_made_its_row(two_runs: tuple[Path, Path]) -> None:
    _, out = two_runs
    info = json.loads((out / "scan.json").read_text(encoding="utf-8"))
    first, last = info["earlier_runs"][0]["started"], info["run"]["started"]
    ids = run_identity(info["earlier_runs"][0]), run_identity(info["run"])
    index = ResultIndex(out)
    assert (index.record("a.png").run, index.record("b.png").run) == ids
    doc = json.loads((out / "report.json").read_text(encoding="utf-8"))
    assert {i["path"]: i["run"] for i in doc["items"]} == {"a.png": ids[0], "b.png": ids[1]}
    html = unescape((out / "report.html").read_text(encoding="utf-8"))
    a_at, b_at = html.index("<h2>1. a.png</h2>"), html.index("<h2>2. b.png</h2>")
    a_section, b_section = html[a_at:b_at], html[b_at:]
    assert f"the run that began {first} (an earlier run than the last, which began {last})" in (
        a_section
    )
    assert f"the run that began {last} (the last run)" in b_section
    pdf = " ".join(
        " ".join(p.extract_text().split()) for p in PdfReader(str(out / "report.pdf")).pages
    )
    assert f"the run that began {first}" in pdf and f"the run that began {last}" in pdf


@pytest.mark.gui
def test_the_verdict_panel_says_a_scans_result_is_recorded_not_analysed_now(
    qtbot, two_runs: tuple[Path, Path]
) -> None:
    from forensic_viewer.gui.verdict_panel import VerdictPanel

    ev, out = two_runs
    rec = ResultIndex(out).record("a.png")
    analysis = analysis_from_record(rec, out, load_evidence(ev / "a.png"))
    panel = VerdictPanel()
    qtbot.addWidget(panel)
    panel.set_analysis(analysis)
    text = panel.message.text()
    assert text.startswith(f"recorded result of the scan in {out}, not analysed now")
    assert rec.run is not None and rec.run != shown_start(rec.run)  # to the second, shown
    assert f"made by its run that began {shown_start(rec.run)};" in text
