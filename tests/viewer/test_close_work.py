"""A close of the main window with work in progress (pytest-qt, offscreen; the question
answered by patching ``QMessageBox.exec``, as the other questions' tests do).

A clean close threw away a typed case note and report fields, and cancelled a running scan
or training run, without a question; a stop signal's close dropped the note too."""

from __future__ import annotations

import os
import signal
from pathlib import Path
from types import SimpleNamespace
from typing import Any

import pytest
from PySide6.QtWidgets import QMessageBox

from forensic_viewer.gui import window_closing
from forensic_viewer.gui.app import close_on_signals
from forensic_viewer.gui.window_closing import QUIT_TITLE, ask_to_quit, work_in_progress
from tests.conftest import HANG_MS
from tests.viewer.test_case_log import _entries
from tests.viewer.test_main_window import open_and_wait

pytestmark = pytest.mark.gui


@pytest.fixture
def answers(monkeypatch: pytest.MonkeyPatch) -> SimpleNamespace:
    """The real question, answered from ``given`` (each: the button, and whether the note's
    box stays ticked; Quit anyway, ticked, once none is left: the test's end closes the
    window); each question asked is appended to ``asked`` as (title, text)."""
    monkeypatch.setattr(window_closing, "ask_to_quit", ask_to_quit)
    said = SimpleNamespace(given=[], asked=[])

    def answer(box: QMessageBox) -> int:
        button, keep = said.given.pop(0) if said.given else (YES, True)
        said.asked.append((box.windowTitle(), box.text()))
        if box.checkBox() is not None:
            box.checkBox().setChecked(keep)
        return button

    monkeypatch.setattr(QMessageBox, "exec", answer)
    return said


def _notes(tmp_path: Path) -> list[dict]:
    return [e.details for e in _entries(tmp_path / "case") if e.action == "note"]


YES, CANCEL = QMessageBox.StandardButton.Yes, QMessageBox.StandardButton.Cancel


def test_a_typed_note_asks_once_cancel_keeps_the_window_quit_adds_the_note(
    qtbot, case_window: Any, tmp_path: Path, answers: SimpleNamespace
) -> None:
    dialog = case_window.case.open_note_dialog()
    dialog.text.setPlainText("the shadow falls the wrong way")
    answers.given.append((CANCEL, True))
    assert case_window.close() is False  # Cancel: the window and the note stay
    [(title, text)] = answers.asked
    assert title == QUIT_TITLE and "a case note not yet added" in text
    assert case_window.isVisible() and case_window.case.note_dialog is dialog
    assert _notes(tmp_path) == []
    answers.given.append((YES, True))
    assert case_window.close() is True
    assert len(answers.asked) == 2  # once a close
    assert _notes(tmp_path) == [{"text": "the shadow falls the wrong way", "on_close": True}]
    assert [e.action for e in _entries(tmp_path / "case")].count("note") == 1


def test_quit_anyway_with_the_box_unticked_discards_the_note(
    qtbot, case_window: Any, tmp_path: Path, answers: SimpleNamespace
) -> None:
    case_window.case.open_note_dialog().text.setPlainText("not worth keeping")
    answers.given.append((YES, False))
    assert case_window.close() is True
    assert _notes(tmp_path) == []


def test_nothing_in_progress_closes_without_a_question(
    qtbot, case_window: Any, answers: SimpleNamespace
) -> None:
    case_window.case.open_note_dialog()  # empty: nothing to lose
    assert case_window.close() is True
    assert answers.asked == []


def test_typed_report_fields_ask(
    qtbot, case_window: Any, image_path: Path, answers: SimpleNamespace
) -> None:
    open_and_wait(qtbot, case_window, image_path)
    qtbot.waitUntil(lambda: case_window.current_analysis() is not None, timeout=HANG_MS)
    report = case_window.export_report()
    assert work_in_progress(case_window) == []  # as offered: nothing typed
    report.case_id.setText("CASE-42")
    assert work_in_progress(case_window) == ["a report whose typed fields were not written"]
    answers.given.append((CANCEL, True))
    assert case_window.close() is False and report.case_id.text() == "CASE-42"


def test_a_running_scan_or_training_run_is_work_in_progress() -> None:
    case = SimpleNamespace(note_dialog=None, results=SimpleNamespace(waiting=0))
    idle = SimpleNamespace(case=case, report_dialog=None, results_dialogs=[])
    assert work_in_progress(SimpleNamespace(**vars(idle), batch=None, training=None)) == []
    busy = SimpleNamespace(
        **vars(idle),
        batch=SimpleNamespace(running=True, _report=None),
        training=SimpleNamespace(busy=True),
    )
    assert work_in_progress(busy) == [
        "a folder scan, which is cancelled (it can be resumed)",
        "a training run, which is stopped with a checkpoint",
    ]


def test_a_stop_signal_asks_nothing_and_keeps_the_note_unconfirmed(
    qtbot, case_window: Any, tmp_path: Path, answers: SimpleNamespace
) -> None:
    case_window.case.open_note_dialog().text.setPlainText("seen before the power cut")
    stop = close_on_signals(case_window)
    try:
        os.kill(os.getpid(), signal.SIGTERM)
        qtbot.waitUntil(lambda: not case_window.isVisible(), timeout=HANG_MS)
    finally:
        stop()
    assert answers.asked == []  # no question: no one to answer it
    assert _notes(tmp_path) == [{"text": "seen before the power cut", "unconfirmed": True}]
