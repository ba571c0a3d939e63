"""What the keyboard and screen-reader walk-through D found in the main window (pytest-qt,
offscreen; docs/ARCHITECTURE.md, "Accessibility"): the panels tabbed behind another, the
pixel read-out by keys, the names of the verdict cards, compare panes and mask rows."""

from __future__ import annotations

from pathlib import Path

import pytest
from PySide6.QtWidgets import QApplication, QMenu, QTabBar

from forensic_viewer.gui.main_window import MainWindow
from tests.viewer.test_main_window import open_and_wait

pytestmark = pytest.mark.gui


@pytest.fixture
def analysed_window(qtbot, case_window: MainWindow, image_path: Path) -> MainWindow:
    """The case window (tests/viewer/conftest.py) with the 128 x 96 image analysed."""
    open_and_wait(qtbot, case_window, image_path)
    return case_window


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


def test_the_arrow_keys_move_the_inspected_pixel_and_the_read_out_follows(
    qtbot, analysed_window: MainWindow
) -> None:
    """The read-out and the magnifier followed the mouse alone: with the focus on the
    evidence view the arrow keys panned, and the read-out stayed on the centre's pixel
    (walk-through D, item 3)."""
    from PySide6.QtCore import Qt
    from PySide6.QtGui import QImage
    from PySide6.QtTest import QTest

    from forensic_viewer.gui.help_menu import shortcuts_text

    window, canvas = analysed_window, analysed_window.canvas
    window.activateWindow()
    canvas.setFocus(Qt.FocusReason.TabFocusReason)
    qtbot.waitUntil(canvas.hasFocus)
    assert "x 64  y 48 " in window.readout.text()  # the centre, given at load
    before = canvas.view.viewRange()
    shown = canvas.grab().toImage().convertToFormat(QImage.Format.Format_RGB32)
    QTest.keyClick(canvas, Qt.Key.Key_Right)
    assert "x 65  y 48 " in window.readout.text()
    assert canvas.inspected == (65, 48)
    assert canvas.view.viewRange() == before  # the pixel in view: no pan
    marked = canvas.grab().toImage().convertToFormat(QImage.Format.Format_RGB32)
    assert marked != shown  # the inspected pixel is drawn
    QTest.keyClick(canvas, Qt.Key.Key_Down, Qt.KeyboardModifier.ShiftModifier)
    assert canvas.inspected == (65, 58)
    assert "x 65  y 58 " in window.readout.text()
    assert window.loupe._point == (65.5, 58.5)  # the magnifier shows it too
    for _ in range(20):  # kept within the image
        QTest.keyClick(canvas, Qt.Key.Key_Left, Qt.KeyboardModifier.ShiftModifier)
    assert canvas.inspected == (0, 58)
    assert "Evidence view ▸ move the inspected pixel" in shortcuts_text(window)


def test_the_triage_table_sorts_from_the_keyboard_and_names_its_thumbnails(qtbot) -> None:
    """Its header takes no focus and nothing else sorted it: a header click was the only
    way; its thumbnail column's title was blank to a screen reader (walk-through D, item 4)."""
    from dataclasses import replace

    from PySide6.QtCore import Qt
    from PySide6.QtGui import QAccessible, QContextMenuEvent
    from PySide6.QtWidgets import QVBoxLayout, QWidget

    from forensic_viewer.gui.triage_view import triage_view
    from forensic_viewer.scan.triage import triage_row
    from tests.viewer.test_triage_cells import _record

    holder = QWidget()
    qtbot.addWidget(holder)
    view = triage_view(holder)
    QVBoxLayout(holder).addWidget(view.table)
    view.model.set_models(["a", "b"], "ens", [])
    view.table.sortByColumn(*view.model.default_sort())  # as the scan dialogs do
    for name, score in (("b.jpg", 0.9), ("c.jpg", 0.1), ("a.jpg", 0.5)):
        record = _record("manipulated", "manipulated")
        assert record.ensemble is not None
        record = replace(record, path=name, ensemble=replace(record.ensemble, score=score))
        view.model.upsert(triage_row(record))
    view.model.flush()

    def files() -> list[str]:
        return [view.proxy.row_at(i).key for i in range(view.proxy.rowCount())]

    def choose(text: str) -> None:
        """The table's context menu by the Menu key, and its entry ``text``."""
        view.sorting.menu = None
        # what Qt turns the Menu key or Shift+F10 into, sent to the focused table
        centre = view.table.rect().center()
        at = view.table.mapToGlobal(centre)
        key = QContextMenuEvent(QContextMenuEvent.Reason.Keyboard, centre, at)
        QApplication.sendEvent(view.table, key)
        menu = view.sorting.menu
        assert menu is not None and menu.isVisible()
        entries = {a.text(): a for a in menu.actions() if a.text()}
        assert "" not in [a.text() for a in menu.actions() if not a.isSeparator()]
        entries[text].trigger()
        menu.close()

    holder.show()
    assert files() == ["b.jpg", "a.jpg", "c.jpg"]  # the default verdict's score, highest first
    choose("File")  # kept descending
    assert files() == ["c.jpg", "b.jpg", "a.jpg"]
    choose("Descending")
    assert files() == ["a.jpg", "b.jpg", "c.jpg"]
    header = view.table.horizontalHeader()
    assert header.sortIndicatorSection() == view.model.column_of("file")
    view.table.sortByColumn(2, Qt.SortOrder.AscendingOrder)  # a header click
    menu = view.sorting.make_menu()
    checked = [a.text() for a in menu.actions() if a.isChecked()]
    assert checked == ["ens (ensemble)"]  # ascending: "Descending" unchecked
    table = QAccessible.queryAccessibleInterface(view.table)
    titles = [table.child(i + 1).text(QAccessible.Text.Name) for i in range(4)]
    assert titles == ["thumbnail", "File", "ens (ensemble)", "Status"]


def test_a_form_rows_check_box_keeps_its_own_text_as_its_name(qtbot) -> None:
    """The report dialog's "HTML" box was named "Formats" after its row, and the batch
    dialog's "score against true masks" "Ground truth": a screen reader never said the
    box's own text (walk-through D, item 6)."""
    from PySide6.QtGui import QAccessible
    from PySide6.QtWidgets import QCheckBox, QFormLayout, QHBoxLayout, QLineEdit, QWidget

    from forensic_viewer.gui.batch_dialog import BatchDialog
    from forensic_viewer.gui.panels import name_form_fields

    holder = QWidget()
    qtbot.addWidget(holder)
    form = QFormLayout(holder)
    html, field = QCheckBox("HTML"), QLineEdit()
    formats = QHBoxLayout()
    formats.addWidget(html)
    formats.addWidget(QCheckBox("PDF"))
    form.addRow("Formats", formats)
    form.addRow("Examiner", field)
    name_form_fields(form)

    def name(widget: QWidget) -> str:
        return QAccessible.queryAccessibleInterface(widget).text(QAccessible.Text.Name)

    assert name(html) == "HTML" and html.accessibleDescription() == "Formats"
    assert name(field) == "Examiner"  # a field without a text of its own: its row's label
    dialog = BatchDialog()
    qtbot.addWidget(dialog)
    boxes = [b for b in dialog.findChildren(QCheckBox) if b.text() == "score against true masks"]
    assert [name(b) for b in boxes] == ["score against true masks"]


def test_the_verdict_panel_is_named_and_its_text_taken_by_the_keyboard(
    qtbot, analysed_window: MainWindow
) -> None:
    """The panel took the focus unnamed (a blank scroll area to a screen reader), its fold
    buttons all had one name without their model's, and its text could be selected by the
    mouse alone (walk-through D, item 7)."""
    from PySide6.QtCore import Qt
    from PySide6.QtTest import QTest

    from forensic_viewer.gui.focus_order import takes_tab

    panel = analysed_window.verdict_panel
    assert panel.accessibleName() == "verdict"
    names = [card.toggle.accessibleName() for card in panel.cards]
    assert names == [f"details of {r}" for r in ("tiny",)]
    card = panel.cards[0]
    for label in (card.title, card.body):
        flags = label.textInteractionFlags()
        assert flags & Qt.TextInteractionFlag.TextSelectableByKeyboard
        assert takes_tab(label, analysed_window)
    analysed_window.activateWindow()
    card.title.setFocus(Qt.FocusReason.TabFocusReason)
    qtbot.waitUntil(card.title.hasFocus)
    QTest.keyClick(card.title, Qt.Key.Key_A, Qt.KeyboardModifier.ControlModifier)
    assert card.title.selectedText() == card.title.text()  # to copy with Ctrl+C


def test_the_training_charts_are_named_and_say_their_last_values(qtbot, tmp_path: Path) -> None:
    """The loss, learning-rate and validation charts took Tab unnamed, three blank graphics
    views to a screen reader, with no text for their curves (walk-through D, item 8)."""
    from tests.viewer.test_training_layout import _reviewed

    dialog = _reviewed(qtbot, tmp_path, (1100, 800))
    charts = (dialog.loss_plot, dialog.lr_plot, dialog.val_plot)
    names = [c.accessibleName() for c in charts]
    assert names == ["loss terms chart", "learning rate chart", "validation chart"]
    loss, lr, val = (c.accessibleDescription() for c in charts)
    assert loss.startswith("at step 67: ") and "bce 0.6" in loss, loss
    assert lr == "at step 67: learning rate 0.0001", lr
    assert val.startswith("at epoch 3: ") and "pixel F1" in val, val
    dialog._reset_curves()
    assert dialog.loss_plot.accessibleDescription() == "no points yet"


def test_compare_panes_are_numbered_and_ctrl_k_keeps_the_focus_on_a_view(
    qtbot, analysed_window: MainWindow
) -> None:
    """Every pane's chooser was named "pane shows" and every view "evidence view"; Ctrl+K
    with the focus on the evidence view left it on the unnamed area round the panes
    (walk-through D, item 9)."""
    from PySide6.QtCore import Qt

    window = analysed_window
    window.activateWindow()
    window.canvas.setFocus(Qt.FocusReason.TabFocusReason)
    qtbot.waitUntil(window.canvas.hasFocus)
    window.compare_action.trigger()  # Ctrl+K
    panes = window.compare.panes
    count = len(panes)
    assert count >= 2
    assert QApplication.focusWidget() is panes[0].canvas
    choosers = [p.chooser.accessibleName() for p in panes]
    assert choosers == [f"pane {i} of {count} shows" for i in range(1, count + 1)]
    views = [p.canvas.accessibleName() for p in panes]
    assert views == [
        f"pane {i} of {count}: {p.source.name}" for i, p in enumerate(panes, 1) if p.source
    ]
    other = next(name for name in panes[0].offered if name != panes[0].source.name)
    panes[0].choose(other)
    assert panes[0].canvas.accessibleName() == f"pane 1 of {count}: {other}"
    window.compare_action.trigger()  # back to the one view, the focus with it
    assert QApplication.focusWidget() is window.canvas


def test_a_mask_row_says_its_colour_in_words(qtbot, analysed_window: MainWindow) -> None:
    """A mask's row showed its colour by its swatch alone: its accessible text, description
    and tooltip were empty, so nothing in words said which colour on the image was which
    model's (walk-through D, item 10)."""
    from PySide6.QtGui import QAccessible

    from forensic_viewer.model_layers import ENSEMBLE_COLOR, color_words

    window = analysed_window
    panel = window.layer_panel
    mask = window.layers["tiny mask"]
    item = panel.item_of(mask)
    words = color_words(mask.color)
    assert words != "RGB {} {} {}".format(*mask.color)  # a colour of the palette, named
    row = QAccessible.queryAccessibleInterface(panel.list).child(panel.list.row(item))
    assert row.text(QAccessible.Text.Name) == f"tiny mask, {words}"
    assert words in item.toolTip()
    assert color_words(ENSEMBLE_COLOR) == "reddish purple"
    assert color_words((1, 2, 3)) == "RGB 1 2 3"
