"""What the keyboard and screen-reader walk-through D found in the main window (pytest-qt,
offscreen; docs/ARCHITECTURE.md, "Accessibility"): the panels tabbed behind another, the
pixel read-out by keys, the names of the verdict cards, compare panes and mask rows."""

from __future__ import annotations

import pytest
from PySide6.QtWidgets import QApplication, QMenu, QTabBar

from forensic_viewer.gui.main_window import MainWindow

pytestmark = pytest.mark.gui


def _view_entry(window: MainWindow, text: str):
    """The View menu's entry ``text`` (with its "&"), as Alt+V and its letter run it."""
    menus = [m for m in window.menuBar().findChildren(QMenu) if m.title() == "&View"]
    assert len(menus) == 1
    entries = [a for a in menus[0].actions() if a.text() == text]
    assert len(entries) == 1, [a.text() for a in menus[0].actions()]
    return entries[0]


def _front_tab(window: MainWindow) -> str:
    bars = [b for b in window.findChildren(QTabBar) if b.parentWidget() is window]
    assert len(bars) == 1
    return bars[0].tabText(bars[0].currentIndex())


def test_the_view_entry_of_a_panel_behind_a_tab_brings_it_to_the_front(
    qtbot, case_window: MainWindow
) -> None:
    """View ▸ Metadata (Alt+V, D) closed the Metadata panel when it was tabbed behind the
    Verdict panel: Qt's toggle counts a dock behind a tab as shown (walk-through D, item 2)."""
    window = case_window
    dock = window.docks["Metadata"]
    assert _front_tab(window) == "Verdict"
    entry = _view_entry(window, "Meta&data")
    assert not entry.isChecked()  # behind Verdict: not what the analyst sees
    entry.trigger()
    assert dock.isVisible() and _front_tab(window) == "Metadata"
    assert not window.metadata_panel.visibleRegion().isEmpty()
    assert entry.isChecked()
    assert dock.isAncestorOf(QApplication.focusWidget())  # a screen reader says where it is
    entry.trigger()  # in front: the entry closes it
    assert not dock.isVisible() and not entry.isChecked()
    entry.trigger()
    assert dock.isVisible() and entry.isChecked()
    window.docks["Verdict"].raise_()
    assert not entry.isChecked()
    assert _view_entry(window, "&Verdict").isChecked()
