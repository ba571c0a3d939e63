"""The run loop of a headless scan: lock, settings check, prefetch, analysis, resume.

Used by ``forensic-viewer analyze`` / ``scan`` and by the viewer's batch dialog, so that both
write the same files with the same figures (the format: :mod:`forensic_viewer.scan.records`).
No Qt here.

Throughput and memory: while one file is analysed, a background thread decodes and hashes the
next ones (at most ``prefetch`` files ahead), so reading the disk overlaps inference. Nothing
grows with the number of files except an index of byte offsets into ``results.jsonl``: records
are written as they finish and read back one at a time when needed (resume, CSV, reports).

What stops a scan and what does not:

- **One file never stops it.** Whatever goes wrong while one file is read, decoded, analysed or
  turned into a record (a damaged file, a decoder bug, a model giving NaN) becomes that file's
  error row, naming the file and the reason; an unexpected exception's traceback goes to
  ``scan.log`` in the output folder (and one line to the program's log), never to the terminal.
- **Only the scan itself failing stops it**: the output folder locked by another scan, not
  writable or full (:class:`OSError` while writing results), the file list failing. Finished
  records are kept and a later run resumes; as far as the output folder can still be written,
  the run ends as a stop does: results.csv of the files it went through, and scan.json's
  ``run`` saying ``failed``, why and when
  (:func:`~forensic_viewer.scan.settings.failure_recorded`).
- **Cancel and interrupt** (the ``cancel`` hook; Ctrl+C or, from the command line, SIGTERM as
  a :class:`KeyboardInterrupt`) end the run after the files finished so far, and it leaves what
  a finished run leaves: results.jsonl compacted, results.csv of the files it went through, and
  scan.json's ``run`` saying it stopped after N of M files
  (:func:`~forensic_viewer.scan.settings.end_run`). Each is written
  aside and renamed, so a second interrupt while they are written leaves the earlier file whole.

Resume: a file whose last row is a finished analysis is skipped only when its bytes still hash
to that row's SHA-256 (the prefetch thread hashes it); otherwise it is analysed again and the
new row's ``replaces`` holds the old SHA-256. Files whose last row is an error are retried.
A row's classic analyses of an older version run again: :mod:`forensic_viewer.scan.upgrade`.
"""

from __future__ import annotations

import contextlib
import os
import queue
import threading
import time
import traceback
from collections.abc import Callable, Collection, Iterable, Iterator, Mapping, Sequence, Sized
from dataclasses import dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING, Any

from engine.analyses import run_analyses
from engine.errors import CheckpointError, EvidenceError, ForensicError, ImageHeader
from engine.io import MAX_FILE_BYTES, load_evidence
from engine.types import Analysis, Evidence, Progress
from forensic_viewer.environment import environment
from forensic_viewer.scan.encoded import EncodedRecord, encode_result
from forensic_viewer.scan.failure import named, unexpected
from forensic_viewer.scan.lock import OutputLock
from forensic_viewer.scan.maps import thumbnail_jpeg
from forensic_viewer.scan.records import (
    ErrorRecord,
    FileRecord,
    ScanRecord,
    as_record,
    error_record,
)
from forensic_viewer.scan.results import ResultIndex, ResultLog, face_model_figures, write_csv
from forensic_viewer.scan.run_id import new_run_id
from forensic_viewer.scan.scanlog import SCAN_LOG as SCAN_LOG
from forensic_viewer.scan.scanlog import ScanLog
from forensic_viewer.scan.settings import check_settings, end_run, scan_settings
from forensic_viewer.scan.upgrade import (
    Recorded,
    Rerun,
    Stale,
    Upgraded,
    count_upgrade,
    encode_rerun,
    named_files,
    not_upgraded,
    recorded_rows,
    remove_left_behind,
    unchanged,
)
from forensic_viewer.scan.walk import sha256_of_file

if TYPE_CHECKING:  # torch loads only when a scan runs, not when results are read
    from engine.pipeline import Analyzer

DEFAULT_PREFETCH = 2  # files decoded ahead of the one being analysed


@dataclass
class ScanSummary:
    """What a run did. changed: keys analysed again because their bytes no longer hash to
    their finished row's SHA-256. log: ``scan.log`` when this run wrote tracebacks into it.
    interrupted: the signal's name (``SIGINT``, ``SIGTERM``) when one stopped the run (then
    ``cancelled`` too). copies: the files the run went through whose bytes another file of the
    folder has too, with that file's key (``ResultIndex.duplicates``: from the rows at the end).
    upgraded: per classic analysis run again because rows held an older version of it."""

    total: int = 0
    done: int = 0
    skipped: int = 0
    failed: list[tuple[str, str]] = field(default_factory=list)
    cancelled: bool = False
    seconds: float = 0.0
    changed: list[str] = field(default_factory=list)
    log: Path | None = None
    interrupted: str | None = None
    copies: dict[str, str] = field(default_factory=dict)
    upgraded: dict[str, Upgraded] = field(default_factory=dict)

    @property
    def through(self) -> int:
        """Files the run went through: analysed, failed or skipped as done before."""
        return self.done + self.skipped + len(self.failed)


@dataclass
class Prefetched:
    """One file of a scan as the prefetcher hands it over, in the order of the file list.

    Exactly one of: ``skip`` (finished in an earlier run and its bytes unchanged, not decoded
    again), ``error`` (could not be loaded; the message names the file; ``sha256`` of its bytes
    when they could be read, ``trace`` the traceback of an unexpected exception), ``evidence``
    (decoded and hashed, with ``thumb`` JPEG bytes when thumbnails are on).
    previous: the SHA-256 the path's last row recorded (None: no row, or none recorded).
    stale / whole: as :class:`~forensic_viewer.scan.upgrade.Recorded`'s, once the bytes are
    found unchanged; ``row``, that row, when only its ``stale`` analyses are to run again.
    """

    index: int
    path: Path
    key: str
    evidence: Evidence | None = None
    thumb: bytes | None = None
    error: str | None = None
    sha256: str | None = None
    trace: str | None = None
    skip: bool = False
    previous: str | None = None
    header: ImageHeader | None = None  # with error: what the loader read (kept in its row)
    stale: Stale = ()
    whole: bool = False
    row: FileRecord | None = None
    held: bool = field(default=False, repr=False)  # holds a prefetch slot until released
    mirror: str | None = None  # what its output files mirror (ResultLog.output_name; None: key)


@dataclass
class _Crash:
    """An exception from the file list in the prefetch thread, re-raised in the scanning
    thread (the list failing is a failure of the scan, not of one file)."""

    exc: BaseException


_END = object()


def sha256_if_read(path: Path) -> str | None:
    """SHA-256 of a file that failed to load, when its bytes can be read (None: missing,
    unreadable, a folder, or beyond the size the loader reads)."""
    try:
        if os.stat(path).st_size > MAX_FILE_BYTES:
            return None
        return sha256_of_file(path)
    except (OSError, ValueError):
        return None


def load_for_scan(
    index: int, path: Path, key: str, *, thumbnails: bool = True, previous: str | None = None,
    stale: Stale = (), whole: bool = False, row: FileRecord | None = None,
) -> Prefetched:  # fmt: skip
    """Decode and hash one file for a scan. Never raises for the file: whatever goes wrong
    becomes an error item naming it (the traceback of an unexpected exception in ``trace``).
    previous, stale, whole, row: its last row's (:func:`mark_stale`); a file whose row's older
    analyses alone run again gets no thumbnail, its row keeping its own."""
    item = Prefetched(index, path, key, previous=previous)
    try:
        item.evidence = load_evidence(path)
    except (EvidenceError, ForensicError) as e:
        item.error, item.header = str(e), getattr(e, "header", None)
    except MemoryError:
        item.error = f"{path}: out of memory while decoding"
    except Exception as e:  # a decoder bug on a crafted file must not end the scan
        item.error, item.trace = unexpected(path, e, "decoding"), traceback.format_exc()
    if item.evidence is None:  # the SHA-256 of the bytes the loader read, when it read them
        item.sha256 = item.header.sha256 if item.header is not None else sha256_if_read(path)
        mark_stale(item, stale, whole)  # its finished row is then kept (append_record)
        return item
    item.sha256 = item.evidence.sha256
    mark_stale(item, stale, whole, row)
    if thumbnails and (item.whole or not item.stale):
        item.thumb = thumbnail_jpeg(item.evidence.pixels, path)
    return item


class Prefetcher:
    """Loads the files of a scan ahead of their analysis, in a background thread.

    Iterating yields :class:`Prefetched` items in file order. At most ``depth`` decoded files
    wait (or are being decoded) beyond the one the caller is working on, so memory is bounded
    whatever the number of files; ``depth=0`` loads in the caller's thread, one at a time.
    Call :meth:`release` when done with an item that holds evidence and :meth:`close` at the
    end (also on cancel or error: it stops the thread and waits for it to end).
    Decoding (Pillow) and hashing (hashlib) release the GIL, so they overlap inference.

    recorded: what the output folder holds per key. A key whose last row is a finished
    analysis is hashed first and skipped when the SHA-256 is the recorded one.
    """

    def __init__(
        self,
        files: Iterable[tuple[Path, str]],
        *,
        recorded: Mapping[str, Recorded] | None = None,
        depth: int = DEFAULT_PREFETCH,
        thumbnails: bool = True,
    ) -> None:
        if depth < 0:
            raise ValueError(f"prefetch depth must be >= 0, got {depth}")
        self._files = files
        self._recorded = dict(recorded or {})
        self._thumbnails = thumbnails
        self._queue: queue.Queue[object] = queue.Queue()
        # one slot per decoded file not yet released: the one being analysed and `depth` ahead
        self._slots = threading.Semaphore(depth + 1)
        self._stop = threading.Event()
        self._thread: threading.Thread | None = None
        if depth > 0:
            self._thread = threading.Thread(target=self._run, name="scan-prefetch", daemon=True)
            self._thread.start()

    def _unchanged(self, i: int, path: Path, key: str) -> Prefetched | None:
        """A skip item when ``key`` is finished and its bytes still hash to the record."""
        return (
            Prefetched(i, path, key, skip=True)
            if unchanged(self._recorded.get(key), path)
            else None
        )

    def _load(self, i: int, path: Path, key: str) -> Prefetched:
        rec = self._recorded.get(key) or Recorded("", None)  # no row: nothing recorded
        return load_for_scan(
            i, path, key, thumbnails=self._thumbnails, previous=rec.sha256, stale=rec.stale,
            whole=rec.whole,
        )  # fmt: skip

    def _items(self) -> Iterator[Prefetched]:
        for i, (given, key) in enumerate(self._files):
            path = named(given)
            yield self._unchanged(i, path, key) or self._load(i, path, key)

    def _run(self) -> None:
        try:
            for i, (given, key) in enumerate(self._files):
                path = named(given)
                if self._stop.is_set():
                    return
                skip = self._unchanged(i, path, key)
                if skip is not None:
                    self._queue.put(skip)
                    continue
                while not self._slots.acquire(timeout=0.1):
                    if self._stop.is_set():
                        return
                if self._stop.is_set():
                    return
                item = self._load(i, path, key)
                item.held = True
                self._queue.put(item)
        except BaseException as e:  # the file list failed: the scanning thread must hear it
            self._queue.put(_Crash(e))
        finally:
            self._queue.put(_END)

    def __iter__(self) -> Iterator[Prefetched]:
        if self._thread is None:
            yield from self._items()
            return
        while True:
            item = self._queue.get()
            if item is _END:
                return
            if isinstance(item, _Crash):
                raise item.exc
            assert isinstance(item, Prefetched)
            yield item

    def release(self, item: Prefetched) -> None:
        """Drop ``item``'s pixels and let the thread decode one more file."""
        item.evidence, item.thumb = None, None
        if item.held:
            item.held = False
            self._slots.release()

    def close(self) -> None:
        """Stop reading ahead and wait for the thread (at most the file it is decoding)."""
        self._stop.set()
        if self._thread is None:
            return
        self._thread.join()
        while True:  # drop what was decoded ahead and never used
            try:
                self._queue.get_nowait()
            except queue.Empty:
                break

    @property
    def alive(self) -> bool:
        """Whether the background thread still runs (False after :meth:`close`)."""
        return self._thread is not None and self._thread.is_alive()

    def __enter__(self) -> Prefetcher:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()


def run_scan(
    files: Iterable[tuple[Path, str]],
    analyzer: Analyzer,
    out: Path,
    *,
    source: str,
    total: int | None = None,
    on_file: Callable[[int, int, dict[str, Any]], None] | None = None,
    progress: Callable[[Progress], None] | None = None,
    cancel: Callable[[], bool] | None = None,
    prefetch: int = DEFAULT_PREFETCH,
    thumbnails: bool = True,
    lock: OutputLock | None = None,
    analyses: Sequence[str] = (),
    command: Mapping[str, Any] | None = None,
    index: ResultIndex | None = None,
    unread: Mapping[str, Any] | None = None,
    load: Callable[[], Analyzer] | None = None,
) -> ScanSummary:
    """Analyse ``files`` ((path, key) pairs) into ``out``, skipping keys already done.

    ``files`` may be a lazy iterable (e.g. from :func:`iter_images`); ``total`` is then the
    count to report (``len(files)`` when it has one, else 0 for "unknown"). A bad file becomes
    an error record and the scan goes on (see the module doc). ``on_file(index, total, row)``
    is called after every file (done, skipped or failed) with its results.jsonl row as written
    (a JSON object; :func:`~forensic_viewer.scan.records.as_record` types it). ``cancel()`` is
    polled between files and between window batches; a cancelled scan keeps every finished
    record and can be resumed. A KeyboardInterrupt ends the run as a cancel does and is then
    raised again with the run's summary on it (:func:`end_run`).
    ``prefetch``: files decoded ahead of the one being analysed (0: no background thread).
    ``lock``: the :class:`OutputLock` of ``out``, already held by the caller (who then keeps
    the folder for what it does after the scan, e.g. reports); None: taken here for the run.
    ``analyses``: classic analyses (``engine.analyses`` names) run on every file after the
    models; they are part of the settings, like the models. ``command``, ``unread``: the
    command line and what its listing could not read, as :func:`check_settings` takes them.
    ``index``: ``out``'s :class:`ResultIndex` the caller made (read again if the file changed).
    ``load``: when given, ``analyzer`` is only described (``assemble_analyzer(weights=False)``:
    its settings, no network) and ``load()`` makes the real one, called before the first file
    that has to be analysed, if any: a resume with nothing new to analyse loads no model.
    Raises :class:`~forensic_viewer.scan.lock.OutputLocked` when another scan holds ``out``,
    :class:`ScanSettingsMismatch`, OSError when the output folder cannot be written.
    """
    if prefetch < 0:
        raise ValueError(f"prefetch must be >= 0, got {prefetch}")
    if lock is not None and (not lock.held or lock.out.resolve() != Path(out).resolve()):
        raise ValueError(f"the lock given to run_scan is not held on {out}")
    with OutputLock(out, command="scan") if lock is None else contextlib.nullcontext():
        return _run_locked(
            files, analyzer, out, source, total, on_file, progress, cancel, prefetch, thumbnails,
            tuple(analyses), command, index, unread, load,
        )  # fmt: skip


def _run_locked(
    files: Iterable[tuple[Path, str]],
    analyzer: Analyzer,
    out: Path,
    source: str,
    total: int | None,
    on_file: Callable[[int, int, dict[str, Any]], None] | None,
    progress: Callable[[Progress], None] | None,
    cancel: Callable[[], bool] | None,
    prefetch: int,
    thumbnails: bool,
    analyses: tuple[str, ...] = (),
    command: Mapping[str, Any] | None = None,
    index: ResultIndex | None = None,
    unread: Mapping[str, Any] | None = None,
    load: Callable[[], Analyzer] | None = None,
) -> ScanSummary:
    from engine.tiling import Cancelled
    from forensic_viewer.scan.settings import failure_recorded

    t0 = time.perf_counter()
    recorded_run = {"environment": environment(), "device": str(getattr(analyzer, "device", ""))}
    recorded_run["face_model_figures"] = face_model_figures(analyzer)
    settings = scan_settings(analyzer, source, analyses)
    run_id = new_run_id()  # scan.json's run.id (its started: to the second), each row's run
    check_settings(out, settings, recorded_run, run_id, command=command, unread=unread)
    if total is None:
        total = len(files) if isinstance(files, Sized) else 0
    summary = ScanSummary(total=total)
    keys: list[str] = []
    results: ResultLog | None = None

    def write_results_csv() -> bool:
        """results.csv of the files the run went through (False: no results opened)."""
        if results is None:
            return False
        if not isinstance(files, Sized):
            summary.total = max(total, len(keys))
        summary.copies = results.duplicates(keys)
        write_csv(
            out,
            results.iter_records(keys),
            analyzer.names,
            ensemble=results.has_ensemble or analyzer.ensemble is not None,
            analyses=csv_analyses(analyses, analyzer),
            face_models=[m.name for m in getattr(analyzer, "face_models", ())],
            copies=summary.copies,
        )
        return True

    # scan.json says "running" from here on: a failure ends the run as a stop does, results.csv
    # of the files it went through and scan.json saying "failed", where they can be written
    with failure_recorded(out, summary, write_results_csv, started=t0):
        results = ResultLog(out, index, run=run_id)
        try:  # reading every row's versions takes seconds in a large folder: Ctrl+C there too
            recorded = recorded_rows(results, getattr(analyzer.ensemble, "analyses", None) or ())
        except KeyboardInterrupt as e:  # ends as a stop does, after 0 files (was "running")
            results.close()
            write_results_csv()
            end_run(out, summary, e)  # which raises it again, the summary on it
        problems = ScanLog(out)
        faces_checked = analyzer.faces is not None
        loader = Prefetcher(files, recorded=recorded, depth=prefetch, thumbnails=thumbnails)
        finished = False
        interrupted: KeyboardInterrupt | None = None
        try:
            for item in loader:
                if cancel is not None and cancel():
                    summary.cancelled = True
                    break
                if item.skip:
                    summary.skipped += 1
                    keys.append(item.key)
                    if on_file is not None:
                        on_file(item.index, total, results.get(item.key))
                    continue
                item.mirror = results.output_name(item.key)  # in file order, as the pool's parent
                if item.stale and not item.whole:  # its row's older analyses alone run again
                    kept = as_record(results.get(item.key))
                    item.row = kept if isinstance(kept, FileRecord) else None
                if load is not None and item.evidence is not None:  # the first to analyse
                    analyzer, load = loaded_as(load(), settings, source, analyses), None
                try:
                    outcome = analyse_item(item, analyzer, progress, cancel, problems, analyses)
                    taken = named_files(results, item.key)  # the old row's: never written over
                    record = record_outcome(item, outcome, out, faces_checked, problems, taken)
                except Cancelled:
                    summary.cancelled = True
                    break
                finally:
                    loader.release(item)
                row = append_record(results, item, record, problems, summary)
                keys.append(item.key)
                if on_file is not None:
                    on_file(item.index, total, row)
            finished = True
        except KeyboardInterrupt as e:  # Ctrl+C, or SIGTERM as the command line raises it
            interrupted = e
        finally:
            try:
                loader.close()
            finally:
                close_results(results, problems, finished)
        if problems.written:
            summary.log = problems.path
        write_results_csv()
        summary.seconds = time.perf_counter() - t0
        end_run(out, summary, interrupted)
        return summary


def loaded_as(
    analyzer: Analyzer, settings: Mapping[str, Any], source: str, analyses: Sequence[str]
) -> Analyzer:
    """``analyzer``, loaded for a scan whose ``settings`` were taken of its description; a
    RuntimeError if they differ, naming the models that differ: a checkpoint that changed
    between the two readings, or one that was described but could not be loaded (a default
    model whose weights fail to load is left out with a warning, and "a checkpoint changed"
    sent the analyst to run again into the same failure)."""
    now = scan_settings(analyzer, source, analyses)
    if now == settings:
        return analyzer
    missing, changed = [], []
    for key in ("models", "face_models"):
        before, after = settings.get(key) or {}, now.get(key) or {}
        missing += [name for name in before if name not in after]
        changed += [name for name in before if name in after and after[name] != before[name]]
    if missing:  # the analyst's to fix, in one line: not a bug
        raise CheckpointError(
            None,
            f"{', '.join(missing)} could not be loaded (see the warning above), though its "
            "checkpoint was read when the scan started; choose the models with --model",
        )
    if changed:
        raise RuntimeError(
            f"the checkpoint of {', '.join(changed)} changed while the scan started; run the "
            "scan again"
        )
    raise RuntimeError("the models loaded differ from those the scan started with; run it again")


def analyse_item(
    item: Prefetched,
    analyzer: Analyzer,
    progress: Callable[[Progress], None] | None,
    cancel: Callable[[], bool] | None,
    problems: ScanLog,
    analyses: tuple[str, ...] = (),
) -> Analysis | Rerun | ErrorRecord:
    """The analysis of one loaded file (with the classic ``analyses`` an ensemble did not
    run already; of ``item.row``, its analyses of an older version alone), or an error record
    naming the file (an unexpected exception's traceback goes to ``problems``). Only
    :class:`~engine.tiling.Cancelled` propagates. The pool's workers call this too."""
    from engine.tiling import Cancelled

    if item.evidence is None:
        if item.trace is not None:
            problems.problem(item.error or "", item.trace)
        return _failed(item, item.sha256, item.error or "not loaded")
    chosen = getattr(analyzer, "analysis_params", None)  # --param, the Analyses panel's
    try:
        if item.row is not None:  # only the row's analyses of an older version
            names = [n for n, _ in item.stale]
            results = run_analyses(
                names, item.evidence, cancel=cancel, progress=progress, params=chosen
            )
            return Rerun(item.row, results, item.evidence)
        analysis = analyzer.analyze(item.evidence, progress=progress, cancel=cancel)
        if analyses:  # besides those an ensemble had run already
            todo = [n for n in analyses if n not in analysis.analyses]
            analysis.analyses.update(
                run_analyses(todo, item.evidence, cancel=cancel, progress=progress, params=chosen)
            )
        return analysis
    except Cancelled:
        raise
    except (EvidenceError, ForensicError) as e:
        return _failed(item, item.evidence.sha256, str(e))
    except MemoryError:
        return _failed(item, item.evidence.sha256, f"{item.path}: out of memory while analysing")
    except Exception as e:  # a model or engine bug on this input: the file's error row
        message = unexpected(item.path, e, "analysing")
        problems.problem(message, traceback.format_exc())
        return _failed(item, item.evidence.sha256, message)


def _failed(item: Prefetched, sha: str | None, message: str) -> ErrorRecord:
    replaces = item.previous if item.previous and sha != item.previous else None
    header = item.evidence.header() if item.evidence is not None else item.header
    return error_record(item.key, sha, message, file=item.path, replaces=replaces, header=header)


def record_outcome(
    item: Prefetched,
    outcome: Analysis | Rerun | ErrorRecord,
    out: Path,
    faces_checked: bool,
    problems: ScanLog,
    taken: Collection[str] = (),
) -> ScanRecord:
    """The record of what :func:`analyse_item` gave, its files written under ``out`` (none
    over one of ``taken``): :func:`encode_outcome` then :func:`write_outcome`, the halves a
    pooled scan splits between its workers and its writer. Only an OSError of the output
    folder (full, gone: the scan's failure, not the file's) propagates."""
    return write_outcome(encode_outcome(item, outcome, faces_checked, problems), out, taken)


def encode_outcome(
    item: Prefetched,
    outcome: Analysis | Rerun | ErrorRecord,
    faces_checked: bool,
    problems: ScanLog,
) -> EncodedRecord | ErrorRecord:
    """The record of what :func:`analyse_item` gave and its files' bytes (8-bit map PNGs,
    ``item.thumb``), nothing written; the file's error record when its result cannot be
    recorded (a non-finite figure names the model; an encoder's complaint or another
    unexpected exception goes to ``problems`` with its traceback). Never raises for the file.

    Where the float maps end: a worker of a pooled or Ray scan calls this and sends what it
    returns, so what crosses to the writing process is the row and the 8-bit files.
    """
    if isinstance(outcome, ErrorRecord):
        return outcome
    sha = outcome.row.sha256 if isinstance(outcome, Rerun) else outcome.evidence.sha256
    replaces = item.previous if item.previous and sha != item.previous else None
    try:
        if isinstance(outcome, Rerun):
            return encode_rerun(outcome)
        return encode_result(
            item.key, outcome, faces_checked=faces_checked, thumb=item.thumb, replaces=replaces,
            mirror=item.mirror,
        )  # fmt: skip
    except ForensicError as e:  # NonFiniteResult: names the model
        return _failed(item, sha, str(e))
    except MemoryError:
        return _failed(item, sha, f"{item.path}: out of memory while encoding its heatmaps")
    except Exception as e:  # an encoder's complaint (nothing is written here, so OSError too)
        message = unexpected(item.path, e, "recording its result")
        problems.problem(message, traceback.format_exc())
        return _failed(item, sha, message)


def write_outcome(
    outcome: EncodedRecord | ErrorRecord, out: Path, taken: Collection[str] = ()
) -> ScanRecord:
    """Write an encoded outcome's files under ``out``, none over one the key's last row names
    (``taken``: ``upgrade.named_files``); its record as written (an error record as it is). An
    OSError here is the output folder's (full, gone): the scan fails, rows written stay."""
    if isinstance(outcome, ErrorRecord):
        return outcome
    return outcome.write(out, taken)


def csv_analyses(asked: Sequence[str], analyzer: Any) -> list[str]:
    """The classic analyses with CSV columns: those asked for, then those the ensemble runs for
    its own verdict (e.g. the copy-move analysis of the default ensemble), each once."""
    ensemble = getattr(analyzer, "ensemble", None)
    own = list(getattr(ensemble, "analyses", []) or [])
    return list(dict.fromkeys([*asked, *own]))


def close_results(results: ResultLog, problems: ScanLog, finished: bool) -> None:
    """End a run's writing: close scan.log, compact results.jsonl and close it. A compaction
    error is raised only after a run that finished; otherwise the failure that stopped the run,
    already on its way, says more."""
    problems.close()
    try:
        results.compact()
    except OSError:
        if finished:
            raise
    finally:
        results.close()


def append_record(
    results: ResultLog,
    item: Prefetched,
    record: ScanRecord,
    problems: ScanLog,
    summary: ScanSummary,
) -> dict[str, Any]:
    """Append ``record`` to ``results`` and count it in ``summary``; the row as written. An
    upgrade's error on unchanged bytes appends nothing: the finished row stays (returned),
    counted as not upgraded. Old maps the new row does not name go once it is appended."""
    before = named_files(results, item.key)
    upgrading = bool(item.stale) and record.sha256 is not None and record.sha256 == item.previous
    try:
        row = None if upgrading and isinstance(record, ErrorRecord) else results.append(record)
    except ValueError as e:  # NaN past the checks: the file's error, not the scan's
        problems.problem(unexpected(item.path, e, "recording"), traceback.format_exc())
        message = f"{item.path}: its result holds a non-finite number and is not recorded"
        record = error_record(
            item.key, record.sha256, message, file=item.path, replaces=record.replaces
        )
        row = None
    if row is None and isinstance(record, ErrorRecord) and upgrading:  # the finished row stays
        not_upgraded(summary.upgraded, item.stale, record.error)
        summary.skipped += 1
        return results.get(item.key)
    row = results.append(record) if row is None else row
    remove_left_behind(results.file.parent, before, record)
    if record.replaces is not None and not upgrading:  # an upgrade keeps its row's mark
        summary.changed.append(item.key)
    if isinstance(record, ErrorRecord):
        summary.failed.append((item.key, record.error))
    else:
        summary.done += 1
        if upgrading:  # an upgrade, not changed bytes
            count_upgrade(summary.upgraded, item.stale, item.whole)
    return row


def mark_stale(item: Prefetched, stale: Stale, whole: bool, row: FileRecord | None = None) -> None:
    """Give ``item`` its row's analyses of an older version (``whole``: analysed again; else
    ``row``'s alone) when its bytes are the row's, decoded or not (a failed upgrade's: kept)."""
    if stale and item.sha256 is not None and item.sha256 == item.previous:
        item.stale, item.whole, item.row = stale, whole, None if whole else row
