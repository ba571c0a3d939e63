"""The status bar's message history: what the main window's status bar said, with its time.

The status bar shows one message at a time and the next one replaces it: the line about a
folder opened went when the models finished loading, a finished analysis's words when the
next file's progress came, and nothing kept them. :class:`MessageHistory` (Qt-free) keeps
every message the window's :class:`~forensic_viewer.gui.status_bar.StatusBar` is given, with
its local time, the last :data:`HISTORY_LIMIT`; :class:`MessagesDialog` lists them newest
first as plain text the analyst can select and copy (View ▸ Message history…, or a click on
the message). A run of progress lines is kept as its latest line: one line per window batch
would push everything else out of the history within one analysis.
"""

from __future__ import annotations

from collections import deque
from collections.abc import Callable
from dataclasses import dataclass
from datetime import datetime
from typing import Literal

from PySide6.QtWidgets import (
    QApplication,
    QDialog,
    QDialogButtonBox,
    QLabel,
    QPlainTextEdit,
    QPushButton,
    QVBoxLayout,
    QWidget,
)

HISTORY_LIMIT = 500  # messages kept: a day's examination, a few hundred lines to read

Kind = Literal["said", "progress", "notice"]
"""``said``: of the analyst's own action (an opening, an analysis's outcome, an error);
``progress``: a running analysis's progress line; ``notice``: news from the background
(models loaded, a training run's state)."""


@dataclass(frozen=True)
class Message:
    """One status message: when it was given (local time), its whole text, its kind."""

    when: datetime
    text: str
    kind: Kind

    def line(self) -> str:
        """The message as the history lists it: its local date and time, then its text."""
        return f"{self.when:%Y-%m-%d %H:%M:%S}  {self.text}"


class MessageHistory:
    """The last ``limit`` status messages, oldest dropped first. ``now``: the local time
    (a test's clock). Listeners added with :meth:`watch` are called after each change."""

    def __init__(self, limit: int = HISTORY_LIMIT, now: Callable[[], datetime] = datetime.now):
        self._messages: deque[Message] = deque(maxlen=limit)
        self._now = now
        self._watchers: list[Callable[[], None]] = []

    def add(self, text: str, kind: Kind = "said") -> Message:
        """Keep ``text`` (its newlines as the status bar shows them: " | "). A progress line
        that follows a progress line takes its place (the run is kept as where it got to), and
        so does a message that only repeats the one before (kept at its latest time)."""
        message = Message(self._now().replace(microsecond=0), text.replace("\n", "  |  "), kind)
        last = self._messages[-1] if self._messages else None
        if last is not None and (last.kind == kind == "progress" or last.text == message.text):
            self._messages.pop()
        self._messages.append(message)
        for watcher in self._watchers:
            watcher()
        return message

    def messages(self) -> list[Message]:
        """Newest first."""
        return list(reversed(self._messages))

    def text(self) -> str:
        """Every message kept, one line each, newest first."""
        return "\n".join(m.line() for m in reversed(self._messages))

    def __len__(self) -> int:
        return len(self._messages)

    def watch(self, watcher: Callable[[], None]) -> None:
        self._watchers.append(watcher)


class MessagesDialog(QDialog):
    """The message history, newest first, in a read-only text the analyst selects and copies
    (Copy all copies the whole of it). It follows the history while it is open; while text is
    selected in it the new lines wait, so that a progress line does not drop the selection
    under the pointer."""

    def __init__(self, history: MessageHistory, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.setWindowTitle("Message history")
        self.history = history
        self.caption = QLabel()
        self.text = QPlainTextEdit()
        self.text.setReadOnly(True)  # selectable and copyable still
        self.text.setLineWrapMode(QPlainTextEdit.LineWrapMode.NoWrap)
        self.text.setAccessibleName("Status messages, newest first")
        buttons = QDialogButtonBox(QDialogButtonBox.StandardButton.Close)
        buttons.rejected.connect(self.close)
        copy = QPushButton("&Copy all")
        copy.clicked.connect(self.copy_all)
        buttons.addButton(copy, QDialogButtonBox.ButtonRole.ActionRole)
        layout = QVBoxLayout(self)
        layout.addWidget(self.caption)
        layout.addWidget(self.text)
        layout.addWidget(buttons)
        self.resize(720, 360)
        self._stale = True
        history.watch(self._changed)
        self.text.selectionChanged.connect(self._selection_changed)

    def showEvent(self, event) -> None:  # Qt override: the history as it is now
        self.refresh()
        super().showEvent(event)

    def refresh(self) -> None:
        count = len(self.history)
        self.caption.setText(
            f"The status bar's last {count:,} message{'s' if count != 1 else ''}, newest "
            f"first (at most {HISTORY_LIMIT:,} are kept):"
        )
        self._stale = False  # first: setPlainText calls _selection_changed
        self.text.setPlainText(self.history.text())

    def copy_all(self) -> None:
        QApplication.clipboard().setText(self.history.text())

    def _changed(self) -> None:
        self._stale = True
        if self.isVisible() and not self.text.textCursor().hasSelection():
            self.refresh()

    def _selection_changed(self) -> None:
        if self._stale and self.isVisible() and not self.text.textCursor().hasSelection():
            self.refresh()
