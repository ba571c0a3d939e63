"""The View menu's zoom keys work as an analyst types them (pytest-qt, offscreen).

Zoom in answered only Ctrl+=: Ctrl++ (Shift and =, and the keypad's +), what image viewers
and Qt's own ``QKeySequence.ZoomIn`` use, did nothing, while the keypad's − zoomed out.
Esc (Analysis ▸ Cancel) cancelled the analysis while the analyst typed in the threshold box.
"""

from __future__ import annotations

from pathlib import Path

import pytest
from PySide6.QtCore import Qt
from PySide6.QtTest import QTest

from forensic_viewer.gui.device_pixels import ZOOM_IN, ZOOM_OUT, zoom_step
from forensic_viewer.gui.main_window import MainWindow
from tests.viewer.test_main_window import shown_window

pytestmark = pytest.mark.gui


@pytest.fixture
def shown(qtbot, tmp_path: Path, tiny_checkpoint: Path, image_path: Path) -> MainWindow:
    window = shown_window(qtbot, tmp_path, tiny_checkpoint, image_path)
    window.activateWindow()
    qtbot.waitUntil(window.isActiveWindow)
    window.canvas.setFocus()
    return window


def _width(window: MainWindow) -> float:
    (x0, x1), _ = window.canvas.view.viewRange()
    return x1 - x0


@pytest.mark.parametrize(
    ("key", "modifiers"),
    [
        (Qt.Key.Key_Equal, Qt.KeyboardModifier.ControlModifier),
        # Shift and = typed: the platform's key mapping offers it as Ctrl and + (no offscreen
        # mapping does that, so the test types what it offers)
        (Qt.Key.Key_Plus, Qt.KeyboardModifier.ControlModifier),
        (Qt.Key.Key_Plus, Qt.KeyboardModifier.ControlModifier | Qt.KeyboardModifier.KeypadModifier),
    ],
    ids=["ctrl-equal", "ctrl-plus", "ctrl-keypad-plus"],
)
def test_zoom_in_keys(qtbot, shown: MainWindow, key: Qt.Key, modifiers) -> None:
    before, zoom = _width(shown), shown.canvas.device_zoom
    QTest.keyClick(shown.canvas, key, modifiers)
    step = zoom_step(zoom, ZOOM_IN) / zoom  # View ▸ Zoom in: 1.25 times, or to a whole multiple
    assert step > 1 and _width(shown) == pytest.approx(before / step)


def test_zoom_out_by_the_keypad_too(qtbot, shown: MainWindow) -> None:
    before, zoom = _width(shown), shown.canvas.device_zoom
    mods = Qt.KeyboardModifier.ControlModifier | Qt.KeyboardModifier.KeypadModifier
    QTest.keyClick(shown.canvas, Qt.Key.Key_Minus, mods)
    step = zoom_step(zoom, ZOOM_OUT) / zoom
    assert step < 1 and _width(shown) == pytest.approx(before / step)


def _escape_cancels(qtbot, window: MainWindow, widget) -> bool:
    """Esc typed in ``widget`` (focused) while Analysis ▸ Cancel is enabled, as it is during
    an analysis: whether it triggered Cancel."""
    window.cancel_action.setEnabled(True)
    fired: list[bool] = []
    window.cancel_action.triggered.connect(lambda *_: fired.append(True))
    widget.setFocus()
    qtbot.waitUntil(widget.hasFocus)
    QTest.keyClick(widget, Qt.Key.Key_Escape)
    window.cancel_action.triggered.disconnect()
    window.cancel_action.triggered.connect(window.cancel)
    return bool(fired)


def test_escape_in_the_threshold_box_does_not_cancel_the_analysis(qtbot, shown: MainWindow) -> None:
    """Esc cancelled the running analysis from anywhere in the window, the threshold box the
    analyst was typing in included. An editor that uses Esc keeps it; elsewhere it cancels."""
    shown.layers.selected = shown.layers["tiny mask"]
    controls = shown.layer_panel.controls
    assert controls is not None and controls.threshold_spin is not None
    spin = controls.threshold_spin
    assert not _escape_cancels(qtbot, shown, spin)
    assert not _escape_cancels(qtbot, shown, spin.lineEdit())
    assert _escape_cancels(qtbot, shown, shown.canvas)  # not typing: Esc cancels
    assert _escape_cancels(qtbot, shown, controls.threshold)  # the slider does not use Esc


def test_escape_in_an_open_list_closes_it_without_cancelling(qtbot, shown: MainWindow) -> None:
    shown.layers.selected = shown.layers["tiny heatmap"]
    combo = shown.layer_panel.controls.colormap
    assert combo is not None
    combo.setFocus()
    combo.showPopup()
    qtbot.waitUntil(combo.view().isVisible)
    assert not _escape_cancels(qtbot, shown, combo.view())
    assert not combo.view().isVisible()  # the list took the Esc: it closed
