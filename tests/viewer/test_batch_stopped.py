"""A batch scan stopped with Cancel and started again, as the analyst sees it (offscreen): the
table, the progress line and the scan folder's files agree on how many files were done, and the
report written from the batch dialog says in the dialog that it covers part of the scan until a
resume has finished it.

The checkpoint has random weights: these tests check plumbing, never that a finding is right.
"""

from __future__ import annotations

import csv
import json
import os
import signal
import threading
from pathlib import Path

import pytest
from PySide6.QtCore import QSettings, Qt

from forensic_viewer.gui.batch_dialog import BatchDialog
from forensic_viewer.report.build import STOPPED_HEADING
from tests.conftest import HANG_MS, HANG_S
from tests.viewer.conftest import stop_batch_after, write_image

pytestmark = pytest.mark.gui

NAMES = [f"img{i}.png" for i in range(6)]


@pytest.fixture
def folder(tmp_path: Path) -> Path:
    d = tmp_path / "evidence"
    d.mkdir()
    for i, name in enumerate(NAMES):
        write_image(d / name, 48, 56, seed=i)
    return d


def _keys(out: Path) -> tuple[list[str], list[str], dict]:
    """results.jsonl's keys, results.csv's and scan.json's ``run``."""
    jsonl = [json.loads(x)["path"] for x in (out / "results.jsonl").read_text().splitlines()]
    with (out / "results.csv").open(newline="", encoding="utf-8") as f:
        rows = [r["path"] for r in csv.DictReader(f)]
    return jsonl, rows, json.loads((out / "scan.json").read_text())["run"]


def _write_report(qtbot, dialog: BatchDialog):
    qtbot.mouseClick(dialog.report_button, Qt.MouseButton.LeftButton)
    report = dialog._report
    assert report is not None
    report.format_boxes["pdf"].setChecked(False)
    report.basename.setText(f"report-{len(list(dialog.output_folder().glob('report*.json')))}")
    qtbot.mouseClick(report.write_button, Qt.MouseButton.LeftButton)
    qtbot.waitUntil(lambda: bool(report.paths) and not report.running, timeout=HANG_MS)
    return report


def _scan_from_the_viewer(qtbot, tmp_path: Path, checkpoint: Path, folder: Path):
    """The viewer's window shown, its batch dialog scanning ``folder`` into ``tmp_path/out``:
    (window, dialog, out)."""
    from forensic_viewer.gui.main_window import MainWindow

    settings = QSettings(str(tmp_path / "settings.ini"), QSettings.Format.IniFormat)
    window = MainWindow(models=[str(checkpoint)], device="cpu", settings=settings)
    qtbot.addWidget(window)
    window.show()
    out = tmp_path / "out"
    dialog = window.open_batch()
    dialog.folder.setText(str(folder))
    dialog.out.setText(str(out))
    dialog.start()
    return window, dialog, out


def test_cancel_mid_scan_then_report_then_resume_agree_everywhere(
    qtbot, folder: Path, tmp_path: Path, tiny_checkpoint: Path, monkeypatch
) -> None:
    resume_fully = stop_batch_after(monkeypatch, 2, "pause")  # then the analyst's Cancel
    out = tmp_path / "out"
    dialog = BatchDialog(models=[str(tiny_checkpoint)], device="cpu")
    qtbot.addWidget(dialog)
    dialog.folder.setText(str(folder))
    dialog.out.setText(str(out))
    dialog.show()
    qtbot.mouseClick(dialog.start_button, Qt.MouseButton.LeftButton)
    qtbot.waitUntil(lambda: dialog.tally.done == 3, timeout=HANG_MS)
    qtbot.mouseClick(dialog.cancel_button, Qt.MouseButton.LeftButton)
    qtbot.waitUntil(lambda: dialog.summary is not None and not dialog.running, timeout=HANG_MS)

    # the table, the progress display and the files say the same: 3 of 6
    table = sorted(r.key for r in dialog.table_model.rows())  # the table's order is the sort's
    jsonl, rows, run = _keys(out)
    assert table == jsonl == rows == NAMES[:3]
    assert (run["state"], run["through"], run["files"]) == ("cancelled", 3, 6)
    assert dialog.progress.value() == 3 and dialog.progress.maximum() == 6
    assert dialog.progress_text.text().startswith("3 / 6 files")
    # in the words of scan.json's note, with what is missing: no sum of counts to make
    assert dialog.message.text().startswith("cancelled after 3 of 6 files (3 not scanned)")

    # the report of the part: the dialog says so, as the report's first page does
    report = _write_report(qtbot, dialog)
    assert STOPPED_HEADING in report.message.text()
    assert "cancelled after 3 of 6 files" in report.message.text()
    sidecar = json.loads(Path(report.paths["json"]).read_text(encoding="utf-8"))
    assert "cancelled after 3 of 6 files" in sidecar["partial_scan"]
    report.close()

    # Start again (the button says Resume): the three done are skipped, the rest analysed
    resume_fully()
    assert dialog.start_button.text() == "Resume"
    qtbot.mouseClick(dialog.start_button, Qt.MouseButton.LeftButton)
    qtbot.waitUntil(lambda: dialog.summary is not None and not dialog.running, timeout=HANG_MS)
    summary = dialog.summary
    assert not summary.cancelled and (summary.skipped, summary.done) == (3, 3)
    assert "3 already done" in dialog.message.text()
    table = sorted(r.key for r in dialog.table_model.rows())
    jsonl, rows, run = _keys(out)
    assert table == sorted(jsonl) == rows == NAMES
    assert (run["state"], run["through"]) == ("finished", 6)
    assert dialog.progress.value() == dialog.progress.maximum() == 6

    report = _write_report(qtbot, dialog)
    assert STOPPED_HEADING not in report.message.text()
    assert report.message.text().startswith("written: ")
    sidecar = json.loads(Path(report.paths["json"]).read_text(encoding="utf-8"))
    assert sidecar["partial_scan"] is None


def test_starting_again_after_a_restart_says_it_resumes_before_it_skips(
    qtbot, folder: Path, tmp_path: Path, tiny_checkpoint: Path, monkeypatch
) -> None:
    """The viewer closed after a Cancel and opened again: the dialog knows nothing of the first
    run until Start. From the listing on it says how many files an earlier run finished (they
    are skipped): it had said "6 files to scan", then jumped to "2 / 6" with no word why."""
    resume_fully = stop_batch_after(monkeypatch, 1, "cancel")
    out = tmp_path / "out"
    first = BatchDialog(models=[str(tiny_checkpoint)], device="cpu")
    qtbot.addWidget(first)
    first.folder.setText(str(folder))
    first.out.setText(str(out))
    first.start()
    qtbot.waitUntil(lambda: first.summary is not None and not first.running, timeout=HANG_MS)
    assert first.summary.cancelled
    first.shutdown()
    resume_fully()

    dialog = BatchDialog(models=[str(tiny_checkpoint)], device="cpu")  # the viewer restarted
    qtbot.addWidget(dialog)
    dialog.folder.setText(str(folder))
    dialog.out.setText(str(out))
    shown: list[str] = []
    monkeypatch.setattr(
        dialog, "show_message", lambda text: (shown.append(text), dialog.message.setText(text))
    )
    qtbot.mouseClick(dialog.start_button, Qt.MouseButton.LeftButton)
    qtbot.waitUntil(lambda: dialog.summary is not None and not dialog.running, timeout=HANG_MS)
    listed = next(m for m in shown if m.startswith("6 files to scan"))
    assert "2 of them finished by an earlier run" in listed, shown
    scanning = next(m for m in shown if m.startswith("scanning with"))
    assert "resuming: 2 files finished earlier are skipped" in scanning, shown
    assert "2 already done" in shown[-1]
    assert sorted(r.key for r in dialog.table_model.rows()) == NAMES


def test_closing_the_viewer_while_the_scan_loads_models_waits_for_it_instead_of_aborting(
    qtbot, folder: Path, tmp_path: Path, tiny_checkpoint: Path, monkeypatch
) -> None:
    """Loading models (an OpenVINO conversion at first use) is out of Cancel's reach. Closing the
    viewer then had it wait 30 s, frozen, and quit with the scan thread running: Qt aborted the
    process ("QThread: Destroyed while thread is still running", exit status 134). The window
    now stays, says why, and closes by itself once the scan has stopped."""
    from forensic_viewer.gui import main_window
    from forensic_viewer.scan.pool_worker import AnalyzerRecipe

    release = threading.Event()
    build = AnalyzerRecipe.build
    monkeypatch.setattr(
        AnalyzerRecipe, "build", lambda self: (release.wait(HANG_S), build(self))[1]
    )
    monkeypatch.setattr(main_window, "CLOSE_WAIT_MS", 200)
    window, dialog, out = _scan_from_the_viewer(qtbot, tmp_path, tiny_checkpoint, folder)
    qtbot.waitUntil(lambda: "loading models" in dialog.message.text(), timeout=HANG_MS)
    window.close()
    assert window.isVisible() and dialog.worker.isRunning()
    assert "once the batch scan has stopped" in window.statusBar().currentMessage()
    release.set()
    qtbot.waitUntil(lambda: not window.isVisible(), timeout=HANG_MS)
    assert not dialog.worker.isRunning()
    run = json.loads((out / "scan.json").read_text())["run"]
    assert (run["state"], run["through"]) == ("cancelled", 0)


@pytest.mark.parametrize("signum", [signal.SIGTERM, signal.SIGINT])
def test_sigterm_or_ctrl_c_to_the_viewer_stops_its_batch_scan_as_closing_does(
    qtbot, folder: Path, tmp_path: Path, tiny_checkpoint: Path, monkeypatch, signum: int
) -> None:
    """``kill PID`` (a logout, a service manager) or Ctrl+C in the terminal the viewer was
    started from, during a batch scan: SIGTERM had ended the process at once, leaving scan.json
    saying "running", no results.csv and no scan-finished in the case log. The window now
    closes as File > Quit does: the scan is cancelled and leaves a cancelled scan's files."""
    from forensic_viewer.gui.app import close_on_signals

    stop_batch_after(monkeypatch, 0, "pause")
    window, dialog, out = _scan_from_the_viewer(qtbot, tmp_path, tiny_checkpoint, folder)
    qtbot.waitUntil(lambda: dialog.tally.done == 1, timeout=HANG_MS)
    restore = close_on_signals(window)
    try:
        os.kill(os.getpid(), signum)
        qtbot.waitUntil(lambda: not window.isVisible(), timeout=HANG_MS)
    finally:
        restore()
    assert not dialog.worker.isRunning()
    jsonl, rows, run = _keys(out)
    assert jsonl == rows == NAMES[:1]
    assert (run["state"], run["through"], run["files"]) == ("cancelled", 1, 6)
