"""The run loop of a headless scan: settings check, prefetch, analysis, resume.

Used by ``forensic-viewer analyze`` / ``scan`` and by the viewer's batch dialog, so that both
write the same files with the same figures (the format: :mod:`forensic_viewer.scan.records`).
No Qt here.

Throughput and memory: while one file is analysed, a background thread decodes and hashes the
next ones (at most ``prefetch`` files ahead), so reading the disk overlaps inference. Nothing
grows with the number of files except an index of byte offsets into ``results.jsonl``: records
are written as they finish and read back one at a time when needed (resume, CSV, reports).
"""

from __future__ import annotations

import json
import queue
import threading
import time
from collections.abc import Callable, Iterable, Iterator, Sized
from dataclasses import dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING, Any

from engine.errors import EvidenceError, ForensicError
from engine.io import load_evidence
from engine.types import Evidence, Progress
from forensic_viewer.environment import environment
from forensic_viewer.scan.maps import encode_jpeg, thumbnail
from forensic_viewer.scan.records import ErrorRecord, ScanRecord, error_record, result_record
from forensic_viewer.scan.results import SCAN_INFO, ResultLog, write_csv

if TYPE_CHECKING:  # torch loads only when a scan runs, not when results are read
    from engine.pipeline import Analyzer

DEFAULT_PREFETCH = 2  # files decoded ahead of the one being analysed


@dataclass
class ScanSummary:
    total: int = 0
    done: int = 0
    skipped: int = 0
    failed: list[tuple[str, str]] = field(default_factory=list)
    cancelled: bool = False
    seconds: float = 0.0


class ScanSettingsMismatch(ForensicError):
    """The output folder holds results made with other models or settings."""


def scan_settings(analyzer: Analyzer, source: str) -> dict[str, Any]:
    return {
        "source": source,
        "models": {m.name: m.sha256 for m in analyzer.models},
        "window": analyzer.window,
        "stride": analyzer.stride,
        "ensemble": getattr(analyzer.ensemble, "name", None),
    }


def check_settings(
    out: Path, settings: dict[str, Any], extra: dict[str, Any] | None = None
) -> None:
    """Refuse an output folder made with other settings, then record ``settings`` in scan.json.

    extra: written along (e.g. the program's environment) but never compared.
    """
    info = out / SCAN_INFO
    if info.exists():
        try:
            old = json.loads(info.read_text(encoding="utf-8"))
        except ValueError:
            old = None
        if old is not None and {k: old.get(k) for k in settings} != settings:
            raise ScanSettingsMismatch(
                out,
                "holds results made with other models or settings; use another --out folder",
            )
    out.mkdir(parents=True, exist_ok=True)
    info.write_text(json.dumps({**(extra or {}), **settings}, indent=2) + "\n", encoding="utf-8")


@dataclass
class Prefetched:
    """One file of a scan as the prefetcher hands it over, in the order of the file list.

    Exactly one of: ``skip`` (finished in an earlier run, not read again), ``error`` (could not
    be loaded; the message names the file), ``evidence`` (decoded and hashed, with ``thumb``
    JPEG bytes when thumbnails are on).
    """

    index: int
    path: Path
    key: str
    evidence: Evidence | None = None
    thumb: bytes | None = None
    error: str | None = None
    skip: bool = False
    held: bool = field(default=False, repr=False)  # holds a prefetch slot until released


@dataclass
class _Crash:
    """An unexpected exception in the prefetch thread, re-raised in the scanning thread."""

    exc: BaseException


_END = object()


def load_for_scan(index: int, path: Path, key: str, *, thumbnails: bool = True) -> Prefetched:
    """Decode and hash one file for a scan; a file the user can fix becomes an error item."""
    item = Prefetched(index, path, key)
    try:
        item.evidence = load_evidence(path)
        if thumbnails:
            item.thumb = encode_jpeg(thumbnail(item.evidence.pixels))
    except (EvidenceError, ForensicError) as e:
        item.evidence, item.error = None, str(e)
    except MemoryError:
        item.evidence, item.error = None, f"{path}: out of memory while decoding"
    return item


class Prefetcher:
    """Loads the files of a scan ahead of their analysis, in a background thread.

    Iterating yields :class:`Prefetched` items in file order. At most ``depth`` decoded files
    wait (or are being decoded) beyond the one the caller is working on, so memory is bounded
    whatever the number of files; ``depth=0`` loads in the caller's thread, one at a time.
    Call :meth:`release` when done with an item that holds evidence and :meth:`close` at the
    end (also on cancel or error: it stops the thread and waits for it to end).
    Decoding (Pillow) and hashing (hashlib) release the GIL, so they overlap inference.
    """

    def __init__(
        self,
        files: Iterable[tuple[Path, str]],
        *,
        skip: frozenset[str] = frozenset(),
        depth: int = DEFAULT_PREFETCH,
        thumbnails: bool = True,
    ) -> None:
        if depth < 0:
            raise ValueError(f"prefetch depth must be >= 0, got {depth}")
        self._files = files
        self._skip = skip
        self._thumbnails = thumbnails
        self._queue: queue.Queue[object] = queue.Queue()
        # one slot per decoded file not yet released: the one being analysed and `depth` ahead
        self._slots = threading.Semaphore(depth + 1)
        self._stop = threading.Event()
        self._thread: threading.Thread | None = None
        if depth > 0:
            self._thread = threading.Thread(target=self._run, name="scan-prefetch", daemon=True)
            self._thread.start()

    def _items(self) -> Iterator[Prefetched]:
        for i, (path, key) in enumerate(self._files):
            if key in self._skip:
                yield Prefetched(i, path, key, skip=True)
            else:
                yield load_for_scan(i, path, key, thumbnails=self._thumbnails)

    def _run(self) -> None:
        try:
            for i, (path, key) in enumerate(self._files):
                if self._stop.is_set():
                    return
                if key in self._skip:
                    self._queue.put(Prefetched(i, path, key, skip=True))
                    continue
                while not self._slots.acquire(timeout=0.1):
                    if self._stop.is_set():
                        return
                if self._stop.is_set():
                    return
                item = load_for_scan(i, path, key, thumbnails=self._thumbnails)
                item.held = True
                self._queue.put(item)
        except BaseException as e:  # a bug must reach the scanning thread, not hang it
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
) -> ScanSummary:
    """Analyse ``files`` ((path, key) pairs) into ``out``, skipping keys already done.

    ``files`` may be a lazy iterable (e.g. from :func:`iter_images`); ``total`` is then the
    count to report (``len(files)`` when it has one, else 0 for "unknown"). A bad file becomes
    an error record and the scan goes on. ``on_file(index, total, row)`` is called after
    every file (done, skipped or failed) with its results.jsonl row as written (a JSON
    object; :func:`~forensic_viewer.scan.records.as_record` types it). ``cancel()`` is polled
    between files and between window batches; a cancelled scan keeps every finished record and
    can be resumed.
    ``prefetch``: files decoded ahead of the one being analysed (0: no background thread).
    """
    from engine.tiling import Cancelled

    if prefetch < 0:
        raise ValueError(f"prefetch must be >= 0, got {prefetch}")
    t0 = time.perf_counter()
    check_settings(
        out,
        scan_settings(analyzer, source),
        {"environment": environment(), "device": str(getattr(analyzer, "device", ""))},
    )
    if total is None:
        total = len(files) if isinstance(files, Sized) else 0
    log = ResultLog(out)
    summary = ScanSummary(total=total)
    keys: list[str] = []
    faces_checked = analyzer.faces is not None
    loader = Prefetcher(files, skip=log.done_keys(), depth=prefetch, thumbnails=thumbnails)
    try:
        for item in loader:
            if cancel is not None and cancel():
                summary.cancelled = True
                break
            keys.append(item.key)
            if item.skip:
                summary.skipped += 1
                if on_file is not None:
                    on_file(item.index, total, log.get(item.key))
                continue
            try:
                record = _analyse(item, analyzer, out, faces_checked, progress, cancel)
            except Cancelled:
                summary.cancelled = True
                break
            finally:
                loader.release(item)
            if isinstance(record, ErrorRecord):
                summary.failed.append((item.key, record.error))
            else:
                summary.done += 1
            row = log.append(record)
            if on_file is not None:
                on_file(item.index, total, row)
    finally:
        loader.close()
        log.compact()
        log.close()
    if not isinstance(files, Sized):
        summary.total = max(total, len(keys))
    write_csv(
        out,
        log.iter_records(keys),
        analyzer.names,
        ensemble=log.has_ensemble or analyzer.ensemble is not None,
    )
    summary.seconds = time.perf_counter() - t0
    return summary


def _analyse(
    item: Prefetched,
    analyzer: Analyzer,
    out: Path,
    faces_checked: bool,
    progress: Callable[[Progress], None] | None,
    cancel: Callable[[], bool] | None,
) -> ScanRecord:
    """The record of one loaded file: analysed, or an error record naming the file."""
    if item.evidence is None:
        return error_record(item.key, None, item.error or "not loaded", file=item.path)
    sha = item.evidence.sha256
    try:
        analysis = analyzer.analyze(item.evidence, progress=progress, cancel=cancel)
        return result_record(item.key, analysis, out, faces_checked=faces_checked, thumb=item.thumb)
    except (EvidenceError, ForensicError) as e:
        return error_record(item.key, sha, str(e), file=item.path)
    except MemoryError:
        return error_record(
            item.key, sha, f"{item.path}: out of memory while analysing", file=item.path
        )


class RateMeter:
    """Files per second over the time the scan actually ran (pauses excluded), and the ETA.

    Only analysed files count toward the rate: files skipped on resume take no time and would
    make the estimate optimistic.
    """

    def __init__(self, clock: Callable[[], float] = time.monotonic) -> None:
        self._clock = clock
        self._elapsed = 0.0
        self._since: float | None = None
        self.analysed = 0

    def start(self) -> None:
        if self._since is None:
            self._since = self._clock()

    def pause(self) -> None:
        if self._since is not None:
            self._elapsed += self._clock() - self._since
            self._since = None

    def file_done(self, analysed: bool) -> None:
        self.analysed += int(analysed)

    @property
    def seconds(self) -> float:
        running = 0.0 if self._since is None else self._clock() - self._since
        return self._elapsed + running

    @property
    def rate(self) -> float:
        """Analysed files per second (0 until one is done)."""
        s = self.seconds
        return self.analysed / s if s > 0 and self.analysed else 0.0

    def eta(self, remaining: int) -> float | None:
        """Seconds left for ``remaining`` files; None while the rate is unknown."""
        r = self.rate
        return remaining / r if r > 0 else None
