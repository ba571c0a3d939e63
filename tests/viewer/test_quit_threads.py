"""Quitting the viewer while one of its threads cannot stop at once ends the process cleanly:
its exit status, its case log whole, the output folders' locks free; never Qt's abort
("QThread: Destroyed while thread '' is still running", SIGABRT, status 134), which a running
QThread destroyed with its window or dialog gives (review J, 2026-12-06).

Each case runs in a child process: the abort would end pytest itself.
"""

from __future__ import annotations

import os
import subprocess
import sys
import textwrap
import time
import tomllib
from collections.abc import Callable
from pathlib import Path

import pytest
from PySide6.QtCore import Qt

import forensic_viewer.gui.report_dialog as rd
from forensic_viewer.audit import verify_log
from forensic_viewer.gui.batch_dialog import BatchDialog
from forensic_viewer.report import ReportCancelled
from forensic_viewer.scan.lock import OutputLock
from tests.conftest import HANG_MS, HANG_S
from tests.viewer.conftest import scan_cli, write_image

pytestmark = pytest.mark.gui

ROOT = Path(__file__).resolve().parents[2]


def _child(code: str, args: list[str], tmp_path: Path) -> subprocess.CompletedProcess[str]:
    env = {
        **os.environ,
        "PYTHONPATH": str(ROOT),
        "QT_QPA_PLATFORM": "offscreen",
        "XDG_STATE_HOME": str(tmp_path / "state"),  # the viewer's log
        "XDG_CONFIG_HOME": str(tmp_path / "config"),  # its settings
        "FORENSIC_VIEWER_MODELS": str(tmp_path / "models"),
    }
    try:
        return subprocess.run(
            [sys.executable, "-c", code, *args],
            cwd=tmp_path,
            env=env,
            capture_output=True,
            text=True,
            timeout=HANG_S,
        )
    except subprocess.TimeoutExpired as e:
        pytest.fail(f"the viewer did not end: {e.stderr!r}"[-3000:])


# The stand-in for a network's OpenVINO conversion at first use (a minute, not interruptible):
# the worker's prepare asks for the quit, then works on, longer than the close waits for it
# (shortened from 10 s to 0.2 s here).
STUCK_PREPARE = """\
import os, signal, sys, threading
from PySide6.QtCore import QMetaObject, Qt
from PySide6.QtWidgets import QApplication
import engine.pipeline
from forensic_viewer.gui.workers import AnalysisWorker

AnalysisWorker.stop.__defaults__ = (200,)
never = threading.Event()

def stuck_prepare(self, cancel=None):
    if {quit!r} == "sigterm":
        os.kill(os.getpid(), signal.SIGTERM)
    else:  # File > Quit: the window's close, on the GUI thread
        QMetaObject.invokeMethod(
            QApplication.instance(), "closeAllWindows", Qt.ConnectionType.QueuedConnection
        )
    never.wait({hang})

engine.pipeline.Analyzer.prepare = stuck_prepare
"""


def _console_script() -> str:
    scripts = tomllib.loads((ROOT / "pyproject.toml").read_text())["project"]["scripts"]
    module, func = scripts["forensic-viewer"].split(":")
    return f"from {module} import {func}\nsys.exit({func}())\n"


@pytest.mark.parametrize(("how", "status"), [("sigterm", 143), ("quit", 0)])
def test_quitting_while_the_models_are_prepared_ends_cleanly(
    tmp_path: Path, tiny_checkpoint: Path, how: str, status: int
) -> None:
    """The analysis worker inside a conversion when the window closed: the close waited, then
    the window's end destroyed the running thread and Qt aborted the process (status 134 after
    10 s, 2 of 3 runs of the product on a fresh OpenVINO cache)."""
    code = STUCK_PREPARE.format(quit=how, hang=HANG_S) + _console_script()
    image = write_image(tmp_path / "a.png", 40, 48)
    case = tmp_path / "case"
    args = ["--model", str(tiny_checkpoint), "--device", "cpu", "--case", str(case), str(image)]
    done = _child(code, args, tmp_path)
    assert done.returncode == status, done.stderr[-3000:]
    assert "QThread: Destroyed" not in done.stderr
    if how == "sigterm":
        last = done.stderr.strip().splitlines()[-1]
        assert (
            last == "forensic-viewer: SIGTERM received: the viewer closed as File > Quit closes it"
        )
    viewer_log = (tmp_path / "state" / "forensic-viewer" / "viewer.log").read_text()
    assert "the analysis worker is still running" in viewer_log
    checked = verify_log(case / "audit.jsonl")
    assert checked.ok, checked.message
    assert [e.action for e in checked.entries][:2] == ["log-opened", "evidence-opened"]


# Open scan results… OUT, Write report… (a report that runs until it is cancelled, as one of a
# large scan does), its dialog closed, Write report… again, then the window closed and gone.
TWO_REPORTS = """\
import sys, time
from pathlib import Path
from PySide6.QtCore import QEvent, QSettings
from PySide6.QtWidgets import QApplication
import forensic_viewer.gui.report_dialog as rd
from forensic_viewer.audit import AuditLog
from forensic_viewer.report import ReportCancelled
from forensic_viewer.scan.lock import OutputLock

def until_cancelled(*args, cancel, **kwargs):
    while not cancel():
        time.sleep(0.01)
    raise ReportCancelled("cancelled")

rd.write_report = until_cancelled
tmp, checkpoint, out = map(Path, sys.argv[1:4])
app = QApplication(sys.argv[:1])
from forensic_viewer.gui.main_window import MainWindow

w = MainWindow(
    models=[str(checkpoint)], device="cpu",
    settings=QSettings(str(tmp / "s.ini"), QSettings.Format.IniFormat),
    case_log=AuditLog(tmp / "case", program="t", examiner="E"),
)
w.show()

def spin(done):
    end = time.monotonic() + {hang}
    while not done() and time.monotonic() < end:
        app.processEvents()
        time.sleep(0.01)

d = w.open_scan_results(out)
spin(lambda: d.loaded)
first = d.open_report()
first.dest.setText(str(tmp / "reports"))
first.write()
print("first running", first.worker.isRunning())
first.close()  # the analyst closes it: the report goes on
second = d.open_report()
print("second is first", second is first)
w.close()
w.deleteLater()
QApplication.sendPostedEvents(None, QEvent.Type.DeferredDelete)
for folder in (tmp / "reports", out):
    OutputLock(folder).acquire().release()  # refused while a report holds it
    print("free", folder.name)
"""


@pytest.mark.slow
def test_a_second_write_report_while_the_first_runs_then_quit(
    tmp_path: Path, tiny_checkpoint: Path
) -> None:
    """The second Write report… made a new dialog and dropped the first, whose report went on:
    the window's close stopped only the second, the first's thread was destroyed running
    (abort, 3 of 3 runs) and its folders' locks were never released. The running report's
    dialog is shown again instead, and the close stops it."""
    evidence = tmp_path / "evidence"
    evidence.mkdir()
    for i in range(2):
        write_image(evidence / f"{i}.png", 40, 48, seed=i)
    out = tmp_path / "out"
    assert scan_cli(evidence, out, tiny_checkpoint, "--no-faces") == 0
    code = textwrap.dedent(TWO_REPORTS.format(hang=HANG_S))
    done = _child(code, [str(tmp_path), str(tiny_checkpoint), str(out)], tmp_path)
    assert done.returncode == 0, done.stderr[-3000:]
    lines = done.stdout.splitlines()
    assert lines == ["first running True", "second is first True", "free reports", "free out"]
    assert not (tmp_path / "reports" / "report.json").exists()  # cancelled: nothing written


def test_the_batch_dialogs_write_report_shows_the_running_report_again(
    qtbot, tmp_path: Path, tiny_checkpoint: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """The batch dialog's Write report… made a new dialog each time, as the scan results'
    did, dropping one still writing; its shutdown then stopped only the last."""

    def until_cancelled(*_a: object, cancel: Callable[[], bool], **_k: object) -> None:
        while not cancel():
            time.sleep(0.01)
        raise ReportCancelled("cancelled")

    monkeypatch.setattr(rd, "write_report", until_cancelled)
    evidence = tmp_path / "evidence"
    evidence.mkdir()
    write_image(evidence / "a.png", 40, 48)
    out = tmp_path / "out"
    dialog = BatchDialog(models=[str(tiny_checkpoint)], device="cpu")
    qtbot.addWidget(dialog)
    dialog.folder.setText(str(evidence))
    dialog.out.setText(str(out))
    dialog.show()
    qtbot.mouseClick(dialog.start_button, Qt.MouseButton.LeftButton)
    qtbot.waitUntil(lambda: dialog.summary is not None and not dialog.running, timeout=HANG_MS)
    first = dialog.open_report()
    assert first is not None
    first.dest.setText(str(tmp_path / "reports"))  # type: ignore[attr-defined]
    first.write()  # type: ignore[attr-defined]
    assert first.running  # type: ignore[attr-defined]
    first.close()
    try:
        assert dialog.open_report() is first
        dialog.shutdown()  # the viewer quits: the running report is stopped, its locks freed
        assert not first.worker.isRunning()  # type: ignore[attr-defined]
        for folder in (tmp_path / "reports", out):
            OutputLock(folder).acquire().release()
    finally:  # a failure here must not leave the report's thread to the dialog's destruction
        first.shutdown()  # type: ignore[attr-defined]
