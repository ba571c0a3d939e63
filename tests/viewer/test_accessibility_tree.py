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
from PySide6.QtCore import Qt
from PySide6.QtGui import QAccessible, QAction, QImage
from PySide6.QtTest import QTest
from PySide6.QtWidgets import (
    QAbstractButton,
    QAbstractItemView,
    QAbstractSlider,
    QAbstractSpinBox,
    QComboBox,
    QDialog,
    QHeaderView,
    QLineEdit,
    QMenu,
    QPlainTextEdit,
    QScrollBar,
    QTextEdit,
    QWidget,
)

from forensic_viewer.gui.focus_order import hands_on_focus
from forensic_viewer.gui.main_window import MainWindow
from forensic_viewer.wording import FLAGGED, NOT_FLAGGED
from tests.conftest import HANG_MS
from tests.viewer.test_main_window import shown_window

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


NAME_LENGTH = 60  # characters: a name, not a sentence (a description, the tool tip, says more)


def accessible_name(widget: QWidget) -> str:
    """The name a screen reader reads. A combo box's, on Linux, is its current text (its label
    is given as a relation); elsewhere it is its accessible name or its label's, and with
    neither a screen reader falls back on its tool tip: that is the name read here."""
    iface = QAccessible.queryAccessibleInterface(widget)
    if iface is None:
        return ""
    if isinstance(widget, QComboBox):
        labels = iface.relations(QAccessible.RelationFlag.Label)
        label = labels[0][0].text(QAccessible.Text.Name) if labels else ""
        return widget.accessibleName() or label or widget.toolTip()
    return iface.text(QAccessible.Text.Name)


def unnamed(root: QWidget) -> list[str]:
    """Interactive widgets under ``root`` that a screen reader would read without a name (or
    with one of punctuation alone, such as a button "…"), with a sentence for a name (over
    ``NAME_LENGTH`` characters), or named by their tool tip alone."""
    found = []
    for widget in root.findChildren(QWidget):
        if not isinstance(widget, INTERACTIVE) or _qt_part(widget):
            continue
        name = accessible_name(widget)
        problem = (
            "unnamed"
            if not any(c.isalnum() for c in name)
            else "a sentence"
            if len(name) > NAME_LENGTH
            else "its tool tip"
            if name == widget.toolTip()
            else ""
        )
        if problem:
            where = widget.parentWidget()
            found.append(
                f"{type(widget).__name__} in {type(where).__name__} ({widget.toolTip()!r}): "
                + problem
            )
    return found


@pytest.fixture
def shown(qtbot, tmp_path: Path, tiny_checkpoint: Path, image_path: Path) -> Iterator[MainWindow]:
    yield shown_window(qtbot, tmp_path, tiny_checkpoint, image_path)


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
    assert unnamed(box) == ["QLineEdit in QWidget (''): unnamed"]


def test_the_name_finder_finds_sentences_and_tool_tips(qapp) -> None:
    """The magnifier's and the compare panes' choosers were read by their tool tips."""
    box = QWidget()
    QComboBox(box).setToolTip("what the magnifier shows of the pixels under the cursor")
    field = QLineEdit(box)
    field.setAccessibleName("robustness probe: each copy's verdict against the original's map")
    assert unnamed(box) == [
        "QComboBox in QWidget ('what the magnifier shows of the pixels under the cursor'): "
        "its tool tip",
        "QLineEdit in QWidget (''): a sentence",
    ]


def test_the_pictures_say_what_they_show(qtbot, shown: MainWindow) -> None:
    """The evidence view, the magnifier and the colour scale were pictures without words."""
    description = shown.canvas.accessibleDescription()
    badge = shown.evidence_list.badge_text(shown.current or "")
    assert "evidence.png, 128 × 96 pixels" in description
    assert badge in description and ("not flagged" in badge or "flagged as" in badge)
    assert "enlarged" in shown.magnifier.accessibleDescription()
    shown.layers.selected = shown.layers["tiny heatmap"]
    legend = shown.layer_panel.controls.legend
    assert legend is not None
    assert "0 at the left end to 1 at the right end" in legend.accessibleDescription()
    shown.compare_action.trigger()
    described = [pane.canvas.accessibleDescription() for pane in shown.compare.panes]
    assert described[0] == "original"
    assert any(d.startswith((FLAGGED, NOT_FLAGGED)) for d in described[1:])


def _actions_keys(root: QWidget) -> dict[str, list[str]]:
    keys: dict[str, list[str]] = {}
    for action in root.findChildren(QAction):
        for sequence in action.shortcuts():
            if not sequence.isEmpty():
                keys.setdefault(sequence.toString(), []).append(action.text())
    return keys


def _mnemonic(text: str) -> str | None:
    i = text.replace("&&", "").find("&")
    return None if i < 0 else text.replace("&&", "")[i + 1].lower()


def test_no_two_actions_share_a_shortcut_nor_two_entries_a_menu_letter(
    qtbot, shown: MainWindow
) -> None:
    """Two actions of one window on the same key: Qt runs neither and says "ambiguous
    shortcut". In the View menu, Zoom &out and Show the &original shared the letter O."""
    for root in [shown, *_dialogs(shown)]:
        shared = {k: v for k, v in _actions_keys(root).items() if len(v) > 1}
        assert shared == {}, type(root).__name__
    for action in shown.menuBar().actions():
        assert _mnemonic(action.text()) is not None, action.text()  # Alt+letter opens it
    for top in shown.menuBar().actions():  # each entry reached by its letter too
        for action in top.menu().actions():
            if action.isEnabled() and not action.isSeparator():
                assert _mnemonic(action.text()) is not None, action.text()
    for menu in shown.findChildren(QMenu):
        letters = [_mnemonic(a.text()) for a in menu.actions() if not a.isSeparator()]
        letters = [x for x in letters if x is not None]
        assert len(letters) == len(set(letters)), (menu.title(), letters)


@pytest.mark.parametrize("which", range(5))
def test_escape_closes_each_dialog(qtbot, shown: MainWindow, which: int) -> None:
    dialog = _dialogs(shown)[which]
    dialog.show()
    dialog.activateWindow()
    qtbot.waitUntil(dialog.isVisible)
    QTest.keyClick(dialog, Qt.Key.Key_Escape)
    qtbot.waitUntil(lambda: not dialog.isVisible())


def test_the_evidence_view_pans_by_the_arrow_keys_and_shows_its_focus(
    qtbot, shown: MainWindow
) -> None:
    """It panned by mouse alone; a focused canvas looked as an unfocused one. Ctrl and the
    arrow keys pan (the arrow keys alone move the inspected pixel)."""
    canvas = shown.canvas
    shown.zoom(4.0)  # a quarter of the image: room to pan every way
    shown.activateWindow()
    shown.evidence_list.setFocus()
    qtbot.waitUntil(shown.evidence_list.hasFocus)
    canvas.setFocus(Qt.FocusReason.TabFocusReason)  # as Tab gives it
    qtbot.waitUntil(canvas.hasFocus)
    (x0, x1), (y0, y1) = canvas.view.viewRange()
    ctrl = Qt.KeyboardModifier.ControlModifier
    QTest.keyClick(canvas, Qt.Key.Key_Right, ctrl)
    (a0, _), (b0, _) = canvas.view.viewRange()
    assert a0 == pytest.approx(x0 + 0.1 * (x1 - x0)) and b0 == pytest.approx(y0)
    QTest.keyClick(canvas, Qt.Key.Key_Down, ctrl | Qt.KeyboardModifier.ShiftModifier)
    (c0, _), (d0, _) = canvas.view.viewRange()
    assert c0 == pytest.approx(a0) and d0 == pytest.approx(y0 + 0.5 * (y1 - y0))
    assert not canvas.fitted  # navigated: a resize keeps the view where the keys put it

    def corner() -> int:
        return canvas.grab().toImage().convertToFormat(QImage.Format.Format_RGB32).pixel(0, 0)

    focused = corner()
    shown.evidence_list.setFocus()
    qtbot.waitUntil(lambda: not canvas.hasFocus())
    assert corner() != focused
    assert focused == canvas.palette().highlight().color().rgb()
    canvas.setFocus(Qt.FocusReason.MouseFocusReason)  # a click: no frame over the image's edge
    qtbot.waitUntil(canvas.hasFocus)
    assert corner() != focused


def _no_pickers(monkeypatch: pytest.MonkeyPatch) -> list[str]:
    """File and folder pickers record that they were opened instead of waiting for a click."""
    from PySide6.QtWidgets import QFileDialog

    opened: list[str] = []
    for name in ("getExistingDirectory", "getOpenFileName", "getOpenFileNames"):
        answer = "" if name == "getExistingDirectory" else ("", "")
        monkeypatch.setattr(
            QFileDialog,
            name,
            staticmethod(lambda *_a, _n=name, _r=answer, **_k: opened.append(_n) or _r),
        )
    return opened


def test_enter_on_a_scan_row_opens_it(qtbot, shown: MainWindow, monkeypatch) -> None:
    """A file of the scan's results opened by double-click alone, and Enter there (or in
    any field of the dialog) pressed the dialog's first button, the folder's Browse…."""
    from forensic_viewer.scan.triage import triage_row
    from tests.viewer.test_triage_cells import _record

    pickers = _no_pickers(monkeypatch)
    dialog = shown.open_batch()
    dialog.table_model.set_models(["a", "b"], "ens", [])
    row = triage_row(_record("manipulated", "manipulated"))
    dialog.table_model.upsert(row)
    opened: list[str] = []
    dialog.open_row = lambda r: opened.append(r.key)  # type: ignore[method-assign]
    dialog.activateWindow()
    dialog.table.setFocus()
    dialog.table.setCurrentIndex(dialog.proxy.index(0, 1))
    qtbot.waitUntil(dialog.table.hasFocus)
    QTest.keyClick(dialog.table, Qt.Key.Key_Return)
    assert opened == [row.key]
    dialog.types.setFocus()
    qtbot.waitUntil(dialog.types.hasFocus)
    QTest.keyClick(dialog.types, Qt.Key.Key_Return)
    assert pickers == []


def test_enter_in_the_report_dialog_writes(qtbot, shown: MainWindow) -> None:
    """Its first button, the folder's Browse…, was the one Enter pressed."""
    dialog = shown.export_report()
    assert dialog is not None and dialog.write_button.isDefault()


@pytest.mark.usefixtures("large_font")
def test_short_docks_scroll_to_their_whole_contents(qtbot, shown: MainWindow) -> None:
    """At 16 pt the docks asked 811 pixels of height: a window held to a 600-pixel screen
    squeezed them below that, and the layer controls' mask line, the ground-truth message
    and the magnifier's caption were cut. Each dock now scrolls to all of its panel."""
    from PySide6.QtWidgets import QLabel, QScrollArea

    shown.layers.selected = shown.layers["tiny mask"]
    shown.docks["Ground truth"].raise_()
    shown.resize(1024, 600)
    qtbot.wait(50)  # the layouts' pass after the resize
    assert shown.height() == 600  # the docks no longer hold the window taller
    for name, dock in shown.docks.items():
        area = dock.widget()
        if not isinstance(area, QScrollArea):
            continue  # a list or a tree: its rows scroll
        panel = area.widget()
        reach = area.viewport().height() + area.verticalScrollBar().maximum()
        assert reach >= panel.height() >= panel.minimumSizeHint().height(), name
        for label in panel.findChildren(QLabel):
            if label.isVisibleTo(panel) and label.text():
                assert label.geometry().bottom() < panel.height(), (name, label.text())
                if label.wordWrap():
                    assert label.height() >= label.heightForWidth(label.width()), label.text()
                else:
                    assert label.width() >= label.minimumSizeHint().width(), label.text()


def test_a_theme_change_recolours_the_shown_file_at_once(
    qtbot, qapp, tmp_path: Path, tiny_checkpoint: Path
) -> None:
    """The verdict cards, the evidence list's badges, the compare titles and the classic
    analyses' findings took their colours when filled: a theme changed while a file was
    shown kept the old theme's colours (red darkened for white, 2.6:1 on a dark background)
    until another file was opened."""
    from PIL import Image
    from PySide6.QtGui import QPalette

    from forensic_viewer.gui.panels import AA_CONTRAST, contrast_ratio
    from tests.viewer.conftest import write_image
    from tests.viewer.test_accessibility import _palette

    image = write_image(tmp_path / "edited.png")
    exif = Image.Exif()
    exif[0x0131] = "an editor"  # Software, and no camera: a finding of the notice level
    Image.open(image).save(image, exif=exif)
    shown = shown_window(qtbot, tmp_path, tiny_checkpoint, image)
    shown.analysis_panel.set_checked(["metadata"])
    shown.run_classic()
    qtbot.waitUntil(lambda: not shown.analysis_panel.running, timeout=HANG_MS)
    shown.compare_action.trigger()
    tree = shown.analysis_panel.tree
    findings = [
        tree.topLevelItem(i).child(j)
        for i in range(tree.topLevelItemCount())
        for j in range(tree.topLevelItem(i).childCount())
        if tree.topLevelItem(i).child(j).foreground(0).style() != Qt.BrushStyle.NoBrush
    ]
    assert findings  # "EXIF without a camera"

    def colours() -> list[str]:
        card = shown.verdict_panel.cards[0].title.styleSheet()
        titles = [p.title.styleSheet() for p in shown.compare.panes if p.source.color]
        badge = shown.evidence_list.item(0).foreground().color().name()
        return [card, *titles, badge, *(f.foreground(0).color().name() for f in findings)]

    light = colours()
    before = qapp.palette()
    qapp.setPalette(_palette(dark=True))
    try:
        qtbot.waitUntil(lambda: all(a != b for a, b in zip(colours(), light, strict=True)))
        base = shown.evidence_list.palette().color(QPalette.ColorRole.Base)
        badge = shown.evidence_list.item(0).foreground().color()
        assert contrast_ratio(badge, base) >= AA_CONTRAST
    finally:
        qapp.setPalette(before)
    qtbot.waitUntil(lambda: colours() == light)  # and back


def test_the_recent_files_are_numbered_with_letters(
    qtbot, shown: MainWindow, tmp_path: Path, monkeypatch
) -> None:
    """File ▸ Open Recent's entries were their paths alone: no letter, and a path's "&"
    (R&D) made one of the letter after it and was not shown."""
    paths = [str(tmp_path / f"case {i}" / "R&D.png") for i in range(1, 11)]
    for path in paths:  # there: an entry whose file is gone is taken out, not opened
        Path(path).parent.mkdir()
        Path(path).write_bytes(b"")
    for path in reversed(paths):  # the last remembered first
        shown.recent.remember(path)
    entries = [a for a in shown.recent_menu.actions() if not a.isSeparator()]
    assert [_mnemonic(a.text()) for a in entries] == [*"1234567890", "c"]
    for number, (action, path) in enumerate(zip(entries, paths, strict=False), start=1):
        assert action.iconText() == f"{number} {path}"  # shown whole, without the "&"s
    opened: list[list[str]] = []
    monkeypatch.setattr(shown, "open_paths", lambda paths, recent=None: opened.append(paths))
    shown.recent_menu.popup(shown.mapToGlobal(shown.rect().center()))
    qtbot.waitUntil(shown.recent_menu.isVisible)
    QTest.keyClick(shown.recent_menu, Qt.Key.Key_3)
    assert opened == [[paths[2]]]


def _takes_tab(widget: QWidget, window: QWidget, behind: tuple[QWidget, ...] = ()) -> bool:
    """Qt's test of a widget Tab can move the focus to, in none of the panels ``behind``
    another's tab (Qt calls those visible)."""
    policy = widget.focusPolicy()
    return (
        policy & Qt.FocusPolicy.TabFocus == Qt.FocusPolicy.TabFocus
        and not hands_on_focus(widget)  # not focusProxy(): it can free Python objects (focus_order)
        and widget.window() is window
        and widget.isVisible()
        and widget.isEnabled()
        and not any(panel.isAncestorOf(widget) for panel in behind)
    )


def _tab_walk(qtbot, window: QWidget, start: QWidget, key: Qt.Key) -> list[QWidget]:
    """The widgets ``key`` (Tab or Backtab) moves the focus to from ``start`` until it comes
    back there; fails when it does not (a trap)."""
    from PySide6.QtWidgets import QApplication

    start.setFocus()
    qtbot.waitUntil(start.hasFocus)
    walk = [start]
    for _ in range(200):
        QTest.keyClick(QApplication.focusWidget(), key)
        now = QApplication.focusWidget()
        if now is start:
            return walk
        walk.append(now)
    pytest.fail(f"Tab is held: {[type(w).__name__ for w in walk[-5:]]}")


def test_tab_walks_the_main_window_in_the_order_it_is_laid_out(
    qtbot, shown: MainWindow, tmp_path: Path
) -> None:
    """Tab followed the order the widgets were made in: from the Ground truth table back to
    the verdict cards' fold buttons, and the evidence view reached last, after the right
    column; a scored ground truth's table held Tab for each of its cells."""
    import numpy as np
    from PIL import Image

    mask = np.zeros((96, 128), np.uint8)
    mask[20:50, 30:80] = 255
    Image.fromarray(mask).save(tmp_path / "evidence_gt.png")
    shown.load_truth(tmp_path / "evidence_gt.png")
    table = shown.truth_panel.table
    qtbot.waitUntil(lambda: table.rowCount() > 0, timeout=HANG_MS)
    shown.layers.selected = shown.layers["tiny mask"]
    controls = shown.layer_panel.controls
    assert controls is not None
    qtbot.waitUntil(controls.opacity.isVisible)
    shown.activateWindow()
    shown.docks["Ground truth"].raise_()  # its table in front: the Verdict panel behind
    behind = tuple(shown.docks[n] for n in ("Verdict", "Metadata", "Analyses"))
    walk = _tab_walk(qtbot, shown, shown.evidence_list, Qt.Key.Key_Tab)
    assert len(walk) == len(set(walk))  # each once on the way round
    reachable = [w for w in shown.findChildren(QWidget) if _takes_tab(w, shown, behind)]
    assert set(walk) == set(reachable)  # nothing out of Tab's reach
    laid_out = [
        shown.evidence_list,  # left column
        shown.model_panel.list,
        shown.model_panel.device,
        shown.loupe.mode_box,
        shown.canvas,  # centre
        shown.layer_panel.list,  # right column
        controls.opacity,
        table,
    ]
    assert [walk.index(w) for w in laid_out] == sorted(walk.index(w) for w in laid_out)
    back = _tab_walk(qtbot, shown, shown.evidence_list, Qt.Key.Key_Backtab)
    assert back == [walk[0], *reversed(walk[1:])]
    shown.docks["Verdict"].raise_()
    walk = _tab_walk(qtbot, shown, shown.evidence_list, Qt.Key.Key_Tab)
    cards = [shown.verdict_panel, shown.verdict_panel.cards[0].toggle]
    assert [walk.index(w) for w in cards] == sorted(walk.index(w) for w in cards)
    assert table not in walk


def test_tab_skips_the_panels_behind_another_tab(qtbot, shown: MainWindow) -> None:
    """With Verdict in front, Tab went on from its fold buttons into the Metadata, Analyses
    and Ground truth panels behind it (Qt calls a dock behind a tab visible): six stops with
    no focus in sight, "Run on this image" among them (walk-through D, item 1)."""
    shown.activateWindow()
    walk = _tab_walk(qtbot, shown, shown.evidence_list, Qt.Key.Key_Tab)
    behind = [shown.docks[n] for n in ("Metadata", "Analyses", "Ground truth")]
    assert [w for w in walk if any(d.isAncestorOf(w) for d in behind)] == []
    assert shown.verdict_panel.cards[0].toggle in walk
    shown.docks["Analyses"].raise_()
    walk = _tab_walk(qtbot, shown, shown.evidence_list, Qt.Key.Key_Tab)
    assert any(shown.docks["Analyses"].isAncestorOf(w) for w in walk)
    assert not any(shown.docks["Verdict"].isAncestorOf(w) for w in walk)
