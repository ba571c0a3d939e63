"""The triage table of a scan: one row per file, sortable and filterable, thumbnails on demand.

:class:`TriageModel` holds one :class:`~forensic_viewer.scan.triage.TriageRow` per file (made
on the scan's thread; slots only insert them) with thumbnails as decoration, read by a
:class:`ThumbnailLoader` thread and kept in a bounded cache. :class:`TriageFilter` filters by
text and can show flagged files only; the model itself sorts (:meth:`TriageModel.sort`) and
takes the rows of a mailbox round in one insertion (:meth:`TriageModel.queue`, ``flush``), so
10,000 rows load and sort without freezing the viewer. Shown by the batch dialog and
:mod:`~forensic_viewer.gui.scan_results` through :mod:`~forensic_viewer.gui.triage_view`.

The default verdict (the ensemble's, else the first model's) and the status come first after
the file, and the table opens sorted by that verdict's score, highest first, failed files above
(:meth:`TriageModel.default_sort`). Once a scan has been scored against true masks
(:meth:`TriageModel.set_truth`), two columns after the status give each file's label and how the default verdict stands against it
(:func:`~forensic_viewer.scan.triage.truth_texts`); a scan without ground truth has neither.
"""

from __future__ import annotations

import threading
from bisect import bisect_left, bisect_right
from collections import OrderedDict
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import numpy as np
from numpy.typing import NDArray
from PySide6.QtCore import (
    QAbstractTableModel,
    QModelIndex,
    QObject,
    QPersistentModelIndex,
    QSortFilterProxyModel,
    Qt,
    QThread,
)
from PySide6.QtGui import QBrush, QColor, QGuiApplication, QImage, QPalette, QPixmap

from forensic_viewer.gui.mailbox import Mailbox
from forensic_viewer.gui.panels import legible
from forensic_viewer.gui.thread_stop import stop_within
from forensic_viewer.gui.tips import tip_text
from forensic_viewer.marked_area import MARKED_AREA
from forensic_viewer.scan.gone import changed_words
from forensic_viewer.scan.links import error_without_file, outside_words
from forensic_viewer.scan.triage import (
    AGREES,
    DISAGREEMENT_NOTE,
    MARKED_AREA_NOTE,
    NOT_RUN,
    RAN,
    SPREAD_HEADER,
    TRUTH_HEADERS,
    WARNINGS_NOTE,
    TriageRow,
    analysis_header,
    analysis_note,
    load_thumbnail,
    truth_texts,
)
from forensic_viewer.wording import FLAGGED, NOT_FLAGGED, OUT_OF_RANGE, plain

TABLE_THUMB = 64  # logical px, long side of a thumbnail in the table


def thumb_side(ratio: float) -> int:
    """The long side, in pixels, to read a table thumbnail at on a screen of device pixel
    ``ratio``: :data:`TABLE_THUMB` device pixels per logical one (the scan wrote them at
    ``scan.maps.THUMB_SIDE``, 160). Read at 64 and scaled up by Qt, they were soft beside the
    text at 200 % (walk-through hidpi, finding 8)."""
    return max(TABLE_THUMB, round(TABLE_THUMB * ratio))


def thumb_pixmap(image: QImage) -> QPixmap:
    """``image`` as the table draws it: at most :data:`TABLE_THUMB` logical pixels long, its
    pixels the screen's own when it was read larger (:func:`thumb_side`)."""
    pixmap = QPixmap.fromImage(image)
    pixmap.setDevicePixelRatio(max(1.0, max(image.width(), image.height()) / TABLE_THUMB))
    return pixmap


THUMB_CACHE = 500  # table thumbnails kept in memory (about 12 kB each, 48 kB at 200 %)
# how long hiding the table or quitting waits for a thumbnail being read (milliseconds: a
# local read); a read still going after it is left to end alone
THUMB_STOP_MS = 3_000


# new rows of one round inserted each at its place in the order kept up to this many (or a
# twentieth of the table); more are appended in one insertion and the table sorted once
AT_PLACE = 64


SORT_ROLE = Qt.ItemDataRole.UserRole + 1


RED = QColor(200, 40, 40)


FAILED_SORT = float("inf")  # a failed file's place in a verdict column: above every score


GREY = QColor(130, 130, 130)


def tip_lines(lines: Sequence[str]) -> str:
    """A tooltip of several lines, each :func:`plain` (a line break inside one, from a file
    name or metadata, shown escaped); ``plain`` of the joined text had escaped the breaks
    between them too, and the tooltip read ``a: authentic\x0ab: ...`` on one line. Shown as
    written (:func:`~forensic_viewer.gui.tips.tip_text`): a file named
    ``<h1>AUTHENTIC</h1><!--.jpg`` drew a heading and hid the lines after it."""
    return tip_text("\n".join(plain(x) for x in lines))


def to_qimage(rgb: NDArray[np.uint8]) -> QImage:
    """[h, w, 3] uint8 RGB as a QImage that owns its pixels (safe to hand to another thread)."""
    rgb = np.ascontiguousarray(rgb)
    h, w = rgb.shape[:2]
    return QImage(rgb.data, w, h, 3 * w, QImage.Format.Format_RGB888).copy()


class ThumbnailLoader(QThread):
    """Reads the scan's thumbnails for the table on demand, newest request first.

    Only rows the view paints ask for a thumbnail, and the model keeps a bounded number, so a
    10,000-file scan costs what is on screen. The thread ends when nothing waits and starts
    again with the next request. Posts ``thumb(key, QImage or None)`` to :attr:`mailbox`.
    """

    def __init__(
        self, parent: QObject | None = None, after: Callable[[], None] | None = None
    ) -> None:
        super().__init__(parent)
        self.mailbox = Mailbox(self, after=after)
        self._lock = threading.Lock()
        self._wanted: dict[str, tuple[Path, TriageRow, int]] = {}
        self._idle = True

    def request(self, out: Path, row: TriageRow, side: int = TABLE_THUMB) -> None:
        """Read ``row``'s thumbnail at ``side`` pixels long at most (:func:`thumb_side`)."""
        self.mailbox.start()
        with self._lock:
            self._wanted.pop(row.key, None)
            self._wanted[row.key] = (out, row, side)
            start, self._idle = self._idle, False
        if start:
            self.wait()  # a run that just found nothing to do is returning
            self.start()

    def clear(self) -> None:
        with self._lock:
            self._wanted.clear()

    def run(self) -> None:
        while not self.isInterruptionRequested():
            with self._lock:
                if not self._wanted:
                    self._idle = True
                    return
                key = next(reversed(self._wanted))
                out, row, side = self._wanted.pop(key)
            thumb = load_thumbnail(out, row, max_side=side, from_evidence=False)
            self.mailbox.post("thumb", key, None if thumb is None else to_qimage(thumb))
        with self._lock:
            self._idle = True

    def stop(self) -> None:
        """Stop reading (the table hidden, the viewer quitting). Called on the GUI thread: a
        read stuck on its file (a stalled network share) freezes the window at most
        THUMB_STOP_MS, then goes on alone, kept from destruction (gui/thread_stop.py)."""
        self.clear()
        stop_within(self, THUMB_STOP_MS, "the table's thumbnail reader")
        self.mailbox.stop()


@dataclass(frozen=True)
class Column:
    id: str  # thumbnail, file, model, ensemble, analysis, forged_fraction, ..., truth, status
    header: str
    model: str | None = None  # the model's, ensemble's or classic analysis's name


def _cell_sort(cell: Any) -> float:
    return (
        cell.score if cell is not None and cell.status == RAN and cell.score is not None else -1.0
    )


class TriageModel(QAbstractTableModel):
    """The rows of a scan, one per file (a file scanned again replaces its row).

    Columns: thumbnail, file, the default verdict (the ensemble's when the scan has one, else
    the first model's), status, with ground truth (:meth:`set_truth`) the file's label and the
    default verdict against it, the other models, one per classic analysis, the marked area,
    faces, the probability spread and the verdicts' agreement, the decoder's warnings (their count, each in the tooltip).
    ``SORT_ROLE`` gives numbers for the figure columns (-1 for "not run", so those sort below
    every score; a failed file above every score in a verdict column). Thumbnails come from the scan output folder ``out`` through a :class:`ThumbnailLoader` when a view first asks for them;
    at most :data:`THUMB_CACHE` are kept.
    """

    def __init__(self, parent: QObject | None = None) -> None:
        super().__init__(parent)
        self._rows: list[TriageRow] = []
        self._where: dict[str, int] = {}
        self._pixmaps: OrderedDict[str, QPixmap | None] = OrderedDict()
        self._asked: set[str] = set()
        self.out: Path | None = None
        self._dirty: set[int] = set()  # rows changed since the last flush()
        self._pending: dict[str, TriageRow] = {}  # new rows queued, inserted by flush()
        self._moved = False  # a row changed its figures since the last flush(): sort again
        # the rows' order (sort()): column and order, and each row's sort value in it
        self._order: tuple[int, Qt.SortOrder] | None = None
        self._sort_keys: dict[str, Any] = {}
        self.thumbnails = ThumbnailLoader(self, after=self.flush)
        self.thumbnails.mailbox.on("thumb", self._on_thumbnail)
        self._models: tuple[Sequence[str], str | None, Sequence[str]] = ((), None, ())
        self.truth: dict[str, int] | None = None  # file key -> 1 tampered / 0 authentic
        self.columns: list[Column] = self._make_columns([], None)

    @staticmethod
    def _make_columns(
        models: Sequence[str],
        ensemble: str | None,
        analyses: Sequence[str] = (),
        truth: bool = False,
    ) -> list[Column]:
        # the default verdict and the status first, beside the file: at the dialog's 1100
        # pixels the ensemble's column came after every model's and read "bu…" at the edge
        members = [Column("model", m, m) for m in models]
        if ensemble:
            verdict = [Column("ensemble", f"{ensemble} (ensemble)", ensemble)]
        else:  # without an ensemble the first model's column leads
            verdict, members = members[:1], members[1:]
        cols = [Column("thumbnail", ""), Column("file", "File"), *verdict]
        cols.append(Column("status", "Status"))
        if truth:
            cols += [Column("truth", TRUTH_HEADERS[0]), Column("agreement", TRUTH_HEADERS[1])]
        cols += members
        cols += [Column("analysis", analysis_header(a), a) for a in analyses]
        cols += [
            Column("forged_fraction", MARKED_AREA.capitalize()),
            Column("faces", "Faces"),
            Column("disagreement", SPREAD_HEADER),
            Column("warnings", "Warnings"),
        ]
        return cols

    def default_sort(self) -> tuple[int, Qt.SortOrder]:
        """The column and order a table opens in: the default verdict's (the ensemble's, else
        the first model's) score, highest first, failed files above them; before the models
        are known, the file names A to Z. Qt's own default (the first column, descending)
        listed the files in reverse alphabetical order under the thumbnail column's arrow."""
        lead = self.columns[2] if len(self.columns) > 2 else self.columns[1]
        if lead.id in ("model", "ensemble"):
            return 2, Qt.SortOrder.DescendingOrder
        return self.column_of("file"), Qt.SortOrder.AscendingOrder

    def set_models(
        self, models: Sequence[str], ensemble: str | None, analyses: Sequence[str] = ()
    ) -> None:
        """Columns for these models and classic analyses; rows stay when they are the same,
        else the table empties."""
        self._models = (list(models), ensemble, list(analyses))
        cols = self._make_columns(models, ensemble, analyses, self.truth is not None)
        if cols == self.columns:
            return
        self.beginResetModel()
        self.columns = cols
        self._forget()
        self._keep_order()
        self.endResetModel()

    def set_truth(self, labels: dict[str, int] | None) -> None:
        """The scan's ground-truth labels by file key (1 tampered, 0 authentic; those
        :func:`~forensic_viewer.gui.truth_choice.score_scan` returns): two columns more;
        None: a scan without ground truth, none. The rows stay."""
        if labels is None and self.truth is None:
            return
        self.beginResetModel()
        self.truth = None if labels is None else dict(labels)
        self.columns = self._make_columns(*self._models, truth=labels is not None)
        self._keep_order()
        self.endResetModel()
        self._resort()

    def truth_texts(self, row: TriageRow) -> tuple[str, ...]:
        """The ground-truth cells of ``row``: () without ground truth."""
        return () if self.truth is None else truth_texts(row, self.truth)

    def set_out(self, out: Path) -> None:
        """The scan output folder the rows come from; another folder empties the table."""
        if out != self.out:
            self.clear()
            self.out = out

    def clear(self) -> None:
        self.beginResetModel()
        self._forget()
        self.endResetModel()

    def _keep_order(self) -> None:
        """The columns changed: the sort values are made again (the order's column kept when
        there still is one; the view sorts again after new columns)."""
        self._sort_keys.clear()
        if self._order is not None and self._order[0] >= len(self.columns):
            self._order = None

    def _forget(self) -> None:
        self.thumbnails.clear()
        self._dirty.clear()
        self._pending.clear()
        self._sort_keys.clear()
        self._rows, self._where = [], {}
        self._pixmaps.clear()
        self._asked.clear()

    def queue(self, row: TriageRow) -> None:
        """Take ``row`` (a file's new row, or one replacing its earlier row); the views hear
        of it at the next :meth:`flush`, every row queued since in one insertion. One
        ``beginInsertRows`` per row into a table kept sorted froze the viewer for 10 s while
        a 9,720-file scan's rows arrived (walk-through, 2026-12-06)."""
        i = self._where.get(row.key)
        if i is None:
            self._pending[row.key] = row
            return
        self._rows[i] = row
        self._dirty.add(i)
        self._sort_keys.pop(row.key, None)
        self._moved = True

    def upsert(self, row: TriageRow) -> None:
        """Take ``row`` and tell the views at once (:meth:`queue` then :meth:`flush`)."""
        self.queue(row)
        self.flush()

    def add_rows(self, rows: Sequence[TriageRow]) -> None:
        """Take ``rows`` and tell the views, in one insertion."""
        for row in rows:
            self.queue(row)
        self.flush()

    def _insert_pending(self) -> None:
        """The rows queued, into the table: a few at their places in the order kept (the
        proxy then maps only them), many appended in one insertion and sorted once."""
        if not self._pending:
            return
        new = list(self._pending.values())
        self._pending.clear()
        if self._order is None or self._moved or len(new) > max(AT_PLACE, len(self._rows) // 20):
            first = len(self._rows)
            self.beginInsertRows(QModelIndex(), first, first + len(new) - 1)
            for i, row in enumerate(new, first):
                self._rows.append(row)
                self._where[row.key] = i
            self.endInsertRows()
            self._moved = self._order is not None
            return
        keys, desc = self._keys(new), self._order[1] == Qt.SortOrder.DescendingOrder
        new.sort(key=lambda r: keys[r.key], reverse=desc)
        ranked = [keys[r.key] for r in self._rows]  # ascending, as bisect needs it
        if desc:
            ranked.reverse()
        n = len(ranked)
        places = [
            n - bisect_left(ranked, keys[r.key]) if desc else bisect_right(ranked, keys[r.key])
            for r in new
        ]  # after the rows of an equal value, as sorted() leaves them
        dirty = {self._rows[i].key for i in self._dirty}
        i = 0
        while i < len(new):  # one insertion per place
            j = i
            while j + 1 < len(new) and places[j + 1] == places[i]:
                j += 1
            at = places[i] + i  # the i rows inserted before move this place down
            self.beginInsertRows(QModelIndex(), at, at + j - i)
            self._rows[at:at] = new[i : j + 1]
            self.endInsertRows()
            i = j + 1
        self._where = {row.key: k for k, row in enumerate(self._rows)}
        self._dirty = {self._where[k] for k in dirty}

    def _keys(self, extra: Sequence[TriageRow] = ()) -> dict[str, Any]:
        """Each row's sort value in the order's column (kept; made for rows without one)."""
        assert self._order is not None
        col, keys = self.columns[self._order[0]], self._sort_keys
        for row in (*self._rows, *extra):
            if row.key not in keys:
                keys[row.key] = self._sort_value(row, col)
        return keys

    def sort(self, column: int, order: Qt.SortOrder = Qt.SortOrder.AscendingOrder) -> None:
        """Order the rows by ``column``'s sort value (:data:`SORT_ROLE`), and keep them so as
        rows arrive. Done here, in one Python ``sorted`` over values kept per row, and not by
        the proxy: Qt's sort asked :meth:`data` for both sides of every comparison, about
        270,000 calls into Python for 10,000 rows, 1.6-2.6 s of frozen viewer per column
        click (walk-through, 2026-12-06)."""
        if not 0 <= column < len(self.columns):
            return
        if self._order is None or self._order[0] != column:
            self._sort_keys.clear()
        self._order = (column, order)
        self._resort()

    def _resort(self) -> None:
        self._moved = False
        if self._order is None or not self._rows:
            return
        order, keys = self._order[1], self._keys()
        new = sorted(
            range(len(self._rows)),
            key=lambda i: keys[self._rows[i].key],
            reverse=order == Qt.SortOrder.DescendingOrder,
        )
        if new == list(range(len(new))):
            return
        self.layoutAboutToBeChanged.emit()
        place = {old: pos for pos, old in enumerate(new)}
        self._rows = [self._rows[i] for i in new]
        self._where = {row.key: i for i, row in enumerate(self._rows)}
        self._dirty = {place[i] for i in self._dirty}
        before = self.persistentIndexList()
        after = [self.index(place[ix.row()], ix.column()) for ix in before]
        self.changePersistentIndexList(before, after)
        self.layoutChanged.emit()

    def flush(self) -> None:
        """Tell the views about the rows queued and changed since the last call: one
        insertion, the rows sorted again when kept in an order, one ``dataChanged`` (each emit
        from Python costs a reference to ``True``: see :mod:`.mailbox`)."""
        self._insert_pending()
        if self._moved:
            self._resort()
        if not self._dirty:
            if not self._asked:
                self.thumbnails.mailbox.rest()
            return
        first, last = min(self._dirty), max(self._dirty)
        self._dirty.clear()
        self.dataChanged.emit(self.index(first, 0), self.index(last, len(self.columns) - 1))

    def row_at(self, i: int) -> TriageRow:
        return self._rows[i]

    def rows(self) -> list[TriageRow]:
        """The rows in the table's order (the sort's; row ``i`` is :meth:`row_at` ``i``)."""
        return list(self._rows)

    def column_of(self, id_: str, model: str | None = None) -> int:
        for i, c in enumerate(self.columns):
            if c.id == id_ and (model is None or c.model == model):
                return i
        raise KeyError(id_)

    def rowCount(self, parent: QModelIndex | QPersistentModelIndex = QModelIndex()) -> int:  # noqa: B008
        return 0 if parent.isValid() else len(self._rows)

    def columnCount(self, parent: QModelIndex | QPersistentModelIndex = QModelIndex()) -> int:  # noqa: B008
        return 0 if parent.isValid() else len(self.columns)

    def headerData(
        self, section: int, orientation: Qt.Orientation, role: int = Qt.ItemDataRole.DisplayRole
    ) -> Any:
        if orientation != Qt.Orientation.Horizontal or not 0 <= section < len(self.columns):
            return None
        col = self.columns[section]
        if role == Qt.ItemDataRole.DisplayRole:
            return col.header
        if role == Qt.ItemDataRole.AccessibleTextRole and col.id == "thumbnail":
            return "thumbnail"  # its title blank over the pictures, a screen reader's read none
        if role == Qt.ItemDataRole.ToolTipRole:  # what the computed columns give
            if col.id == "analysis":
                return tip_text(plain(analysis_note(col.model or "")))
            if col.id == "forged_fraction":
                return MARKED_AREA_NOTE
            if col.id == "disagreement":
                return DISAGREEMENT_NOTE
            if col.id == "warnings":
                return WARNINGS_NOTE
        return None

    def _cell(self, row: TriageRow, col: Column) -> Any:
        if col.id == "ensemble":
            return row.ensemble
        return row.cell(col.model or "")

    def data(self, index: QModelIndex | QPersistentModelIndex, role: int = 0) -> Any:
        if not index.isValid():
            return None
        row = self._rows[index.row()]
        col = self.columns[index.column()]
        if role == Qt.ItemDataRole.DisplayRole:
            return self._text(row, col)
        if role == SORT_ROLE:
            return self._sort_value(row, col)
        if role == Qt.ItemDataRole.DecorationRole and col.id == "thumbnail":
            return self._thumbnail(row)
        if role == Qt.ItemDataRole.ToolTipRole:
            if col.id == "status" and row.error:
                return tip_text(plain(row.error))  # the whole line, the file named
            if col.id == "analysis" and (a := row.analysis(col.model or "")) is not None:
                return tip_lines([analysis_note(a.name), *a.warnings])
            if col.id == "disagreement" and row.verdicts:
                return tip_lines(row.verdicts_text.splitlines())
            if col.id == "warnings" and row.warnings:
                return tip_lines(row.warnings)
            if col.id in ("file", "thumbnail"):
                where = [f"read from {outside_words(row.read_from)}"] if row.read_from else []
                if row.replaces:
                    where.append(changed_words(row.replaces, row.sha256))
                return tip_lines([row.file or row.key, *where])
            if col.id == "agreement" and self.truth is not None:
                label, agreement = self.truth_texts(row)
                if agreement == "—":
                    return None  # no mask, or no check ran: nothing was compared
                verdict = FLAGGED if row.flagged else NOT_FLAGGED
                if row.flagged_out_of_range:  # said apart, as the report's headline counts it
                    verdict = f"{FLAGGED} only by verdicts {OUT_OF_RANGE}"
                return f"default verdict {verdict}; ground truth {label}"
            return None
        if role == Qt.ItemDataRole.ForegroundRole:
            brush = self._color(row, col)
            if brush is None:
                return None
            base = QGuiApplication.palette().color(QPalette.ColorRole.Base)
            return QBrush(legible(brush.color(), base))  # WCAG AA on the table's background
        return None

    def _thumbnail(self, row: TriageRow) -> QPixmap | None:
        if row.key in self._pixmaps:
            self._pixmaps.move_to_end(row.key)
            return self._pixmaps[row.key]
        if self.out is not None and row.key not in self._asked:
            self._asked.add(row.key)
            app = QGuiApplication.instance()
            ratio = app.devicePixelRatio() if isinstance(app, QGuiApplication) else 1.0
            self.thumbnails.request(self.out, row, thumb_side(ratio))
        return None

    def _on_thumbnail(self, key: str, image: QImage | None) -> None:
        if key not in self._asked:  # asked before the table was emptied
            return
        self._asked.discard(key)
        self._pixmaps[key] = None if image is None else thumb_pixmap(image)
        while len(self._pixmaps) > THUMB_CACHE:
            self._pixmaps.popitem(last=False)
        i = self._where.get(key)
        if i is not None:
            self._dirty.add(i)

    def _text(self, row: TriageRow, col: Column) -> str:
        if col.id == "thumbnail":
            return ""
        if col.id == "file":
            return plain(row.file_text)
        if col.id in ("model", "ensemble"):
            cell = self._cell(row, col)
            return NOT_RUN if cell is None else cell.text
        if col.id == "analysis":
            a = row.analysis(col.model or "")
            return NOT_RUN if a is None else a.text
        if col.id == "forged_fraction":
            return "—" if row.forged_fraction is None else f"{100 * row.forged_fraction:.1f} %"
        if col.id == "faces":
            return "not checked" if row.faces is None else str(row.faces)
        if col.id in ("truth", "agreement"):
            return self.truth_texts(row)[col.id == "agreement"]
        if col.id == "disagreement":
            return row.disagreement_text
        if col.id == "warnings":
            return row.warnings_text
        if row.status == "ok":
            return "ok"
        # the problem, not the folder: the file's path first cut it to "error: /tmp/…/folder/…"
        # (the file is in its own column; the whole line in the tooltip)
        return plain(f"error: {error_without_file(row.error or '', row.file)}")

    def _sort_value(self, row: TriageRow, col: Column) -> Any:
        if col.id in ("thumbnail", "file"):
            return row.key.lower()
        if col.id in ("model", "ensemble"):
            if row.status != "ok":  # above every score: a failed file is seen, not last
                return FAILED_SORT
            return _cell_sort(self._cell(row, col))
        if col.id == "analysis":
            a = row.analysis(col.model or "")
            return -1.0 if a is None else a.sort
        if col.id == "forged_fraction":
            return -1.0 if row.forged_fraction is None else row.forged_fraction
        if col.id == "faces":
            return -1.0 if row.faces is None else float(row.faces)
        if col.id == "disagreement":
            return -1.0 if row.disagreement is None else row.disagreement
        if col.id == "warnings":
            return float(len(row.warnings))
        if col.id in ("truth", "agreement"):
            return self.truth_texts(row)[col.id == "agreement"]
        return f"{row.status} {row.error or ''}".lower()

    def _color(self, row: TriageRow, col: Column) -> QBrush | None:
        if col.id == "status" and row.status != "ok":
            return QBrush(RED)
        if col.id == "agreement":
            text = self.truth_texts(row)[1]
            return QBrush(GREY) if text == "—" else None if text == AGREES else QBrush(RED)
        if col.id in ("model", "ensemble"):
            cell = self._cell(row, col)
            # a verdict outside the measured range is grey, as in the viewer's cards
            if cell is None or cell.status == NOT_RUN or cell.out_of_range:
                return QBrush(GREY)
            if cell.verdict == "manipulated":
                return QBrush(RED)
        if col.id == "analysis":
            a = row.analysis(col.model or "")
            if a is None or a.status == NOT_RUN:
                return QBrush(GREY)
            if a.pairs or a.strong:
                return QBrush(RED)
        return None


class TriageFilter(QSortFilterProxyModel):
    """Shows rows whose file, status, error, verdicts, warnings or ground truth contain the
    filter text (case-insensitive), and only flagged rows when ``flagged_only``. Sorting is the
    model's (:meth:`TriageModel.sort`): the view's sort goes to it, and the proxy keeps the
    model's order, so a filter change sorts nothing again."""

    def __init__(self, parent: QObject | None = None) -> None:
        super().__init__(parent)
        self.setSortRole(SORT_ROLE)
        self._text = ""
        self._flagged_only = False

    def sort(self, column: int, order: Qt.SortOrder = Qt.SortOrder.AscendingOrder) -> None:
        """The view's sort (a header click, ``sortByColumn``), done by the model."""
        model = self.sourceModel()
        if isinstance(model, TriageModel):
            model.sort(column, order)

    def set_text(self, text: str) -> None:
        self._refilter(lambda: setattr(self, "_text", text.strip().lower()))

    def set_flagged_only(self, on: bool) -> None:
        self._refilter(lambda: setattr(self, "_flagged_only", bool(on)))

    def _refilter(self, change: Callable[[], None]) -> None:
        if hasattr(self, "beginFilterChange"):  # Qt >= 6.9; invalidateFilter is deprecated
            self.beginFilterChange()
            change()
            self.endFilterChange(QSortFilterProxyModel.Direction.Rows)
        else:
            change()
            self.invalidateFilter()

    def filterAcceptsRow(
        self, source_row: int, source_parent: QModelIndex | QPersistentModelIndex
    ) -> bool:
        model = self.sourceModel()
        if not isinstance(model, TriageModel):
            return True
        row = model.row_at(source_row)
        if self._flagged_only and not row.flagged:
            return False
        if not self._text:
            return True
        cells = [*row.cells, *([row.ensemble] if row.ensemble else []), *row.analyses]
        texts = [row.file_text, row.status, row.error or "", *(c.text for c in cells)]
        texts += row.warnings
        hay = " ".join([*texts, *model.truth_texts(row)])
        return self._text in hay.lower()

    def row_at(self, proxy_row: int) -> TriageRow:
        model = self.sourceModel()
        assert isinstance(model, TriageModel)
        return model.row_at(self.mapToSource(self.index(proxy_row, 0)).row())
