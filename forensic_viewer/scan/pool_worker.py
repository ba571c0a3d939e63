"""The worker's end of a pooled scan (:mod:`forensic_viewer.scan.pool`) and the messages
that cross its pipe.

A worker process (:func:`worker_main`, ``spawn``) builds its Analyzer once from an
:class:`AnalyzerRecipe`, says ``("ready", WorkerReady)`` or ``("failed", Failure)``, then takes
one :class:`Task` at a time and answers ``("done", Answer)``, ``("cancelled", index)`` or
``("unanswered", message, traceback)`` (its answer could not be pickled); ``None`` or a closed
pipe ends it. The parent's side, which reads these messages (``_Pool._handle``), stays in
:mod:`forensic_viewer.scan.pool`; the messages are defined here, once, for both ends and for
the Ray actors of :mod:`forensic_viewer.scan.ray_pool`, which run :func:`build_worker` and
:func:`analyse_task` too. Apart from the parent because the two ends share only these types:
the parent's file list, resume, records and CSV are none of the worker's business.
"""

from __future__ import annotations

import contextlib
import dataclasses
import os
import signal
import sys
import traceback
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from multiprocessing.connection import Connection
from pathlib import Path
from typing import TYPE_CHECKING, Any

from engine.errors import ForensicError
from engine.threads import pin_process
from forensic_viewer.scan.encoded import EncodedRecord
from forensic_viewer.scan.failure import unexpected
from forensic_viewer.scan.lock import ScanFailed
from forensic_viewer.scan.records import ErrorRecord, FileRecord
from forensic_viewer.scan.results import face_model_figures
from forensic_viewer.scan.run import (
    ScanLog,
    analyse_item,
    encode_outcome,
    load_for_scan,
)
from forensic_viewer.scan.settings import scan_settings
from forensic_viewer.scan.upgrade import Stale

if TYPE_CHECKING:  # torch loads in the workers, never in the parent of a pool
    from multiprocessing.synchronize import Event

    from engine.pipeline import Analyzer

__all__ = [
    "AnalyzerRecipe",
    "Answer",
    "Collected",
    "Failure",
    "RemoteTraceback",
    "Task",
    "WorkerFailed",
    "WorkerReady",
    "analyse_task",
    "build_worker",
    "send_quietly",
    "worker_main",
]


class WorkerFailed(ScanFailed):
    """A worker process ended while it loaded its models, or loaded other ones than the
    first (a checkpoint changed during the scan): the scan itself fails (exit code 3)."""


@dataclass(frozen=True)
class AnalyzerRecipe:
    """How each worker builds its Analyzer: the arguments of
    :func:`engine.assembly.assemble_analyzer` (picklable, so it crosses to the workers).

    models: checkpoint names or files and ensemble files; None or empty: the default set.
    """

    models: tuple[str, ...] | None = None
    device: str = "auto"
    window: int | None = None
    stride: int | None = None
    batch_size: int = 8
    faces: bool = True
    exact: bool = False
    analysis_params: Mapping[str, Mapping[str, Any]] = field(default_factory=dict)  # --param

    def build(self) -> Analyzer:
        from engine.assembly import assemble_analyzer, choose_analysis_params

        analyzer = assemble_analyzer(
            None if self.models is None else list(self.models),
            device=self.device,
            window=self.window,
            stride=self.stride,
            batch_size=self.batch_size,
            faces=self.faces,
            exact=self.exact,
        )
        choose_analysis_params(analyzer, self.analysis_params)
        return analyzer


@dataclass(frozen=True)
class WorkerReady:
    """What a worker says once its models are loaded. settings: :func:`scan_settings` of its
    Analyzer (every worker must say the same)."""

    names: tuple[str, ...]
    ensemble: str | None
    device: str
    faces_checked: bool
    settings: dict[str, Any]
    ensemble_analyses: tuple[str, ...] = ()  # the classic analyses the ensemble runs itself
    face_models: tuple[str, ...] = ()  # models run on the face path only (engine.pipeline)
    face_model_figures: dict[str, Any] = field(default_factory=dict)  # run.face_model_figures


@dataclass(frozen=True)
class Task:
    """One file handed to a worker. previous: the SHA-256 its last row recorded. stale,
    whole, row: its row's analyses of an older version (``run.mark_stale``). mirror: what its
    output files mirror, given by the parent as it hands files out in the list's order
    (``ResultLog.output_name``), so the workers name them as one process does."""

    index: int
    path: Path
    key: str
    previous: str | None
    stale: Stale = ()
    whole: bool = False
    row: FileRecord | None = None
    mirror: str | None = None


@dataclass(frozen=True)
class Answer:
    """A worker's result for one file: its record with the bytes of its 8-bit maps and
    thumbnail (:func:`~forensic_viewer.scan.run.encode_outcome`) or its error row, and
    (message, traceback) pairs for ``scan.log``."""

    outcome: EncodedRecord | ErrorRecord
    problems: tuple[tuple[str, str], ...]


@dataclass(frozen=True)
class Failure:
    """A worker's exception in a form that crosses processes: a pickled ForensicError comes
    back without its path and reason (its ``__init__`` takes two arguments)."""

    kind: type[BaseException]
    path: str | None
    reason: str
    trace: str

    @classmethod
    def of(cls, e: BaseException) -> Failure:
        path = e.path if isinstance(e, ForensicError) else None
        reason = e.reason if isinstance(e, ForensicError) else str(e)
        return cls(type(e), path, reason, traceback.format_exc())

    def exception(self) -> BaseException:
        if issubclass(self.kind, ForensicError):
            try:
                return self.kind(self.path, self.reason)
            except Exception:  # a subclass with other arguments
                return ForensicError(self.path, self.reason)
        if issubclass(self.kind, ValueError):  # a bad device and similar arguments
            return ValueError(self.reason)
        return WorkerFailed(
            None,
            f"a worker process failed while loading the models: {self.kind.__name__}: "
            f"{self.reason}",
        )


class RemoteTraceback(Exception):
    """The worker's traceback, chained to the exception the parent raises (as
    ``concurrent.futures`` does), so ``scan.log`` shows where it happened."""

    def __str__(self) -> str:
        return str(self.args[0])


class Collected(ScanLog):
    """The worker's side of ``scan.log``: problems are kept and sent to the parent."""

    def __init__(self) -> None:
        self.lines: list[tuple[str, str]] = []

    @property
    def written(self) -> bool:
        return bool(self.lines)

    def problem(self, message: str, trace: str) -> None:
        self.lines.append((message, trace))

    def close(self) -> None:
        pass


# --- the worker process ----------------------------------------------------------------------


def send_quietly(conn: Connection, message: object) -> bool:
    """Send over the pipe (to the parent, or a worker's ``None``); False when the other end is
    gone."""
    try:
        conn.send(message)
    except (OSError, EOFError):
        return False
    return True


def build_worker(
    recipe: AnalyzerRecipe, source: str, analyses: tuple[str, ...]
) -> tuple[Analyzer, WorkerReady]:
    """A worker's Analyzer, built once from ``recipe`` (its fast-path runtimes prepared now,
    not in the first file), and what the worker tells the parent about it. Shared by the
    worker processes here and the Ray actors of :mod:`forensic_viewer.scan.ray_pool`."""
    analyzer = recipe.build()
    prepare = getattr(analyzer, "prepare", None)
    if prepare is not None:
        prepare()
    ready = WorkerReady(
        names=tuple(analyzer.names),
        ensemble=getattr(analyzer.ensemble, "name", None),
        device=str(getattr(analyzer, "device", "")),
        faces_checked=analyzer.faces is not None,
        settings=scan_settings(analyzer, source, analyses),
        ensemble_analyses=tuple(getattr(analyzer.ensemble, "analyses", ()) or ()),
        face_models=tuple(m.name for m in getattr(analyzer, "face_models", ())),
        face_model_figures=face_model_figures(analyzer),
    )
    return analyzer, ready


def analyse_task(
    analyzer: Analyzer,
    task: Task,
    cancel: Callable[[], bool],
    thumbnails: bool,
    analyses: tuple[str, ...],
) -> Answer | None:
    """One file in a worker: ``load_for_scan``, ``analyse_item``, ``encode_outcome``: the
    answer the parent writes (the record and its files' bytes; no pixels, no float maps);
    None when ``cancel()`` stopped the analysis."""
    from engine.tiling import Cancelled

    problems = Collected()
    item = load_for_scan(
        task.index, task.path, task.key, thumbnails=thumbnails, previous=task.previous,
        stale=task.stale, whole=task.whole, row=task.row,
    )  # fmt: skip
    item.mirror = task.mirror
    try:
        outcome = analyse_item(item, analyzer, None, cancel, problems, analyses)
    except Cancelled:
        return None
    encoded = encode_outcome(item, outcome, analyzer.faces is not None, problems)
    return Answer(encoded, tuple(problems.lines))


def worker_main(*args: Any) -> None:
    """A worker process: :func:`_serve` (``args`` are its arguments), then end at once. The
    interpreter's own teardown of torch and its libraries took 3-5 s per process on the loaded
    2-core machine, and there is nothing to clean up: the parent writes every file."""
    signal.signal(signal.SIGINT, signal.SIG_IGN)  # Ctrl-C is the parent's to handle
    code = 0
    try:
        _serve(*args)
    except BaseException:  # a bug here: its traceback on stderr, the parent sees the exit code
        traceback.print_exc()
        code = 1
    finally:
        for stream in (sys.stdout, sys.stderr):
            with contextlib.suppress(Exception):
                stream.flush()
        os._exit(code)


def _serve(
    conn: Connection,
    recipe: AnalyzerRecipe,
    source: str,
    threads: int,
    stop: Event,
    thumbnails: bool,
    analyses: tuple[str, ...],
    cores: tuple[int, ...] | None = None,
    cache_said: Any = None,
) -> None:
    """Pin to ``cores`` (when given), build the Analyzer, say ``ready``, then one file per
    message until ``None`` or the parent is gone. ``cache_said``: the scan's flag by which one
    worker only says that the OpenVINO cache keeps nothing (:func:`engine.ovcache.share_warning`)."""
    if cores:
        pin_process(cores)  # before any runtime starts a thread: they all inherit it
    if cache_said is not None:
        from engine.ovcache import share_warning

        share_warning(cache_said)
    import torch

    torch.set_num_threads(threads)
    try:
        analyzer, ready = build_worker(recipe, source, analyses)
    except BaseException as e:
        failure = Failure.of(e)
        try:
            conn.send(("failed", failure))
        except (OSError, EOFError):
            pass
        except Exception:  # the exception's class cannot be pickled
            send_quietly(conn, ("failed", dataclasses.replace(failure, kind=RuntimeError)))
        return
    if not send_quietly(conn, ("ready", ready)):
        return
    while True:
        try:
            task = conn.recv()
        except (OSError, EOFError):
            return  # the parent is gone
        if task is None:
            return
        answer = analyse_task(analyzer, task, stop.is_set, thumbnails, analyses)
        if answer is None:
            if not send_quietly(conn, ("cancelled", task.index)):
                return
            continue
        try:
            conn.send(("done", answer))
        except (OSError, EOFError):
            return
        except Exception as e:  # the result cannot be pickled: the file's error, not the scan's
            message = unexpected(task.path, e, "passing its result back")
            if not send_quietly(conn, ("unanswered", message, traceback.format_exc())):
                return
