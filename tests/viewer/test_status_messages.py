"""The status bar's messages are not lost (pytest-qt, offscreen): each replaced the one before,
so a folder's "N subfolders not opened" went when the models finished loading, a finished
analysis's words at the next file's progress, anything at a training notice, and nothing in
the viewer kept a message the analyst had not read in time.

Time is a clock the test moves: no sleeps, no timings.
"""

from __future__ import annotations

from datetime import datetime, timedelta
from pathlib import Path

import pytest
from PySide6.QtCore import QSettings, Qt
from PySide6.QtGui import QStatusTipEvent
from PySide6.QtWidgets import QApplication

from forensic_viewer.gui.main_window import MainWindow
from forensic_viewer.gui.message_history import HISTORY_LIMIT, MessageHistory
from forensic_viewer.gui.status_bar import FRESH_S, StatusBar
from tests.conftest import HANG_MS
from tests.viewer.conftest import open_listed, write_image

pytestmark = pytest.mark.gui

START = datetime(2026, 12, 5, 21, 4, 5)


class Clock:
    """A monotonic clock and a local time that move only when told."""

    def __init__(self) -> None:
        self.seconds = 1000.0

    def __call__(self) -> float:
        return self.seconds

    def now(self) -> datetime:
        return START + timedelta(seconds=self.seconds - 1000.0)


def _window(qtbot, tmp_path: Path) -> tuple[MainWindow, StatusBar, Clock]:
    settings = QSettings(str(tmp_path / "settings.ini"), QSettings.Format.IniFormat)
    window = MainWindow(models=[], device="cpu", settings=settings)
    qtbot.addWidget(window)
    qtbot.waitUntil(lambda: window._models_known, timeout=HANG_MS)
    bar = window.statusBar()
    assert isinstance(bar, StatusBar)
    clock = Clock()
    bar.clock = clock
    bar.history = MessageHistory(now=clock.now)
    return window, bar, clock


def _folder(
    root: Path, name: str, images: tuple[str, ...], subfolders: tuple[str, ...] = ()
) -> Path:
    folder = root / name
    folder.mkdir()
    for image in images:
        write_image(folder / image, 32, 32)
    for sub in subfolders:
        (folder / sub).mkdir()
        write_image(folder / sub / "deeper.png", 32, 32)
    return folder.resolve()


def test_the_history_keeps_each_message_with_its_time_newest_first_and_bounded() -> None:
    clock = Clock()
    history = MessageHistory(now=clock.now)
    history.add("Listing /case…")
    clock.seconds += 2
    history.add("analysing a.png: tiny (1/1), 1/9 windows", "progress")
    history.add("analysing a.png: tiny (1/1), 9/9 windows", "progress")  # the run's latest
    clock.seconds += 1
    history.add("a.png: authentic in 1.0 s")
    history.add("models: tiny on cpu\nagain", "notice")
    assert history.text().splitlines() == [
        "2026-12-05 21:04:08  models: tiny on cpu  |  again",
        "2026-12-05 21:04:08  a.png: authentic in 1.0 s",
        "2026-12-05 21:04:07  analysing a.png: tiny (1/1), 9/9 windows",
        "2026-12-05 21:04:05  Listing /case…",
    ]
    for i in range(HISTORY_LIMIT + 3):
        history.add(f"message {i}")
    assert len(history) == HISTORY_LIMIT
    assert history.messages()[0].text == f"message {HISTORY_LIMIT + 2}"
    assert history.messages()[-1].text == "message 3"  # the oldest went first


def test_the_left_out_line_is_not_replaced_by_the_models_loading_after_it(
    qtbot, tmp_path: Path
) -> None:
    """Reported: the line about a folder opened went when "models: … on cpu" came."""
    folder = _folder(tmp_path, "case", ("a.png",), ("one",))
    window, bar, clock = _window(qtbot, tmp_path)
    open_listed(qtbot, window, [folder])
    line = f"{folder}: 1 subfolder not opened (File ▸ Scan a folder… reads them)"
    assert bar.currentMessage() == line
    clock.seconds += FRESH_S - 1
    window._on_models_ready(["tiny"], "cpu")  # the worker's models, loaded after the listing
    assert bar.currentMessage() == line
    assert not bar.new_mark.isHidden() and bar.new_mark.text() == "1 new message"
    assert "21:04:14  models: tiny on cpu" in bar.new_mark.toolTip()
    assert bar.new_mark.accessibleDescription() == bar.new_mark.toolTip()
    said = [m.text for m in bar.history.messages()]
    assert said[:3] == ["models: tiny on cpu", line, f"Listing {folder}…"]
    clock.seconds += 2  # the analyst's line is no longer fresh: news is shown
    window._on_models_ready(["tiny", "other"], "cpu")
    assert bar.currentMessage() == "models: tiny, other on cpu"
    qtbot.waitUntil(lambda: not any(e.running for e in window.entries.values()), timeout=HANG_MS)


def test_a_training_notice_and_progress_lines_wait_while_the_analysts_message_is_fresh(
    qtbot, tmp_path: Path
) -> None:
    window, bar, clock = _window(qtbot, tmp_path)
    window.show_error("x.png: cannot be read (truncated PNG)")
    training = window.open_training()
    training.hide()
    training.notice.emit("training run1: training — finished; Models ▸ Train a model… shows it")
    window._on_classic_progress("b.png: ela 1/3", 0.3)  # the window's progress lines wait
    bar.show_progress("analysing b.png: tiny (1/1), 1/9 windows")  # the next file's progress
    assert bar.currentMessage() == "x.png: cannot be read (truncated PNG)"
    assert bar.new_mark.text() == "1 new message"  # the notice; progress has its bar
    clock.seconds += FRESH_S
    bar.show_progress("analysing b.png: tiny (1/1), 2/9 windows")
    assert bar.currentMessage() == "analysing b.png: tiny (1/1), 2/9 windows"
    bar.notify("models: tiny on cpu")  # progress and news replace each other as before
    assert bar.currentMessage() == "models: tiny on cpu" and bar.new_mark.text() == "1 new message"
    assert [m.kind for m in bar.history.messages()] == ["notice", "progress", "notice", "said"]


def test_the_history_opens_from_the_view_menu_and_the_message_and_is_copyable(
    qtbot, tmp_path: Path
) -> None:
    window, bar, clock = _window(qtbot, tmp_path)
    bar.showMessage("first")
    clock.seconds += 1
    window.show_error("second\nline")
    bar.notify("news")  # held: the mark goes once the history is opened
    view = next(a.menu() for a in window.menuBar().actions() if a.text() == "&View")
    entry = next(a for a in view.actions() if a.text() == "Message &history…")
    entry.trigger()
    dialog = bar.dialog
    assert dialog is not None and dialog.isVisible() and bar.new_mark.isHidden()
    lines = dialog.text.toPlainText().splitlines()
    assert lines == [
        "2026-12-05 21:04:06  news",
        "2026-12-05 21:04:06  second  |  line",
        "2026-12-05 21:04:05  first",
    ]
    assert dialog.text.isReadOnly()
    dialog.text.selectAll()
    dialog.text.copy()
    assert QApplication.clipboard().text() == "\n".join(lines)
    bar.showMessage("third")  # while text is selected the new line waits
    assert dialog.text.toPlainText().splitlines() == lines
    cursor = dialog.text.textCursor()
    cursor.clearSelection()
    dialog.text.setTextCursor(cursor)
    assert dialog.text.toPlainText().splitlines()[0].endswith("  third")
    dialog.close()
    qtbot.mouseClick(bar.message, Qt.MouseButton.LeftButton)  # a click on the message
    assert dialog.isVisible()


def test_a_menu_items_status_tip_is_not_kept(qtbot, tmp_path: Path) -> None:
    window, bar, _ = _window(qtbot, tmp_path)
    bar.showMessage("kept")
    QApplication.sendEvent(window, QStatusTipEvent("opens the evidence"))
    assert bar.currentMessage() == "opens the evidence"
    QApplication.sendEvent(window, QStatusTipEvent(""))
    assert bar.currentMessage() == "kept"
    assert [m.text for m in bar.history.messages()] == ["kept"]


def test_the_left_out_marks_tooltip_names_each_folder_with_its_count(qtbot, tmp_path: Path) -> None:
    """With several folders opened the tooltip gave a total without naming the folders."""
    one = _folder(tmp_path, "one", ("a.png",), ("x", "y"))
    two = _folder(tmp_path, "two", ("b.png",), ("z",))
    three = _folder(tmp_path, "three", ("c.png",))  # leaves nothing out: not named
    window, _, _ = _window(qtbot, tmp_path)
    open_listed(qtbot, window, [one, two, three])
    mark = window.left_out_mark
    assert mark.text() == "3 subfolders not opened"
    assert mark.toolTip().splitlines() == [
        "3 subfolders not opened (File ▸ Scan a folder… reads them):",
        f"{one}: 2 subfolders",
        f"{two}: 1 subfolder",
    ]
    assert mark.accessibleDescription() == mark.toolTip()
    qtbot.waitUntil(lambda: not any(e.running for e in window.entries.values()), timeout=HANG_MS)


def test_the_left_out_marks_tooltip_lists_a_bounded_number_of_folders() -> None:
    from forensic_viewer.gui.opening import LISTED_FOLDERS, left_out_tip

    left_out = {f"/evidence/f{i:02d}": 1 + i % 2 for i in range(LISTED_FOLDERS + 4)}
    rows = left_out_tip(left_out).splitlines()
    assert len(rows) == 1 + LISTED_FOLDERS + 1
    assert rows[1] == "/evidence/f00: 1 subfolder" and rows[2] == "/evidence/f01: 2 subfolders"
    rest = list(left_out.values())[LISTED_FOLDERS:]
    assert rows[-1] == f"… and 4 other folders: {sum(rest)} subfolders"


def test_a_training_run_that_ends_in_view_joins_the_history_at_once(
    qtbot, tmp_path: Path, models_dir: Path
) -> None:
    """A run's end reached the main window's history only when its dialog had been closed:
    a run that failed (or finished, or was stopped) in view was in no history, even after the
    dialog was closed."""
    from forensic_viewer.gui.trainer_process import EXIT_CRASHED
    from forensic_viewer.gui.training_live import REOPEN
    from tests.viewer.test_training_review import _running

    window, bar, _clock = _window(qtbot, tmp_path)
    training = window.open_training()
    assert training.isVisible()
    _running(training)
    training._on_run_finished(EXIT_CRASHED, "out of memory")
    (said,) = [m for m in bar.history.messages() if m.text.startswith("training ")]
    assert said.kind == "notice" and "failed" in said.text and "out of memory" in said.text
    assert REOPEN not in said.text  # the dialog is open: nothing to find again
    _running(training)
    training.hide()  # closed while it runs: the same outcome, and where the dialog is
    training._on_run_finished(EXIT_CRASHED, "out of memory")
    last = bar.history.messages()[0].text  # newest first
    assert "out of memory" in last and last.endswith(REOPEN)
