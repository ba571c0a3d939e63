"""The main window's status bar: its messages elided, whole in the tooltip, and all kept.

Qt draws a status bar's message itself, in the room the permanent widgets (the pixel
read-out, the progress bar, Cancel) leave, and cuts a long one at that room's edge with no
ellipsis: after a Cancel "… no default verdi" lost "and 1 other file cancelled", and nothing
said that anything was lost. :class:`StatusBar` shows the messages of :meth:`showMessage` in a
:class:`MessageField` instead, which takes that room, elides the end visibly (…) and keeps the
whole message in its tooltip; ``currentMessage()`` is the whole message. Qt's own messages
(a menu item's status tip, shown while the pointer is on it) still go the usual way, and are
not kept.

Every message is kept, with its local time, in the bar's
:class:`~forensic_viewer.gui.message_history.MessageHistory` (View ▸ Message history…, or a
click on the message). One message replacing another lost what the analyst had not read yet:
"N files opened, 1 subfolder not opened" went when the models finished loading, a finished
analysis's words at the next file's first progress line, anything at a training run's
notice. So a message has a kind, and a message of the analyst's own action (``showMessage``)
stays for :data:`FRESH_S` against the other two: a progress line (``show_progress``) waits
(the progress bar shows it meanwhile), a background notice (``notify``) goes to the history
and the :class:`NewMessagesMark` beside the message ("1 new message", its text in the
tooltip). A notice is not shown later in the message's place: by then it would replace a
message of the analyst's as surely, and it is news the analyst can read when they choose.
"""

from __future__ import annotations

import time
from collections import deque
from collections.abc import Callable
from datetime import datetime

from PySide6.QtCore import QEvent, QSize, Qt, QTimer, Signal
from PySide6.QtGui import QMouseEvent
from PySide6.QtWidgets import QHBoxLayout, QLabel, QProgressBar, QStatusBar, QWidget

from forensic_viewer.gui.inspector import ReadoutField
from forensic_viewer.gui.message_history import Kind, Message, MessageHistory, MessagesDialog
from forensic_viewer.gui.tips import tip_text

FRESH_S = 10.0  # s a message of the analyst's action is not replaced by progress or news:
# long enough to read a long line twice, short enough that progress is soon shown again


class ZoomField(ReadoutField):
    """The zoom of the view shown ("zoom 300 %", what it counts in the tooltip): as wide as
    :data:`WIDEST`, elided in a narrower window (the window fits 640 pixels, 1280 at 200 %)."""

    MINIMUM_WIDTH = 0
    WIDEST = "zoom 1600 %"

    def __init__(self, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.setAccessibleName("zoom")

    def setText(self, text: str) -> None:  # Qt override: the caller gives the tooltip
        QLabel.setText(self, text)

    def sizeHint(self) -> QSize:  # Qt override
        wide = self.fontMetrics().horizontalAdvance(self.WIDEST) + 2 * self.margin() + 4
        return QSize(wide, super().sizeHint().height())


class MessageField(ReadoutField):
    """The status bar's message: as wide as the room the bar leaves it, never wider (a long
    message never widens the window), elided at the end, whole in its tooltip; a click opens
    the message history (``clicked``)."""

    clicked = Signal()

    def __init__(self, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.setMinimumWidth(0)
        self.setCursor(Qt.CursorShape.PointingHandCursor)

    def sizeHint(self) -> QSize:  # Qt override: the stretch gives it its room
        return QSize(0, super().sizeHint().height())

    def mousePressEvent(self, event: QMouseEvent) -> None:  # Qt override
        if event.button() == Qt.MouseButton.LeftButton:
            self.clicked.emit()
        else:
            super().mousePressEvent(event)


class NewMessagesMark(QLabel):
    """The status bar's mark of the background notices not shown in the message's place
    ("2 new messages"): the newest few with their times in its tooltip and accessible
    description; hidden until one is held, and again once the history is opened."""

    clicked = Signal()
    LISTED = 5  # notices named in the tooltip, newest first

    def __init__(self, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.setAccessibleName("New messages")
        self.setCursor(Qt.CursorShape.PointingHandCursor)
        self.setVisible(False)
        self._count = 0
        self._newest: deque[Message] = deque(maxlen=self.LISTED)

    def add(self, message: Message) -> None:
        self._count += 1
        self._newest.append(message)
        n = self._count
        self.setText(f"{n:,} new message{'s' if n != 1 else ''}")
        lines = [m.line() for m in reversed(self._newest)]
        if n > len(lines):
            lines.append(f"… and {n - len(lines):,} earlier")
        lines.append("Click: the message history (View ▸ Message history…)")
        self.setToolTip(tip_text("\n".join(lines)))
        self.setAccessibleDescription("\n".join(lines))
        self.setVisible(True)

    def clear(self) -> None:
        self._count = 0
        self._newest.clear()
        self.setText("")
        self.setToolTip("")
        self.setAccessibleDescription("")
        self.setVisible(False)

    def mousePressEvent(self, event: QMouseEvent) -> None:  # Qt override
        if event.button() == Qt.MouseButton.LeftButton:
            self.clicked.emit()
        else:
            super().mousePressEvent(event)


class StatusBar(QStatusBar):
    """A status bar whose messages are elided with their whole text in the tooltip
    (:class:`MessageField`, left of the permanent widgets), kept in ``history`` and, by kind,
    kept from replacing a fresh message of the analyst's (see the module's docstring).
    ``clock``: monotonic seconds, ``now``: the local time (a test's clocks)."""

    def __init__(
        self,
        parent: QWidget | None = None,
        *,
        clock: Callable[[], float] = time.monotonic,
        now: Callable[[], datetime] = datetime.now,
    ) -> None:
        super().__init__(parent)
        self.message = MessageField()
        self.addWidget(self.message, 1)
        self.history = MessageHistory(now=now)
        self.clock = clock
        self.new_mark = NewMessagesMark()
        self.addPermanentWidget(self.new_mark)
        self.message.clicked.connect(self.show_history)
        self.new_mark.clicked.connect(self.show_history)
        self.dialog: MessagesDialog | None = None  # made when first opened
        self._kind: Kind | None = None  # of the message shown (None: none)
        self._shown_at = 0.0  # clock() when it was shown
        self._timer = QTimer(self)
        self._timer.setSingleShot(True)
        self._timer.timeout.connect(self.clearMessage)

    def showMessage(self, text: str, timeout: int = 0) -> None:  # shadows Qt's, for Python
        """Show ``text``, a message of the analyst's own action (an opening, an outcome, an
        error), in place of whatever is shown (cleared after ``timeout`` ms when above 0)."""
        self._show(text, "said", timeout)

    def show_again(self, text: str) -> None:
        """Show ``text`` again, a message said before (a finished analysis's verdict when its
        file is selected again), without keeping it a second time: the history listed the
        verdict anew at the time of the selection, read as a second analysis."""
        self._timer.stop()
        self.message.setText(text)
        self._kind, self._shown_at = (None if not text else "said"), self.clock()
        self.messageChanged.emit(text)

    def show_progress(self, text: str) -> None:
        """A running analysis's progress line; it waits while a message of the analyst's is
        fresh (the history keeps the run's latest line either way)."""
        if self._fresh():
            self.history.add(text, "progress")
        else:
            self._show(text, "progress")

    def notify(self, text: str) -> None:
        """News from the background (models loaded, a training run's state); while a message
        of the analyst's is fresh it goes to the history and the new-messages mark only."""
        if self._fresh():
            self.new_mark.add(self.history.add(text, "notice"))
        else:
            self._show(text, "notice")

    def _fresh(self) -> bool:
        return self._kind == "said" and self.clock() - self._shown_at < FRESH_S

    def _show(self, text: str, kind: Kind, timeout: int = 0) -> None:
        self._timer.stop()
        self.message.setText(text)
        self._kind, self._shown_at = (kind if text else None), self.clock()
        if text:
            self.history.add(text, kind)
        if timeout > 0:
            self._timer.start(timeout)
        self.messageChanged.emit(text)

    def clearMessage(self) -> None:  # shadows Qt's, for Python
        self._timer.stop()
        self.message.setText("")
        self._kind = None
        super().clearMessage()  # a status tip of Qt's too

    def currentMessage(self) -> str:  # shadows Qt's, for Python
        """The whole message shown (a status tip of Qt's while one is up)."""
        return super().currentMessage() or self.message.text()

    def show_history(self) -> MessagesDialog:
        """The message history's window (not modal), raised; the new-messages mark goes."""
        if self.dialog is None:
            self.dialog = MessagesDialog(self.history, self.window())
        self.new_mark.clear()
        self.dialog.show()
        self.dialog.raise_()
        self.dialog.activateWindow()
        return self.dialog


# the widest text the window writes beside the bar (_show_progress): the label is sized for it
WIDEST_PROGRESS = "100% · about 00:00:00 left"


class ProgressField(QWidget):
    """The status bar's progress: a bar that draws no text and, beside it, a label with the
    per cent and the ETA the window writes ("48% · about 1:05 left"), as wide as the widest
    such text in the label's font.

    The bar's own text was drawn over its chunk, white on the filled part and dark on the rest:
    the glyph the chunk's edge crossed was cut in two ("17%" with half a "1"), and "75% ·
    about 0:12" white beside a dark "eft" read as a stray remnant (walk-through 01, 02.png).
    The bar's API the window uses (range, value, format, text) is kept."""

    def __init__(self, steps: int, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.bar = QProgressBar()
        self.bar.setRange(0, steps)
        self.bar.setFormat("%p%")
        self.bar.setTextVisible(False)
        self.bar.setFixedWidth(90)
        self.label = QLabel()
        self.label.setTextFormat(Qt.TextFormat.PlainText)
        self.label.setAlignment(Qt.AlignmentFlag.AlignLeft | Qt.AlignmentFlag.AlignVCenter)
        layout = QHBoxLayout(self)
        layout.setContentsMargins(0, 0, 0, 0)
        layout.addWidget(self.bar)
        layout.addWidget(self.label)
        self.bar.valueChanged.connect(lambda _v: self._say())
        self._fit_label()
        self._say()

    def _fit_label(self) -> None:
        self.label.setFixedWidth(self.label.fontMetrics().horizontalAdvance(WIDEST_PROGRESS) + 8)

    def _say(self) -> None:
        self.label.setText(self.bar.text())
        self.setAccessibleDescription(self.bar.text())

    def changeEvent(self, event: QEvent) -> None:  # Qt override: a larger font, a wider label
        if event.type() == QEvent.Type.FontChange:
            self._fit_label()
        super().changeEvent(event)

    def setRange(self, low: int, high: int) -> None:
        self.bar.setRange(low, high)

    def maximum(self) -> int:
        return self.bar.maximum()

    def setValue(self, value: int) -> None:
        self.bar.setValue(value)
        self._say()

    def value(self) -> int:
        return self.bar.value()

    def setFormat(self, fmt: str) -> None:
        self.bar.setFormat(fmt)
        self._say()

    def format(self) -> str:
        return self.bar.format()

    def text(self) -> str:
        """The per cent and ETA, as the label shows them."""
        return self.bar.text()


def progress_bar(steps: int) -> ProgressField:
    """The status bar's progress (0 to ``steps``, hidden): bar and text side by side."""
    field = ProgressField(steps)
    field.setVisible(False)
    return field
