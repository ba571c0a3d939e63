"""Esc left to the editor that uses it.

The main window's Analysis ▸ Cancel answers Esc anywhere in the window; an analyst typing in
the threshold box (or any text or number field) who pressed Esc to leave it cancelled the
running analysis instead. :class:`EditorsKeepEscape` takes Esc off the action while such an
editor of the window has the focus (followed through ``QApplication.focusChanged``, which
fires only when the focus moves: no filter on every event of the application); elsewhere Esc
still cancels. An open combo box's list is a popup, which window shortcuts never reach.
"""

from __future__ import annotations

from PySide6.QtCore import QObject
from PySide6.QtGui import QAction, QKeySequence
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
    """Owned by ``window``: while an editor of that window has the focus, ``action`` (whose
    shortcut is Esc) has no shortcut, so Esc typed there goes to the editor."""

    def __init__(self, window: QWidget, action: QAction) -> None:
        super().__init__(window)
        self._window = window
        self._action = action
        self._shortcut = action.shortcut()
        app = QApplication.instance()
        if isinstance(app, QApplication):
            app.focusChanged.connect(self._focus_moved)

    def _focus_moved(self, _old: QWidget | None, new: QWidget | None) -> None:
        typing = new is not None and new.window() is self._window and uses_escape(new)
        self._action.setShortcut(QKeySequence() if typing else self._shortcut)
