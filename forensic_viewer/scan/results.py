"""The results files of a scan output folder (no Qt): ``results.jsonl`` read as an index of byte
offsets (:class:`ResultIndex`), appended to as files finish (:class:`ResultLog`), and
``results.csv`` made from it (:func:`write_csv`). What a row says, and how it is written and
read, is :mod:`forensic_viewer.scan.records`; the folder layout is in ``docs/RESULTS.md``.
"""

from __future__ import annotations

import csv
import json
from collections.abc import Iterable, Iterator
from pathlib import Path
from typing import Any, BinaryIO

from engine.files import AtomicFile
from forensic_viewer.scan.records import (
    SUMMARY_FIELDS,
    ScanRecord,
    parse_line,
    record_from_json,
    record_to_json,
)

RESULTS = "results.jsonl"


CSV_NAME = "results.csv"


SCAN_INFO = "scan.json"


class ResultIndex:
    """Where the last record of each path sits in ``results.jsonl`` (byte offsets only).

    Reading a record back costs one seek, so resume, CSV and reports work on 10,000-file
    folders without holding every record in memory. The last record of a path wins (a retried
    file appends a second one); lines that are not records (a torn last line) are ignored.
    """

    def __init__(self, out: Path) -> None:
        self.file = out / RESULTS
        self._offsets: dict[str, int] = {}
        self._status: dict[str, str] = {}
        self.has_ensemble = False
        self.ends_torn = False
        if not self.file.exists():
            return
        with open(self.file, "rb") as f:
            offset = 0
            line = b""
            for line in f:
                record = parse_line(line)
                if record is not None:
                    self._add(record, offset)
                offset += len(line)
            self.ends_torn = bool(line) and not line.endswith(b"\n")

    def _add(self, record: ScanRecord, offset: int) -> None:
        self._offsets[record.path] = offset
        self._status[record.path] = record.status
        self.has_ensemble |= record.ensemble is not None

    def __contains__(self, key: object) -> bool:
        return key in self._offsets

    def __len__(self) -> int:
        return len(self._offsets)

    def keys(self) -> list[str]:
        """Paths in the order they were first recorded."""
        return list(self._offsets)

    def status(self, key: str) -> str | None:
        return self._status.get(key)

    def done_keys(self) -> frozenset[str]:
        """Paths whose last record is a finished analysis (a resume skips them)."""
        return frozenset(k for k, s in self._status.items() if s == "ok")

    def get(self, key: str) -> dict[str, Any]:
        """The last row of ``key`` as written (a JSON object, what ``on_file`` callbacks get);
        :meth:`record` gives it typed."""
        with open(self.file, "rb") as f:
            f.seek(self._offsets[key])
            return json.loads(f.readline())

    def record(self, key: str) -> ScanRecord:
        """The last record of ``key``."""
        return record_from_json(self.get(key))

    def iter_records(self, keys: Iterable[str] | None = None) -> Iterator[ScanRecord]:
        """Records of ``keys`` (default: every path) one at a time, in that order."""
        with open(self.file, "rb") as f:
            for key in self.keys() if keys is None else keys:
                offset = self._offsets.get(key)
                if offset is not None:
                    yield self._read_at(f, offset)

    @staticmethod
    def _read_at(f: BinaryIO, offset: int) -> ScanRecord:
        f.seek(offset)
        return record_from_json(json.loads(f.readline()))


class ResultLog(ResultIndex):
    """``results.jsonl`` opened for appending; every record is flushed as it is written."""

    def __init__(self, out: Path) -> None:
        super().__init__(out)
        self._log = open(self.file, "ab")  # closed by close()
        if self.ends_torn:  # the torn line stays unparseable; the next record starts clean
            self._log.write(b"\n")
            self._log.flush()
        self._end = self._log.tell()

    def append(self, record: ScanRecord) -> dict[str, Any]:
        """Write ``record`` as the last row; returns the row as written."""
        row = record_to_json(record)
        line = (json.dumps(row) + "\n").encode("utf-8")
        self._log.write(line)
        self._log.flush()
        self._add(record, self._end)
        self._end += len(line)
        return row

    def close(self) -> None:
        self._log.close()

    def compact(self) -> None:
        """Rewrite results.jsonl with one record per path (retried files appended a second).
        Rows are copied byte for byte, so compaction never changes what a row says."""
        self._log.flush()
        offsets: dict[str, int] = {}
        with open(self.file, "rb") as src, AtomicFile(self.file) as out:
            dst = out.file
            assert dst is not None
            for key, offset in self._offsets.items():
                src.seek(offset)
                offsets[key] = dst.tell()
                dst.write(src.readline())
            self._log.close()
        self._offsets = offsets
        self._log = open(self.file, "ab")  # closed by close()
        self._end = self._log.tell()


def read_records(out: Path) -> dict[str, ScanRecord]:
    """Every record by path, in memory (the last record of a path wins; a torn line is ignored).

    For large folders prefer :class:`ResultIndex`, which reads records one at a time.
    """
    index = ResultIndex(out)
    return {r.path: r for r in index.iter_records()} if len(index) else {}


def write_csv(
    out: Path,
    records: Iterable[ScanRecord],
    models: list[str],
    *,
    ensemble: bool | None = None,
) -> None:
    """results.csv from ``records``, streamed. ``ensemble``: whether to add the ensemble
    columns (None: look at the records, which then must be a list)."""
    if ensemble is None:
        records = list(records)
        ensemble = any(r.ensemble is not None for r in records)
    cols = ["path", "sha256", "status", "error"]
    names = [*models, *(["ensemble"] if ensemble else [])]
    for m in names:
        cols += [f"{m}.{c}" for c in (*SUMMARY_FIELDS, "heatmap")]
    cols.append("faces")
    with AtomicFile(out / CSV_NAME, "w", newline="", encoding="utf-8") as dst:
        w = csv.writer(dst.file)
        w.writerow(cols)
        for r in records:
            row: list[Any] = [r.path, r.sha256 or "", r.status, r.error or ""]
            for m in names:
                d = r.ensemble if m == "ensemble" else r.model(m)
                if d is None:
                    row += ["", "", "", "", ""]
                    continue
                row += [
                    f"{d.score:.6f}",
                    d.verdict,
                    f"{d.forged_fraction:.6f}",
                    f"{d.threshold:.6f}",
                    d.heatmap or "",
                ]
            row.append(len(r.faces))
            w.writerow(row)
