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


def test_a_zero_byte_files_section_gives_its_times_and_no_earlier_versions_reason(
    analysed: Path,
) -> None:
    """``zero.jpg``'s section said "no header of it was read (a scan of an earlier version
    kept only the error and the SHA-256 ...)" under this version's own row, and gave no
    file-system times, while ``text.png`` (also undecodable) had them."""
    from forensic_viewer.report.evidence_text import evidence_rows

    items = {i.key: i for i in scan_source(analysed).items()}
    for key in ("zero.jpg", "text.png"):
        rows = dict(evidence_rows(items[key]))
        assert rows["Modified (file system)"] not in ("", "—"), (key, rows)
        assert "earlier version" not in " ".join(rows.values()), (key, rows)
    zero = dict(evidence_rows(items["zero.jpg"]))
    assert zero["File size"] == "0 bytes"
    assert zero["Format (by content)"] == "none: the file is empty"


def test_a_failed_row_without_a_header_says_which_case_it_is(tmp_path: Path) -> None:
    """The one sentence for every failed row without a header told of an earlier version's
    scan even for this version's rows: each case has its words now."""
    import dataclasses

    from forensic_viewer.report.evidence_text import (
        EARLIER_ROW_FACTS,
        NO_HEADER_FACTS,
        UNREAD_FACTS,
        evidence_rows,
    )
    from forensic_viewer.report.model import CardCache, item_from_record
    from forensic_viewer.scan.records import error_record

    bad = tmp_path / "bad.jpg"
    now = error_record("bad.jpg", "ab" * 32, f"{bad}: worker process 7 ended", file=bad)
    earlier = dataclasses.replace(now, real_path=None)  # as rows were written before it
    unread = dataclasses.replace(now, sha256=None, error=f"{bad}: permission denied")

    def facts(rec: object) -> str:
        item = item_from_record(rec, tmp_path, ["m"], None, CardCache())  # type: ignore[arg-type]
        return dict(evidence_rows(item))["Format, dimensions, metadata"]

    assert facts(now) == NO_HEADER_FACTS and "earlier" not in NO_HEADER_FACTS
    assert facts(earlier) == EARLIER_ROW_FACTS
    assert facts(unread) == UNREAD_FACTS
