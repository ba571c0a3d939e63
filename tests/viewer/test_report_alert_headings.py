"""The first page's alert headings say what the alerts under them are.

A hand-over walk-through (2026-12-06, finding 4): a resumed scan with two files gone from the
folder and one replaced between runs wrote a report whose first page opened "WARNING: evidence
integrity check failed at export … read again now, is not the one recorded" over those alerts,
while the same report said "0 changed and 0 unreadable at export" and every row "unchanged
since the analysis". The export check's heading now stands only over files whose SHA-256 read
at export differs or could not be read; the other alerts get their own heading.
"""

from __future__ import annotations

import json
from html import unescape
from pathlib import Path

from pypdf import PdfReader

from forensic_viewer.report import scan_source, write_report
from forensic_viewer.report.build import EXPORT_HEADING, SCAN_HEADING
from forensic_viewer.report.integrity_alerts import count_alert
from tests.conftest import write_rgb
from tests.viewer.conftest import scan_cli


def _first_page(paths: dict[str, Path]) -> tuple[str, str]:
    """The HTML before its summary and the PDF's first page, as flat text."""
    raw = paths["html"].read_text(encoding="utf-8")
    html = unescape(raw[: raw.index('<section id="summary">')])
    pdf = " ".join(PdfReader(str(paths["pdf"])).pages[0].extract_text().split())
    return html, pdf


def test_files_gone_or_changed_between_runs_are_not_said_to_fail_the_export_check(
    tmp_path: Path, tiny_checkpoint: Path
) -> None:
    ev = tmp_path / "ev"
    ev.mkdir()
    for i, name in enumerate(("a.png", "b.png", "c.png")):
        write_rgb(ev / name, 40, 48, seed=i)
    out = tmp_path / "out"
    assert scan_cli(ev, out, tiny_checkpoint) in (0, 1)
    (ev / "b.png").unlink()
    write_rgb(ev / "c.png", 40, 48, seed=9)  # replaced between runs
    assert scan_cli(ev, out, tiny_checkpoint, "--report", "html,pdf,json") in (0, 1)
    paths = {f: out / f"report.{f}" for f in ("html", "pdf", "json")}
    html, pdf = _first_page(paths)
    for text in (html, pdf):
        assert EXPORT_HEADING not in text and "read again now" not in text
        assert SCAN_HEADING in text
        assert "no longer in the folder" in text and "changed between runs" in text
    doc = json.loads(paths["json"].read_text(encoding="utf-8"))
    assert [s["heading"] for s in doc["alert_sections"]] == [SCAN_HEADING]

    # a file changed after the run: the export check's heading, over that file only
    write_rgb(ev / "a.png", 40, 48, seed=7)
    again = write_report(scan_source(out), tmp_path / "again", ["html", "pdf", "json"])
    html, pdf = _first_page(again)
    for text in (html, pdf):
        assert EXPORT_HEADING in text and SCAN_HEADING in text
        assert text.index(EXPORT_HEADING) < text.index("a.png") < text.index(SCAN_HEADING)
    doc = json.loads(again["json"].read_text(encoding="utf-8"))
    export, scan = doc["alert_sections"]
    assert export["heading"] == EXPORT_HEADING and scan["heading"] == SCAN_HEADING
    assert any("a.png: THE EVIDENCE FILE HAS CHANGED" in a for a in export["alerts"])
    assert not any("c.png" in a for a in export["alerts"])
    assert not any("a.png" in a for a in scan["alerts"])


def test_an_alert_of_many_files_names_five_and_says_how_many_more() -> None:
    """The first page names five files and counts the rest, so no file is silently left out."""
    names = [f"maps/{c}.png" for c in "abcdefg"]
    alert = count_alert(7, "map file is changed", "map files are changed", names)
    assert alert == (
        "7 map files are changed: maps/a.png, maps/b.png, maps/c.png, maps/d.png, maps/e.png "
        "and 2 more"
    )
    assert count_alert(5, "x", "xs", names[:5]) == "5 xs: " + ", ".join(names[:5])
    assert count_alert(1, "x", "xs", names[:1]) == "1 x: maps/a.png"
    assert count_alert(0, "x", "xs", []) is None
