"""An evidence file whose name is not UTF-8 (a folder copied from an old Windows machine or a
camera card: ``caf\\xe9.jpg`` in cp1252) is scanned like any other. Python names it with its
undecodable bytes as surrogates (``os.fsdecode``); the map and thumbnail names, the CSV and
``scan.log`` encoded it strictly as UTF-8, and the UnicodeEncodeError stopped the whole scan
("the scan failed") at every run, however many files were still to do."""

from __future__ import annotations

import csv
import json
import os
import sys
from pathlib import Path

import pytest

from forensic_viewer.report import scan_source, write_report
from forensic_viewer.scan.records import FileRecord
from forensic_viewer.scan.results import CSV_NAME, read_records
from forensic_viewer.scan.run import SCAN_LOG, ScanLog, run_scan
from tests.conftest import write_rgb
from tests.viewer.test_scan_prefetch import StubAnalyzer, files_of

RAW = b"caf\xe9 \xff.png"  # cp1252 e-acute, and a byte no encoding of text starts with


def _bytes_named(folder: Path) -> Path:
    """``folder`` holding ``ok.png`` and a PNG named by the bytes ``RAW``; skips where the
    file system refuses such a name (APFS, NTFS)."""
    folder.mkdir()
    write_rgb(folder / "ok.png", 24, 32, seed=1)
    try:
        write_rgb(Path(os.fsdecode(os.path.join(os.fsencode(folder), RAW))), 24, 32, seed=2)
    except (OSError, UnicodeError):
        pytest.skip("this file system refuses names that are not UTF-8")
    return folder


@pytest.mark.skipif(sys.platform == "win32", reason="Windows names are UTF-16")
def test_a_file_whose_name_is_not_utf8_is_scanned_written_and_resumed(tmp_path: Path) -> None:
    folder = _bytes_named(tmp_path / "ev")
    key = os.fsdecode(RAW)
    out = tmp_path / "out"
    summary = run_scan(files_of(folder), StubAnalyzer(), out, source="t")
    assert summary.done == 2 and not summary.failed
    rec = read_records(out)[key]
    assert isinstance(rec, FileRecord)
    for name in (rec.models[0].heatmap, rec.thumbnail):
        assert name is not None and (out / name).is_file()
    with open(out / CSV_NAME, encoding="utf-8", newline="") as f:  # still UTF-8 throughout
        paths = [row["path"] for row in csv.DictReader(f)]
    # each byte as itself, as the reports and the terminal write it (was \\udce9 \\udcff)
    assert sorted(paths) == ["caf\\xe9 \\xff.png", "ok.png"]
    again = run_scan(files_of(folder), StubAnalyzer(), out, source="t")
    assert again.done == 0 and again.skipped == 2  # the row's key read back is the file's


def test_scan_log_takes_a_message_naming_a_file_whose_name_is_not_utf8(tmp_path: Path) -> None:
    log = ScanLog(tmp_path)
    name = os.fsdecode(b"/ev/caf\xe9.jpg")
    log.problem(f"{name}: unexpected ValueError", "Traceback: ...")
    log.close()
    assert "caf\\udce9.jpg: unexpected ValueError" in (tmp_path / SCAN_LOG).read_text("utf-8")


@pytest.mark.skipif(sys.platform == "win32", reason="Windows names are UTF-16")
def test_the_report_of_such_a_scan_is_written_and_its_json_names_the_file(tmp_path: Path) -> None:
    folder = _bytes_named(tmp_path / "ev")
    out = tmp_path / "out"
    run_scan(files_of(folder), StubAnalyzer(), out, source="t")
    written = write_report(scan_source(out), tmp_path / "rep", ["json", "html"])
    items = json.loads(written["json"].read_text("utf-8"))["items"]  # still UTF-8
    assert sorted(i["path"] for i in items) == [os.fsdecode(RAW), "ok.png"]
    html = written["html"].read_text("utf-8")
    assert "caf\\xe9 \\xff.png" in html and "[U+DC" not in html  # the bytes, not code points


def test_every_writer_shows_a_names_undecodable_byte_as_that_byte() -> None:
    # The intake walk-through of 2026-12-06: results.csv held bad\udcff\udcfename.jpg and
    # the report bad[U+DCFF][U+DCFE]name.jpg, the code points Python stands the bytes for.
    from engine.formatting import plain
    from forensic_viewer.report.fonts import _runs, fonts
    from forensic_viewer.scan.escaping import csv_cell
    from forensic_viewer.wording import marked

    name = os.fsdecode(b"bad\xff\xfename.jpg")
    shown = "bad\\xff\\xfename.jpg"
    assert plain(name) == marked(name) == csv_cell(name) == shown
    assert "".join(text for text, _ in _runs(name, fonts())) == shown  # the PDF's
    assert marked("a\u202eb") == "a[U+202E]b" and plain("a\u202eb") == "a\\u202eb"
