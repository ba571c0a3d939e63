"""Folder scans with N worker processes: ``forensic-viewer scan --jobs N``, the batch dialog's
"worker processes".

This module is the parent's side; the worker's side and the messages both ends exchange are in
:mod:`forensic_viewer.scan.pool_worker`, how many workers ``--jobs auto`` gives in
:mod:`forensic_viewer.scan.jobs`.

Why: one process leaves cores idle for much of a file (decoding, hashing, faces, the
resize-policy networks, the ensemble and the maps run on one thread; a multi-threaded layer
waits for whichever thread other work descheduled). N processes with ``cores // N`` threads
each keep every core on whole files (issue 18; ``bench/bench_scan_jobs.py``), each pinned to
its own cores when their threads fit (:mod:`engine.threads`: two unpinned single-threaded
workers reached about 60 % of the pinned pair's files per second).

- **The parent** (:func:`run_pool_scan`) holds the output folder's lock, reads the file list
  lazily, decides the skips of a resume as :func:`~forensic_viewer.scan.run.run_scan` does,
  and alone writes the output folder (``scan.json``, rows, maps, thumbnails, ``scan.log``,
  CSV) through the one-process scan's own steps (``check_settings``, ``write_outcome``,
  ``append_record``, ``write_csv``): the rows are those of a one-process scan, written in
  the order files finish (the CSV keeps the file list's order).
- **Each worker** (``spawn``: a fresh interpreter, none of the parent's threads, locks or
  CUDA state) builds its Analyzer once from an :class:`AnalyzerRecipe` (the arguments of
  :func:`engine.assembly.assemble_analyzer`, the one-process scan's call), says which settings
  it runs, then takes one file at a time: ``load_for_scan``, ``analyse_item``, and back goes
  the file's record with the bytes of its files (``encode_outcome``: the row's statistics
  taken from the float maps, then each map quantised to 8 bits and PNG-encoded by the
  one-process scan's own encoder), or the file's error record. Float maps never cross the
  pipe: a 1 MP photograph's answer is ~1.2 MB instead of ~16 MB with the default model
  set (``bench/bench_scan_ray.py``), and the parent only writes bytes.
- **Bounded work**: a worker holds one file; the parent hands it the next as soon as it
  answers (before writing that answer's maps), so at most N answers wait in the parent.

What goes wrong, and what then:

- A file whose decoding or analysis raises gets its error row, as in one process (the
  worker's traceback reaches ``scan.log`` through the parent).
- A worker that dies (killed, out of memory, a crash in native code) leaves an error row for
  the file it held, naming the file and how the process ended, and is replaced; rows already
  written stay, and the next run tries that file again.
- A worker that cannot build its models fails the scan with the one-process scan's error
  (:class:`~engine.assembly.NoModelError`, :class:`~engine.errors.CheckpointError`, ValueError
  for a bad device); one that dies while loading them raises :class:`WorkerFailed`.
- Cancel: ``cancel()`` is polled at least every :data:`POLL_SECONDS`; the workers' analyses
  stop through a shared event (the Analyzer's cancel hook), unfinished files are not recorded
  and, as in one process, not in results.csv (their last row is an earlier run's).
  A ``cancel()`` that blocks (the dialog's Pause) stops handing out files; those being
  analysed finish. Window progress inside the workers is not reported, only files.
- The parent killed: the workers see their pipe close and end after the file in hand; the
  lock goes with the parent, and a rerun resumes.
"""

from __future__ import annotations

import multiprocessing as mp
import signal
import time
from collections.abc import Callable, Iterable, Iterator, Mapping, Sequence, Sized
from dataclasses import dataclass
from multiprocessing.connection import Connection, wait
from pathlib import Path
from typing import TYPE_CHECKING, Any

from engine.threads import available_cores, core_slots, free_slot
from forensic_viewer.environment import environment
from forensic_viewer.scan.failure import named
from forensic_viewer.scan.jobs import cpu_cores
from forensic_viewer.scan.lock import OutputLock
from forensic_viewer.scan.pool_worker import (
    AnalyzerRecipe,
    Answer,
    Failure,
    RemoteTraceback,
    Task,
    WorkerFailed,
    WorkerReady,
    send_quietly,
    worker_main,
)
from forensic_viewer.scan.records import FileRecord, as_record, error_record
from forensic_viewer.scan.results import ResultIndex, ResultLog, write_csv
from forensic_viewer.scan.run import (
    Prefetched,
    ScanLog,
    ScanSummary,
    append_record,
    close_results,
    csv_analyses,
    sha256_if_read,
    write_outcome,
)
from forensic_viewer.scan.run_id import new_run_id
from forensic_viewer.scan.settings import check_settings, end_run, failure_recorded
from forensic_viewer.scan.upgrade import Recorded, named_files, recorded_rows, unchanged

if TYPE_CHECKING:
    from multiprocessing.process import BaseProcess

__all__ = [
    "POLL_SECONDS",
    "STOP_SECONDS",
    "run_locked",
    "run_pool_scan",
]

POLL_SECONDS = 0.1  # the longest the parent waits without polling cancel()
STOP_SECONDS = 5.0  # how long ending workers may take before they are terminated

# --- the parent ------------------------------------------------------------------------------


@dataclass
class _Worker:
    process: BaseProcess
    conn: Connection
    ready: bool = False
    task: Task | None = None  # the file it is analysing
    cores: tuple[int, ...] | None = None  # the cores it is pinned to (engine.threads)


def _how_ended(code: int | None) -> str:
    """How a process ended, in words."""
    if code is None:
        return "still running"
    if code < 0:
        try:
            return f"killed by {signal.Signals(-code).name}"
        except ValueError:
            return f"killed by signal {-code}"
    return f"exit code {code}"


def run_pool_scan(
    files: Iterable[tuple[Path, str]],
    recipe: AnalyzerRecipe,
    out: Path,
    *,
    jobs: int,
    source: str,
    total: int | None = None,
    on_file: Callable[[int, int, dict[str, Any]], None] | None = None,
    on_ready: Callable[[list[str], str | None, str, list[str]], None] | None = None,
    cancel: Callable[[], bool] | None = None,
    thumbnails: bool = True,
    lock: OutputLock | None = None,
    analyses: Sequence[str] = (),
    threads: int | None = None,
    pin: bool = True,
    command: Mapping[str, Any] | None = None,
    index: ResultIndex | None = None,
    unread: Mapping[str, Any] | None = None,
) -> ScanSummary:
    """:func:`~forensic_viewer.scan.run.run_scan` with ``jobs`` worker processes, each
    building its Analyzer from ``recipe`` (see the module doc).

    The same arguments, results and errors as ``run_scan``, except: ``on_file(index, total,
    row)`` comes in the order files finish, ``index`` being how many files were reported
    before this one; ``on_ready(names, ensemble, device, face_models)`` is called once the first worker has
    its models (before any ``on_file``); no window progress is reported.
    threads: torch threads per worker (default: :func:`cpu_cores` // ``jobs``, at least 1).
    pin: each worker on its own ``threads`` cores when they fit (:mod:`engine.threads`);
        False leaves them to the scheduler (``bench/bench_scan_jobs.py`` compares the two).
    command, unread: what scan.json's ``run`` records of the run, as ``run_scan`` takes them.
    On a GPU (``device`` of the recipe) the workers share it, each with its own models.
    """
    if jobs < 1:
        raise ValueError(f"jobs must be >= 1, got {jobs}")
    pool = _Pool(
        files,
        recipe,
        Path(out),
        jobs=jobs,
        source=source,
        total=total,
        on_file=on_file,
        on_ready=on_ready,
        cancel=cancel,
        thumbnails=thumbnails,
        analyses=tuple(analyses),
        threads=threads or max(1, cpu_cores() // jobs),
        pin=pin,
        command=command,
        index=index,
        unread=unread,
    )
    return run_locked(pool, Path(out), lock, "run_pool_scan")


def run_locked(pool: Any, out: Path, lock: OutputLock | None, caller: str) -> ScanSummary:
    """``pool.run()`` holding the output folder's lock: ``lock`` when the caller holds it
    already (it must be on ``out``), else a lock taken for the run."""
    if lock is not None:
        if not lock.held or lock.out.resolve() != out.resolve():
            raise ValueError(f"the lock given to {caller} is not held on {out}")
        return pool.run()
    with OutputLock(out, command="scan"):
        return pool.run()


class _Pool:
    """The parent's side of one pooled scan (see the module doc).

    retries: how often a file whose worker died is handed out again before it becomes an
    error row (0 here: a dead local process is rarely chance; Ray's actors: 1, a node lost).
    """

    retries = 0

    def __init__(
        self,
        files: Iterable[tuple[Path, str]],
        recipe: AnalyzerRecipe,
        out: Path,
        *,
        jobs: int,
        source: str,
        total: int | None,
        on_file: Callable[[int, int, dict[str, Any]], None] | None,
        on_ready: Callable[[list[str], str | None, str, list[str]], None] | None,
        cancel: Callable[[], bool] | None,
        thumbnails: bool,
        analyses: tuple[str, ...],
        threads: int,
        pin: bool = True,
        command: Mapping[str, Any] | None = None,
        index: ResultIndex | None = None,
        unread: Mapping[str, Any] | None = None,
    ) -> None:
        self.files = files
        self.index = index  # out's index the caller made: ResultLog takes it when unchanged
        self.command = command  # scan.json's run.command (scan/command.py)
        self.unread = unread  # scan.json's run.unread (walk.unread_record)
        self.analyses = analyses
        self.recipe = recipe
        self.out = out
        self.jobs = jobs
        self.source = source
        self.total = total if total is not None else len(files) if isinstance(files, Sized) else 0
        self.on_file = on_file
        self.on_ready = on_ready
        self.cancel = cancel
        self.thumbnails = thumbnails
        self.threads = threads
        # one core group per worker when their threads fit on the cores (engine.threads)
        self.slots = core_slots(available_cores(), jobs, threads) if pin else None
        self.ctx = mp.get_context("spawn")
        self.stop = self.ctx.Event()
        self.cache_said = self.ctx.Value("b", 0)  # one "not cached" line a scan (engine.ovcache)
        self.workers: list[_Worker] = []
        self.first: WorkerReady | None = None
        self.summary = ScanSummary(total=self.total)
        self.keys: list[str] = []  # listed so far, in the file list's order (the CSV's)
        self.through: set[str] = set()  # keys recorded or skipped by this run (reported)
        self.todo: Iterator[tuple[int, tuple[Path, str]]] = iter(())
        self.retry: list[Task] = []  # handed to a worker that was gone before it got them
        self.deaths: dict[str, int] = {}  # key -> workers that died analysing it
        self.recorded: dict[str, Recorded] = {}
        self.exhausted = False
        self.cancelled = False
        self.reported = 0
        self.results: ResultLog | None = None
        self.problems: ScanLog | None = None
        self.began: str | None = None  # the run's identity, made when run() began
        self.checked = False  # scan.json says "running": the settings were checked
        self.t0: float | None = None  # time.perf_counter() when run() began

    # --- the run ---

    def run(self) -> ScanSummary:
        """The scan (:meth:`_run`); an exception once scan.json says the run is "running" (the
        settings checked, even if results.jsonl then could not be opened) ends the run as a
        one-process scan's does (:func:`failure_recorded`: results.csv of the files it went
        through, scan.json saying "failed"), as far as they can be written."""
        try:
            return self._run()
        except Exception:
            if not self.checked:
                raise
            with failure_recorded(self.out, self.summary, self._write_csv, self.t0):
                raise

    def _write_csv(self) -> bool:
        """results.csv of the files this run went through (False: no results opened). Files
        handed out but never recorded (in flight when the scan stopped) are left out, as a
        one-process scan leaves them: their last row is an earlier run's."""
        if self.results is None or self.first is None:
            return False
        if not isinstance(self.files, Sized):
            self.summary.total = max(self.total, len(self.keys))
        went_through = [k for k in self.keys if k in self.through]
        self.summary.copies = self.results.duplicates(went_through)
        write_csv(
            self.out,
            self.results.iter_records(went_through),
            list(self.first.names),
            ensemble=self.results.has_ensemble or self.first.ensemble is not None,
            analyses=csv_analyses([*self.analyses, *self.first.ensemble_analyses], None),
            face_models=list(self.first.face_models),
            copies=self.summary.copies,
        )
        return True

    def _run(self) -> ScanSummary:
        self.t0 = t0 = time.perf_counter()
        self.began = new_run_id()  # scan.json's run.id and started: before the workers load
        interrupted: KeyboardInterrupt | None = None
        try:
            for _ in range(self.jobs):
                self._start()
            while self.first is None:
                if self._cancel_asked():
                    self.summary.cancelled = True
                    self.summary.seconds = time.perf_counter() - t0
                    return self.summary
                self._pump()
            self._scan()
        except KeyboardInterrupt as e:  # Ctrl+C or SIGTERM: end as a cancel, then raise again
            if not self.checked:  # before the settings were checked: nothing was written
                raise
            interrupted = e
        finally:
            self._shutdown()
        if self.problems is not None and self.problems.written:
            self.summary.log = self.problems.path
        self._write_csv()
        self.summary.cancelled = self.cancelled
        self.summary.seconds = time.perf_counter() - t0
        end_run(self.out, self.summary, interrupted)
        return self.summary

    def _scan(self) -> None:
        """Settings checked, then files handed out and answers recorded until none is left."""
        first = self.first
        assert first is not None
        check_settings(
            self.out,
            first.settings,
            {
                "environment": environment(),
                "device": first.device,
                "jobs": self.jobs,
                "face_model_figures": first.face_model_figures,
            },
            run_id=self.began,
            command=self.command,
            unread=self.unread,
        )
        self.checked = True
        self.results = results = ResultLog(self.out, self.index, run=self.began)
        self.index = None
        self.problems = problems = ScanLog(self.out)
        self.recorded = recorded_rows(results, first.ensemble_analyses)
        self.todo = enumerate(self.files)
        finished = False
        try:
            while True:
                self._cancel_asked()
                self._feed()
                if not self._busy() and (self.cancelled or not self._left):
                    break
                self._pump()
            finished = True
        finally:
            self._shutdown()
            close_results(results, problems, finished)

    def _cancel_asked(self) -> bool:
        if not self.cancelled and self.cancel is not None and self.cancel():
            self.cancelled = True
            self.stop.set()  # the workers' analyses stop inside the forward pass
        return self.cancelled

    # --- workers: the executor seam ---
    # _start, _shutdown, _pump, _feed and _busy are the one part that knows what a worker is
    # (here a spawned process and its pipe); forensic_viewer.scan.ray_pool overrides them
    # for Ray actors and keeps everything else: file list, resume, records, CSV, cancel.

    def _feed(self) -> None:
        """Hand a file to every worker that is ready and holds none."""
        for w in self.workers:
            if w.ready and w.task is None:
                self._hand_out(w)

    def _busy(self) -> bool:
        """Whether a worker holds a file."""
        return any(w.task is not None for w in self.workers)

    def _start(self) -> None:
        ours, theirs = self.ctx.Pipe()
        cores = free_slot(self.slots, (w.cores for w in self.workers)) if self.slots else None
        args = (theirs, self.recipe, self.source, self.threads, self.stop)
        process = self.ctx.Process(
            target=worker_main,
            args=(*args, self.thumbnails, self.analyses, cores, self.cache_said),  # _serve's
            name="scan-worker",
            daemon=True,
        )
        process.start()
        theirs.close()
        self.workers.append(_Worker(process, ours, cores=cores))

    def _shutdown(self) -> None:
        """End every worker: ``None`` to each, then terminate those still running after
        :data:`STOP_SECONDS` (e.g. one still loading its models)."""
        if not self.workers:
            return
        if any(w.task is not None for w in self.workers):
            self.stop.set()
        for w in self.workers:
            if w.ready:
                send_quietly(w.conn, None)
            else:  # still loading its models, holding no file: no reason to wait for it
                w.process.terminate()
        deadline = time.monotonic() + STOP_SECONDS
        for w in self.workers:
            w.process.join(max(0.0, deadline - time.monotonic()))
        for w in self.workers:
            if w.process.is_alive():
                w.process.terminate()
                w.process.join(1.0)
            if w.process.is_alive():
                w.process.kill()
                w.process.join()
            w.conn.close()
        self.workers.clear()

    def _pump(self) -> None:
        """Wait up to :data:`POLL_SECONDS` for answers and ended workers; handle them."""
        conns = {w.conn: w for w in self.workers}
        sentinels = {w.process.sentinel: w for w in self.workers}
        ready = wait([*conns, *sentinels], POLL_SECONDS)
        for obj in ready:
            w = conns.get(obj)  # type: ignore[call-overload]
            if w is not None and w in self.workers:
                try:
                    message = w.conn.recv()
                except (OSError, EOFError):
                    w.process.join(STOP_SECONDS)  # its sentinel comes next
                    continue
                self._handle(w, message)
        for obj in ready:
            w = sentinels.get(obj)  # type: ignore[call-overload]
            if w is not None and w in self.workers:
                self._ended(w)

    def _handle(self, w: _Worker, message: tuple[Any, ...]) -> None:
        kind = message[0]
        if kind == "ready":
            self._ready(w, message[1])
        elif kind == "failed":
            failure: Failure = message[1]
            raise failure.exception() from RemoteTraceback(failure.trace)
        elif kind == "done":
            task, w.task = w.task, None
            assert task is not None
            self._hand_out(w)  # the worker goes on while the parent writes this file's maps
            self._record(task, message[1])
        elif kind == "unanswered":  # its result could not be sent: the file's error row
            task, w.task = w.task, None
            assert task is not None
            self._hand_out(w)
            self._unanswered(task, message[1], message[2])
        elif kind == "cancelled":
            w.task = None

    def _ready(self, w: _Worker, ready: WorkerReady) -> None:
        w.ready = True
        if self.first is None:
            self.first = ready
            if self.on_ready is not None:
                self.on_ready(
                    list(ready.names), ready.ensemble, ready.device, list(ready.face_models)
                )
        elif ready.settings != self.first.settings:
            raise WorkerFailed(
                self.out,
                "a worker process loaded other models than the first one (did a checkpoint "
                "change during the scan?); run the scan again",
            )

    def _ended(self, w: _Worker) -> None:
        """A worker ended: read what it sent before, turn the file it held into an error row
        naming the file, start another one while files are left."""
        while True:
            try:
                if not w.conn.poll():
                    break
                message = w.conn.recv()
            except (OSError, EOFError):
                break
            self._handle(w, message)
        self.workers.remove(w)
        w.process.join(STOP_SECONDS)
        w.conn.close()
        how = _how_ended(w.process.exitcode)
        if not w.ready:
            raise WorkerFailed(self.out, f"a worker process ended while loading the models ({how})")
        if w.task is not None:
            self._lost(w.task, how, w.process.pid)
        if self._left and not self.cancelled:
            self._start()

    # --- files ---

    @property
    def _left(self) -> bool:
        """Whether files may be left to hand out."""
        return bool(self.retry) or not self.exhausted

    def _next_task(self) -> Task | None:
        """The next file to analyse; files finished earlier and unchanged are reported as
        skipped on the way. None when none is left."""
        if self.retry:
            return self.retry.pop()
        if self.exhausted:
            return None
        assert self.results is not None
        for index, (given, key) in self.todo:
            self.keys.append(key)
            path = named(given)  # as the workers' messages and the rows name it
            rec = self.recorded.get(key)
            if unchanged(rec, path):
                self.summary.skipped += 1
                self._report(self.results.get(key))
                continue
            mirror = self.results.output_name(key)
            if rec is None:
                return Task(index, path, key, None, mirror=mirror)
            row = None  # the row whose analyses of an older version alone are run again
            if rec.stale and not rec.whole:
                kept = as_record(self.results.get(key))
                row = kept if isinstance(kept, FileRecord) else None
            return Task(index, path, key, rec.sha256, rec.stale, rec.whole, row, mirror)
        self.exhausted = True
        return None

    def _hand_out(self, w: _Worker) -> None:
        if self.cancelled or not w.ready:
            return
        task = self._next_task()
        if task is None:
            return
        try:
            w.conn.send(task)
        except (OSError, EOFError):  # it ended before it got the file: another one takes it
            self.retry.append(task)
            return
        w.task = task

    def _record(self, task: Task, answer: Answer) -> None:
        assert self.results is not None and self.problems is not None
        for message, trace in answer.problems:
            self.problems.problem(message, trace)
        item = Prefetched(task.index, task.path, task.key, previous=task.previous)
        item.stale, item.whole = task.stale, task.whole  # counted when the bytes were the same
        taken = named_files(self.results, task.key)  # the old row's files: never written over
        record = write_outcome(answer.outcome, self.out, taken)
        self._report(append_record(self.results, item, record, self.problems, self.summary))

    def _lost(self, task: Task, how: str, pid: int | str | None) -> None:
        """The worker analysing ``task`` died: the file is handed out again while it has
        killed at most :attr:`retries` workers, else it gets its error row."""
        deaths = self.deaths[task.key] = self.deaths.get(task.key, 0) + 1
        if deaths <= self.retries:
            self.retry.append(task)
            return
        if deaths > 1:
            how = f"{deaths} times; the last: {how}"
        self._record_death(task, how, pid)

    def _record_death(self, task: Task, how: str, pid: int | str | None) -> None:
        message = f"{task.path}: the worker process analysing it ended unexpectedly ({how})"
        self._unanswered(task, message, f"worker process {pid} ended ({how}) while analysing it")

    def _unanswered(self, task: Task, message: str, detail: str) -> None:
        """The error row of a file whose answer never came (its worker died, or the answer
        could not be passed back), recorded as a failure in a worker is (:meth:`_record`):
        ``message`` (one line naming the file) and ``detail`` in ``scan.log``; the row with the
        SHA-256 of the file's bytes when they can be read and the row it replaces when they
        changed (that row's classic maps removed); when the file's row was being brought up to
        date (an analysis of an older version) and its bytes are the row's, that finished row
        kept, the file counted as not upgraded, as after any other failure (such an error row
        had taken the finished row's place, and a lost answer's had no SHA-256)."""
        assert self.results is not None and self.problems is not None
        self.problems.problem(message, detail)
        sha = sha256_if_read(task.path)
        replaces = task.previous if task.previous and sha != task.previous else None
        record = error_record(task.key, sha, message, file=task.path, replaces=replaces)
        item = Prefetched(task.index, task.path, task.key, previous=task.previous)
        item.stale, item.whole = task.stale, task.whole  # counted when the bytes were the same
        self._report(append_record(self.results, item, record, self.problems, self.summary))

    def _report(self, row: dict[str, Any]) -> None:
        self.through.add(row["path"])
        if self.on_file is not None:
            self.on_file(self.reported, self.total, row)
        self.reported += 1
