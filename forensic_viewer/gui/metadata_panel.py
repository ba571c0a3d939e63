"""The Metadata panel: the file's facts, the SHA-256 of its bytes, its file-system times as found
before the read (as reports word them: :func:`~forensic_viewer.wording.fs_time_rows`), its EXIF
as untrusted text, and its XMP packet in a group of its own: the packet's row (its size and
SHA-256) first, then the fields the metadata analysis reads (``XMP xmp:CreatorTool``...,
recorded at load: :func:`engine.xmp.xmp_rows`), as the reports' table has them after it.

EXIF values are shown as the reports print them
(:func:`~forensic_viewer.report.metadata.metadata_values`), the recorded text in their
tooltips; every value goes into a plain-text item. A name cut by its column loses its middle,
not its end (:class:`MiddleElided`): the end is what tells ``EXIF:DateTimeOriginal`` from
``EXIF:DateTimeDigitized`` and ``XMP xmp:CreateDate`` from ``XMP xmp:CreatorTool``. A file that did not decode shows what was
read of it (:meth:`MetadataPanel.set_unread`).
"""

from __future__ import annotations

from typing import TYPE_CHECKING

from PySide6.QtCore import QModelIndex, QPersistentModelIndex, Qt
from PySide6.QtWidgets import (
    QStyledItemDelegate,
    QStyleOptionViewItem,
    QTreeWidget,
    QTreeWidgetItem,
    QWidget,
)

from engine.exif import XMP_PACKET_KEYS
from engine.types import Evidence
from engine.xmp import XMP_ROW
from forensic_viewer.report.metadata import metadata_values
from forensic_viewer.wording import fs_time_rows, orientation_words, plain

if TYPE_CHECKING:
    from forensic_viewer.gui.unread import UnreadFile


class MiddleElided(QStyledItemDelegate):
    """A column whose text, cut to its width, loses its middle (``EXIF:Dat…Original``)."""

    def initStyleOption(  # Qt override
        self, option: QStyleOptionViewItem, index: QModelIndex | QPersistentModelIndex
    ) -> None:
        super().initStyleOption(option, index)
        option.textElideMode = Qt.TextElideMode.ElideMiddle


class MetadataPanel(QTreeWidget):
    """File facts, the SHA-256 of the bytes on disk, and EXIF shown as untrusted text."""

    def __init__(self, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.setHeaderLabels(["", "value"])
        self.setColumnWidth(0, 150)
        self.setItemDelegateForColumn(0, MiddleElided(self))  # values keep their start
        self.setAccessibleName("Metadata")
        self.setAccessibleDescription("file facts, SHA-256 and EXIF of the evidence shown")

    def set_evidence(self, evidence: Evidence | None) -> None:
        self.clear()
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
            row.setToolTip(1, f"as recorded: {plain(e.metadata[key])}")
            in_xmp = key.startswith(XMP_ROW) or key in XMP_PACKET_KEYS
            (xmp if in_xmp else exif).addChild(row)
        if not e.metadata:
            exif.addChild(self._row("", "none"))
        self.addTopLevelItem(exif)
        if xmp.childCount():
            self.addTopLevelItem(xmp)
        self.expandAll()

    def set_unread(self, unread: UnreadFile) -> None:
        """A file that did not decode: its size and the SHA-256 of its bytes, when read, and
        its file-system times as found before the read, when the loader took them."""
        self.clear()
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

    @staticmethod
    def _row(key: str, value: str) -> QTreeWidgetItem:
        item = QTreeWidgetItem([plain(key, 100), plain(value)])
        item.setToolTip(0, plain(key, 100))  # a long EXIF name is cut by its column
        item.setToolTip(1, plain(value))
        return item

    def value(self, key: str) -> str | None:
        """The value shown for ``key`` (for tests)."""
        for i in range(self.topLevelItemCount()):
            top = self.topLevelItem(i)
            for j in range(top.childCount()):
                if top.child(j).text(0) == key:
                    return top.child(j).text(1)
        return None
