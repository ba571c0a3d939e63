"""What a run changed in its output folder, as the case log's ``scan-finished`` records it
(no Qt): the rows it made and those kept from earlier runs, the files it found replaced (their
row's SHA-256 before and now), and the files an earlier run analysed that have left the folder.

A walk-through of 2026-12-06 (a case handed over and resumed by a second examiner) found the
entry holding only counts, settings and hashes: not the file whose bytes had changed, nor
those gone, nor which rows were the first examiner's. The rows say it: each records the run
that made it (``run``, the run's identity as scan.json's ``run.id`` holds it, or in rows of
before, its start to the second: :mod:`~forensic_viewer.scan.run_id`) and, when the file's
bytes changed since its earlier row, that row's SHA-256 (``replaces``). The rows made now are
counted from the run's summary; a replaced file is one whose row bears the run's identity and
``replaces`` (with second stamps, a file that an earlier run begun in the same second replaced
was counted too).
"""

from __future__ import annotations

import json
from collections.abc import Sequence
from pathlib import Path
from typing import Any

from engine.files import open_regular
from forensic_viewer.scan.integrity import recorded_run
from forensic_viewer.scan.results import RESULTS, SCAN_INFO
from forensic_viewer.scan.run_id import run_identity

LISTED = 100  # files named per list in the entry; the rest counted (results.jsonl has each)


def _listed(files: Sequence[dict[str, Any]]) -> dict[str, Any]:
    return {"count": len(files), "files": list(files[:LISTED])}


def run_changes(out: Path, made: int, gone: Sequence[Any] = ()) -> dict[str, Any]:
    """What the run that last wrote ``out`` changed: ``rows`` (``made``: the rows this run
    wrote, its files analysed or failed, as its summary counts them; ``kept``: the other rows,
    those of earlier runs left as they were, one row per file as results.jsonl ends; ``run``:
    the run's identity, which the rows made now carry, as scan.json's ``run.id``),
    ``replaced`` (files this run analysed again because their bytes changed: path, evidence
    file, ``sha256_before`` and ``sha256_now``) and ``gone`` (``gone``:
    :class:`~forensic_viewer.scan.gone.GoneFile` s, with the SHA-256 their row recorded);
    each list its count and its first :data:`LISTED` files. {} when results.jsonl or
    scan.json's run cannot be read (nothing to say of them, and the run's own error is said)."""
    identity = run_identity(recorded_run(out / SCAN_INFO))
    rows: dict[str, dict[str, Any]] = {}  # path -> its last row's run and replaces
    try:
        with open_regular(out / RESULTS) as f:
            for line in f:
                try:
                    row = json.loads(line)
                except ValueError:
                    continue  # not a row (set aside by the run: its own entry says so)
                if isinstance(row, dict) and isinstance(path := row.get("path"), str):
                    rows[path] = {
                        "run": row.get("run"),
                        "file": row.get("file"),
                        "sha256": row.get("sha256"),
                        "replaces": (row.get("replaces") or {}).get("sha256")
                        if isinstance(row.get("replaces"), dict)
                        else None,
                    }
    except OSError:
        return {}
    now = [p for p, r in rows.items() if identity is not None and r["run"] == identity]
    replaced = [
        {
            "path": p,
            "file": rows[p]["file"],
            "sha256_before": rows[p]["replaces"],
            "sha256_now": rows[p]["sha256"],
        }
        for p in now
        if rows[p]["replaces"]
    ]
    return {
        "rows": {"made": made, "kept": max(len(rows) - made, 0), "run": identity},
        "replaced": _listed(replaced),
        "gone": _listed([g.to_json() for g in gone]),
    }
