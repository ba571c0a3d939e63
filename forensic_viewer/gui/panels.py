"""Helpers the side panels and the dialogs share, and the evidence list with its badges.

Widgets in the panels show the model (layers, analyses) and write user changes back to it
through setters; they compute nothing themselves. Every text that comes from a file (EXIF,
names) goes into plain-text items, never into a label that would interpret it as rich text
(:func:`text_label`).

Each panel has its module: ``layer_panel`` (the layer list and a layer's controls),
``verdict_panel`` (the verdict cards and their words), ``metadata_panel``, ``model_panel``;
the magnifier is in ``inspector``. This one holds what they share: plain-text labels
(:class:`MessageLabel`, a dialog's message, wrapped inside a long path too),
:func:`discard`, the dialogs' folder pickers (:func:`pick_input_folder`, read-only, for
evidence and other input; :func:`pick_output_folder`, where a new folder can be made),
:func:`name_form_fields`,
:func:`no_enter_button`, :func:`rows_height`, :class:`PanelScroll` (a dock's panel that
scrolls), :func:`pixmap_from_rgb`, the verdict colours
and :func:`legible` (text in them reaches WCAG AA contrast on the theme's background), with
:func:`tint`, the one way a label or a list's or tree's row is given such a colour and keeps
it legible when the theme changes, and the evidence list (:class:`EvidenceList`,
:class:`Badge`, :func:`verdict_badge`).
"""

from __future__ import annotations

import functools
from dataclasses import dataclass
from pathlib import Path

import numpy as np
from numpy.typing import NDArray
from PySide6.QtCore import QEvent, QObject, QSize, Qt
from PySide6.QtGui import QBrush, QColor, QImage, QPalette, QPixmap, QResizeEvent
from PySide6.QtWidgets import (
    QAbstractButton,
    QAbstractItemView,
    QAbstractScrollArea,
    QDialog,
    QFileDialog,
    QFormLayout,
    QLabel,
    QLayoutItem,
    QLineEdit,
    QListWidget,
    QListWidgetItem,
    QPushButton,
    QScrollArea,
    QTreeWidget,
    QTreeWidgetItem,
    QTreeWidgetItemIterator,
    QWidget,
)

from engine.types import Analysis
from forensic_viewer.gui.tips import tip_text
from forensic_viewer.scan.results import EMPTY_SHA256
from forensic_viewer.wording import FLAGGED, NOT_FLAGGED, OUT_OF_RANGE, plain, verdict_words

# --- shared helpers ------------------------------------------------------------------------


def text_label(text: str) -> QLabel:
    """A wrapped label that shows ``text`` as it is (never as rich text)."""
    return QLabel(text, textFormat=Qt.TextFormat.PlainText, wordWrap=True)


BREAK = "\u200b"  # zero-width space: where a line may break, shown as nothing
RUN_CHARS = 20  # the most characters a message label shows with no place to break the line


def breakable(text: str) -> str:
    """``text`` with a :data:`BREAK` after each path separator and after every
    :data:`RUN_CHARS` characters of a run with no space: a word-wrapped label breaks a long
    path there, where it broke only at spaces."""
    out: list[str] = []
    run = 0
    for ch in text:
        out.append(ch)
        run = 0 if ch.isspace() else run + 1
        if run and (ch in "/\\" or run >= RUN_CHARS):
            out.append(BREAK)
            run = 0
    return "".join(out)


class MessageLabel(QLabel):
    """A dialog's message line: plain text, word-wrapped, and wrapped inside a long path too.

    A word-wrapped QLabel is at least as wide as its longest word, and a path has no space:
    "…-scan: cannot be used as the output folder (File name too long)" with a 255-byte folder
    name widened the batch dialog from 1100 to 2044 px, its Browse… buttons and table off a
    1280 x 720 screen. Shown :func:`breakable`; :meth:`text` gives the text as set (what the
    status bar's history and the dialogs' next lines are made of), and so does the accessible
    name, without the zero-width spaces."""

    def __init__(self, text: str = "") -> None:
        super().__init__()
        self.setTextFormat(Qt.TextFormat.PlainText)
        self.setWordWrap(True)
        self._text = ""
        self.setText(text)

    def setText(self, text: str) -> None:  # Qt override (Python callers)
        self._text = text
        self.setAccessibleName(text)
        super().setText(breakable(text))

    def text(self) -> str:  # Qt override (Python callers)
        return self._text

    def clear(self) -> None:  # Qt override (Python callers)
        self.setText("")


def discard(widget: QWidget) -> None:
    """Hide ``widget`` now and delete it when the event loop next turns. Taken out of its
    layout but still a visible child, a replaced widget was painted under its replacement
    until the deferred deletion ran: a repaint before it (a screenshot taken then, or a busy
    moment) showed two files' verdict cards over each other."""
    widget.hide()
    widget.deleteLater()


# Qt's own picker (used where the platform gives no native one) renames, moves and deletes
# files and folders from its context menu: every picker that chooses evidence, training data or
# any other input opens read-only. An output folder's picker must not (it would make no new
# folder either).
READ_ONLY = QFileDialog.Option.ReadOnly
INPUT_FOLDER = QFileDialog.Option.ShowDirsOnly | READ_ONLY
OUTPUT_FOLDER = QFileDialog.Option.ShowDirsOnly


def pick_input_folder(parent: QWidget, title: str, field: QLineEdit) -> str | None:
    """A dialog's Browse… for a folder that is read (evidence to scan, ground truth): the
    picker is read-only (nothing in it renames, moves or deletes a file), opened at the folder
    typed in ``field``; the folder chosen is typed there and returned (None, the field
    unchanged, when closed)."""
    return _pick_folder(parent, title, field, INPUT_FOLDER)


def pick_output_folder(parent: QWidget, title: str, field: QLineEdit) -> str | None:
    """A dialog's Browse… for a folder written to (a scan's output, reports, training runs):
    as :func:`pick_input_folder`, but the picker can make a new folder. Never for evidence."""
    return _pick_folder(parent, title, field, OUTPUT_FOLDER)


def _pick_folder(
    parent: QWidget, title: str, field: QLineEdit, options: QFileDialog.Option
) -> str | None:
    path = QFileDialog.getExistingDirectory(parent, title, field.text(), options)
    if not path:
        return None
    field.setText(path)
    return path


def _first_control(item: QLayoutItem) -> QWidget | None:
    """The first widget of a form's field that takes the keyboard focus (a field and its
    Browse… button: the field; a widget holding a choice: the choice), in their order."""
    widget = item.widget()
    if widget is not None:
        if widget.focusPolicy() & Qt.FocusPolicy.TabFocus:
            return widget
        for child in widget.findChildren(QWidget):
            if child.focusPolicy() & Qt.FocusPolicy.TabFocus and not child.isHidden():
                return child
        return None
    layout = item.layout()
    if layout is None:
        return None
    for i in range(layout.count()):
        found = _first_control(layout.itemAt(i))
        if found is not None:
            return found
    return None


def name_form_fields(form: QFormLayout) -> None:
    """Each labelled row of ``form`` names its control for screen readers and takes the
    keyboard focus from its label's mnemonic (``QLabel.setBuddy``). Qt does so only for a row
    whose field is the control itself; a field with its Browse… button (a layout) or a widget
    holding the control (the batch dialog's "Run on") was read as an unnamed text field.

    A control with a text of its own (a check box, a button) keeps it as its name, and the
    label is its description: the report dialog's "HTML" box was read as "Formats, check box"
    and "HTML" never said (walk-through D, item 6)."""
    for row in range(form.rowCount()):
        label_item = form.itemAt(row, QFormLayout.ItemRole.LabelRole)
        field_item = form.itemAt(row, QFormLayout.ItemRole.FieldRole)
        label = None if label_item is None else label_item.widget()
        if not isinstance(label, QLabel) or not label.text() or field_item is None:
            continue
        control = _first_control(field_item)
        if control is None:
            continue
        label.setBuddy(control)
        said = label.text().replace("&", "")
        if isinstance(control, QAbstractButton) and control.text():
            if not control.accessibleDescription():
                control.setAccessibleDescription(said)
        elif not control.accessibleName():  # a buddy names only a control beside its label
            control.setAccessibleName(said)


def no_enter_button(dialog: QDialog) -> None:
    """Enter typed in ``dialog`` presses no button but the focused one. A dialog's first
    push button is its default (Qt's auto-default): in the batch dialog that was the folder's
    Browse…, so Enter on a row of the results (which opens it) or in a text field opened the
    folder picker."""
    for button in dialog.findChildren(QPushButton):
        button.setAutoDefault(False)
        button.setDefault(False)


def rows_height(view: QAbstractScrollArea, rows: int) -> int:
    """The height of ``rows`` rows of ``view`` (a list, or lines of a text box), its frame
    included, in the view's font. Lists held to a height in pixels (90) showed three rows at
    a 16-point font, the fourth cut, with room to spare below them."""
    row = view.fontMetrics().lineSpacing() + 4  # an item's margins and check box
    if isinstance(view, QAbstractItemView) and view.model() is not None:
        if view.model().rowCount() > 0:
            row = max(row, view.sizeHintForRow(0))
    return rows * row + 2 * view.frameWidth()


class PanelScroll(QScrollArea):
    """A dock's panel in a scroll area that scrolls up and down.

    A dock gives its panel no less than the panel's minimum height, so a window that does not
    fit its screen (a laptop at a large font or scale) squeezed its docks below their contents:
    the mask line of the layer controls, the ground-truth message and the magnifier's caption
    were cut. Here the panel is as tall as the dock, but never shorter than its contents need
    at its width (wrapped labels whole, lists at their minimum), and the dock scrolls beyond
    that; the width the panel needs is still asked of the dock. Qt's own resizable scroll area
    would hold a panel with wrapped labels at its preferred height, and scroll where the
    panel's lists could have shrunk.

    With ``narrowest``, no more width than that is asked, and a narrower area scrolls left
    and right too: the main window's docks, whose widest panels (the magnifier, the classic
    analyses) made the window 665 to 701 pixels wide at least, wider than a 1280 x 800 screen
    at 200 % (640 pixels; walk-through D, item 5)."""

    def __init__(self, panel: QWidget, narrowest: int | None = None) -> None:
        super().__init__()
        self._narrowest = narrowest
        self.setWidget(panel)
        self.setFrameShape(QScrollArea.Shape.NoFrame)
        # Tab goes to the panel's controls, and the area scrolls to the one focused
        self.setFocusPolicy(Qt.FocusPolicy.NoFocus)

    def _needed_height(self, width: int) -> int:
        panel = self.widget()
        layout = panel.layout()
        least = panel.minimumSizeHint().expandedTo(panel.minimumSize()).height()
        if layout is not None and layout.hasHeightForWidth():
            least = max(least, layout.totalMinimumHeightForWidth(width))
        return least

    def _fit(self) -> None:
        panel = self.widget()
        room = self.contentsRect().size()
        least = panel.minimumSizeHint().expandedTo(panel.minimumSize()).width()
        width = max(room.width(), least)
        if self._needed_height(width) > room.height():  # the scroll bar takes its width
            width = max(room.width() - self.verticalScrollBar().sizeHint().width(), least)
        panel.resize(width, max(room.height(), self._needed_height(width)))

    def minimumSizeHint(self) -> QSize:  # Qt override
        panel = self.widget().minimumSizeHint().width()
        bar = self.verticalScrollBar().sizeHint().width()
        width = panel + bar + 2 * self.frameWidth()
        if self._narrowest is not None:
            width = min(width, self._narrowest)
        return QSize(width, super().minimumSizeHint().height())

    def resizeEvent(self, event: QResizeEvent) -> None:  # Qt override
        super().resizeEvent(event)
        self._fit()

    def eventFilter(self, watched: QObject, event: QEvent) -> bool:  # Qt override
        if watched is self.widget() and event.type() == QEvent.Type.LayoutRequest:
            self.updateGeometry()  # the panel's width may have changed: the dock follows
            self._fit()
        return super().eventFilter(watched, event)


def pixmap_from_rgb(rgb: NDArray[np.uint8]) -> QPixmap:
    """An [H, W, 3] uint8 RGB image as a pixmap (a copy: ``rgb`` may go at once)."""
    rgb = np.ascontiguousarray(rgb)
    h, w = rgb.shape[:2]
    return QPixmap.fromImage(QImage(rgb.data, w, h, 3 * w, QImage.Format.Format_RGB888).copy())


# --- colours of text ------------------------------------------------------------------------

AA_CONTRAST = 4.5  # WCAG 2 level AA for text of normal size


def relative_luminance(color: QColor) -> float:
    """WCAG 2's relative luminance of an sRGB colour, 0 (black) to 1 (white)."""

    def linear(v: float) -> float:
        return v / 12.92 if v <= 0.04045 else ((v + 0.055) / 1.055) ** 2.4

    return (
        0.2126 * linear(color.redF())
        + 0.7152 * linear(color.greenF())
        + 0.0722 * linear(color.blueF())
    )


def contrast_ratio(a: QColor, b: QColor) -> float:
    """WCAG 2's contrast ratio of two colours, 1 (the same) to 21 (black on white)."""
    la, lb = sorted((relative_luminance(a), relative_luminance(b)), reverse=True)
    return (la + 0.05) / (lb + 0.05)


def legible(color: QColor, *backgrounds: QColor) -> QColor:
    """``color`` as text on ``backgrounds``: itself when it reaches :data:`AA_CONTRAST` on
    each, else mixed towards black on a light background (towards white on a dark one) just
    enough to reach it, so its hue still says red, green or amber. The verdict colours as
    chosen (a green of 2.9:1 on white) were unreadable for low vision on a light theme.
    Worked out once per colour and backgrounds: a table asks it for every cell it paints."""
    return QColor(_legible(_rgbf(color), tuple(_rgbf(b) for b in backgrounds)))


def _rgbf(color: QColor) -> tuple[float, float, float, float]:
    return color.redF(), color.greenF(), color.blueF(), color.alphaF()


@functools.lru_cache(maxsize=256)
def _legible(
    rgbf: tuple[float, float, float, float], backgrounds_rgbf: tuple[tuple[float, ...], ...]
) -> QColor:
    color = QColor.fromRgbF(*rgbf)
    backgrounds = [QColor.fromRgbF(*b) for b in backgrounds_rgbf]
    light = sum(relative_luminance(b) for b in backgrounds) / len(backgrounds) > 0.18
    target = QColor(0, 0, 0) if light else QColor(255, 255, 255)
    for step in range(51):
        t = step / 50
        mixed = QColor.fromRgbF(
            color.redF() * (1 - t) + target.redF() * t,
            color.greenF() * (1 - t) + target.greenF() * t,
            color.blueF() * (1 - t) + target.blueF() * t,
        )
        # judged as drawn, 8 bits a channel (a style sheet's #rrggbb): rounded, the training
        # dialog's error red of 4.51:1 on a light theme's window read 4.499:1
        mixed = QColor(mixed.rgb())
        if all(contrast_ratio(mixed, b) >= AA_CONTRAST for b in backgrounds):
            return mixed
    return target


def text_color(widget: QWidget, color: QColor) -> QColor:
    """``color`` made :func:`legible` on ``widget``'s backgrounds (its window and its base:
    labels sit on either, depending on the style and on a scroll area's viewport)."""
    palette = widget.palette()
    return legible(
        color, palette.color(QPalette.ColorRole.Window), palette.color(QPalette.ColorRole.Base)
    )


TINT, TINT_STYLE = "tint", "tint_style"  # a label's properties: its colour as chosen, its style
TINT_ROLE = Qt.ItemDataRole.UserRole + 64  # an item's colour as chosen (clear of the views' own)


def tint(
    target: QLabel | QListWidgetItem | QTreeWidgetItem, color: QColor | None, style: str = ""
) -> None:
    """``target``'s text in ``color`` (None: the theme's own) made :func:`legible` on its
    host's palette, now and whenever that palette changes (a theme changed): the one way text
    coloured by what it says (a verdict, a finding, an error) follows the theme. An item's
    host is its view, which it must be in (legible on the view's base); a label's is its
    parent, from when it has one (:func:`text_color`: a label with a style sheet keeps its
    old palette). ``style``: the rest of a label's style sheet."""
    if isinstance(target, QLabel):
        target.setProperty(TINT, color)
        target.setProperty(TINT_STYLE, style)
        _watch(target)  # for a new parent
        _paint_label(target)
        return
    chosen = QColor() if color is None else QColor(color)  # invalid: the theme's own
    if isinstance(target, QTreeWidgetItem):
        target.setData(0, TINT_ROLE, chosen)
        view: QWidget | None = target.treeWidget()
    else:
        target.setData(TINT_ROLE, chosen)
        view = target.listWidget()
    if view is None:
        raise ValueError("an item is tinted once it is in its view")
    _watch(view)
    _paint_item(target, view)


class _Retint(QObject):
    """The event filter of :func:`tint`: a host's palette changed, so what is tinted in it
    (its labels, or its rows when it is a list or a tree) is made legible again; a tinted
    label has a new parent, its host from now on."""

    def eventFilter(self, watched: QObject, event: QEvent) -> bool:  # Qt override
        if event.type() == QEvent.Type.ParentChange and isinstance(watched, QLabel):
            _paint_label(watched)
        elif event.type() == QEvent.Type.PaletteChange and isinstance(watched, QWidget):
            options = Qt.FindChildOption.FindDirectChildrenOnly
            for label in watched.findChildren(QLabel, options=options):
                if label.property(TINT_STYLE) is not None:
                    _paint_label(label)
            if isinstance(watched, QListWidget):
                for i in range(watched.count()):
                    _paint_item(watched.item(i), watched)
            elif isinstance(watched, QTreeWidget):
                for found in QTreeWidgetItemIterator(watched):
                    _paint_item(found.value(), watched)
        return False


def _watch(widget: QWidget) -> None:
    if widget.property(_Retint.__name__) is None:
        widget.setProperty(_Retint.__name__, True)
        widget.installEventFilter(_Retint(widget))


def _paint_label(label: QLabel) -> None:
    host, color = label.parentWidget(), label.property(TINT)
    if host is not None:
        _watch(host)
    sheet = label.property(TINT_STYLE) or ""
    if isinstance(color, QColor):
        sheet += f"color: {text_color(host or label, color).name()};"
    if label.styleSheet() != sheet:  # a new style sheet gives the label a palette: no loop
        label.setStyleSheet(sheet)


def _paint_item(item: QListWidgetItem | QTreeWidgetItem, view: QWidget) -> None:
    tree = isinstance(item, QTreeWidgetItem)
    color = item.data(0, TINT_ROLE) if tree else item.data(TINT_ROLE)
    if not isinstance(color, QColor):
        return  # never tinted
    base = view.palette().color(QPalette.ColorRole.Base)
    brush = QBrush(legible(color, base)) if color.isValid() else None
    if tree:
        for column in range(item.columnCount()):
            item.setData(column, Qt.ItemDataRole.ForegroundRole, brush)
    else:
        item.setData(Qt.ItemDataRole.ForegroundRole, brush)


# --- evidence list ---------------------------------------------------------------------------


@dataclass(frozen=True)
class Badge:
    """A verdict badge: short text and a colour."""

    text: str
    color: QColor


BADGE_LOADING = Badge("… loading", QColor(150, 150, 150))
BADGE_CANCELLED = Badge("■ cancelled", QColor(150, 150, 150))
BADGE_ERROR = Badge("✗ cannot be read", QColor(200, 60, 60))
# refused before decoding, over the file-size, pixel or decoding-memory limit (a
# decompression bomb): the file may be sound, and its badge must not say it is unreadable
BADGE_REFUSED = Badge("✗ refused: beyond the size limit", BADGE_ERROR.color)
RED, GREY = QColor(230, 80, 70), QColor(140, 140, 140)
# "not flagged" in a dark ink without hue (made lighter on a dark theme by legible): green
# says "cleared" where the words say only that no check found an edit (walk-through L)
NEUTRAL = QColor(70, 70, 70)
# a neutral mark for "not flagged": a check mark read as "authentic" or "verified", which no
# model's verdict can say (a lead, not a finding of authenticity: report/limitations.py)
NOT_FLAGGED_MARK = "○"


def verdict_badge(analysis: Analysis) -> Badge:
    """The badge of an analysis: the ensemble's verdict, else how many models say manipulated;
    a verdict outside the measured range (an image smaller than any its model was measured on)
    never red or neutral but grey with "?", and said to be (a 5x5 image's one member flag read
    as a plain red flag)."""
    if analysis.cancelled:
        return Badge(f"◐ partial: {len(analysis.results)} finished", GREY)
    if analysis.ensemble is not None:
        manipulated = analysis.ensemble.verdict == "manipulated"
        if analysis.ensemble.out_of_range:  # not a measured verdict: grey
            words = verdict_words(analysis.ensemble.verdict)
            return Badge(f"? {words} (ensemble) · {OUT_OF_RANGE}", GREY)
        return Badge(
            f"{'⚠' if manipulated else NOT_FLAGGED_MARK} "
            f"{verdict_words(analysis.ensemble.verdict)} (ensemble)",
            RED if manipulated else NEUTRAL,
        )
    if not analysis.results:
        return Badge("○ no model", GREY)
    # a member's verdict outside the measured range is as the ensemble's: grey, "?", said so
    results = analysis.results.values()
    n = len(results)
    k = sum(r.verdict == "manipulated" and not r.out_of_range for r in results)
    unmeasured = sum(r.verdict == "manipulated" and bool(r.out_of_range) for r in results)
    if k:
        more = f" · {unmeasured} more {OUT_OF_RANGE}" if unmeasured else ""
        return Badge(f"⚠ {FLAGGED} ({k}/{n} models){more}", RED)
    if unmeasured:
        return Badge(f"? {FLAGGED} ({unmeasured}/{n} models) · {OUT_OF_RANGE}", GREY)
    if all(r.out_of_range for r in results):
        return Badge(f"? {NOT_FLAGGED} ({n}/{n} models) · {OUT_OF_RANGE}", GREY)
    return Badge(f"{NOT_FLAGGED_MARK} {NOT_FLAGGED} ({n}/{n} models)", NEUTRAL)


class EvidenceList(QListWidget):
    """Opened evidence files, one row each, with a verdict badge; a file whose bytes are
    those of a file above it (the same SHA-256) says so on its row, as a scan's
    ``duplicate_of`` does (:meth:`set_sha256`).

    A row's path stays on the Python side: the row holds only its number. A path stored on
    the row as text came back from Qt without the bytes of a name that is not UTF-8 (their
    surrogates dropped), so selecting such a file showed a path that does not exist and its
    badge made a second row. Names are shown as the command line writes them
    (:func:`plain`): a line break or an undecodable byte escaped, each row one line of name
    and one of badge."""

    def __init__(self, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.setAccessibleName("Evidence files")
        self.setAccessibleDescription("each opened file with its verdict in words")
        # each path's row (rows are never taken out): found by walking the rows, opening a
        # folder of 300 files read 45,000 rows on the GUI thread, 1.5 s of the 2.5 s it froze
        # the window while the decoder thread held the interpreter
        self._rows: dict[str, QListWidgetItem] = {}
        self._paths: list[str] = []  # row number -> its path, as given (never through Qt)
        self._order: dict[str, int] = {}  # path -> its row's number
        self._badges: dict[str, tuple[str, str]] = {}  # path -> its badge's text, detail
        self._sha256: dict[str, str] = {}  # path -> the SHA-256 of its bytes, when known
        self._same: dict[str, list[str]] = {}  # SHA-256 -> its paths, in the rows' order
        self.copy_of: dict[str, str] = {}  # path -> the first row's path with its bytes

    def entry(self, path: str) -> QListWidgetItem:
        """The row of ``path``, created when new."""
        item = self._rows.get(path)
        if item is not None:
            return item
        item = QListWidgetItem(plain(Path(path).name))
        self._order[path] = len(self._paths)
        item.setData(Qt.ItemDataRole.UserRole, self._order[path])
        item.setToolTip(tip_text(plain(path)))
        self.addItem(item)
        self._paths.append(path)
        self._rows[path] = item
        return item

    def set_badge(self, item: QListWidgetItem, badge: Badge, detail: str = "") -> None:
        path = self.path_of(item)
        if path is None:
            raise ValueError("a badge is set on a row of this list")
        self._badges[path] = (badge.text, detail)
        tint(item, badge.color)  # WCAG AA on the list's background
        self._paint(path)

    def set_sha256(self, path: str, sha256: str | None) -> None:
        """The SHA-256 of ``path``'s bytes as last read (None: unknown, the file could not be
        read). Two files opened under different names with the same bytes had two rows and
        nothing said they were copies: the later row now says "same bytes as NAME" (its
        tooltip names the file), as soon as both hashes are known. An empty file is nobody's
        copy (a scan's rule, ``scan.results.byte_copies``)."""
        old = self._sha256.pop(path, None)
        if sha256 and sha256 != EMPTY_SHA256:
            self._sha256[path] = sha256
        new = self._sha256.get(path)
        if old == new:
            return
        touched = {path}
        if old is not None:
            self._same[old].remove(path)
            touched.update(self._same[old])
        if new is not None:
            self.entry(path)
            group = self._same.setdefault(new, [])
            group.append(path)
            group.sort(key=self._order.__getitem__)
            touched.update(group)
        for p in touched:
            group = self._same.get(self._sha256.get(p, ""), [])
            if group and group[0] != p:
                self.copy_of[p] = group[0]
            else:
                self.copy_of.pop(p, None)
            self._paint(p)

    def copy_note(self, path: str) -> str:
        """``"same bytes as NAME"`` when ``path``'s bytes are those of a file above it (its
        row says it; the evidence view's screen-reader description too), else ``""``."""
        original = self.copy_of.get(path)
        return "" if original is None else f"same bytes as {plain(Path(original).name)}"

    def _paint(self, path: str) -> None:
        """``path``'s row: its name (and the file it is a copy of), its badge; its tooltip the
        path, the badge's detail and the copy's original, which a screen reader reads as the
        row's description (it reads no item's tooltip)."""
        item = self.entry(path)
        note = self.copy_note(path)
        name = plain(Path(path).name) + (f" — {note}" if note else "")
        badge, detail = self._badges.get(path, ("", ""))
        item.setText(f"{name}\n    {badge}" if path in self._badges else name)
        tip = [plain(path), *([plain(detail)] if detail else [])]
        if note:
            tip.append(f"same bytes (SHA-256) as {plain(self.copy_of[path])}")
        item.setToolTip(tip_text("\n".join(tip)))
        item.setData(Qt.ItemDataRole.AccessibleDescriptionRole, "\n".join(tip))

    def path_of(self, item: QListWidgetItem | None) -> str | None:
        """The path of ``item``, a row of this list, as it was given (None: no row)."""
        row = None if item is None else item.data(Qt.ItemDataRole.UserRole)
        return self._paths[row] if isinstance(row, int) else None

    def badge_text(self, path: str) -> str:
        """The words of ``path``'s badge (``""`` before it has one)."""
        return self._badges.get(path, ("", ""))[0]
