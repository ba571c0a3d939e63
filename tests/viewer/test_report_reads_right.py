"""What an analyst's walk-through of the reports (2026-12-05) found read wrong: the header's
count said twice with "file(s)", failed files' errors crushed into the summary's narrow Status
column, the zero-byte file's section giving a wrong reason and no file-system times, the
copy-move map drawn as the ensemble's heatmap under a probability's caption and scale, empty
parameters printed as blanks."""

from __future__ import annotations

from html import unescape
from pathlib import Path

import pytest

from forensic_viewer.report import CaseInfo, ReportOptions, scan_source, write_report
from forensic_viewer.report import text as T
from forensic_viewer.report.build import overview
from forensic_viewer.scan.run import run_scan
from tests.conftest import write_rgb
from tests.viewer.test_scan_prefetch import StubAnalyzer, files_of


@pytest.fixture
def analysed(tmp_path: Path) -> Path:
    """An ``analyze`` run's folder over a photograph, a zero-byte file and a text file named
    like an image (the walk-through's ``zero.jpg`` and ``text.png``)."""
    folder = tmp_path / "ev"
    folder.mkdir()
    write_rgb(folder / "a.png", 24, 32)
    (folder / "text.png").write_text("plain text, not a picture\n", encoding="utf-8")
    (folder / "zero.jpg").write_bytes(b"")
    out = tmp_path / "out"
    run_scan(files_of(folder), StubAnalyzer(), out, source="analyze")
    return out


def test_the_header_says_how_many_files_once_with_its_plural(analysed: Path) -> None:
    """It said "Covers: Analysis of 1 evidence file(s): 1 evidence file(s)"."""
    whole = overview(scan_source(analysed), CaseInfo(), ReportOptions())
    assert dict(T.case_rows(whole))["Covers"] == "Analysis of 3 evidence files"
    one = overview(scan_source(analysed, ["a.png"]), CaseInfo(), ReportOptions())
    assert dict(T.case_rows(one))["Covers"] == "Analysis of 1 evidence file"
    assert T.covers_text("Scan of /cases/7", 1) == "Scan of /cases/7: 1 evidence file"
    paths = write_report(scan_source(analysed, ["a.png"]), analysed / "r", ["html"])
    html = unescape(paths["html"].read_text(encoding="utf-8"))
    assert "file(s)" not in html and "Analysis of 1 evidence file<" in html
