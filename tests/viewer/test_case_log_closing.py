"""The case log says exactly what the viewer did with a file: a decode only to show it is no
analysis, and closing the window mid-analysis ends every analysis the log started before the
log is closed (docs/AUDIT.md)."""

from __future__ import annotations

import json
import threading
import warnings
from pathlib import Path

import pytest
from PySide6.QtCore import QSettings, Qt

from forensic_viewer.audit import LOG_NAME, AuditLog, verify_log
from forensic_viewer.gui.main_window import MainWindow
from tests.conftest import HANG_MS, HANG_S, make_tiny_checkpoint
from tests.viewer.conftest import open_listed, without_sessions, write_image

pytestmark = pytest.mark.gui


def _window(qtbot, tmp_path: Path) -> MainWindow:
    model = make_tiny_checkpoint(tmp_path / "m1.safetensors", "m1", seed=1)
    log = AuditLog(tmp_path / "case", program="test viewer", examiner="A. Examiner")
    settings = QSettings(str(tmp_path / "settings.ini"), QSettings.Format.IniFormat)
    window = MainWindow(models=[str(model)], device="cpu", settings=settings, case_log=log)
    qtbot.addWidget(window)
    window.show()
    qtbot.waitUntil(lambda: bool(window.model_names), timeout=HANG_MS)
    return window


def _entries(tmp_path: Path) -> list[dict]:
    lines = (tmp_path / "case" / LOG_NAME).read_text().splitlines()
    return without_sessions(json.loads(x) for x in lines)


def _of(entries: list[dict], path: Path) -> list[str]:
    return [e["action"] for e in entries if e["details"].get("path") == str(path)]


def test_a_file_decoded_only_to_show_it_is_logged_opened_not_analysed(
    qtbot, tmp_path: Path, gate: threading.Event
) -> None:
    """A file whose queued analysis a Cancel stopped, its pixels let go since, is decoded
    again when shown, to show it (``_decode_to_show``), not analysed: the log had an
    ``analysis-started`` (its models empty) that no end followed, since models were loaded."""
    window = _window(qtbot, tmp_path)
    big = write_image(tmp_path / "big.png", 192, 256)
    queued = write_image(tmp_path / "queued.png", 96, 128, seed=2)
    open_listed(qtbot, window, [big, queued])
    job = window.entries[str(big)].job
    qtbot.waitUntil(lambda: job in window._job_started, timeout=HANG_MS)  # running, held
    window.cancel()
    gate.set()
    qtbot.waitUntil(lambda: window._job_paths == {}, timeout=HANG_MS)
    entry = window.entries[str(queued)]
    window.retention.limit = 0  # showing another file lets the queued one's pixels go
    window.show_entry(str(big))
    assert entry.cancelled and entry.released and entry.analysis is None
    before = _of(_entries(tmp_path), queued)
    assert before == ["evidence-opened", "analysis-started", "analysis-cancelled"]

    window.show_entry(str(queued))
    qtbot.waitUntil(lambda: not entry.released and entry.evidence is not None, timeout=HANG_MS)
    qtbot.waitUntil(lambda: window._job_paths == {}, timeout=HANG_MS)
    assert not entry.running and entry.analysis is None and entry.cancelled
    assert window.layers is not None and window.layers.image is not None  # shown
    assert _of(_entries(tmp_path), queued) == [*before, "evidence-opened"]


def test_closing_the_window_mid_analysis_logs_every_started_analysis_cancelled(
    qtbot, tmp_path: Path, gate: threading.Event
) -> None:
    """Closing the window while one file is analysed and another, decoded, waits: both
    ``analysis-started`` entries get their ``analysis-cancelled`` (``reason``: the window
    closed) before the log is closed, and the chain verifies. The running one's cancel was
    queued from the worker thread and arrived after the log was closed (lost, said as "not
    logged"); the waiting one's analysis never ran and had no end at all."""
    window = _window(qtbot, tmp_path)
    big = write_image(tmp_path / "big.png", 192, 256)
    waiting = write_image(tmp_path / "waiting.png", 96, 128, seed=2)
    open_listed(qtbot, window, [big, waiting])
    job = window.entries[str(big)].job
    qtbot.waitUntil(lambda: job in window._job_started, timeout=HANG_MS)  # running, held
    qtbot.waitUntil(lambda: "analysis-started" in _of(_entries(tmp_path), waiting), timeout=HANG_MS)
    window.close()
    assert window.case._failed == 0  # nothing was refused by a closed log
    entries = _entries(tmp_path)
    for path in (big, waiting):
        assert _of(entries, path) == ["evidence-opened", "analysis-started", "analysis-cancelled"]
        cancel = [e for e in entries if e["details"].get("path") == str(path)][-1]
        assert cancel["details"] == {"path": str(path), "reason": "the window closed"}
    assert verify_log(tmp_path / "case" / LOG_NAME).ok
    qtbot.wait(50)  # any signal still queued for the closed window: nothing more is written
    assert _entries(tmp_path) == entries and window.case._failed == 0
    with warnings.catch_warnings():
        warnings.simplefilter("error")  # PySide warns of a slot disconnected twice
        window.case.close()  # a window closed twice
    assert _entries(tmp_path) == entries


def test_an_analysis_that_ended_as_the_window_closed_is_logged_as_it_ended(
    qtbot, tmp_path: Path, gate: threading.Event
) -> None:
    """The analysis finished on the worker thread just before the window closed, its
    ``succeeded`` still queued for the GUI thread: the case log delivers it before it closes,
    and the log says ``analysis-finished``, not a cancel by the closing (or nothing)."""
    window = _window(qtbot, tmp_path)
    image = write_image(tmp_path / "big.png", 192, 256)
    finished = threading.Event()
    window.worker.succeeded.connect(
        lambda *_a: finished.set(), Qt.ConnectionType.DirectConnection
    )  # on the worker thread: the queued slots have not run
    open_listed(qtbot, window, [image])
    job = window.entries[str(image)].job
    qtbot.waitUntil(lambda: job in window._job_started, timeout=HANG_MS)  # running, held
    gate.set()
    assert finished.wait(HANG_S)  # no event of this thread is handled meanwhile
    assert window.entries[str(image)].analysis is None  # not delivered yet
    window.close()
    entries = _entries(tmp_path)
    # kept in the case folder too: the close waits for it (gui/case_results.py)
    assert _of(entries, image) == [
        "evidence-opened", "analysis-started", "analysis-finished", "result-kept"
    ]  # fmt: skip
    assert entries[-2]["details"]["models"]["m1"]["verdict"] in ("authentic", "tampered")
    assert verify_log(tmp_path / "case" / LOG_NAME).ok and window.case._failed == 0


def test_a_cancel_just_before_closing_is_logged_as_the_analysts_not_the_closings(
    qtbot, tmp_path: Path, gate: threading.Event
) -> None:
    """Cancel, then the window closed before the cancels arrived: both analyses end in
    ``analysis-cancelled`` without the closing's ``reason`` (the analyst stopped them)."""
    window = _window(qtbot, tmp_path)
    big = write_image(tmp_path / "big.png", 192, 256)
    waiting = write_image(tmp_path / "waiting.png", 96, 128, seed=2)
    open_listed(qtbot, window, [big, waiting])
    job = window.entries[str(big)].job
    qtbot.waitUntil(lambda: job in window._job_started, timeout=HANG_MS)  # running, held
    qtbot.waitUntil(lambda: "analysis-started" in _of(_entries(tmp_path), waiting), timeout=HANG_MS)
    window.cancel()
    window.close()
    entries = _entries(tmp_path)
    for path in (big, waiting):
        assert _of(entries, path) == ["evidence-opened", "analysis-started", "analysis-cancelled"]
        cancel = [e for e in entries if e["details"].get("path") == str(path)][-1]
        assert cancel["details"] == {"path": str(path)}
    assert verify_log(tmp_path / "case" / LOG_NAME).ok and window.case._failed == 0


def test_a_report_written_as_the_window_closed_is_logged(qtbot, tmp_path: Path) -> None:
    """The report thread had written the report and posted it to its dialog when the window
    closed: the files were there, and the log had no ``report-exported`` for them (the post
    was never delivered: the dialog's shutdown let the thread go without reading it)."""
    window = _window(qtbot, tmp_path)
    image = write_image(tmp_path / "a.png")
    open_listed(qtbot, window, [image])
    entry = window.entries[str(image)]
    qtbot.waitUntil(lambda: entry.analysis is not None, timeout=HANG_MS)
    dialog = window.export_report()
    assert dialog is not None
    dialog.format_boxes["pdf"].setChecked(False)
    dialog.dest.setText(str(tmp_path / "reports"))
    dialog.write()
    assert dialog.worker is not None and dialog.worker.wait(HANG_MS)  # no event handled
    assert dialog.paths == {}  # written, not yet delivered
    window.close()
    entries = [e for e in _entries(tmp_path) if e["action"] != "result-kept"]  # the analysis's
    assert entries[-1]["action"] == "report-exported"
    files = entries[-1]["details"]["files"]
    assert sorted(files) == ["html", "json"] and all(
        Path(f["path"]).is_file() for f in files.values()
    )
    assert verify_log(tmp_path / "case" / LOG_NAME).ok and window.case._failed == 0


@pytest.mark.gui
def test_the_note_dialog_is_let_go_when_it_closes(qtbot, case_window: MainWindow) -> None:
    """``note_dialog`` kept the closed dialog, which ``deleteLater`` had deleted: any use of it
    after that raised "Internal C++ object already deleted". A dialog opened while another is
    open stays the one held when the first closes."""
    import shiboken6

    first = case_window.case.open_note_dialog()
    second = case_window.case.open_note_dialog()
    assert first is not None and second is not None
    first.reject()
    qtbot.waitUntil(lambda: not shiboken6.isValid(first), timeout=HANG_MS)  # deleteLater ran
    assert case_window.case.note_dialog is second
    second.text.setPlainText("seen")
    second.accept()
    qtbot.waitUntil(lambda: not shiboken6.isValid(second), timeout=HANG_MS)
    assert case_window.case.note_dialog is None
