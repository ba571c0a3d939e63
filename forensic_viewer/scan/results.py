"""The results files of a scan output folder (no Qt): ``results.jsonl`` read as an index of byte
offsets (:class:`ResultIndex`), appended to as files finish (:class:`ResultLog`), and
``results.csv`` made from it (:func:`write_csv`). What a row says, and how it is written and
read, is :mod:`forensic_viewer.scan.records`; the folder layout is in ``docs/RESULTS.md``.
"""

from __future__ import annotations

import dataclasses
import hashlib
import json
import os
from collections.abc import Callable, Iterable, Iterator, Mapping, Sequence
from pathlib import Path
from typing import IO, Any, BinaryIO

from engine.analyses import Level
from engine.errors import ForensicError
from engine.files import AtomicFile, append_whole, not_regular_reason, open_append, open_regular
from engine.fstimes import TIME_NAMES
from forensic_viewer.scan.decision_columns import (
    checkpoint_cell,
    decision_cells,
    decision_column_names,
    ensemble_cells,
    margin_cells,
)
from forensic_viewer.scan.escaping import csv_file
from forensic_viewer.scan.integrity import ROWS_SET_ASIDE, BadLine, note_run, row_fault, set_aside
from forensic_viewer.scan.links import error_naming_file, record_read_from
from forensic_viewer.scan.maps import OutputNames
from forensic_viewer.scan.records import (
    SUMMARY_FIELDS,
    AnalysisRecord,
    RecordError,
    ScanRecord,
    record_from_json,
    record_line,
    record_to_json,
)
from forensic_viewer.wording import range_words

RESULTS = "results.jsonl"


CSV_NAME = "results.csv"


SCAN_INFO = "scan.json"


EMPTY_SHA256 = hashlib.sha256(b"").hexdigest()  # a file of no bytes: nobody's copy


def missing_scan_files(out: Path) -> list[str]:
    """The files every scan output folder holds (results.jsonl, scan.json) that ``out`` lacks:
    a folder lacking one is not a scan's output (``forensic-viewer report OUT`` and the
    viewer's Open scan results… refuse it, each in its own words)."""
    return [n for n in (RESULTS, SCAN_INFO) if not (out / n).is_file()]


def opened_or_refused(opener: Callable[..., IO[Any]], path: Path, *args: Any, **kw: Any) -> IO[Any]:
    """``opener(path, *args, **kw)`` (:func:`engine.files.open_regular` or ``open_append``) for
    a file of a scan folder; its refusal of a pipe, device or folder put there becomes one line
    naming the file (:class:`ForensicError`), other OSErrors stay as they are."""
    try:
        return opener(path, *args, **kw)
    except OSError as e:
        reason = not_regular_reason(e)
        if reason is None:
            raise
        raise ForensicError(path, reason) from e


class ResultIndex:
    """Where the last record of each path sits in ``results.jsonl`` (byte offsets), with each
    path's status, SHA-256 and evidence file.

    Reading a record back costs one seek, so resume, CSV and reports work on 10,000-file
    folders without holding every record in memory. The last record of a path wins (a retried
    file appends a second one); lines that are not whole rows (a torn or half-written last
    line, overwritten bytes, a row with a field the format does not know:
    :func:`~forensic_viewer.scan.integrity.row_fault`) are not records; :attr:`bad_lines` keeps
    them (a :class:`ResultLog` sets them aside before compaction drops them). A reader may run while a scan writes the folder: when the file was rewritten
    under it (the scan's compaction moves rows), a read that no longer finds its row at the
    indexed offset indexes the file again once.

    The file is opened by :func:`engine.files.open_regular`: a scan folder chosen in the viewer
    or given as ``--out`` may hold a named pipe or a link to a device called ``results.jsonl``,
    which is a :class:`ForensicError` naming it, never a wait or an endless read.
    """

    def __init__(self, out: Path) -> None:
        self.file = out / RESULTS
        self._load()

    def _load(self) -> None:
        self._offsets: dict[str, int] = {}
        self._status: dict[str, str] = {}
        self._sha256: dict[str, str | None] = {}
        self._files: dict[str, str | None] = {}
        self._versions: dict[str, tuple[tuple[str, str], ...]] = {}
        self._mirrors: dict[str, str] = {}  # what a key's row's output files mirror, if any
        self.has_ensemble = False
        self.ends_torn = False
        self.read_as: tuple[int, int] | None = None  # the file's size and mtime when indexed
        self.read_sha256: str | None = None  # of the bytes indexed (a report names them)
        self.bad_lines: list[BadLine] = []  # lines that are not whole rows, in file order
        if not self.file.exists():
            return
        with self._open() as f:
            offset = 0
            line = b""
            digest = hashlib.sha256()
            for number, line in enumerate(f, 1):
                digest.update(line)
                record, fault = _row_of(line)
                if record is not None:
                    self._add(record, offset)
                elif line.strip():  # an empty line (the end of a torn one's repair) holds nothing
                    self.bad_lines.append(BadLine(number, line, fault))
                offset += len(line)
            self.ends_torn = bool(line) and not line.endswith(b"\n")
            st = os.fstat(f.fileno())
            self.read_as = (st.st_size, st.st_mtime_ns)
            self.read_sha256 = digest.hexdigest()

    def unchanged(self) -> bool:
        """Whether ``results.jsonl`` is as it was indexed (same size and modification time;
        absent then and now)."""
        try:
            st = os.stat(self.file)
        except FileNotFoundError:
            return self.read_as is None and not self._offsets
        return self.read_as == (st.st_size, st.st_mtime_ns)

    def _adopt(self, index: ResultIndex) -> None:
        """Take ``index``'s entries rather than parsing the file again (it is unchanged)."""
        self.file = index.file
        self._offsets = dict(index._offsets)
        self._status = dict(index._status)
        self._sha256 = dict(index._sha256)
        self._files = dict(index._files)
        self._versions = dict(index._versions)
        self._mirrors = dict(index._mirrors)
        self.has_ensemble = index.has_ensemble
        self.ends_torn = index.ends_torn
        self.read_as = index.read_as
        self.read_sha256 = index.read_sha256
        self.bad_lines = list(index.bad_lines)

    def _open(self) -> BinaryIO:
        """``results.jsonl`` opened for reading (see the class docstring)."""
        return opened_or_refused(open_regular, self.file)

    def _add(self, record: ScanRecord, offset: int) -> None:
        self._offsets[record.path] = offset
        self._status[record.path] = record.status
        self._sha256[record.path] = record.sha256
        self._files[record.path] = record.file
        self._versions[record.path] = tuple((a.name, a.provenance.version) for a in record.analyses)
        if (mirror := record.output_name()) is not None:
            self._mirrors[record.path] = mirror
        else:
            self._mirrors.pop(record.path, None)
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

    def sha256(self, key: str) -> str | None:
        """The SHA-256 the last record of ``key`` holds (None: no record, or not known)."""
        return self._sha256.get(key)

    def evidence_file(self, key: str) -> str | None:
        """The evidence path the last record of ``key`` names (None in early versions' rows)."""
        return self._files.get(key)

    def analysis_versions(self, key: str) -> tuple[tuple[str, str], ...]:
        """(name, version) of each classic analysis the last record of ``key`` holds, in its
        order (none for an error row): what a resume compares with the analyses' versions now
        (:mod:`forensic_viewer.scan.upgrade`)."""
        return self._versions.get(key, ())

    def duplicates(self, keys: Iterable[str] | None = None) -> dict[str, str]:
        """Each path of ``keys`` (default: all) whose bytes another path of ``keys`` has too
        (the same SHA-256) -> the first of them (:func:`byte_copies`). Derived from the rows
        once a run has ended, so every kind of scan (one process, worker processes, Ray,
        resumed) names the same files, whatever order the rows were written in. Only among
        ``keys`` and the rows whose evidence file is still there: a row of a file gone since
        is nobody's original (a renamed file was said to be a copy of its own old name, a
        name in no row of results.csv)."""
        if keys is None:
            return byte_copies(self._sha256.items())
        asked = list(dict.fromkeys(keys))
        given = set(asked)
        there = ((k, s) for k, s in self._sha256.items() if k in given or self._there(k))
        copies = byte_copies(there)
        return {k: copies[k] for k in asked if k in copies}

    def _there(self, key: str) -> bool:
        """Whether the evidence file ``key``'s row names is still there (rows of early
        versions name none: taken as there)."""
        where = self._files.get(key)
        return where is None or os.path.lexists(where)

    def done_keys(self) -> frozenset[str]:
        """Paths whose last record is a finished analysis (a resume skips them)."""
        return frozenset(k for k, s in self._status.items() if s == "ok")

    def get(self, key: str) -> dict[str, Any]:
        """The last row of ``key`` as written (a JSON object, what ``on_file`` callbacks get);
        :meth:`record` gives it typed."""
        f = self._open()
        try:
            row, f = self._read(f, key)
        finally:
            f.close()
        return row

    def record(self, key: str) -> ScanRecord:
        """The last record of ``key``."""
        return record_from_json(self.get(key))

    def iter_records(self, keys: Iterable[str] | None = None) -> Iterator[ScanRecord]:
        """Records of ``keys`` (default: every path) one at a time, in that order."""
        f = self._open()
        try:
            for key in self.keys() if keys is None else keys:
                if key in self._offsets:
                    row, f = self._read(f, key)
                    yield record_from_json(row)
        finally:
            f.close()

    def _read(self, f: BinaryIO, key: str) -> tuple[dict[str, Any], BinaryIO]:
        """The row of ``key`` and the file to go on reading. When another row (or half of
        one) sits at the indexed offset, the file was rewritten since it was indexed: index
        it again and read from the new file (RecordError if the row is still not found)."""
        row = self._row_at(f, self._offsets[key])
        if row is None or row.get("path") != key:
            f.close()
            self._load()
            f = self._open()
            offset = self._offsets.get(key)
            row = None if offset is None else self._row_at(f, offset)
            if row is None or row.get("path") != key:
                raise RecordError(f"{key}: its row changed while {self.file} was read")
        return row, f

    @staticmethod
    def _row_at(f: BinaryIO, offset: int) -> dict[str, Any] | None:
        f.seek(offset)
        try:
            row = json.loads(f.readline())
        except ValueError:  # torn, or the middle of another row
            return None
        return row if isinstance(row, dict) else None


def _row_of(line: bytes) -> tuple[ScanRecord | None, str]:
    """The record of one line of results.jsonl, or None and why it is not a whole row."""
    try:
        row = json.loads(line)
    except ValueError:  # JSONDecodeError, UnicodeDecodeError
        return None, "not JSON (torn, or bytes overwritten)"
    if (fault := row_fault(row)) is not None:
        return None, fault
    try:
        return record_from_json(row), ""
    except ValueError as e:  # RecordError: names the field
        return None, str(e)


class ResultLog(ResultIndex):
    """``results.jsonl`` opened for appending; every record is flushed as it is written.

    :meth:`get` reads rows back through one handle kept open until :meth:`compact` replaces the
    file or :meth:`close`: a resume hands every skipped file's row to ``on_file``, and opening
    the file for each of them cost 10,000 opens on a 10,000-file folder.

    ``index``: the folder's :class:`ResultIndex` the caller made already (the command line
    lists the files with it); taken as it is when the file has not changed since, so a run
    parses every row once, not twice (about 2 s of a 10,000-file resume).

    Lines that are not whole rows (:attr:`bad_lines`) are saved beside the file first
    (:func:`~forensic_viewer.scan.integrity.set_aside`; :attr:`rows_set_aside` is its record,
    also written into scan.json's ``run`` when there is one; None when there were none):
    compaction leaves them out, and their files are analysed again.

    ``run``: the identity of the run appending (scan.json's ``run.id``)."""

    def __init__(self, out: Path, index: ResultIndex | None = None, run: str | None = None) -> None:
        self.run = run  # the run's identity, written into each row it appends without one
        if index is not None and index.file == out / RESULTS and index.unchanged():
            self._adopt(index)
        else:
            super().__init__(out)
        self.rows_set_aside = set_aside(self.file, self.bad_lines) if self.bad_lines else None
        if self.rows_set_aside is not None:
            note_run(out / SCAN_INFO, ROWS_SET_ASIDE, self.rows_set_aside)
        self._reader: BinaryIO | None = None  # for get(); appended rows are read through it
        self._log = self._append()  # closed by close()
        if self.ends_torn:  # the torn line stays unparseable; the next record starts clean
            self._log.write(b"\n")
            self._log.flush()
        self._end = self._log.tell()
        self._names = OutputNames(self._mirrors)  # the rows' as the run began, then its claims

    def output_name(self, key: str) -> str:
        """The name the output files of ``key`` mirror in this run: its row's, else given in
        the order the run reaches its files (:class:`~forensic_viewer.scan.maps.OutputNames`:
        on a drive that folds case, ``case.png`` would write ``Case.png``'s maps)."""
        return self._names.claim(key)

    def _append(self) -> BinaryIO:
        """``results.jsonl`` opened for appending by :func:`engine.files.open_append` (a pipe
        put there: refused, as :meth:`_open` refuses it, not waited on for a reader; a link
        refused too, never appended through: one to an evidence file grew it by the rows)."""
        file = opened_or_refused(open_append, self.file, follow_links=False)
        return file  # type: ignore[return-value]

    def append(self, record: ScanRecord) -> dict[str, Any]:
        """Write ``record`` as the last row; returns the row as written. Raises ValueError
        (nothing written) for a record holding NaN or an infinity. A record that names no
        run gets this log's (:attr:`run`): each row says which run made it. A row that cannot be
        written (the disk full) raises OSError naming results.jsonl, the file cut back to end
        before it (:func:`engine.files.append_whole`, past the file object's buffer, which
        would write the row's rest after the cut): never a torn last row."""
        record = self._stamped(record)
        row = record_to_json(record)
        line = record_line(record)
        append_whole(self._log.fileno(), line, self.file)
        self._add(record, self._end)
        self._end += len(line)
        return row

    def _stamped(self, record: ScanRecord) -> ScanRecord:
        if record.run is None and self.run is not None:
            return dataclasses.replace(record, run=self.run)
        return record

    def line(self, record: ScanRecord) -> bytes:
        """The bytes :meth:`append` would write for ``record`` (ValueError as it raises)."""
        return record_line(self._stamped(record))

    def get(self, key: str) -> dict[str, Any]:
        if self._reader is None:
            self._reader = self._open()
        row, self._reader = self._read(self._reader, key)
        return row

    def _drop_reader(self) -> None:
        if self._reader is not None:
            self._reader.close()
            self._reader = None

    def close(self) -> None:
        self._drop_reader()
        self._log.close()

    def compact(self) -> None:
        """Rewrite results.jsonl with one record per path (retried files appended a second).
        Rows are copied byte for byte, so compaction never changes what a row says."""
        self._log.flush()
        self._drop_reader()  # it reads the file the compacted one replaces
        offsets: dict[str, int] = {}
        with self._open() as src, AtomicFile(self.file) as out:
            dst = out.file
            assert dst is not None
            for key, offset in self._offsets.items():
                src.seek(offset)
                offsets[key] = dst.tell()
                dst.write(src.readline())
            self._log.close()
        self._offsets = offsets
        self._log = self._append()  # closed by close()
        self._end = self._log.tell()


def read_records(out: Path) -> dict[str, ScanRecord]:
    """Every record by path, in memory (the last record of a path wins; a torn line is ignored).

    For large folders prefer :class:`ResultIndex`, which reads records one at a time.
    """
    index = ResultIndex(out)
    return {r.path: r for r in index.iter_records()} if len(index) else {}


def byte_copies(hashes: Iterable[tuple[str, str | None]]) -> dict[str, str]:
    """``{key: original}`` for every key whose SHA-256 an earlier key has too (the same evidence
    under two names: a copy, a download renamed). The original is the first of them in the keys'
    sorted order, not the order rows were written in, so a scan with worker processes, a resumed
    one and a report of any part of the folder all name the same one. Keys without a SHA-256
    (a file that could not be read) and empty files are nobody's copy: a folder of 10,000 files
    with a few zero-byte ones (a download or a sync that never finished) had them named first as
    "copies" of each other, pushing the real copies out of the summary line, though no bytes of
    evidence are shared (each empty file's error row says it is empty)."""
    first: dict[str, str] = {}
    copies: dict[str, str] = {}
    for key, sha in sorted((k, s) for k, s in hashes if s and s != EMPTY_SHA256):
        if sha in first:
            copies[key] = first[sha]
        else:
            first[sha] = key
    return copies


def copies_line(
    copies: Mapping[str, str], shown: int = 3, rest: str = "results.csv's duplicate_of"
) -> str:
    """The scan summary's line on its byte-identical copies (``{key: original}``), e.g. "2 files
    are byte-identical copies of others (same SHA-256; each was analysed too): b.jpg = a.jpg,
    c.jpg = a.jpg"; past ``shown`` pairs, how many more and where they all are (``rest``)."""
    n = len(copies)
    what = "file is a byte-identical copy of another" if n == 1 else "files are byte-identical"
    what += "" if n == 1 else " copies of others"
    pairs = ", ".join(f"{k} = {o}" for k, o in list(copies.items())[:shown])
    more = f", and {n - shown} more ({rest})" if n > shown else ""
    return f"{n} {what} (same SHA-256; each was analysed too): {pairs}{more}"


def face_model_figures(analyzer: Any) -> dict[str, dict[str, Any]]:
    """What a report says of each face model (scope "faces", run on the face path only): its
    checkpoint, θ and where θ came from, what θ was measured to do. Face models leave no
    figures of their own in the rows (only per-face scores), so scan.json keeps these.

    The reliability sentence's brief part ends with ``. Calibration not measured with this detector``
    (:data:`engine.faces.UNMEASURED_DETECTOR`), or is that alone, when ``analyzer``'s faces are
    found by another detector than the one the face models were measured on (the Haar fallback
    of a wheel install: its "face" on the authentic Hubble sample was worded with MTCNN's
    rates). Marked here, not by each caller: a probe's report, whose caller did not mark it,
    gave Haar-found faces MTCNN's rates as their own."""
    from engine.calibration import pixel_threshold_calibrated, reliability_sentence, with_caveat
    from engine.faces import MEASURED_DETECTOR, UNMEASURED_DETECTOR

    detector = getattr(getattr(analyzer, "faces", None), "name", MEASURED_DETECTOR)
    out: dict[str, dict[str, Any]] = {}
    for m in getattr(analyzer, "face_models", ()):
        rule = m.meta.decision
        said = reliability_sentence(rule.calibration)
        if detector != MEASURED_DETECTOR:
            said = (
                with_caveat(said, f". {UNMEASURED_DETECTOR.capitalize()}")
                if said
                else UNMEASURED_DETECTOR
            )
        out[m.name] = {
            "architecture": m.meta.architecture,
            "checkpoint": str(m.path) if m.path else "",
            "checkpoint_sha256": m.sha256,
            "rule": rule.rule,
            "threshold": rule.threshold,
            "pixel_threshold": rule.pixel_threshold,
            "pixel_threshold_calibrated": pixel_threshold_calibrated(rule.details),
            "threshold_provenance": rule.provenance,
            "reliability": said,
            # where and how it ran, as a whole-image model's result says of itself
            "device": str(getattr(analyzer, "device", "")),
            "precision": str(analyzer.precision_of(m)) if hasattr(analyzer, "precision_of") else "",
        }
    return out


# per model after SUMMARY_FIELDS: <model>.<column>
MODEL_CSV_EXTRA = ("probability", "reliability", "out_of_range", "heatmap")

# per classic analysis: analysis.<name>.<column>
ANALYSIS_COLUMNS = ("score", "pairs", "findings", "strong_findings", "map_p99", "map")


# per classic analysis of the scan that has them: analysis.<name>.<extra>, the figures of its
# extras that sum it up (the noise analysis's off-level share, the triage cell's figure,
# scan/triage.py's CELL_FIGURES). After every other column but gt.*, so that a reader that
# counted columns of a CSV written before them finds each where it was.
ANALYSIS_FIGURES: dict[str, tuple[str, ...]] = {"noise": ("off_level_share",)}


# the evidence file's file-system times as found before the read (a row's evidence.fs_times, an
# error row's header.fs_times: engine/fstimes.py), in UTC: fs_times.<key>, the last columns
# write_csv writes (only scan --gt's gt.* come after them), so that a reader that counted the
# columns of a CSV written before them finds each where it was
FS_TIMES_COLUMNS = TIME_NAMES

# the decoder's warnings of an analysed file (its row's ``warnings``: a name that is not its
# format, frames left out, colours converted, bytes after the image's end), joined by this;
# the column after FS_TIMES_COLUMNS, for the same reason they are last
WARNINGS_COLUMN = "warnings"
WARNINGS_JOIN = " | "


def fs_times_cells(r: ScanRecord) -> list[str]:
    """The :data:`FS_TIMES_COLUMNS` of one row, as its ``fs_times`` holds them; empty for a
    row written before they were recorded, a file whose bytes were not read, and a time the
    system does not give (the status change on Windows, a birth time)."""
    ev = getattr(r, "evidence", None)  # an analysed row's; an error row's is its header
    holder = ev if ev is not None else getattr(r, "header", None)
    times = None if holder is None else holder.fs_times
    if times is None:
        return [""] * len(FS_TIMES_COLUMNS)
    return [getattr(times, k) or "" for k in FS_TIMES_COLUMNS]


def analysis_figure_cells(name: str, a: AnalysisRecord | None) -> list[str]:
    """The :data:`ANALYSIS_FIGURES` of analysis ``name`` on one file, 6 decimals; empty when
    it did not run or recorded None (the noise analysis: no typical noise level)."""
    keys = ANALYSIS_FIGURES.get(name, ())
    values = [None if a is None else a.extras.get(k) for k in keys]
    return ["" if not isinstance(v, int | float) else f"{v:.6f}" for v in values]


def analysis_csv_cells(a: AnalysisRecord | None) -> list[str]:
    """The :data:`ANALYSIS_COLUMNS` of one analysis on one file (all empty: it did not run).
    ``score`` is empty for analyses without one, ``pairs`` for those that look for no copies
    (only the copy-move analysis does); ``map_p99`` is the map's 99th percentile."""
    if a is None:
        return [""] * len(ANALYSIS_COLUMNS)
    m = a.map
    return [
        "" if a.score is None else f"{a.score:.6f}",
        "" if a.pairs_found is None else str(a.pairs_found),  # empty: no copy-move detection
        str(a.count()),
        str(a.count(Level.STRONG)),
        "" if m is None else f"{m.p99:.6f}",
        "" if m is None or m.file is None else m.file,
    ]


def write_csv(
    out: Path,
    records: Iterable[ScanRecord],
    models: list[str],
    *,
    ensemble: bool | None = None,
    analyses: Sequence[str] = (),
    face_models: Sequence[str] = (),
    copies: Mapping[str, str] | None = None,
) -> None:
    """results.csv from ``records``, streamed. ``ensemble``: whether to add the ensemble
    columns (None: look at the records, which then must be a list). ``analyses``: the classic
    analyses of the scan, :data:`ANALYSIS_COLUMNS` each, after the models (and their
    :data:`ANALYSIS_FIGURES` after the faces columns, then the :data:`FS_TIMES_COLUMNS` and
    :data:`WARNINGS_COLUMN`; then what each verdict compared with θ,
    :mod:`~forensic_viewer.scan.decision_columns`, last). ``face_models``:
    models run on the face path only: a ``faces.<model>.score_max`` column each, no other.
    ``copies``: the byte-identical copies among the folder's files (:func:`byte_copies`), for
    the ``duplicate_of`` column. ``read_from``: where a file was read when a symbolic link
    took the scan outside the scanned folder (:func:`~forensic_viewer.scan.links.read_from_outside`),
    else empty."""
    copies = copies or {}
    if ensemble is None:
        records = list(records)
        ensemble = any(r.ensemble is not None for r in records)
    cols = ["path", "sha256", "duplicate_of", "read_from", "status", "error"]
    names = [*models, *(["ensemble"] if ensemble else [])]
    for m in names:
        cols += [f"{m}.{c}" for c in (*SUMMARY_FIELDS, *MODEL_CSV_EXTRA)]
    for a in analyses:
        cols += [f"analysis.{a}.{c}" for c in ANALYSIS_COLUMNS]
    cols.append("faces")
    cols += [f"faces.{m}.score_max" for m in [*models, *face_models]]
    cols += [f"analysis.{a}.{k}" for a in analyses for k in ANALYSIS_FIGURES.get(a, ())]
    cols += [f"fs_times.{k}" for k in FS_TIMES_COLUMNS]
    cols.append(WARNINGS_COLUMN)
    cols += decision_column_names(names, ensemble)  # what each verdict compared with θ
    # a file name that is not UTF-8 is written \udcXX; a formula-like cell quoted ('=...)
    with csv_file(out / CSV_NAME) as writerow:
        writerow(cols)
        for r in records:
            error = error_naming_file(r.error, r.file) if r.error else ""  # as reports do
            outside = record_read_from(r)  # an error row's too
            row: list[Any] = [r.path, r.sha256 or "", copies.get(r.path, ""), outside or ""]
            row += [r.status, error]
            for m in names:
                d = r.ensemble if m == "ensemble" else r.model(m)
                if d is None:
                    row += [""] * (len(SUMMARY_FIELDS) + len(MODEL_CSV_EXTRA))
                    continue
                p = d.figures.probability if d.figures is not None else None
                off = d.figures.out_of_range if d.figures is not None else None
                row += [
                    f"{d.score:.6f}",
                    d.verdict,
                    f"{d.forged_fraction:.6f}",
                    f"{d.threshold:.6f}",
                    "" if p is None else f"{p:.6f}",  # calibrated; empty: the model has none
                    d.figures.reliability if d.figures is not None else "",  # what θ did
                    range_words(off) or "",  # empty: the verdict is within the measured range
                    d.heatmap or "",
                ]
            for a in analyses:
                row += analysis_csv_cells(r.analysis(a))
            # empty when no detector looked (a failed file, --no-faces): 0 reads "none found"
            looked = r.status == "ok" and r.faces_checked is not False
            row.append(len(r.faces) if looked else "")
            for m in [*models, *face_models]:  # the face path's largest per-face score
                face_scores = [f.face_scores[m].score for f in r.faces if m in f.face_scores]
                row.append(f"{max(face_scores):.6f}" if face_scores else "")
            for a in analyses:
                row += analysis_figure_cells(a, r.analysis(a))
            row += fs_times_cells(r)
            row.append(WARNINGS_JOIN.join(getattr(r, "warnings", ())))  # an error row has none
            for m in names:
                is_ensemble = m == "ensemble"
                row += decision_cells(r.ensemble if is_ensemble else r.model(m), is_ensemble)
            if ensemble:
                row += ensemble_cells(r.ensemble, r.faces, models)
            row += [checkpoint_cell(r.ensemble if m == "ensemble" else r.model(m)) for m in names]
            for m in names:
                row += margin_cells(r.ensemble if m == "ensemble" else r.model(m))
            writerow(row)
