"""What a screen reader and a keyboard-only analyst meet in the main window and the dialogs
(pytest-qt, offscreen; docs/ARCHITECTURE.md, "Accessibility").

Names are read as Orca, NVDA and VoiceOver read them: from Qt's accessibility interface of each
widget (``QAccessible.queryAccessibleInterface(w).text(Name)``: its accessible name, else the
text of a label whose buddy it is, a button's text, a tool tip).
"""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest
from PySide6.QtCore import QSettings
from PySide6.QtGui import QAccessible
from PySide6.QtWidgets import (
    QAbstractButton,
    QAbstractItemView,
    QAbstractSlider,
    QAbstractSpinBox,
    QComboBox,
    QDialog,
    QHeaderView,
    QLineEdit,
    QPlainTextEdit,
    QScrollBar,
    QTextEdit,
    QWidget,
)

from forensic_viewer.gui.main_window import MainWindow
from tests.viewer.test_main_window import open_and_wait

pytestmark = pytest.mark.gui

INTERACTIVE = (
    QAbstractButton,
    QAbstractSlider,
    QAbstractSpinBox,
    QComboBox,
    QAbstractItemView,
    QLineEdit,
    QTextEdit,
    QPlainTextEdit,
)


def _qt_part(widget: QWidget) -> bool:
    """Parts Qt builds and names itself, allowed unnamed: scroll bars (read as the scroll
    area's), table headers (each section is named by its title), Qt's internal widgets
    (``qt_spinbox_lineedit``, a table's corner button) and a combo box's popup list (read as
    the combo box's)."""
    if isinstance(widget, QScrollBar | QHeaderView) or widget.objectName().startswith("qt_"):
        return True
    parent = widget.parentWidget()
    while parent is not None:
        if isinstance(parent, QComboBox):
            return True
        parent = parent.parentWidget()
    return False


def accessible_name(widget: QWidget) -> str:
    iface = QAccessible.queryAccessibleInterface(widget)
    return "" if iface is None else iface.text(QAccessible.Text.Name)


def unnamed(root: QWidget) -> list[str]:
    """Interactive widgets under ``root`` that a screen reader would read without a name (or
    with one of punctuation alone, such as a button "…")."""
    found = []
    for widget in root.findChildren(QWidget):
        if not isinstance(widget, INTERACTIVE) or _qt_part(widget):
            continue
        if not any(c.isalnum() for c in accessible_name(widget)):
            where = widget.parentWidget()
            found.append(
                f"{type(widget).__name__} in {type(where).__name__} ({widget.toolTip()!r})"
            )
    return found


@pytest.fixture
def shown(qtbot, tmp_path: Path, tiny_checkpoint: Path, image_path: Path) -> Iterator[MainWindow]:
    settings = QSettings(str(tmp_path / "settings.ini"), QSettings.Format.IniFormat)
    window = MainWindow(models=[str(tiny_checkpoint)], device="cpu", settings=settings)
    qtbot.addWidget(window)
    window.show()
    qtbot.waitUntil(lambda: window._models_known, timeout=60_000)
    open_and_wait(qtbot, window, image_path)
    yield window


def _dialogs(window: MainWindow) -> list[QDialog]:
    from forensic_viewer.gui.case_log import NoteDialog

    made = [window.open_batch(), window.export_report(), window.open_training()]
    made += [window.open_probe(), NoteDialog(window, "evidence.png")]
    assert all(isinstance(d, QDialog) for d in made)
    return made  # type: ignore[return-value]


def test_every_interactive_widget_is_named(qtbot, shown: MainWindow) -> None:
    """The evidence list, the layer list, the models, the threshold slider and box, the
    Metadata and Analyses trees, the scan's results table and its text fields, the training
    dialog's "…" buttons and log were read as unnamed lists, tables and fields."""
    problems = []
    for layer in ("tiny heatmap", "tiny mask"):
        shown.layers.selected = shown.layers[layer]
        problems += [f"main window ({layer}): {p}" for p in unnamed(shown)]
    shown.compare_action.trigger()
    problems += [f"compare: {p}" for p in unnamed(shown.compare)]
    for dialog in _dialogs(shown):
        problems += [f"{type(dialog).__name__}: {p}" for p in unnamed(dialog)]
        dialog.close()
    assert problems == []


def test_the_unnamed_widget_finder_finds_one(qapp) -> None:
    box = QWidget()
    QLineEdit(box)
    assert unnamed(box) == ["QLineEdit in QWidget ('')"]


def test_the_pictures_say_what_they_show(qtbot, shown: MainWindow) -> None:
    """The evidence view, the magnifier and the colour scale were pictures without words."""
    description = shown.canvas.accessibleDescription()
    badge = shown.evidence_list.badge_text(shown.current or "")
    assert "evidence.png, 128 × 96 pixels" in description
    assert badge in description and ("authentic" in badge or "manipulated" in badge)
    assert "enlarged" in shown.magnifier.accessibleDescription()
    shown.layers.selected = shown.layers["tiny heatmap"]
    legend = shown.layer_panel.controls.legend
    assert legend is not None
    assert "0 at the left end to 1 at the right end" in legend.accessibleDescription()
