"""An evidence file's file-system times, as found before the read, in UTC: a scan's row records
them (results.schema.json describes them), the HTML, PDF and JSON reports of a scan and of the
viewer's single file show them with what they are (not when the photograph was made), as the
metadata panel does; a row written before they were recorded still reads and reports."""

from __future__ import annotations

import json
import os
from pathlib import Path

import pytest
from jsonschema import Draft202012Validator

from engine.io import load_evidence
from engine.types import Analysis
from forensic_viewer.report import item_from_analysis, scan_source, write_report
from forensic_viewer.report.evidence_text import evidence_rows
from forensic_viewer.scan.records import parse_line, record_line
from forensic_viewer.wording import FS_TIMES_NOT_RECORDED, FS_TIMES_NOTE
from tests.conftest import HANG_MS, write_rgb
from tests.viewer.conftest import open_listed, scan_cli
from tests.viewer.test_records import SCHEMA
from tests.viewer.test_report import check_html, flat, pdf_text

MTIME_NS = 1_620_000_000 * 10**9 + 250_000_000
ATIME_NS = 1_600_000_000 * 10**9
MODIFIED = "2021-05-03T00:00:00.250000000Z"  # MTIME_NS in UTC
ACCESSED = "2020-09-13T12:26:40Z"  # ATIME_NS in UTC


def _evidence(folder: Path) -> Path:
    folder.mkdir(parents=True, exist_ok=True)
    path = write_rgb(folder / "a.png", 40, 48, seed=1)
    os.utime(path, ns=(ATIME_NS, MTIME_NS))
    return path


def _rows(out: Path) -> list[dict]:
    return [json.loads(line) for line in (out / "results.jsonl").read_text("utf-8").splitlines()]


@pytest.fixture
def scanned(tmp_path: Path, tiny_checkpoint: Path) -> Path:
    _evidence(tmp_path / "evidence")
    out = tmp_path / "out"
    assert scan_cli(tmp_path / "evidence", out, tiny_checkpoint) == 0
    return out


def test_a_scan_row_and_its_reports_record_the_times_found_before_the_read(
    scanned: Path, tmp_path: Path
) -> None:
    (row,) = _rows(scanned)
    times = row["evidence"]["fs_times"]
    assert (times["modified"], times["accessed"]) == (MODIFIED, ACCESSED)
    assert list(times) == ["modified", "status_changed", "accessed", "created"]
    Draft202012Validator(json.loads(SCHEMA.read_text("utf-8"))).validate(row)
    assert json.loads(record_line(parse_line(json.dumps(row)))) == row  # read and written back

    (item,) = scan_source(scanned).items()
    rows = dict(evidence_rows(item))
    assert rows["Modified (file system)"] == MODIFIED
    assert rows["Last accessed (file system)"] == ACCESSED
    assert rows["File-system times"] == FS_TIMES_NOTE
    paths = write_report(scan_source(scanned), tmp_path / "report", ("html", "pdf", "json"))
    html = flat(" ".join(check_html(paths["html"]).text))
    assert MODIFIED in html and ACCESSED in html and FS_TIMES_NOTE in html
    assert MODIFIED in flat(pdf_text(paths["pdf"])[1]).replace(" ", "")
    (entry,) = json.loads(paths["json"].read_text("utf-8"))["items"]
    assert entry["evidence"]["fs_times"] == times


def test_the_viewers_report_and_metadata_panel_show_them(qtbot, tmp_path: Path) -> None:
    from forensic_viewer.gui.metadata_panel import MetadataPanel

    ev = load_evidence(_evidence(tmp_path / "evidence"))
    paths = write_report([item_from_analysis(Analysis(ev, {}))], tmp_path / "r", ("html", "json"))
    assert MODIFIED in flat(" ".join(check_html(paths["html"]).text))
    (entry,) = json.loads(paths["json"].read_text("utf-8"))["items"]
    assert entry["evidence"]["fs_times"]["accessed"] == ACCESSED

    panel = MetadataPanel()
    qtbot.addWidget(panel)
    panel.set_evidence(ev)
    assert panel.value("Modified (file system)") == MODIFIED
    assert panel.value("Last accessed (file system)") == ACCESSED
    assert panel.value("File-system times") == FS_TIMES_NOTE


def test_a_row_written_before_they_were_recorded_still_reads_and_reports(
    scanned: Path, tmp_path: Path
) -> None:
    (row,) = _rows(scanned)
    del row["evidence"]["fs_times"]
    line = json.dumps(row)
    (scanned / "results.jsonl").write_text(line + "\n", encoding="utf-8")
    record = parse_line(line)
    assert record is not None and record.evidence_facts().get("fs_times") is None
    assert json.loads(record_line(record)) == row  # written back as it was: no times made up

    (item,) = scan_source(scanned).items()
    assert dict(evidence_rows(item))["File-system times"] == FS_TIMES_NOT_RECORDED
    paths = write_report(scan_source(scanned), tmp_path / "report", ("html", "json"))
    assert FS_TIMES_NOT_RECORDED in flat(" ".join(check_html(paths["html"]).text))
    (entry,) = json.loads(paths["json"].read_text("utf-8"))["items"]
    assert "fs_times" not in entry["evidence"]


def test_a_file_that_did_not_decode_shows_what_the_loader_read_without_a_second_read(
    qtbot, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """The viewer's "not decoded" panel read the file again for its SHA-256, took its size
    from os.stat and showed no file-system times, though the loader's error carried all three
    as found before its one read."""
    import hashlib

    from PySide6.QtCore import QSettings

    import forensic_viewer.scan.run
    from forensic_viewer.gui.main_window import MainWindow

    path = tmp_path / "not an image.png"
    path.write_bytes(b"plain text, no image\n" * 10)
    os.utime(path, ns=(ATIME_NS, MTIME_NS))
    read_again: list[object] = []
    monkeypatch.setattr(
        forensic_viewer.scan.run, "sha256_if_read", lambda p: read_again.append(p) or None
    )
    settings = QSettings(str(tmp_path / "settings.ini"), QSettings.Format.IniFormat)
    window = MainWindow(models=[], device="cpu", settings=settings)
    qtbot.addWidget(window)
    open_listed(qtbot, window, [path])
    entry = window.entries[str(path)]
    qtbot.waitUntil(lambda: entry.unread is not None and bool(entry.error), timeout=HANG_MS)
    panel = window.metadata_panel
    assert panel.value("SHA-256") == hashlib.sha256(path.read_bytes()).hexdigest()
    assert panel.value("size") == "210 bytes"
    assert panel.value("Modified (file system)") == MODIFIED
    assert panel.value("Last accessed (file system)") == ACCESSED
    assert panel.value("File-system times") == FS_TIMES_NOTE
    assert read_again == []  # the evidence was read once, by the loader


def test_the_case_log_records_them_when_a_file_is_opened_or_fails(qtbot, tmp_path: Path) -> None:
    """evidence-opened recorded the file's size but not its file-system times, which its scan
    row and its report carry; a file that did not decode had neither in analysis-failed."""
    from PySide6.QtCore import QSettings

    from forensic_viewer.audit import LOG_NAME, AuditLog, verify_log
    from forensic_viewer.gui.main_window import MainWindow

    image = _evidence(tmp_path / "evidence")
    other = tmp_path / "evidence" / "b.png"
    other.write_bytes(b"plain text, no image\n")
    os.utime(other, ns=(ATIME_NS, MTIME_NS))
    settings = QSettings(str(tmp_path / "settings.ini"), QSettings.Format.IniFormat)
    log = AuditLog(tmp_path / "case", program="test viewer", examiner="A. Examiner")
    window = MainWindow(models=[], device="cpu", settings=settings, case_log=log)
    qtbot.addWidget(window)
    open_listed(qtbot, window, [image, other])

    def logged(action: str) -> dict:
        checked = verify_log(tmp_path / "case" / LOG_NAME)
        assert checked.ok, checked.message()
        found = [e.details for e in checked.entries if e.action == action]
        return found[0] if found else {}

    qtbot.waitUntil(
        lambda: bool(logged("evidence-opened") and logged("analysis-failed")), timeout=HANG_MS
    )
    opened, failed = logged("evidence-opened"), logged("analysis-failed")
    assert opened["path"] == str(image.resolve())
    assert set(opened["fs_times"]) == {"modified", "status_changed", "accessed", "created"}
    assert (opened["fs_times"]["modified"], opened["fs_times"]["accessed"]) == (MODIFIED, ACCESSED)
    assert failed["path"] == str(other.resolve()) and failed["file_size"] == 21
    assert (failed["fs_times"]["modified"], failed["fs_times"]["accessed"]) == (MODIFIED, ACCESSED)


def test_results_csv_gives_them_in_its_last_columns(tmp_path: Path, tiny_checkpoint: Path) -> None:
    """results.csv listed no file-system times, though every row records them: now the last
    four columns, an error row's from its header, empty for a row written before them, and
    text that a spreadsheet would run (a hostile results.jsonl's) quoted as in any cell."""
    import csv

    from forensic_viewer.scan.results import CSV_NAME, write_csv

    _evidence(tmp_path / "evidence")
    broken = tmp_path / "evidence" / "b.png"
    broken.write_bytes(b"plain text, no image\n")
    os.utime(broken, ns=(ATIME_NS + 10**9, MTIME_NS + 10**9))
    out = tmp_path / "out"
    assert scan_cli(tmp_path / "evidence", out, tiny_checkpoint) == 1  # one file failed

    def read(folder: Path) -> tuple[list[str], dict[str, dict[str, str]]]:
        with open(folder / CSV_NAME, encoding="utf-8", newline="") as f:
            header, *rows = csv.reader(f)
        return header, {r[0]: dict(zip(header, r, strict=True)) for r in rows}

    header, rows = read(out)
    names = ["modified", "status_changed", "accessed", "created"]
    at = header.index("warnings")  # then "warnings", then what each verdict compared with θ
    assert header[at - 4 : at] == [f"fs_times.{k}" for k in names]
    by_row = {r["path"]: r for r in _rows(out)}
    for key, times in (
        ("a.png", by_row["a.png"]["evidence"]["fs_times"]),
        ("b.png", by_row["b.png"]["header"]["fs_times"]),
    ):
        assert [rows[key][f"fs_times.{k}"] for k in names] == [times[k] or "" for k in names]
    assert rows["a.png"]["fs_times.modified"] == MODIFIED
    assert rows["b.png"]["fs_times.accessed"] == "2020-09-13T12:26:41Z"

    old, hostile = by_row["a.png"], by_row["b.png"]
    del old["evidence"]["fs_times"]  # a row of an earlier version
    hostile["header"]["fs_times"]["modified"] = "=HYPERLINK(0)"
    records = [parse_line(json.dumps(r)) for r in (old, hostile)]
    write_csv(tmp_path, records, ["tiny"])
    header, rows = read(tmp_path)
    assert [rows["a.png"][f"fs_times.{k}"] for k in names] == ["", "", "", ""]
    assert rows["b.png"]["fs_times.modified"] == "'=HYPERLINK(0)"


def test_a_file_that_did_not_decode_shows_its_times_in_the_panel_as_its_scan_row_has_them(
    qtbot, tmp_path: Path, tiny_checkpoint: Path
) -> None:
    """The metadata panel of a file that did not decode showed its size and SHA-256 but not
    its file-system times, which its scan row (``header.fs_times``) and every report of it
    give: the panel now shows the times the decoder found before its read, worded as a
    decoded file's are."""
    from tests.viewer.test_main_window import _window, open_and_wait

    broken = tmp_path / "evidence" / "broken.png"
    broken.parent.mkdir()
    broken.write_bytes(b"\x89PNG\r\n\x1a\n" + b"\x00\x00\x00\rIHDR" + b"garbage" * 8)
    os.utime(broken, ns=(ATIME_NS, MTIME_NS))
    assert scan_cli(broken.parent, tmp_path / "out", tiny_checkpoint) == 1
    (row,) = _rows(tmp_path / "out")
    assert row["status"] == "error" and row["header"]["fs_times"]["modified"] == MODIFIED

    os.utime(broken, ns=(ATIME_NS, MTIME_NS))  # as found before the scan's read
    window = _window(qtbot, tmp_path, [str(tiny_checkpoint)])
    open_and_wait(qtbot, window, broken)
    panel = window.metadata_panel
    assert panel.value("SHA-256") == row["sha256"]
    assert panel.value("Modified (file system)") == MODIFIED
    assert panel.value("Last accessed (file system)") == ACCESSED
    assert panel.value("Status changed (file system)") is not None
    assert panel.value("File-system times") == FS_TIMES_NOTE
