"""The batch dialog's triage table with 10,000 rows: how long the GUI thread is held.

A walk-through of a 9,720-file scan (2026-12-06) froze the viewer for up to 10.1 s while the
table filled, 1.6-2.6 s per column sort and 1.5 s for "flagged only". This builds 10,000
synthetic :class:`~forensic_viewer.scan.triage.TriageRow` (two models, an ensemble, 3 % failed
files) and hands them to the table the way the batch dialog's mailbox does: in rounds of
``ROUND`` rows, each round followed by the model's ``flush`` (the mailbox's ``after``) and the
events it causes. The view (a ``QTableView`` over the sorted ``TriageFilter``, as the dialog
has it) is shown offscreen. Figures: the whole load, the longest round (a GUI-thread stall),
each column's sort and "flagged only" on and off.

No thumbnails are read (the rows name none), so the figures are the model's and the proxy's.
"""

from __future__ import annotations

import os
import time
from typing import Any

import numpy as np

ROWS = 10_000
ROUND = 500  # rows per mailbox round: a resume's skipped files arrive this fast and faster


def synthetic_rows(n: int = ROWS, seed: int = 0) -> list:
    """``n`` rows as a scan of two models and an ensemble makes them (3 % failed files)."""
    from forensic_viewer.scan.triage import NOT_RUN, RAN, Cell, TriageRow

    rng = np.random.default_rng(seed)
    rows = []
    for i in range(n):
        key = f"dir{i % 66:02d}/img{i:05d}.jpg"
        if rng.random() < 0.03:
            none = Cell("a", NOT_RUN)
            rows.append(
                TriageRow(
                    key,
                    f"/ev/{key}",
                    "error",
                    f"/ev/{key}: damaged JPEG data",
                    None,
                    (none, Cell("b", NOT_RUN)),
                    Cell("ens", NOT_RUN),
                    None,
                    None,
                    None,
                    False,
                    None,
                )
            )
            continue
        scores = rng.random(3)
        cells = [
            Cell(name, RAN, float(s), "manipulated" if s > 0.5 else "authentic", float(s / 2), 0.5)
            for name, s in zip(("a", "b", "ens"), scores, strict=True)
        ]
        rows.append(
            TriageRow(
                key,
                f"/ev/{key}",
                "ok",
                None,
                f"{i:064x}",
                tuple(cells[:2]),
                cells[2],
                float(scores[2] / 2),
                None,
                float(abs(scores[0] - scores[1])),
                bool((scores[0] > 0.5) != (scores[1] > 0.5)),
                None,
            )
        )
    return rows


def run(rows_n: int = ROWS, round_n: int = ROUND, table: Any = None) -> dict:
    """``table``: the module of ``TriageModel`` and ``TriageFilter`` (default the project's;
    another version's to compare)."""
    os.environ.setdefault("QT_QPA_PLATFORM", "offscreen")
    from PySide6.QtWidgets import QApplication, QTableView

    if table is None:
        from forensic_viewer.gui import triage_table as table
    TriageFilter, TriageModel = table.TriageFilter, table.TriageModel

    app = QApplication.instance() or QApplication([])
    rows = synthetic_rows(rows_n)
    model = TriageModel()
    model.set_models(["a", "b"], "ens")
    proxy = TriageFilter()
    proxy.setSourceModel(model)
    view = QTableView()
    view.setModel(proxy)
    view.setSortingEnabled(True)
    view.sortByColumn(*model.default_sort())
    view.resize(1000, 700)
    view.show()
    app.processEvents()

    add = getattr(model, "queue", model.upsert)  # the dialog's way in, before and after
    rounds: list[float] = []
    start = time.perf_counter()
    for first in range(0, len(rows), round_n):
        t = time.perf_counter()
        for row in rows[first : first + round_n]:
            add(row)
        model.flush()
        app.processEvents()
        rounds.append(time.perf_counter() - t)
    load = time.perf_counter() - start
    assert proxy.rowCount() == len(rows)

    sorts: dict[str, float] = {}
    for col in (model.column_of("file"), 2, model.column_of("status")):
        t = time.perf_counter()
        view.sortByColumn(col, view.horizontalHeader().sortIndicatorOrder())
        app.processEvents()
        sorts[model.columns[col].id] = time.perf_counter() - t
    t = time.perf_counter()
    proxy.set_flagged_only(True)
    app.processEvents()
    flagged_on = time.perf_counter() - t
    t = time.perf_counter()
    proxy.set_flagged_only(False)
    app.processEvents()
    flagged_off = time.perf_counter() - t
    view.close()
    model.thumbnails.stop()

    print(f"triage table, {len(rows):,} rows in rounds of {round_n}")
    print(f"  load {load:.2f} s, longest round {max(rounds):.3f} s")
    for name, s in sorts.items():
        print(f"  sort by {name}: {s:.3f} s")
    print(f"  flagged only on {flagged_on:.3f} s, off {flagged_off:.3f} s")
    return {
        "rows": len(rows),
        "round": round_n,
        "load_s": round(load, 3),
        "longest_round_s": round(max(rounds), 3),
        "sort_s": {k: round(v, 3) for k, v in sorts.items()},
        "flagged_only_on_s": round(flagged_on, 3),
        "flagged_only_off_s": round(flagged_off, 3),
    }


if __name__ == "__main__":
    run()
