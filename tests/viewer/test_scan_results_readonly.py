"""File ▸ Open scan results…: a scan output folder's triage table, read-only (walk-through of a
10,000-file scan, 2026-12-06: the batch dialog was the only triage view, and "opening" a folder
there was a resume that retried the failed files and rewrote results.jsonl, breaking the
evidence chain: ``audit verify --files`` said CHANGED and the report's SHA-256 no longer held)."""

from __future__ import annotations

import hashlib
import threading
from pathlib import Path

import numpy as np
import pytest
import shiboken6
from PySide6.QtCore import QEvent
from PySide6.QtWidgets import QApplication

import forensic_viewer.gui.report_dialog as rd
import forensic_viewer.gui.result_loader as result_loader
import forensic_viewer.gui.scan_results as scan_results
import forensic_viewer.gui.triage_view as triage_view
from forensic_viewer.gui.main_window import RELOADING_WORDS
from forensic_viewer.gui.retention import held_bytes
from forensic_viewer.gui.scan_results import ScanResultsDialog, not_a_scan_folder
from forensic_viewer.gui.thread_stop import running_threads
from forensic_viewer.scan.integrity import RESULTS_EDITED, recorded_end
from forensic_viewer.scan.replay import ScanAnalysis
from tests.conftest import HANG_MS, HANG_S
from tests.viewer.conftest import scan_cli, write_image

pytestmark = pytest.mark.gui


def _hashes(folder: Path) -> dict[str, str]:
    """SHA-256 of every file under ``folder`` (and so which files there are)."""
    return {
        str(p.relative_to(folder)): hashlib.sha256(p.read_bytes()).hexdigest()
        for p in sorted(folder.rglob("*"))
        if p.is_file()
    }


@pytest.fixture
def scanned(tmp_path: Path, tiny_checkpoint: Path) -> Path:
    """A --no-faces scan of three images and a damaged file (one failed row)."""
    folder = tmp_path / "evidence"
    folder.mkdir()
    for i in range(3):
        write_image(folder / f"{i}.png", 64, 80, seed=i)
    (folder / "broken.png").write_bytes(b"\x89PNG\r\n\x1a\n" + b"garbage" * 8)
    out = tmp_path / "out"
    assert scan_cli(folder, out, tiny_checkpoint) == 1  # exit 1: a file failed
    return out


def _opened(qtbot, window, out: Path) -> ScanResultsDialog:
    dialog = window.open_scan_results(out)
    assert dialog is not None
    qtbot.waitUntil(lambda: dialog.loaded, timeout=HANG_MS)
    return dialog


def test_opening_a_scan_read_only_shows_its_rows_and_writes_nothing(
    qtbot, case_window, scanned: Path
) -> None:
    before = _hashes(scanned)
    dialog = _opened(qtbot, case_window, scanned)
    model = dialog.table_model
    assert model.rowCount() == 4 and dialog.proxy.rowCount() == 4
    assert {r.key for r in model.rows() if r.status != "ok"} == {"broken.png"}
    assert [c.id for c in model.columns[:4]] == ["thumbnail", "file", "model", "status"]
    said = dialog.message.text()
    assert "4 files (3 analysed, 1 failed)" in said and "read-only" in said
    assert "warning" not in said
    # a row opens with the scan's recorded result, nothing analysed again
    row = next(r for r in model.rows() if r.key == "1.png")
    dialog.open_row(row)
    qtbot.waitUntil(
        lambda: "opened in the viewer with this scan's result" in dialog.message.text(),
        timeout=HANG_MS,
    )
    entry = case_window.entries[row.file]
    assert isinstance(entry.analysis, ScanAnalysis) and entry.analysis.scan_key == "1.png"
    # thumbnails painted (read), then the dialog closed: OUT is byte for byte as it was
    dialog.table.viewport().repaint()
    qtbot.wait(200)
    dialog.shutdown()
    assert _hashes(scanned) == before


def test_an_edited_results_file_is_shown_with_the_warning_and_reported_only_if_accepted(
    qtbot, case_window, scanned: Path, monkeypatch
) -> None:
    results = scanned / "results.jsonl"
    lines = results.read_text(encoding="utf-8").splitlines()  # the same rows, another order
    results.write_text("\n".join(reversed(lines)) + "\n", "utf-8")
    before = _hashes(scanned)
    dialog = _opened(qtbot, case_window, scanned)
    assert dialog.table_model.rowCount() == 4  # shown, not refused
    assert dialog.message.text().startswith("warning: ")
    assert "rows may have been edited" in dialog.message.text()
    answers = iter([False, True])
    monkeypatch.setattr(dialog, "_accept_edited", lambda: next(answers))
    assert dialog.open_report() is None  # declined: no report, as report OUT refuses
    assert "no report was written" in dialog.message.text()
    report = dialog.open_report()
    assert report is not None
    source = report.job.source()
    assert source.settings["run"][RESULTS_EDITED]["taken_by"] == "this report"
    assert source.results_sha256 == hashlib.sha256(results.read_bytes()).hexdigest()
    dialog.shutdown()
    assert _hashes(scanned) == before


def test_a_folder_that_is_not_a_scan_is_refused_in_one_line(
    qtbot, case_window, tmp_path: Path, monkeypatch
) -> None:
    errors: list[str] = []
    monkeypatch.setattr(case_window, "show_error", errors.append)
    assert case_window.open_scan_results(tmp_path) is None
    assert errors == [not_a_scan_folder(tmp_path.absolute())]
    assert "not a scan output folder (no results.jsonl or scan.json)" in errors[0]


def test_rows_edited_after_the_folder_was_read_are_not_reported(
    qtbot, case_window, scanned: Path
) -> None:
    """The edit check was made once, when the folder was opened: a results.jsonl edited after
    it was reported without a word. Its rows are now checked as the report reads them, under
    the folder's lock, as ``forensic-viewer report OUT`` checks them."""
    dialog = _opened(qtbot, case_window, scanned)
    assert dialog.edited is None  # as its run recorded it when read
    results = scanned / "results.jsonl"
    seen = hashlib.sha256(results.read_bytes()).hexdigest()
    lines = results.read_text(encoding="utf-8").splitlines()
    results.write_text("\n".join(reversed(lines)) + "\n", "utf-8")
    report = dialog.open_report()
    assert report is not None
    report.write()
    qtbot.waitUntil(lambda: not report.running, timeout=HANG_MS)
    now = hashlib.sha256(results.read_bytes()).hexdigest()
    assert report.message.text() == (
        f"cannot write the report: {results}: changed since Open scan results… read it "
        f"(SHA-256 {seen}, now {now}); open the scan results again to see its rows as they "
        "now read"
    )
    assert report.paths == {} and not list(scanned.glob("report*"))
    dialog.shutdown()


def test_a_closed_results_dialog_goes_once_its_report_dialog_is_closed(
    qtbot, case_window, scanned: Path
) -> None:
    """Walk-through E: every Open scan results… stayed for the session, closed, with its rows
    and its finished reader and thumbnail threads (6 openings: +144 widgets, +12 QThreads)."""

    def deleted_later() -> None:
        QApplication.sendPostedEvents(None, QEvent.Type.DeferredDelete)  # as app.exec() does

    first = _opened(qtbot, case_window, scanned)
    reader = first.reader
    first.close()
    deleted_later()
    assert case_window.results_dialogs == []
    assert not shiboken6.isValid(first) and not shiboken6.isValid(reader)

    second = _opened(qtbot, case_window, scanned)
    report = second.open_report()
    assert report is not None
    second.close()  # its report dialog still open: the analyst may be typing in it
    deleted_later()
    assert case_window.results_dialogs == [second] and report.isVisible()
    report.close()
    deleted_later()
    assert case_window.results_dialogs == [] and not shiboken6.isValid(second)


def test_a_closed_results_dialog_goes_when_its_report_ends_after_its_report_dialog_closed(
    qtbot, case_window, scanned: Path, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """Both dialogs closed while the report still wrote: the results dialog stayed for it,
    and was kept for the session, since only the report dialog's close said it could go."""
    gate = threading.Event()
    write_report = rd.write_report

    def held(*args: object, **kwargs: object) -> object:
        gate.wait(HANG_S)
        return write_report(*args, **kwargs)

    monkeypatch.setattr(rd, "write_report", held)
    dialog = _opened(qtbot, case_window, scanned)
    report = dialog.open_report()
    assert report is not None
    for fmt in ("html", "pdf"):
        report.format_boxes[fmt].setChecked(False)
    report.dest.setText(str(tmp_path / "reports"))
    report.write()
    try:
        assert report.running
        report.close()
        dialog.close()
        QApplication.sendPostedEvents(None, QEvent.Type.DeferredDelete)
        assert case_window.results_dialogs == [dialog]  # kept while its report writes
    finally:  # a failure here must not leave the report's thread to a destruction
        gate.set()
    qtbot.waitUntil(lambda: not shiboken6.isValid(report) or not report.running, timeout=HANG_MS)
    QApplication.sendPostedEvents(None, QEvent.Type.DeferredDelete)
    assert (tmp_path / "reports" / "report.json").is_file()
    assert case_window.results_dialogs == []
    assert not shiboken6.isValid(dialog)


def test_rows_opened_from_a_scan_count_towards_the_limit_and_are_read_again_from_it(
    qtbot, case_window, scanned: Path
) -> None:
    """Walk-through E: a row opened from a scan was kept whole outside the limit (+0.7 MB a
    CASIA row), so walking through a scan's rows grew without bound. Let go like any other
    file, it is read again from the scan's folder when shown again, never analysed again."""
    window = case_window
    dialog = _opened(qtbot, window, scanned)
    rows = sorted((r for r in dialog.table_model.rows() if r.status == "ok"), key=lambda r: r.key)
    window.retention.limit = 0  # only the file shown keeps its pixels and maps

    def open_row(row) -> None:
        dialog.open_row(row)
        qtbot.waitUntil(lambda: window.current == row.file, timeout=HANG_MS)

    open_row(rows[0])
    first = window.entries[rows[0].file]
    maps = {k: r.heatmap.copy() for k, r in first.analysis.results.items()}
    open_row(rows[1])
    assert first.released and not held_bytes(first.evidence, first.analysis)
    assert isinstance(first.analysis, ScanAnalysis)  # its verdicts and scores stay

    window.show_entry(rows[0].file)
    assert window.verdict_panel.text() == RELOADING_WORDS
    qtbot.waitUntil(lambda: not first.released, timeout=HANG_MS)
    assert isinstance(first.analysis, ScanAnalysis) and first.job is None  # the scan's result
    for name, heatmap in maps.items():
        assert np.array_equal(first.analysis.results[name].heatmap, heatmap)
    assert window.entries[rows[1].file].released  # shown before: let go in turn
    dialog.shutdown()


def test_closing_a_results_dialog_while_a_row_is_read_waits_briefly_for_it(
    qtbot, case_window, scanned: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """Closing the dialog stopped its threads with the quit's 30 s wait: the window froze
    while a row's decode went on (a large file, a stalled share). The close waits briefly;
    a decode still running is held from destruction (gui/thread_stop.py) and ends on its own."""
    release, reading = threading.Event(), threading.Event()
    waits: list[int] = []

    def stalled(_out: Path) -> None:
        reading.set()
        release.wait(HANG_S)
        raise OSError("released")

    class Loader(result_loader.ResultLoader):
        def wait(self, *args):  # type: ignore[no-untyped-def, override]
            waits.extend(a for a in args if isinstance(a, int))
            return super().wait(*args)

    dialog = _opened(qtbot, case_window, scanned)
    monkeypatch.setattr(result_loader, "ResultIndex", stalled)
    monkeypatch.setattr(triage_view, "ResultLoader", Loader)
    dialog.open_row(next(r for r in dialog.table_model.rows() if r.status == "ok"))
    assert reading.wait(HANG_S)
    (loader,) = dialog.opener._loaders
    try:
        dialog.close()
        assert waits and max(waits) <= 1000  # the closing window waited a moment at most
        assert loader.isRunning() and loader.parent() is None and loader in running_threads()
        assert case_window.results_dialogs == []
    finally:  # a failure here must not leave the thread to the dialog's destruction
        release.set()
        assert loader.wait(HANG_MS)


def test_the_bytes_judged_unedited_are_the_bytes_whose_hash_is_recorded_as_seen(
    qtbot, case_window, scanned: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """The reader hashed results.jsonl once for the edited check and again for the case log's
    ``folder-opened`` (and the report's check, ``seen``): a write between the two reads had
    the log record, as what was seen, bytes the check never judged."""
    check = scan_results.edited_results

    def then_written(*args: object, **kwargs: object) -> object:
        edited = check(*args, **kwargs)
        with (scanned / "results.jsonl").open("a") as f:
            f.write("\n")  # a writer between the reads
        return edited

    monkeypatch.setattr(scan_results, "edited_results", then_written)
    dialog = _opened(qtbot, case_window, scanned)
    assert dialog.edited is None  # judged as the scan recorded it
    ended = recorded_end(scanned / "scan.json")
    assert ended is not None and dialog.seen == ended[1]
    dialog.shutdown()
