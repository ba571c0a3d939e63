"""The triage table with many rows (walk-through of a 9,720-file scan, 2026-12-06: the viewer
froze 10 s while the rows arrived, one insertion each into a table kept sorted, and 1.6-2.6 s
per column sort, Qt's sort asking each row's value for every comparison). Rows arriving in one
mailbox round reach the view in one insertion; a sort reads each row's value once; the order
and the selection come out right. Speed itself is measured by bench/bench_triage_table.py."""

from __future__ import annotations

from dataclasses import replace

import pytest
from PySide6.QtCore import QItemSelectionModel, Qt
from PySide6.QtWidgets import QTableView

from bench.bench_triage_table import synthetic_rows
from forensic_viewer.gui.batch_dialog import BatchDialog
from forensic_viewer.gui.triage_table import FAILED_SORT, TriageFilter, TriageModel

pytestmark = pytest.mark.gui


def _table(qtbot) -> tuple[TriageModel, TriageFilter, QTableView]:
    model = TriageModel()
    model.set_models(["a", "b"], "ens")
    proxy = TriageFilter()
    proxy.setSourceModel(model)
    view = QTableView()
    qtbot.addWidget(view)
    view.setModel(proxy)
    view.setSortingEnabled(True)
    view.sortByColumn(*model.default_sort())  # the ensemble's score, highest first
    return model, proxy, view


def _shown(proxy: TriageFilter) -> list[str]:
    return [proxy.row_at(i).key for i in range(proxy.rowCount())]


def _by_score(rows) -> list[str]:
    """The default order: failed files first, then the ensemble's score, highest first."""
    value = {r.key: FAILED_SORT if r.status != "ok" else r.ensemble.score for r in rows}
    return [r.key for r in sorted(rows, key=lambda r: value[r.key], reverse=True)]


def test_a_rounds_files_reach_the_table_in_one_insertion(qtbot) -> None:
    """The batch dialog's file messages of one mailbox round, then its ``after`` (flush)."""
    dialog = BatchDialog(models=[], device="cpu")
    qtbot.addWidget(dialog)
    dialog.table_model.set_models(["a", "b"], "ens")
    dialog.table.sortByColumn(*dialog.table_model.default_sort())
    inserted: list[tuple[int, int]] = []
    dialog.table_model.rowsInserted.connect(lambda _p, first, last: inserted.append((first, last)))
    rows = synthetic_rows(300, seed=1)
    for i, row in enumerate(rows, 1):
        dialog._on_file(i, len(rows), True, row, len(rows) - i)
    dialog.table_model.flush()
    assert inserted == [(0, 299)]
    assert _shown(dialog.proxy) == _by_score(rows)


def test_rows_in_rounds_of_any_size_come_out_in_order_and_the_selection_follows(qtbot) -> None:
    model, proxy, view = _table(qtbot)
    rows = synthetic_rows(400, seed=2)
    inserted: list[int] = []
    model.rowsInserted.connect(lambda _p, first, last: inserted.append(last - first + 1))
    taken = 0
    for size in (1, 3, 150, 2, 200, 1, 43):  # a few at their places, many appended and sorted
        model.add_rows(rows[taken : taken + size])
        taken += size
        assert _shown(proxy) == _by_score(rows[:taken])
    assert sum(inserted) == 400 and len(inserted) < 400
    # the selected row stays selected however the rows move
    picked = proxy.row_at(5).key
    view.selectionModel().select(
        proxy.index(5, 0),
        QItemSelectionModel.SelectionFlag.ClearAndSelect | QItemSelectionModel.SelectionFlag.Rows,
    )
    view.sortByColumn(model.column_of("file"), Qt.SortOrder.AscendingOrder)
    assert _shown(proxy) == sorted(r.key.lower() for r in rows)
    selected = {proxy.row_at(ix.row()).key for ix in view.selectionModel().selectedRows()}
    assert selected == {picked}
    # a row replaced by a new figure moves to its place
    last = proxy.row_at(proxy.rowCount() - 1)
    view.sortByColumn(*model.default_sort())
    cell = next(r.ensemble for r in rows if r.status == "ok")
    model.upsert(replace(last, status="ok", error=None, ensemble=replace(cell, score=2.0)))
    ok = [proxy.row_at(i) for i in range(proxy.rowCount()) if proxy.row_at(i).status == "ok"]
    assert ok[0].key == last.key


def test_a_sort_reads_each_rows_value_once(qtbot, monkeypatch) -> None:
    model, proxy, view = _table(qtbot)
    for row in synthetic_rows(500, seed=3):
        model.upsert(row)
    calls = 0
    sort_value = model._sort_value

    def counted(*args):
        nonlocal calls
        calls += 1
        return sort_value(*args)

    monkeypatch.setattr(model, "_sort_value", counted)
    view.sortByColumn(model.column_of("file"), Qt.SortOrder.AscendingOrder)
    assert calls <= 500  # Qt's own sort asked for two values per comparison: about 9,000
    proxy.set_flagged_only(True)  # a filter sorts nothing again
    assert calls <= 500
    assert all(proxy.row_at(i).flagged for i in range(proxy.rowCount()))
    keys = _shown(proxy)
    assert keys == sorted(keys)
