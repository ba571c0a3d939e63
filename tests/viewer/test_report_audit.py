"""What an analyst's audit of a case scan's reports found (2026-12-04): a failed file's size,
the name its error gives the file, a face flag beside an unchanged verdict, copy-move pairs of
analyses that look for none, raw EXIF numbers, the PDF's colour legend far from its figures.

Items are built by hand (no model runs): these tests check what the reports say.
"""

from __future__ import annotations

import json
from pathlib import Path

from forensic_viewer.report import ReportItem, write_report
from forensic_viewer.report.model import ModelEntry, verify_integrity
from forensic_viewer.report.text import evidence_rows
from forensic_viewer.scan.triage import NOT_RUN


def failed_item(file: Path, error: str) -> ReportItem:
    """A file that did not decode, as a scan's error row makes it: its SHA-256 recorded."""
    from forensic_viewer.scan.walk import sha256_of_file

    return ReportItem(
        key=file.name,
        file=str(file),
        status="error",
        error=error,
        sha256=sha256_of_file(file),
        evidence={},
        models=[ModelEntry("m", "model", NOT_RUN, note="the file could not be analysed")],
    )


def test_a_failed_files_size_is_given_when_its_bytes_are_the_ones_analysed(tmp_path: Path) -> None:
    """The evidence table of a file that did not decode said File size "—", though the bytes
    are read at export to check the SHA-256: when they hash to the recorded one, they are the
    bytes the scan read, and their count is the file's size."""
    bad = tmp_path / "truncated.jpg"
    bad.write_bytes(b"\xff\xd8\xff\xe0" + b"x" * 1996)
    item = failed_item(bad, f"{bad}: damaged JPEG data")
    item.integrity = verify_integrity(item.file, item.sha256)
    size = dict(evidence_rows(item))["File size"]
    assert size.startswith("2000 bytes"), size
    assert "SHA-256" in size  # how the size is known
    paths = write_report([item], tmp_path / "r", ["html", "json"])
    assert "2000 bytes" in paths["html"].read_text(encoding="utf-8")
    (entry,) = json.loads(paths["json"].read_text(encoding="utf-8"))["items"]
    assert entry["integrity"]["size_at_export"] == 2000
    # bytes that changed since the scan are not the ones analysed: no size is claimed
    bad.write_bytes(b"other")
    item.integrity = verify_integrity(item.file, item.sha256)
    assert dict(evidence_rows(item))["File size"] == "—"
