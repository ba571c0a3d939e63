"""Spin boxes, lists and sliders that the mouse wheel changes only when the analyst has chosen them.

Qt lets the wheel change a spin box or a combo box that the pointer merely passes over: an
analyst scrolling a settings form down (the training dialog's, pointer over the form) changed
the batch size from 4 to 1 without a word, and the form did not scroll. :func:`guard_wheel`
gives such a control (a slider too) ``Qt.StrongFocus`` (a click or Tab chooses it, the wheel does not) and
sends a wheel over an unfocused one on to the scroll area that holds it, which scrolls; with no
scroll area around it the wheel does nothing there. A focused control takes the wheel as usual.
"""

from __future__ import annotations

from PySide6.QtCore import QCoreApplication, QEvent, QObject, Qt
from PySide6.QtWidgets import (
    QAbstractScrollArea,
    QAbstractSpinBox,
    QComboBox,
    QSlider,
    QWidget,
)

# the controls whose value the wheel changes (a slider: the layers' opacity and threshold; not
# a scroll bar, whose wheel is its purpose)
GUARDED = (QAbstractSpinBox, QComboBox, QSlider)


class _WheelGuard(QObject):
    """The event filter of every guarded control (one for the application)."""

    def eventFilter(self, watched: QObject, event: QEvent) -> bool:  # Qt override
        if event.type() != QEvent.Type.Wheel or not isinstance(watched, QWidget):
            return False
        if watched.hasFocus():
            return False  # chosen: the wheel changes its value
        area = _scroll_area(watched)
        if area is not None:  # the form scrolls instead, as the analyst meant
            QCoreApplication.sendEvent(area.viewport(), event)
        return True


def _scroll_area(widget: QWidget) -> QAbstractScrollArea | None:
    """The nearest scroll area that holds ``widget`` in its viewport."""
    parent = widget.parentWidget()
    while parent is not None:
        if isinstance(parent, QAbstractScrollArea) and parent.viewport().isAncestorOf(widget):
            return parent
        parent = parent.parentWidget()
    return None


_guard: _WheelGuard | None = None


def guard_wheel(*roots: QWidget) -> None:
    """Guard each of ``roots`` that is a spin box, combo box or slider, and every one inside them
    (call it once the controls are made; a control made later is guarded by its own call)."""
    global _guard
    if _guard is None:
        _guard = _WheelGuard(QCoreApplication.instance())
    for root in roots:
        found = [root] if isinstance(root, GUARDED) else []
        for kind in GUARDED:
            found += root.findChildren(kind)
        for control in found:
            control.setFocusPolicy(Qt.FocusPolicy.StrongFocus)
            control.removeEventFilter(_guard)  # once, however often it is guarded
            control.installEventFilter(_guard)
