"""The scan and probe dialogs on a small screen, and their messages with a long path
(the environments walk-through at 1280 x 720: "Scan a folder" opened 1100 x 760 and
"Robustness probe" 1000 x 800, their bottoms off the screen)."""

from __future__ import annotations

import pytest
from PySide6.QtCore import QRect
from PySide6.QtGui import QScreen

SMALL = QRect(0, 0, 1280, 720)  # a laptop's or a projector's screen


@pytest.fixture
def small_screen(monkeypatch: pytest.MonkeyPatch) -> QRect:
    """Every screen's available area is :data:`SMALL` (offscreen's own is 800 x 800)."""
    monkeypatch.setattr(QScreen, "availableGeometry", lambda _screen: QRect(SMALL))
    return SMALL


def _within(widget, area: QRect) -> bool:
    return area.contains(widget.frameGeometry())


def test_the_batch_and_probe_dialogs_open_within_a_small_screen(qtbot, small_screen) -> None:
    from forensic_viewer.gui.batch_dialog import BatchDialog
    from forensic_viewer.gui.probe_dialog import ProbeDialog
    from tests.viewer.test_probe_dialog import _Worker

    batch = BatchDialog()
    probe = ProbeDialog(_Worker(["a"]))  # type: ignore[arg-type]
    for dialog in (batch, probe):
        qtbot.addWidget(dialog)
        dialog.show()
        qtbot.waitUntil(dialog.isVisible)
        assert _within(dialog, small_screen), (type(dialog).__name__, dialog.frameGeometry())
        dialog.hide()
        dialog.resize(1500, 900)  # made larger by the analyst, or by a larger screen before
        dialog.show()
        assert _within(dialog, small_screen), (type(dialog).__name__, dialog.frameGeometry())
