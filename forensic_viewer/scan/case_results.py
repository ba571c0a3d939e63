"""The viewer's finished analyses kept in the case folder, in a scan's output format (no Qt).

Before 2026-12-06 every analysis finished in the viewer lived in memory only: a close or a
crash lost them all, and the next start showed an empty window (restart walk-through,
finding 2). :func:`keep_result` writes each one, as it finishes, into ``<case
folder>/viewer-results/`` the way a scan writes a file's result: its maps and thumbnail
(:meth:`~forensic_viewer.scan.encoded.EncodedRecord.write`, each file atomically), then its row
appended whole to results.jsonl (:meth:`~forensic_viewer.scan.results.ResultLog.append`), then
scan.json. Before the append, scan.json's ``run`` names the SHA-256 results.jsonl will have with
the row (``results_sha256_pending``), which the edit check accepts
(:func:`~forensic_viewer.scan.integrity.edited_results`): a kill, or a full disk, between the
row and scan.json's update leaves a row whose scan.json lags, never one read as "rows may have
been edited"; the next write brings scan.json up to date. A kill -9 therefore loses the analysis
that was running and those still waiting to be written (the case log's ``analysis-finished``
entries with no ``result-kept`` after them), the one being written leaving at most its maps
without a row, which nothing reads. File ▸ Reopen the case's results opens
the folder through Open scan results…, whose rows re-check each evidence file's SHA-256
(:func:`~forensic_viewer.scan.replay.analysis_from_record`) and open a changed file as a new one.

The scan format's rules hold: a file's key is the one :func:`~forensic_viewer.scan.walk.file_keys`
gives a file given by name (its row's key again for the same resolved path, else its name made
unique), so a re-analysis of the same file appends a second row of the same key, which wins
(``replaces`` holds the old SHA-256 when the bytes changed), its maps written beside the old row's
and those removed once it is appended. Rows are only appended, never compacted here.

Nothing is written beside the evidence. Each write holds the folder's scan lock
(:class:`~forensic_viewer.scan.lock.OutputLock`) for its own duration only, so two viewers on
one case take turns (a wait of at most :data:`LOCK_WAIT_S`), and a scan run into this folder is
refused by its settings (scan.json's ``source`` is :data:`SOURCE`). The caller's ``logged``
(the case log's ``result-kept``) runs while the lock is still held, so two viewers' entries
follow the order of their writes (``audit verify --files`` checks the file against the last).
A :class:`Gate` shut by a close that stops waiting lets no later row in (:class:`Abandoned`).
"""

from __future__ import annotations

import contextlib
import dataclasses
import hashlib
import json
import threading
import time
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from engine.errors import ForensicError
from engine.files import atomic_write, open_regular, read_regular_text
from engine.types import Analysis
from forensic_viewer.environment import environment
from forensic_viewer.scan.encoded import encode_result
from forensic_viewer.scan.integrity import RESULTS_SHA256, RESULTS_SHA256_PENDING, file_sha256
from forensic_viewer.scan.lock import OutputLock, OutputLocked
from forensic_viewer.scan.maps import encode_jpeg, thumbnail
from forensic_viewer.scan.results import RESULTS, SCAN_INFO, ResultLog
from forensic_viewer.scan.run_id import RUN_ID, shown_start
from forensic_viewer.scan.settings import RUN_FIELD, earlier_runs, now_text
from forensic_viewer.scan.upgrade import named_files, remove_left_behind
from forensic_viewer.scan.walk import file_keys

CASE_RESULTS = "viewer-results"  # the folder in the case folder, beside audit.jsonl
SOURCE = "viewer"  # scan.json's source: no folder was scanned, the viewer kept each analysis
LOCK_WAIT_S = 30.0  # another viewer's write into the same folder waited for at most this long
KEPT_NOTE = "kept by the viewer: one row per finished analysis, the last row of a file wins"


def results_folder(case: Path) -> Path:
    """Where the viewer keeps the finished analyses of the case whose folder is ``case``."""
    return case / CASE_RESULTS


@dataclass(frozen=True)
class Kept:
    """What :func:`keep_result` wrote: the row's ``key``, the evidence's ``sha256``, the
    SHA-256 its earlier row held when the bytes changed since (``replaces``), the files the row
    names with their bytes, and results.jsonl's SHA-256 as left (for the case log's entry)."""

    out: Path
    key: str
    path: str
    sha256: str
    replaces: str | None
    files: int
    nbytes: int
    results_sha256: str | None
    lag: str = ""  # scan.json not brought up to date, in one line ("" when it was)
    info_sha256: str | None = None  # scan.json's as this keep left it (None: none readable)

    def details(self) -> dict[str, Any]:
        """The case log's ``result-kept`` entry (``out`` with ``results_sha256`` by name: the
        shape ``audit verify --files`` checks, against the last such entry)."""
        return {
            "path": self.path,
            "sha256": self.sha256,
            "out": str(self.out.resolve()),
            "key": self.key,
            "replaces": self.replaces,
            "files": self.files,
            "bytes": self.nbytes,
            "results_sha256": {
                RESULTS: self.results_sha256,
                # every keep rewrites scan.json: recorded, so that the last record of it is
                # this one and `audit verify --files` checks it as left (a report's
                # `scan_json` before it is then no longer the last: walk-through hand, 4)
                **({SCAN_INFO: self.info_sha256} if self.info_sha256 else {}),
            },
        }


class Abandoned(Exception):
    """The :class:`Gate` was shut before this analysis's row went in: it is not kept."""


class Gate:
    """Lets rows in until :meth:`shut`, which waits for the one going in (its append, scan.json
    and ``logged``: a short while) and refuses every later one: after it, what was not kept
    never will be, so a close can record exactly which analyses it gave up on."""

    def __init__(self) -> None:
        self._lock = threading.Lock()
        self.shut_ = False

    @contextlib.contextmanager
    def open(self) -> Iterator[None]:
        with self._lock:
            if self.shut_:
                raise Abandoned
            yield

    def shut(self) -> None:
        with self._lock:
            self.shut_ = True


def _locked(out: Path, wait_s: float, gate: Gate) -> OutputLock:
    """``out``'s scan lock, taken within ``wait_s`` (another viewer's write ends in seconds);
    :class:`OutputLocked` naming the holder past it, :class:`Abandoned` once ``gate`` is shut."""
    deadline = time.monotonic() + wait_s
    while True:
        lock = OutputLock(out, command="the viewer keeping a finished analysis")
        try:
            return lock.acquire()
        except OutputLocked:
            if gate.shut_:
                raise Abandoned from None
            if time.monotonic() >= deadline:
                raise
            time.sleep(0.1)


def keep_result(
    out: Path,
    analysis: Analysis,
    run_id: str,
    *,
    wait_s: float = LOCK_WAIT_S,
    logged: Callable[[Kept], object] | None = None,
    gate: Gate | None = None,
) -> Kept:
    """Write ``analysis`` (a finished one) into ``out`` as a scan row with its maps and
    thumbnail, and bring scan.json up to date (see the module doc). ``run_id``: the viewer
    session's (:func:`~forensic_viewer.scan.run_id.new_run_id`), each row's ``run``;
    ``logged``: called with what was kept, the folder's lock still held; ``gate``: once shut,
    no row goes in (:class:`Abandoned`).

    Raises :class:`ForensicError` in one line naming the file (a non-finite figure, a folder
    another program holds, a link put in the folder), OSError when the folder cannot be
    written (a full disk: the row is not appended, the files written before it stay unnamed).
    A scan.json that cannot be updated after the row went in is said in :attr:`Kept.lag`.
    """
    ev = analysis.evidence
    gate = gate or Gate()
    lock = _locked(out, wait_s, gate)
    try:
        results = ResultLog(out, run=run_id)
        try:
            ((_path, key),) = file_keys([Path(ev.path)], results)
            previous = results.sha256(key) if key in results else None
            replaces = previous if previous is not None and previous != ev.sha256 else None
            taken = named_files(results, key)  # never written over: the old row names them
            encoded = encode_result(
                key,
                analysis,
                faces_checked=analysis.faces_checked,
                thumb=encode_jpeg(thumbnail(ev.pixels)),
                replaces=replaces,
                mirror=results.output_name(key),
            )
            record = encoded.write(out, taken)
            with gate.open():
                _announce(out, results.line(record))
                results.append(record)
                remove_left_behind(out, taken, record)
                rows = len(results)
                sha = file_sha256(out / RESULTS)
                kept = Kept(
                    out, key, ev.path, ev.sha256, replaces, len(encoded.files), encoded.nbytes, sha
                )
                try:
                    _record_info(out, analysis, run_id, rows, sha)
                except OSError as e:  # the row is in: the pending SHA-256 covers it till the next
                    kept = dataclasses.replace(kept, lag=_lag_line(out, e))
                kept = dataclasses.replace(kept, info_sha256=file_sha256(out / SCAN_INFO))
                if logged is not None:
                    logged(kept)
        finally:
            results.close()
    finally:
        lock.release()
    return kept


def _lag_line(out: Path, e: OSError) -> str:
    return (
        f"{out / SCAN_INFO}: not brought up to date ({e.strerror or e}); the analysis is kept, "
        "and the next one kept brings it up to date"
    )


def _announce(out: Path, line: bytes) -> None:
    """Before ``line`` is appended to ``out``'s results.jsonl: scan.json's ``run`` names the
    SHA-256 the file will then have (``results_sha256_pending``; see the module doc). A row an
    earlier write appended whose scan.json update did not happen (the file as its pending
    SHA-256) is taken as recorded first. Nothing without a readable scan.json with a ``run``
    (it is written anew after the row); OSError when it cannot be written (nothing appended)."""
    info_file, h = out / SCAN_INFO, hashlib.sha256()
    try:
        info = json.loads(read_regular_text(info_file))
        with open_regular(out / RESULTS) as f:
            for block in iter(lambda: f.read(1 << 20), b""):
                h.update(block)
    except (FileNotFoundError, ValueError):
        return
    run = info.get(RUN_FIELD) if isinstance(info, dict) else None
    if not isinstance(run, dict):
        return
    if h.hexdigest() == run.get(RESULTS_SHA256_PENDING):
        run[RESULTS_SHA256] = h.hexdigest()
    h.update(line)
    run[RESULTS_SHA256_PENDING] = h.hexdigest()
    atomic_write(info_file, json.dumps(info, indent=2) + "\n")


def _record_info(out: Path, analysis: Analysis, run_id: str, rows: int, sha: str | None) -> None:
    """scan.json of ``out`` with this analysis's models, ensemble and classic analyses added
    to those of the rows before (the triage table's columns), and the viewer session as its
    ``run`` (an earlier session's ``run`` in ``earlier_runs``), recording results.jsonl's
    SHA-256 as left (``sha``), which Open scan results… checks the file against."""
    info_file = out / SCAN_INFO
    try:
        old = json.loads(read_regular_text(info_file))
    except FileNotFoundError:
        old = {}
    except ValueError:  # damaged: written anew from this analysis (the rows are the record)
        old = {}
    if not isinstance(old, dict):
        old = {}
    models = dict(old.get("models") or {})
    models.update({n: r.checkpoint_sha256 for n, r in analysis.results.items()})
    analyses = dict(old.get("analyses") or {})
    analyses.update({n: {"version": r.provenance.version} for n, r in analysis.analyses.items()})
    ens = analysis.ensemble
    last = old.get(RUN_FIELD)
    same = isinstance(last, dict) and last.get(RUN_ID) == run_id
    history = {k: old[k] for k in ("earlier_runs", "earlier_runs_left_out") if k in old}
    if not same and isinstance(last, dict):
        history = earlier_runs(old)
    run = {
        "state": "finished",
        RUN_ID: run_id,
        "started": last.get("started") if same else shown_start(run_id),
        "ended": now_text(),
        "files": rows,
        "through": rows,
        "note": KEPT_NOTE,
        RESULTS_SHA256: sha,
    }
    info = {
        "environment": environment(),
        **history,
        RUN_FIELD: run,
        "source": SOURCE,
        "models": models,
        "ensemble": ens.name if ens is not None else old.get("ensemble"),
        "analyses": analyses,
    }
    atomic_write(info_file, json.dumps(info, indent=2) + "\n")


def not_kept_line(out: Path, e: BaseException) -> str:
    """The one line said when an analysis could not be kept in ``out``."""
    said = str(e) if isinstance(e, ForensicError) else f"{out}: {e}"
    return f"not kept for a restart: {said}"
