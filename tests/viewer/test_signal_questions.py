"""A stop signal that comes while a Yes/No question is open (offscreen, in this process: the
signal sent to it while the box waits, through the viewer's own handler).

The window's close ran from inside the question's event loop: the case log was closed, then
the box returned No (the application's quit answered it) and the batch dialog went on with
an answer the analyst never gave: ``results-edited`` ``accepted: false`` written to the
closed log, which failed ("not logged: ... the audit log is closed", an error in the status
bar and the viewer's log). The question is now closed unanswered, its asker returns doing
nothing, and the window closes after it."""

from __future__ import annotations

import os
import signal
from pathlib import Path
from typing import Any

import pytest
from PySide6.QtCore import QTimer
from PySide6.QtWidgets import QApplication, QMessageBox

import forensic_viewer.gui.batch_dialog as batch_dialog
from forensic_viewer.audit import LOG_NAME, verify_log
from forensic_viewer.gui.app import close_on_signals
from forensic_viewer.scan.integrity import Edited
from tests.conftest import HANG_MS
from tests.viewer.test_case_log import _actions

pytestmark = pytest.mark.gui


def test_sigterm_with_a_question_open_closes_it_unanswered_then_the_window(
    qtbot, case_window: Any, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    out = tmp_path / "out"
    edited = Edited("2026-12-01T00:00:00Z", "a" * 64, "b" * 64, "scan.json", str(out / "x"))
    monkeypatch.setattr(batch_dialog, "edited_results", lambda *_a: edited)
    batch = case_window.open_batch()
    asked: list[str] = []

    def signal_while_asked() -> None:  # runs in the question's own event loop
        box = QApplication.activeModalWidget()
        asked.append(box.windowTitle() if isinstance(box, QMessageBox) else repr(box))
        os.kill(os.getpid(), signal.SIGTERM)
        QTimer.singleShot(0, lambda: left_open(box))

    def left_open(box: Any) -> None:
        # no application loop runs here to quit: a box the close left open would wait forever
        if box.isVisible() and not case_window.isVisible():
            box.done(QMessageBox.StandardButton.No)  # as the application's quit answered it
        elif box.isVisible():
            QTimer.singleShot(0, lambda: left_open(box))

    stop = close_on_signals(case_window)
    try:
        QTimer.singleShot(0, signal_while_asked)
        assert batch._results_unchanged(out) is False  # nothing starts
        assert asked == ["Resume over an edited results.jsonl?"]
        # the asker returned before the window's close, which then follows
        assert stop.signum == signal.SIGTERM and case_window.isVisible()
        qtbot.waitUntil(lambda: not case_window.isVisible(), timeout=HANG_MS)
    finally:
        stop()
    assert case_window.case._failed == 0  # nothing was written to a closed log
    assert "results-edited" not in _actions(tmp_path / "case")  # no answer was given
    assert batch.message.text() == ""
    assert verify_log(tmp_path / "case" / LOG_NAME).ok
