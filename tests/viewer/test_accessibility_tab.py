"""Tab and Shift+Tab in every dialog the viewer opens (pytest-qt, offscreen;
docs/ARCHITECTURE.md, "Accessibility"): the focus goes round each dialog, reaching every
control once, held by none (a table's cells are the arrow keys'), and Shift+Tab walks the same
way back. The main window's walk is in ``test_accessibility_tree.py``.
"""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path

import pytest
from PySide6.QtCore import Qt
from PySide6.QtWidgets import QApplication, QDialog, QWidget

from forensic_viewer.gui.main_window import MainWindow
from tests.conftest import HANG_MS
from tests.viewer.test_accessibility_tree import _tab_walk, _takes_tab
from tests.viewer.test_main_window import open_and_wait

pytestmark = pytest.mark.gui


@pytest.fixture
def analysed_case_window(qtbot, case_window: MainWindow, image_path: Path) -> MainWindow:
    """The case window (tests/viewer/conftest.py) with the image opened and analysed."""
    open_and_wait(qtbot, case_window, image_path)
    return case_window


def _batch(qtbot, window: MainWindow) -> QDialog:
    """The batch dialog with a result row: an empty table lets Tab through."""
    from forensic_viewer.scan.triage import triage_row
    from tests.viewer.test_triage_cells import _record

    dialog = window.open_batch()
    dialog.table_model.set_models(["a", "b"], "ens", [])
    dialog.table_model.upsert(triage_row(_record("manipulated", "manipulated")))
    dialog.table.setCurrentIndex(dialog.proxy.index(0, 1))
    return dialog


def _probe(qtbot, window: MainWindow) -> QDialog:
    """The probe dialog once its probe ran: its table filled, the maps' chooser enabled."""
    dialog = window.open_probe()
    assert dialog.run() is not None
    qtbot.waitUntil(lambda: dialog.result is not None, timeout=HANG_MS)
    assert dialog.table.rowCount() > 1
    dialog.table.setCurrentCell(0, 0)
    return dialog


def _report(qtbot, window: MainWindow) -> QDialog:
    dialog = window.export_report()
    assert dialog is not None
    return dialog


def _training(qtbot, window: MainWindow) -> QDialog:
    return window.open_training()


def _note(qtbot, window: MainWindow) -> QDialog:
    dialog = window.case.open_note_dialog()
    assert dialog is not None
    return dialog


def _case_log(qtbot, window: MainWindow) -> QDialog:
    dialog = window.case.show_log()
    assert dialog is not None
    return dialog


DIALOGS: dict[str, Callable[..., QDialog]] = {
    "batch": _batch,
    "probe": _probe,
    "report": _report,
    "training": _training,
    "note": _note,
    "case-log": _case_log,
}


@pytest.mark.parametrize("which", DIALOGS)
def test_tab_goes_round_each_dialog_and_shift_tab_back(
    qtbot, analysed_case_window: MainWindow, which: str
) -> None:
    """The batch dialog's results table and the probe's table took Tab from cell to cell and
    round again (the ground-truth table's trap, fixed in the main window); the report's and
    the note's text fields took it as a character."""
    dialog = DIALOGS[which](qtbot, analysed_case_window)
    dialog.show()
    dialog.raise_()
    dialog.activateWindow()
    qtbot.waitUntil(lambda: QApplication.activeWindow() is dialog)
    reachable = [w for w in dialog.findChildren(QWidget) if _takes_tab(w, dialog)]
    assert reachable  # the case log: its text alone (Esc closes it)
    walk = _tab_walk(qtbot, dialog, reachable[0], Qt.Key.Key_Tab)
    names = [f"{type(w).__name__} {w.accessibleName()!r}" for w in walk]
    assert len(walk) == len(set(walk)), names  # each once on the way round
    assert set(walk) == set(reachable), names  # nothing out of Tab's reach
    back = _tab_walk(qtbot, dialog, reachable[0], Qt.Key.Key_Backtab)
    assert back == [walk[0], *reversed(walk[1:])]


def _layer_controls_in_walk(window: MainWindow, walk: list[QWidget]) -> list[QWidget]:
    """The selected layer's controls as Tab meets them, after the layer list."""
    controls = window.layer_panel.controls
    assert controls is not None
    laid_out = [w for w in controls.findChildren(QWidget) if _takes_tab(w, window)]
    assert len(laid_out) > 1  # the opacity slider and more
    listed = walk.index(window.layer_panel.list)
    met = [w for w in walk if controls.isAncestorOf(w)]
    assert walk[listed + 1 : listed + 1 + len(met)] == met  # straight after the list
    return met


def _reading_order(widgets: list[QWidget], root: QWidget) -> list[QWidget]:
    """``widgets`` by rows, then left to right in a row: a widget is in the row of the
    highest widget whose height spans its centre (a slider beside a taller spin box starts a
    few pixels lower in the same row, which sorting by the top edge took for a row below)."""
    from PySide6.QtCore import QPoint

    boxes = {id(w): (w.mapTo(root, QPoint(0, 0)), w.height()) for w in widgets}

    def key(w: QWidget) -> tuple[int, int]:
        top, height = boxes[id(w)]
        centre = top.y() + height // 2
        row = min(p.y() for p, h in boxes.values() if p.y() <= centre < p.y() + h)
        return row, top.x()

    return sorted(widgets, key=key)


@pytest.mark.parametrize("compare", [False, True], ids=["single", "compare"])
def test_tab_reaches_the_layer_controls_from_the_list_as_they_are_laid_out(
    qtbot, analysed_case_window: MainWindow, compare: bool
) -> None:
    """The layer panel ordered its controls' Tab itself, after each change of the selected
    layer (its controls made anew, last in the window's focus chain); the main window's
    focus order (gui/focus_order.py) orders them now, in compare mode too."""
    from forensic_viewer.gui.layer_panel import LayerControls

    window = analysed_case_window
    window.set_compare(compare)
    window.activateWindow()
    for name in ("tiny heatmap", "tiny mask", "tiny heatmap"):
        window.layers.selected = window.layers[name]
        controls = window.layer_panel.controls
        assert isinstance(controls, LayerControls)
        qtbot.waitUntil(controls.opacity.isVisible)
        walk = _tab_walk(qtbot, window, window.evidence_list, Qt.Key.Key_Tab)
        met = _layer_controls_in_walk(window, walk)
        # the controls in the order of their form's rows, top to bottom, left to right
        assert met == _reading_order(met, controls)
        back = _tab_walk(qtbot, window, window.evidence_list, Qt.Key.Key_Backtab)
        assert back == [walk[0], *reversed(walk[1:])]
