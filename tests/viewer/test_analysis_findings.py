"""The findings of any classic analysis (not only the metadata analysis's) reach every place an
examiner reads: the triage cell, the command line's table, results.csv, the report's section
and the viewer's Analyses panel; and a copy-move analysis that found no pair says so."""

from __future__ import annotations

import csv
import io
from pathlib import Path

import numpy as np
import pytest

from engine.analyses import (
    AnalysisResult,
    Finding,
    Level,
    MapMeaning,
    MapScale,
    Output,
    Provenance,
)
from forensic_viewer.cli_table import analysis_lines, print_table
from forensic_viewer.scan.records import AnalysisRecord, FileRecord
from forensic_viewer.scan.results import write_csv
from forensic_viewer.scan.triage import analysis_cell

DQ_FINDING = Finding(
    "jpeg",
    "double compression",
    "aligned double JPEG compression: first quality about 70",
    Level.NOTICE,
    "the last save at 90 followed an earlier one",
)
HIGH = "the block's DCT histograms show a first compression's periodicity"


def dq_result() -> AnalysisResult:
    """A jpeg-dq result carrying a notice, as the JPEG analyses now emit them."""
    out = Output(
        map=np.zeros((8, 8), np.float32),
        meaning=MapMeaning(MapScale.PROBABILITY, "double quantisation", "probability", HIGH),
        findings=(DQ_FINDING, Finding("jpeg", "tables", "standard", Level.INFO, "")),
    )
    return AnalysisResult("jpeg-dq", Provenance("dq", "s", "1"), {"q": 1}, "0" * 64, 0.1, out)


def clone_result() -> AnalysisResult:
    out = Output(score=0.0, score_label="1 when a pair is verified", extras={"pairs": 0})
    return AnalysisResult("clone", Provenance("cm", "s", "4"), {}, "0" * 64, 0.1, out)


def test_a_jpeg_analysis_finding_is_counted_and_printed(tmp_path: Path, capsys) -> None:
    dq = AnalysisRecord.from_result(dq_result(), None)
    assert analysis_cell("jpeg-dq", dq).text == "1 notice"
    lines = analysis_lines([dq])
    assert lines[0] == ("jpeg-dq", "1 notice")
    assert lines[1][0] == "jpeg-dq" and "first quality about 70" in lines[1][1]
    assert lines[1][1].startswith("notice: jpeg, double compression")
    assert all("standard" not in text for _, text in lines)  # information rows stay in files
    print_table([{"path": "a.jpg", "status": "ok", "checks": [], "analyses": lines}])
    out = capsys.readouterr().out
    assert "a.jpg\tjpeg-dq\tnotice: jpeg, double compression: aligned double JPEG" in out
    rec = FileRecord("a.jpg", "0" * 64, 8, 8, analyses=(dq,))
    write_csv(tmp_path, [rec], [], analyses=["jpeg-dq"])
    with open(tmp_path / "results.csv", encoding="utf-8") as f:
        row = next(csv.DictReader(f))
    assert row["analysis.jpeg-dq.findings"] == "2"
    assert row["analysis.jpeg-dq.strong_findings"] == "0"


def test_the_table_lists_at_most_five_findings_of_an_analysis() -> None:
    many = tuple(Finding("jpeg", f"k{i}", "v", Level.STRONG, "") for i in range(7))
    out = Output(findings=many)
    r = AnalysisResult("jpeg-ghost", Provenance("g", "s", "1"), {}, "0" * 64, 0.1, out)
    lines = analysis_lines([AnalysisRecord.from_result(r, None)])
    assert lines[0] == ("jpeg-ghost", "7 strong")
    assert len(lines) == 1 + 5 + 1 and lines[-1][1] == "… and 2 more findings in results.jsonl"


def test_a_copy_move_analysis_without_pairs_says_no_pair() -> None:
    """Its cell read "score 0.00", a figure for what is a count of pairs found: none."""
    clone = AnalysisRecord.from_result(clone_result(), None)
    assert analysis_cell("clone", clone).text == "no pair"
    assert analysis_lines([clone]) == [("clone", "no pair")]


def test_the_report_lists_a_jpeg_analysis_finding() -> None:
    from forensic_viewer.report.model import RAN, AnalysisEntry
    from forensic_viewer.report.text import finding_rows

    entry = AnalysisEntry("jpeg-dq", RAN, record=AnalysisRecord.from_result(dq_result(), None))
    rows = finding_rows(entry)
    assert any("first quality about 70" in " ".join(r) for r in rows)


@pytest.mark.gui
def test_the_analyses_panel_says_what_high_values_mean_and_every_finding(qtbot) -> None:
    """The panel gave a map's label and unit, not what a high value means (the report's
    "High values" and the layer panel's "shows" did)."""
    from forensic_viewer.gui.analysis_panel import AnalysisPanel
    from forensic_viewer.gui.workers import AnalysisWorker

    panel = AnalysisPanel(AnalysisWorker())  # not started: no job runs
    qtbot.addWidget(panel)
    panel.show_results({"jpeg-dq": dq_result(), "clone": clone_result()})
    text = panel.text()
    assert f"high values: {HIGH}" in text
    assert "notice · jpeg: double compression: aligned double JPEG compression" in text
    assert "clone — no pair of copies" in text  # not "score 0.00"


def test_a_viewer_report_shows_the_ela_picture_with_its_scaling(tmp_path: Path) -> None:
    """ELA's map (mean error x 8 / 255) is dark where a resave changed little: its picture,
    stretched to white at a percentile of the differences, is what shows an examiner the
    pasted region. The viewer's report carried the map alone; now the picture too, its
    scaling in the caption and on its legend (the review's S2). A scan keeps no picture."""
    from PIL import Image

    from engine.analyses import run_analyses
    from engine.io import load_evidence
    from engine.types import Analysis
    from forensic_viewer.report import ReportOptions, item_from_analysis
    from forensic_viewer.report.build import item_figures
    from tests.engine.analyses.conftest import jpeg_bytes, natural

    (tmp_path / "e.jpg").write_bytes(jpeg_bytes(natural(120, 160, seed=2), 90))
    ev = load_evidence(tmp_path / "e.jpg")
    ela = run_analyses(["ela"], ev)["ela"]
    item = item_from_analysis(Analysis(ev, {}, analyses={"ela": ela}))
    figs = item_figures(item, item.triage(), ReportOptions())  # type: ignore[attr-defined]
    picture = figs.pictures["ela"]
    assert ela.display is not None
    white = ela.output.extras["display_white_at"]
    assert f"stretched so that {white:g}, the 99.5th percentile" in picture.caption
    assert "Not a probability" in picture.caption
    assert "as the viewer's 'ela picture (for the eye)' layer shows it" in picture.caption
    drawn = np.asarray(Image.open(io.BytesIO(picture.data)))
    assert drawn.shape[1] == 160 and drawn.shape[0] > 120  # the picture above its legend
    shown = drawn[:120].astype(float).ravel()
    assert np.corrcoef(shown, ela.display.astype(float).ravel())[0, 1] > 0.8  # JPEG'd
    assert "ela" in figs.analyses  # the map as the viewer's layer draws it, besides


def test_a_scan_report_says_where_the_picture_is(tmp_path: Path) -> None:
    import dataclasses

    from engine.analyses import run_analyses
    from engine.io import load_evidence
    from engine.types import Analysis
    from forensic_viewer.report import ReportOptions, item_from_analysis
    from forensic_viewer.report.build import NO_PICTURE, item_figures
    from tests.engine.analyses.conftest import jpeg_bytes, natural

    (tmp_path / "e.jpg").write_bytes(jpeg_bytes(natural(120, 160, seed=2), 90))
    ev = load_evidence(tmp_path / "e.jpg")
    item = item_from_analysis(Analysis(ev, {}, analyses=run_analyses(["ela"], ev)))
    item.analyses[0] = dataclasses.replace(item.analyses[0], display=None)  # as from a scan
    figs = item_figures(item, item.triage(), ReportOptions())  # type: ignore[attr-defined]
    assert not figs.pictures and NO_PICTURE in figs.analyses["ela"].caption
