"""Esc left to the editor that uses it.

The main window's Analysis ▸ Cancel answers Esc anywhere in the window; an analyst typing in
the threshold box (or any text or number field) who pressed Esc to leave it cancelled the
running analysis instead. :class:`EditorsKeepEscape` claims Esc for such an editor (Qt's
``ShortcutOverride``: the key goes to the widget, not to the shortcut); elsewhere Esc still
cancels. An open combo box's list is a popup, which window shortcuts never reach.
"""

from __future__ import annotations

from PySide6.QtCore import QEvent, QObject, Qt
from PySide6.QtGui import QKeyEvent
from PySide6.QtWidgets import (
    QAbstractSpinBox,
    QApplication,
    QComboBox,
    QLineEdit,
    QPlainTextEdit,
    QTextEdit,
    QWidget,
)


def uses_escape(widget: QObject) -> bool:
    """Whether Esc means something to ``widget``: an editable text or number field."""
    if isinstance(widget, QLineEdit | QAbstractSpinBox | QTextEdit | QPlainTextEdit):
        return not widget.isReadOnly()
    return isinstance(widget, QComboBox) and widget.isEditable()


class EditorsKeepEscape(QObject):
    """An application event filter, owned by ``window``: Esc typed in an editor of that
    window goes to the editor, not to the window's shortcuts."""

    def __init__(self, window: QWidget) -> None:
        super().__init__(window)
        self._window = window
        app = QApplication.instance()
        if app is not None:
            app.installEventFilter(self)

    def eventFilter(self, watched: QObject, event: QEvent) -> bool:
        if (
            event.type() == QEvent.Type.ShortcutOverride
            and isinstance(event, QKeyEvent)
            and event.key() == Qt.Key.Key_Escape
            and isinstance(watched, QWidget)
            and watched.window() is self._window
            and uses_escape(watched)
        ):
            event.accept()  # the key press goes to the editor; no shortcut fires
            return True
        return False
