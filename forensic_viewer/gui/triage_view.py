"""The triage table as the scan dialogs show it, and the opening of its rows.

The batch dialog (a scan it runs) and File ▸ Open scan results… (a scan folder, read-only)
show one table: :func:`triage_view` builds it, the filter row above it included.
A row is opened the same way from both (:class:`RowOpener`): its file with the scan's
recorded result, rebuilt on a :class:`~forensic_viewer.gui.result_loader.ResultLoader` thread
(nothing analysed again), or as a new file when that result cannot be used (a failed file, a
file changed since the scan, a record without figures). The two dialogs had held a copy each
of the table's set-up and of the open-row, loaded and load-failed handlers.

The table sorts by a header click and, from the keyboard, by its context menu
(:class:`SortMenu`: the Menu key or Shift+F10): its header takes no focus, so the keyboard
could not sort it (walk-through D, item 4).
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

from PySide6.QtCore import QObject, QPoint, Qt, Signal
from PySide6.QtWidgets import (
    QAbstractItemView,
    QCheckBox,
    QHBoxLayout,
    QHeaderView,
    QLineEdit,
    QMenu,
    QTableView,
)

from forensic_viewer.gui.result_loader import ResultLoader
from forensic_viewer.gui.thread_stop import stop_within
from forensic_viewer.gui.triage_table import TABLE_THUMB, TriageFilter, TriageModel
from forensic_viewer.scan.replay import ScanAnalysis
from forensic_viewer.scan.triage import TriageRow
from forensic_viewer.wording import plain

FILE_WIDTH = 220  # px: the File column's least width ("astronaut-faceblend.png" and more)
MODEL_WIDTH = 140  # px: a model's column's least width ("manipulated 0.93")
STATUS_WIDTH = 200  # px: the Status column's least width once the models are known


@dataclass(frozen=True)
class TriageView:
    """A scan's triage table: its model, the filter proxy the view shows, the view, and the
    filter row (``filters``: the filter text and "flagged only"; a dialog may add to it)."""

    model: TriageModel
    proxy: TriageFilter
    table: QTableView
    filter_text: QLineEdit
    flagged_only: QCheckBox
    sorting: SortMenu
    filters: QHBoxLayout


def size_columns(table: QTableView, model: TriageModel) -> None:
    """The columns' first widths, before any row is there to measure: each as wide as its
    header, the thumbnails' as a thumbnail, and the File, model and Status columns at least
    :data:`FILE_WIDTH`, :data:`MODEL_WIDTH` and :data:`STATUS_WIDTH` (a failed file's problem on
    two lines). Sized by its header alone, Open scan results' File column was about 55 px
    wide: "astr… face…" (walk-through hidpi, finding 5)."""
    table.resizeColumnsToContents()
    table.setColumnWidth(0, TABLE_THUMB + 8)
    table.setColumnWidth(1, max(table.columnWidth(1), FILE_WIDTH))
    for i, col in enumerate(model.columns):
        if col.model is not None:
            table.setColumnWidth(i, max(table.columnWidth(i), MODEL_WIDTH))
    status = model.column_of("status")
    table.setColumnWidth(status, max(table.columnWidth(status), STATUS_WIDTH))


class SortMenu(QObject):
    """The keyboard's sort of ``table``: its context menu (the Menu key, Shift+F10, or a right
    click on the table or its header) lists the columns by their titles (the thumbnails'
    left out; the one sorted on checked) and "Descending". A chooser beside the filter had widened
    the scan dialog's results side by some 280 pixels."""

    def __init__(self, table: QTableView) -> None:
        super().__init__(table)
        self.table = table
        self.menu: QMenu | None = None  # the one open last
        for widget in (table, table.horizontalHeader()):
            widget.setContextMenuPolicy(Qt.ContextMenuPolicy.CustomContextMenu)
            widget.customContextMenuRequested.connect(
                lambda pos, w=widget: self.popup(w.viewport().mapToGlobal(pos))
            )

    def make_menu(self) -> QMenu:
        model = self.table.model()
        header = self.table.horizontalHeader()
        section, order = header.sortIndicatorSection(), header.sortIndicatorOrder()
        descending = order == Qt.SortOrder.DescendingOrder
        menu = QMenu("Sort by", self.table)
        menu.setAccessibleName("sort by")  # read as the menu opens: its entries are the titles
        for i in range(model.columnCount()):
            name = model.headerData(i, Qt.Orientation.Horizontal)
            if not name:
                continue  # the thumbnails
            action = menu.addAction(str(name).replace("&", "&&"))
            action.setCheckable(True)
            action.setChecked(i == section)
            action.triggered.connect(lambda _=False, i=i: self.sort(i, descending))
        menu.addSeparator()
        reverse = menu.addAction("Descending")
        reverse.setCheckable(True)
        reverse.setChecked(descending)
        reverse.triggered.connect(lambda on: self.sort(section, on))
        return menu

    def popup(self, at: QPoint) -> None:
        self.menu = self.make_menu()
        self.menu.setAttribute(Qt.WidgetAttribute.WA_DeleteOnClose)
        self.menu.popup(at)

    def sort(self, column: int, descending: bool) -> None:
        order = Qt.SortOrder.DescendingOrder if descending else Qt.SortOrder.AscendingOrder
        self.table.sortByColumn(column, order)


def triage_view(parent: QObject) -> TriageView:
    """The triage table of a scan dialog, empty, sorted as a table opens
    (:meth:`TriageModel.default_sort`): rows selected whole, never edited, Tab leaving it."""
    filter_text = QLineEdit()
    filter_text.setAccessibleName("filter the results")
    filter_text.setPlaceholderText("filter: file name, verdict, error…")
    flagged_only = QCheckBox("flagged only")
    model = TriageModel(parent)
    proxy = TriageFilter(parent)
    proxy.setSourceModel(model)
    filter_text.textChanged.connect(proxy.set_text)
    flagged_only.toggled.connect(proxy.set_flagged_only)
    table = QTableView()
    table.setAccessibleName("scan results")
    table.setAccessibleDescription(
        "one row per file: verdicts in words, Enter or double-click opens the file, "
        "the Menu key sorts"
    )
    table.setModel(proxy)
    table.setSortingEnabled(True)
    table.sortByColumn(*model.default_sort())
    table.setSelectionBehavior(QAbstractItemView.SelectionBehavior.SelectRows)
    table.setEditTriggers(QAbstractItemView.EditTrigger.NoEditTriggers)
    # Tab leaves the table (the arrow keys move between its cells): Qt's tables take Tab
    # from cell to cell and round again, and held the keyboard there
    table.setTabKeyNavigation(False)
    table.verticalHeader().setDefaultSectionSize(TABLE_THUMB + 4)
    table.verticalHeader().setVisible(False)
    table.horizontalHeader().setSectionResizeMode(QHeaderView.ResizeMode.Interactive)
    table.horizontalHeader().setStretchLastSection(True)
    table.setColumnWidth(0, TABLE_THUMB + 8)
    sorting = SortMenu(table)
    filters = QHBoxLayout()
    filters.addWidget(filter_text, 1)
    filters.addWidget(flagged_only)
    return TriageView(model, proxy, table, filter_text, flagged_only, sorting, filters)


class RowOpener(QObject):
    """Opens a triage row's file in the viewer (module doc). Signals: ``opened(ScanAnalysis)``,
    the scan's result ready for the viewer; ``openFile(path)``, the file to open as a new one
    (the path as a Python str: ``Signal(str)`` dropped a name's bytes); ``said(line)``, the
    dialog's message line ("opening …", then what became of it)."""

    opened = Signal(object)
    openFile = Signal(object)
    said = Signal(str)

    def __init__(self, parent: QObject | None = None) -> None:
        super().__init__(parent)
        self._loaders: list[ResultLoader] = []

    def open(self, row: TriageRow, out: Path | None) -> None:
        """``row``'s file with its result from the scan output folder ``out``; a failed file,
        or no ``out``, as a new file."""
        if row.status != "ok" or out is None:
            if row.file:
                self.openFile.emit(row.file)
            return
        loader = ResultLoader(out, row.key, self)
        loader.loaded.connect(self._on_loaded)
        loader.failed.connect(self._on_load_failed)
        loader.finished.connect(lambda: self._loaders.remove(loader))
        loader.finished.connect(loader.deleteLater)
        self._loaders.append(loader)
        self.said.emit(plain(f"opening {row.key}…"))
        loader.start()

    def _on_loaded(self, analysis: ScanAnalysis) -> None:
        """The result is ready: to the viewer, and "opening …" is over."""
        self.said.emit(plain(f"{analysis.scan_key}: opened in the viewer with this scan's result"))
        self.opened.emit(analysis)

    def _on_load_failed(self, file: str, message: str) -> None:
        self.said.emit(plain(f"{message}; opened as a new file" if file else message))
        if file:
            self.openFile.emit(file)

    def wait(self, timeout_ms: int) -> None:
        """Wait up to ``timeout_ms`` for each loader still reading (the viewer quits)."""
        for loader in list(self._loaders):
            stop_within(loader, timeout_ms, "a scan result being read")
