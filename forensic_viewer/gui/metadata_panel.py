"""The Metadata panel: the file's facts, the SHA-256 of its bytes, its file-system times as found
before the read (as reports word them: :func:`~forensic_viewer.wording.fs_time_rows`), its EXIF
as untrusted text, and its XMP packet in a group of its own: the packet's row (its size and
SHA-256) first, then the fields the metadata analysis reads (``XMP xmp:CreatorTool``...,
recorded at load: :func:`engine.xmp.xmp_rows`), as the reports' table has them after it.

EXIF values are shown as the reports print them
(:func:`~forensic_viewer.report.metadata.metadata_values`), the recorded text in their
tooltips; every value goes into a plain-text item. The names' column is as wide as its longest
name up to half the panel (the analyst may drag it wider); a name cut by it keeps the part
that tells it from the names beside it (:class:`KeyElided`): its start where that is enough
("Status changed (fi…", the file-system rows), else its end (the end is what tells
``EXIF:DateTimeOriginal`` from ``EXIF:DateTimeDigitized`` and ``XMP xmp:CreateDate`` from
``XMP xmp:CreatorTool``); every name is whole in its tooltip. A file that did not decode
shows what was read of it (:meth:`MetadataPanel.set_unread`).
"""

from __future__ import annotations

from collections import Counter
from typing import TYPE_CHECKING

from PySide6.QtCore import QModelIndex, QPersistentModelIndex, Qt
from PySide6.QtGui import QFontMetrics, QResizeEvent
from PySide6.QtWidgets import (
    QApplication,
    QStyle,
    QStyledItemDelegate,
    QStyleOptionViewItem,
    QTreeWidget,
    QTreeWidgetItem,
    QWidget,
)

from engine.exif import XMP_PACKET_KEYS
from engine.types import Evidence
from engine.xmp import XMP_ROW
from forensic_viewer.gui.tips import tip_text
from forensic_viewer.report.metadata import metadata_values
from forensic_viewer.wording import fs_time_rows, orientation_words, plain

if TYPE_CHECKING:
    from forensic_viewer.gui.unread import UnreadFile


KEY_WIDTH = 150  # the names' column's least width, pixels
KEY_SHARE = 0.5  # the names' column takes at most this share of the panel: values keep the rest


class KeyElided(QStyledItemDelegate):
    """The names' column: a name cut to its width loses its end where its start still tells it
    from the names beside it, else its middle. Cut in the middle alone, the file-system rows
    read "Modifie…system)", "Status …system)", "Last ac…system)", "Create…system)".

    The names beside a row are cut once per group and width (:attr:`cuts`), not once per
    row: Qt styles every row to size the column, and cutting every sibling for each of them
    (``n²`` cuts: 5,700 for a camera's 70 EXIF rows) held the GUI thread 0.3-0.7 s whenever
    a photograph was shown or the panel resized (walk-through M, finding 4)."""

    def __init__(self, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        # (group, rows, width, font) -> how many of the group's names are cut to each text
        self.cuts: dict[tuple[object, ...], Counter[str]] = {}

    def forget(self) -> None:
        """The rows changed (the panel was filled anew): the cuts are made again."""
        self.cuts.clear()

    def initStyleOption(  # Qt override
        self, option: QStyleOptionViewItem, index: QModelIndex | QPersistentModelIndex
    ) -> None:
        super().initStyleOption(option, index)
        model, parent = index.model(), index.parent()
        width, metrics = text_room(option), option.fontMetrics
        rows = model.rowCount(parent)
        key = (parent.internalId(), parent.row(), rows, width, option.font.key())
        cuts = self.cuts.get(key)
        if cuts is None:
            names = (str(model.index(row, 0, parent).data() or "") for row in range(rows))
            cuts = Counter(
                metrics.elidedText(name, Qt.TextElideMode.ElideRight, width) for name in names
            )
            self.cuts[key] = cuts
        option.textElideMode = cut_elision(option.text, cuts, metrics, width)


def cut_elision(
    key: str, cuts: Counter[str], metrics: QFontMetrics, width: int
) -> Qt.TextElideMode:
    """Cut at its end when the start that fits in ``width`` is not the start of any other
    name of its group cut so, else in its middle (``XMP xmp:Creat…`` would name two fields).
    ``cuts``: the group's names (``key`` among them) cut at their end, counted."""
    cut = metrics.elidedText(key, Qt.TextElideMode.ElideRight, width)
    if cut == key:
        return Qt.TextElideMode.ElideRight
    return Qt.TextElideMode.ElideMiddle if cuts[cut] > 1 else Qt.TextElideMode.ElideRight


def text_room(option: QStyleOptionViewItem) -> int:
    """The width an item view's style leaves for the text of the cell ``option`` describes."""
    widget = option.widget
    style = widget.style() if widget is not None else QApplication.style()
    rect = style.subElementRect(QStyle.SubElement.SE_ItemViewItemText, option, widget)
    margin = style.pixelMetric(QStyle.PixelMetric.PM_FocusFrameHMargin, None, widget) + 1
    return rect.width() - 2 * margin


class MetadataPanel(QTreeWidget):
    """File facts, the SHA-256 of the bytes on disk, and EXIF shown as untrusted text."""

    def __init__(self, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.setHeaderLabels(["", "value"])
        self.setColumnWidth(0, KEY_WIDTH)
        self.keys = KeyElided(self)
        self.setItemDelegateForColumn(0, self.keys)  # values keep their start
        self._fitting = False
        self.key_width_chosen = False  # the analyst dragged the names' column: left so
        self.header().sectionResized.connect(self._on_section_resized)
        self.setAccessibleName("Metadata")
        self.setAccessibleDescription("file facts, SHA-256 and EXIF of the evidence shown")

    def set_evidence(self, evidence: Evidence | None) -> None:
        self.clear()
        self.keys.forget()
        if evidence is None:
            return
        e = evidence
        orientation = orientation_words(e.format, e.orientation, e.orientation_applied, e.metadata)
        rows = [
            ("file", e.path),
            ("size", f"{e.file_size:,} bytes"),
            ("format", f"{e.format} ({e.mode})"),
            ("dimensions", f"{e.width} × {e.height} pixels"),
            ("frames", str(e.frames)),
            ("orientation", orientation),
            ("SHA-256", e.sha256),
            *fs_time_rows(None if e.fs_times is None else e.fs_times.to_json()),
        ]
        facts = QTreeWidgetItem(["file"])
        for key, value in rows:
            facts.addChild(self._row(key, value))
        self.addTopLevelItem(facts)
        if e.warnings:
            warn = QTreeWidgetItem(["warnings"])
            for w in e.warnings:
                warn.addChild(self._row("", w))
            self.addTopLevelItem(warn)
        exif = QTreeWidgetItem(["EXIF (untrusted)"])
        exif.setToolTip(0, "as written in the file: anyone can edit these values")
        xmp = QTreeWidgetItem(["XMP (untrusted)"])
        xmp.setToolTip(0, "fields of the file's XMP packet, in its order: anyone can edit them")
        for key, value in metadata_values(e.metadata):  # as reports print them
            row = self._row(key, value)
            row.setToolTip(1, tip_text(f"as recorded: {plain(e.metadata[key])}"))
            in_xmp = key.startswith(XMP_ROW) or key in XMP_PACKET_KEYS
            (xmp if in_xmp else exif).addChild(row)
        if not e.metadata:
            exif.addChild(self._row("", "none"))
        self.addTopLevelItem(exif)
        if xmp.childCount():
            self.addTopLevelItem(xmp)
        self.expandAll()
        self.fit_keys()

    def set_unread(self, unread: UnreadFile) -> None:
        """A file that did not decode: its size and the SHA-256 of its bytes, when read, and
        its file-system times as found before the read, when the loader took them."""
        self.clear()
        self.keys.forget()
        facts = QTreeWidgetItem(["file"])
        size = "not read" if unread.size is None else f"{unread.size:,} bytes"
        times = None if unread.fs_times is None else unread.fs_times.to_json()
        for key, value in (
            ("file", unread.path),
            ("size", size),
            ("format", "not decoded (see the message)"),
            ("SHA-256", unread.sha256 or "not read"),
            *(fs_time_rows(times) if times else []),  # none: the loader read nothing
        ):
            facts.addChild(self._row(key, value))
        self.addTopLevelItem(facts)
        self.expandAll()
        self.fit_keys()

    def fit_keys(self) -> None:
        """The names' column as wide as its longest name, between ``KEY_WIDTH`` and
        ``KEY_SHARE`` of the panel; not once the analyst has dragged it."""
        if self.key_width_chosen:
            return
        cap = max(KEY_WIDTH, int(self.viewport().width() * KEY_SHARE))
        width = max(KEY_WIDTH, min(self.sizeHintForColumn(0), cap))
        self._fitting = True
        try:
            self.setColumnWidth(0, width)
        finally:
            self._fitting = False

    def _on_section_resized(self, column: int, _old: int, _new: int) -> None:
        if column == 0 and not self._fitting:
            self.key_width_chosen = True

    def resizeEvent(self, event: QResizeEvent) -> None:  # Qt override
        super().resizeEvent(event)
        self.fit_keys()

    def shown_key(self, key: str) -> str | None:
        """The name ``key`` as its row shows it now, cut as :class:`KeyElided` cuts it (for
        tests)."""
        for item in self._items():
            if item.text(0) == key:
                index = self.indexFromItem(item, 0)
                option = QStyleOptionViewItem()
                option.initFrom(self.viewport())
                option.rect = self.visualRect(index)
                option.widget = self
                delegate = self.itemDelegateForColumn(0)
                assert isinstance(delegate, KeyElided)
                delegate.initStyleOption(option, index)
                room = text_room(option)
                return option.fontMetrics.elidedText(option.text, option.textElideMode, room)
        return None

    def _items(self) -> list[QTreeWidgetItem]:
        items = []
        for i in range(self.topLevelItemCount()):
            top = self.topLevelItem(i)
            items += [top.child(j) for j in range(top.childCount())]
        return items

    @staticmethod
    def _row(key: str, value: str) -> QTreeWidgetItem:
        item = QTreeWidgetItem([plain(key, 100), plain(value)])
        item.setToolTip(0, tip_text(plain(key, 100)))  # a long EXIF name is cut by its column
        item.setToolTip(1, tip_text(plain(value)))
        return item

    def value(self, key: str) -> str | None:
        """The value shown for ``key`` (for tests)."""
        for i in range(self.topLevelItemCount()):
            top = self.topLevelItem(i)
            for j in range(top.childCount()):
                if top.child(j).text(0) == key:
                    return top.child(j).text(1)
        return None
