"""Headless analysis of many files: folder walking, result files, resume, prefetch.

Used by ``forensic-viewer analyze`` / ``scan`` and by the viewer's batch dialog, so that both
write the same files with the same figures. No Qt here.

Output folder layout (the contract reports and evaluations rely on):

- ``results.jsonl``: one JSON object per file (see :func:`result_record`), appended and flushed
  as each file finishes, so an interrupted scan loses at most the file in progress;
- ``results.csv``: the same figures, rewritten from ``results.jsonl`` at the end;
- ``maps/<relative path>.<model>.png``: each heatmap as 8-bit grayscale at the evidence's full
  (orientation-corrected) resolution, value = round(255 x probability);
- ``thumbs/<relative path>.jpg``: a small thumbnail of the evidence (long side
  :data:`THUMB_SIDE`) for triage tables, made while the file was decoded anyway;
- ``scan.json``: what produced the results (folder, models and their SHA-256, window, stride),
  so a resume with other settings is refused instead of mixing results.

Throughput and memory: while one file is analysed, a background thread decodes and hashes the
next ones (at most ``prefetch`` files ahead), so reading the disk overlaps inference. Nothing
grows with the number of files except an index of byte offsets into ``results.jsonl``: records
are written as they finish and read back one at a time when needed (resume, CSV, reports).
"""

from __future__ import annotations

import csv
import io
import json
import os
import queue
import threading
import time
from collections.abc import Callable, Iterable, Iterator, Sized
from dataclasses import dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING, Any, BinaryIO

import cv2
import numpy as np
from numpy.typing import NDArray
from PIL import Image

from engine.errors import EvidenceError, ForensicError
from engine.io import is_image_name, load_evidence
from engine.types import Analysis, Evidence, ModelResult, Progress
from forensic_viewer.environment import environment

if TYPE_CHECKING:  # torch loads only when a scan runs, not when results are read
    from engine.pipeline import Analyzer

RESULTS = "results.jsonl"
CSV_NAME = "results.csv"
MAPS = "maps"
THUMBS = "thumbs"
SCAN_INFO = "scan.json"
THUMB_SIDE = 160  # px, long side of a triage thumbnail
DEFAULT_PREFETCH = 2  # files decoded ahead of the one being analysed


def iter_images(folder: Path, recursive: bool) -> Iterator[Path]:
    """Image files below ``folder`` in a stable order.

    Symbolic links to folders are followed once: a folder already visited (same device and
    inode) is skipped, so link loops end. Folders named like images are never taken as files.
    """
    seen: set[tuple[int, int]] = set()

    def walk(d: Path) -> Iterator[Path]:
        try:
            st = d.stat()
        except OSError:
            return
        key = (st.st_dev, st.st_ino)
        if key in seen:
            return
        seen.add(key)
        try:
            entries = sorted(os.scandir(d), key=lambda e: e.name)
        except OSError:
            return
        subdirs = []
        for e in entries:
            try:
                is_dir = e.is_dir(follow_symlinks=True)
            except OSError:
                continue
            if is_dir:
                subdirs.append(Path(e.path))
            elif is_image_name(e.name):
                yield Path(e.path)
        if recursive:
            for s in subdirs:
                yield from walk(s)

    yield from walk(folder)


def rel_key(path: Path, root: Path | None) -> str:
    """The ``path`` field of a record: relative to the scanned folder, forward slashes."""
    if root is None:
        return path.name
    return path.relative_to(root).as_posix()


def map_name(key: str, model: str) -> str:
    return f"{MAPS}/{key}.{model}.png"


def save_heatmap_png(heatmap: np.ndarray, path: Path) -> None:
    """8-bit grayscale, value = round(255 x probability).

    zlib level 1: a third of the CPU time of Pillow's default level 6 for files about half
    again as large; encoding is the largest cost of a scan besides the network.
    """
    path.parent.mkdir(parents=True, exist_ok=True)
    u8 = np.rint(np.clip(heatmap, 0.0, 1.0) * 255.0).astype(np.uint8)
    tmp = path.with_name(path.name + ".tmp")
    Image.fromarray(u8, mode="L").save(tmp, format="PNG", compress_level=1)
    tmp.replace(path)


def _model_record(r: ModelResult, heatmap_rel: str) -> dict[str, Any]:
    return {
        "score": r.score,
        "verdict": r.verdict,
        "forged_fraction": r.forged_fraction,
        "threshold": r.threshold,
        "heatmap": heatmap_rel,
    }


def thumb_name(key: str) -> str:
    return f"{THUMBS}/{key}.jpg"


def thumbnail(rgb: NDArray[np.uint8], max_side: int = THUMB_SIDE) -> NDArray[np.uint8]:
    """``rgb`` [H, W, 3] scaled (area interpolation) so its long side is at most ``max_side``."""
    h, w = rgb.shape[:2]
    scale = max_side / max(h, w)
    if scale >= 1.0:
        return np.ascontiguousarray(rgb)
    size = (max(1, round(w * scale)), max(1, round(h * scale)))
    return cv2.resize(rgb, size, interpolation=cv2.INTER_AREA)


def encode_jpeg(rgb: NDArray[np.uint8], quality: int = 85) -> bytes:
    buf = io.BytesIO()
    Image.fromarray(rgb).save(buf, format="JPEG", quality=quality)
    return buf.getvalue()


def _write_atomic(path: Path, data: bytes) -> None:
    path.parent.mkdir(parents=True, exist_ok=True)
    tmp = path.with_name(path.name + ".tmp")
    tmp.write_bytes(data)
    tmp.replace(path)


def _model_record(r: ModelResult, heatmap_rel: str) -> dict[str, Any]:
    return {
        "score": r.score,
        "verdict": r.verdict,
        "forged_fraction": r.forged_fraction,
        "threshold": r.threshold,
        "heatmap": heatmap_rel,
    }


def result_record(
    key: str,
    analysis: Analysis,
    out: Path,
    *,
    faces_checked: bool | None = None,
    thumb: bytes | None = None,
) -> dict[str, Any]:
    """Write the heatmaps (and thumbnail) of ``analysis`` under ``out``; its results.jsonl object.

    Fields: ``path`` (key relative to the scanned folder), ``file`` (the evidence path as
    analysed), ``sha256`` (of the bytes at load), ``status`` ``"ok"``, ``error`` None,
    ``models`` (score, verdict, forged fraction, threshold, heatmap file per model),
    ``ensemble`` (same, when configured), ``faces``, ``faces_checked`` (whether face detection
    ran at all: an empty ``faces`` list means "none found" only when it is true), ``width``,
    ``height``, ``warnings``, ``evidence`` (every fact of :class:`Evidence` but the pixels),
    ``details`` (the full :class:`ModelResult` figures per model), ``seconds`` and
    ``thumbnail``.
    """
    models: dict[str, Any] = {}
    for name, r in analysis.results.items():
        rel = map_name(key, name)
        save_heatmap_png(r.heatmap, out / rel)
        models[name] = _model_record(r, rel)
    ev = analysis.evidence
    record: dict[str, Any] = {
        "path": key,
        "file": os.path.abspath(ev.path),
        "sha256": ev.sha256,
        "status": "ok",
        "error": None,
        "models": models,
        "faces": [f.to_dict() for f in analysis.faces],
        "faces_checked": faces_checked,
        "width": ev.width,
        "height": ev.height,
        "warnings": ev.warnings,
        "evidence": ev.to_dict(),
        "details": {name: r.to_dict() for name, r in analysis.results.items()},
        "seconds": analysis.seconds,
    }
    if analysis.ensemble is not None:
        rel = map_name(key, analysis.ensemble.name)
        save_heatmap_png(analysis.ensemble.heatmap, out / rel)
        record["ensemble"] = {
            "name": analysis.ensemble.name,
            **_model_record(analysis.ensemble, rel),
        }
        record["ensemble_details"] = analysis.ensemble.to_dict()
    if thumb is not None:
        _write_atomic(out / thumb_name(key), thumb)
        record["thumbnail"] = thumb_name(key)
    return record


def error_record(
    key: str, sha256: str | None, message: str, *, file: str | Path | None = None
) -> dict[str, Any]:
    """The results.jsonl object of a file that could not be analysed (no model ran on it)."""
    return {
        "path": key,
        "file": None if file is None else os.path.abspath(file),
        "sha256": sha256,
        "status": "error",
        "error": message,
        "models": {},
    }


class ResultIndex:
    """Where the last record of each path sits in ``results.jsonl`` (byte offsets only).

    Reading a record back costs one seek, so resume, CSV and reports work on 10,000-file
    folders without holding every record in memory. The last record of a path wins (a retried
    file appends a second one); lines that do not parse (a torn last line) are ignored.
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
                self._add_line(line, offset)
                offset += len(line)
            self.ends_torn = bool(line) and not line.endswith(b"\n")

    def _add_line(self, line: bytes, offset: int) -> None:
        try:
            rec = json.loads(line)
            key = rec["path"]
        except (ValueError, KeyError, TypeError):
            return
        if isinstance(key, str):
            self._add(rec, offset)

    def _add(self, rec: dict[str, Any], offset: int) -> None:
        self._offsets[rec["path"]] = offset
        self._status[rec["path"]] = str(rec.get("status"))
        self.has_ensemble |= "ensemble" in rec

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
        with open(self.file, "rb") as f:
            return self._read_at(f, self._offsets[key])

    def iter_records(self, keys: Iterable[str] | None = None) -> Iterator[dict[str, Any]]:
        """Records of ``keys`` (default: every path) one at a time, in that order."""
        with open(self.file, "rb") as f:
            for key in self.keys() if keys is None else keys:
                offset = self._offsets.get(key)
                if offset is not None:
                    yield self._read_at(f, offset)

    @staticmethod
    def _read_at(f: BinaryIO, offset: int) -> dict[str, Any]:
        f.seek(offset)
        return json.loads(f.readline())


class _ResultLog(ResultIndex):
    """``results.jsonl`` opened for appending; every record is flushed as it is written."""

    def __init__(self, out: Path) -> None:
        super().__init__(out)
        self._log = open(self.file, "ab")  # closed by close()
        if self.ends_torn:  # the torn line stays unparseable; the next record starts clean
            self._log.write(b"\n")
            self._log.flush()
        self._end = self._log.tell()

    def append(self, record: dict[str, Any]) -> None:
        line = (json.dumps(record) + "\n").encode("utf-8")
        self._log.write(line)
        self._log.flush()
        self._add(record, self._end)
        self._end += len(line)

    def close(self) -> None:
        self._log.close()

    def compact(self) -> None:
        """Rewrite results.jsonl with one record per path (retried files appended a second)."""
        self._log.flush()
        tmp = self.file.with_name(RESULTS + ".tmp")
        offsets: dict[str, int] = {}
        with open(self.file, "rb") as src, open(tmp, "wb") as dst:
            for key, offset in self._offsets.items():
                src.seek(offset)
                offsets[key] = dst.tell()
                dst.write(src.readline())
        self._log.close()
        tmp.replace(self.file)
        self._offsets = offsets
        self._log = open(self.file, "ab")  # closed by close()
        self._end = self._log.tell()


def read_records(out: Path) -> dict[str, dict[str, Any]]:
    """Every record by path, in memory (the last record of a path wins; a torn line is ignored).

    For large folders prefer :class:`ResultIndex`, which reads records one at a time.
    """
    index = ResultIndex(out)
    return {r["path"]: r for r in index.iter_records()} if len(index) else {}


def write_csv(
    out: Path,
    records: Iterable[dict[str, Any]],
    models: list[str],
    *,
    ensemble: bool | None = None,
) -> None:
    """results.csv from ``records``, streamed. ``ensemble``: whether to add the ensemble
    columns (None: look at the records, which then must be a list)."""
    if ensemble is None:
        records = list(records)
        ensemble = any("ensemble" in r for r in records)
    cols = ["path", "sha256", "status", "error"]
    names = [*models, *(["ensemble"] if ensemble else [])]
    for m in names:
        cols += [
            f"{m}.score",
            f"{m}.verdict",
            f"{m}.forged_fraction",
            f"{m}.threshold",
            f"{m}.heatmap",
        ]
    cols.append("faces")
    tmp = out / (CSV_NAME + ".tmp")
    with open(tmp, "w", newline="", encoding="utf-8") as f:
        w = csv.writer(f)
        w.writerow(cols)
        for r in records:
            row = [r["path"], r.get("sha256") or "", r["status"], r.get("error") or ""]
            for m in names:
                d = r.get("ensemble") if m == "ensemble" else r.get("models", {}).get(m)
                if d:
                    row += [
                        f"{d['score']:.6f}",
                        d["verdict"],
                        f"{d['forged_fraction']:.6f}",
                        f"{d['threshold']:.6f}",
                        d["heatmap"],
                    ]
                else:
                    row += ["", "", "", "", ""]
            row.append(len(r.get("faces") or []))
            w.writerow(row)
    tmp.replace(out / CSV_NAME)


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
    an error record and the scan goes on. ``on_file(index, total, record)`` is called after
    every file (done, skipped or failed). ``cancel()`` is polled between files and between
    window batches; a cancelled scan keeps every finished record and can be resumed.
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
    log = _ResultLog(out)
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
            if record["status"] == "ok":
                summary.done += 1
            else:
                summary.failed.append((item.key, record["error"]))
            log.append(record)
            if on_file is not None:
                on_file(item.index, total, record)
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
) -> dict[str, Any]:
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
