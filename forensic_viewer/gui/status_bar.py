"""The main window's status bar: its messages are cut with an ellipsis, whole in the tooltip.

Qt draws a status bar's message itself, in the room the permanent widgets (the pixel
read-out, the progress bar, Cancel) leave, and cuts a long one at that room's edge with no
ellipsis: after a Cancel "… no default verdi" lost "and 1 other file cancelled", and nothing
said that anything was lost. :class:`StatusBar` shows the messages of :meth:`showMessage` in a
:class:`MessageField` instead, which takes that room, elides the end visibly (…) and keeps the
whole message in its tooltip; ``currentMessage()`` is the whole message. Qt's own messages
(a menu item's status tip, shown while the pointer is on it) still go the usual way.
"""

from __future__ import annotations

from PySide6.QtCore import QSize, QTimer
from PySide6.QtWidgets import QStatusBar, QWidget

from forensic_viewer.gui.inspector import ReadoutField


class MessageField(ReadoutField):
    """The status bar's message: as wide as the room the bar leaves it, never wider (a long
    message never widens the window), elided at the end, whole in its tooltip."""

    def __init__(self, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.setMinimumWidth(0)

    def sizeHint(self) -> QSize:  # Qt override: the stretch gives it its room
        return QSize(0, super().sizeHint().height())


class StatusBar(QStatusBar):
    """A status bar whose :meth:`showMessage` messages are elided with their whole text in the
    tooltip (:class:`MessageField`, left of the permanent widgets)."""

    def __init__(self, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.message = MessageField()
        self.addWidget(self.message, 1)
        self._timer = QTimer(self)
        self._timer.setSingleShot(True)
        self._timer.timeout.connect(self.clearMessage)

    def showMessage(self, text: str, timeout: int = 0) -> None:  # shadows Qt's, for Python
        """Show ``text`` (cleared after ``timeout`` ms when above 0), as Qt's does."""
        self._timer.stop()
        self.message.setText(text)
        if timeout > 0:
            self._timer.start(timeout)
        self.messageChanged.emit(text)

    def clearMessage(self) -> None:  # shadows Qt's, for Python
        self._timer.stop()
        self.message.setText("")
        super().clearMessage()  # a status tip of Qt's too

    def currentMessage(self) -> str:  # shadows Qt's, for Python
        """The whole message shown (a status tip of Qt's while one is up)."""
        return super().currentMessage() or self.message.text()
