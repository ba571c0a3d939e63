"""Folder scans on Ray: ``forensic-viewer scan FOLDER --out DIR --ray [ADDRESS]``, the batch
dialog's "Run on: Ray cluster at ...".

Method: the driver is :mod:`forensic_viewer.scan.pool`'s parent, unchanged (file list, resume
skips, records, maps, thumbnails, ``scan.log``, CSV, cancel, exit codes); only the executor
seam differs (``_start``, ``_shutdown``, ``_pump``, ``_feed``, ``_busy``): each worker is a
Ray actor instead of a spawned process with a pipe. So a Ray scan writes the rows of a local
scan, and the two resume each other. Choices and why:

- **Actors, not tasks.** Building the model set costs seconds (torch, checkpoints, the fast
  path's runtimes); an actor builds it once (:func:`~forensic_viewer.scan.pool_worker.build_worker`,
  the same assembly as a local scan) and then analyses file after file
  (:func:`~forensic_viewer.scan.pool_worker.analyse_task`).
- **Models travel as bytes.** A ``--model`` that is a checkpoint file on the driver is read
  once (as a regular file only: a pipe is refused naming it, :func:`checkpoint_files`), put in
  Ray's object store, and written by each actor into a temporary folder of its
  node (same file name), so nodes need no copy of it; its SHA-256 in ``scan.json`` is that of
  the same bytes. Names of installed checkpoints, ensemble files and the default set are
  resolved on each node: the nodes need the package and those models (``docs/CLUSTER.md``).
- **Evidence is read where it lies.** An actor opens each file read-only at the driver's path
  (a share every node mounts at the same place) and hashes it itself: the SHA-256 in the row
  is that of the bytes the node analysed, and no evidence passes through the driver.
- **Back-pressure.** At most ``depth`` files are in flight per actor (one analysed, the rest
  queued so the actor never waits for the driver); the file list is read lazily, so the
  driver's memory holds ``actors x depth`` answers at most, whatever the folder's size.
  Answers are those of the local pool's pipe: the file's row, its statistics taken from the
  float maps on the node, and the bytes of its 8-bit map PNGs and thumbnail, encoded there by
  the local scan's own encoder (:func:`~forensic_viewer.scan.run.encode_outcome`); the driver
  writes those bytes and quantises nothing, so rows and maps are byte for byte those of a
  local scan. On a 1 MP photograph with the default models an answer is 1.18 MB, where the
  float32 maps were 15.9 MB (``bench/bench_scan_ray.py``): less object-store traffic, and the
  PNG encoding, the largest cost of a scan besides the networks, runs on the nodes.
- **Deaths.** An actor that dies (node lost, out of memory, a crash in native code) is
  replaced; the file it was analysing is handed out once more (``retries = 1``: on a cluster a
  lost node is often not the file's fault), those queued behind it are handed out again
  without counting; a file that kills two workers gets an error row naming it. Rows already
  written stay. An actor that dies while loading the models fails the scan
  (:class:`~forensic_viewer.scan.pool_worker.WorkerFailed`), as a model that cannot load does.
- **Cancel** sets an event in every actor through a separate concurrency group (``stop``
  runs while ``analyse`` is busy), which the Analyzer's cancel hook polls.

Ray is an optional dependency (``pip install 'forensic-viewer[cluster]'``) and is imported only
when a Ray scan starts.
"""

from __future__ import annotations

import contextlib
import dataclasses
import functools
import os
import shutil
import sys
import tempfile
import threading
import time
import traceback
from collections.abc import Callable, Iterable, Iterator, Mapping, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from engine.ensemble import ENSEMBLE_SUFFIX
from engine.files import read_regular
from forensic_viewer.scan.failure import brief, unexpected
from forensic_viewer.scan.lock import OutputLock, ScanFailed
from forensic_viewer.scan.pool import POLL_SECONDS, _Pool, run_locked
from forensic_viewer.scan.pool_worker import (
    AnalyzerRecipe,
    Answer,
    Failure,
    RemoteTraceback,
    Task,
    WorkerFailed,
    WorkerReady,
    analyse_task,
    build_worker,
)
from forensic_viewer.scan.results import ResultIndex
from forensic_viewer.scan.run import ScanSummary

__all__ = [
    "DEFAULT_DEPTH",
    "RayUnavailable",
    "ray_available",
    "ray_missing",
    "ray_session",
    "run_ray_scan",
]

DEFAULT_DEPTH = 2  # files in flight per actor: one analysed, one waiting in its queue
INSTALL_HINT = "pip install 'forensic-viewer[cluster]'"


class RayUnavailable(ScanFailed):
    """Ray is not installed, or the cluster at the given address cannot be reached."""


def ray_available() -> bool:
    """Whether Ray can be imported (without importing it); never in the frozen build, which
    leaves it out (packaging/dist/forensic-viewer.spec): a Ray picked up from the building
    environment lacked its workers and failed a scan with a traceback (walk-through pkg)."""
    import importlib.util

    if getattr(sys, "frozen", False):
        return False
    return importlib.util.find_spec("ray") is not None


def ray_missing() -> str:
    """What a Ray scan needs and how to get it, for "--ray needs ..." when
    :func:`ray_available` is False."""
    if getattr(sys, "frozen", False):
        return f"Ray, which the frozen build does not include (a pip installation has it: {INSTALL_HINT})"
    return f"Ray, which is not installed: {INSTALL_HINT}"


@contextlib.contextmanager
def ray_session(address: str | None, cpus: int | None = None) -> Iterator[None]:
    """Ray connected for the block: the cluster at ``address``, or (None) a local instance
    on this machine with ``cpus`` CPUs, shut down again at the end. A session the caller
    already opened (``ray.is_initialized()``) is used as it is and left open."""
    if not ray_available():
        raise RayUnavailable(None, f"a Ray scan needs {ray_missing()}")
    import ray

    if ray.is_initialized():
        yield
        return
    try:
        ray.init(
            address=address or None,
            num_cpus=None if address else cpus,
            include_dashboard=False,
            configure_logging=False,
            log_to_driver=False,  # tracebacks reach scan.log through the answers instead
        )
    except Exception as e:  # ConnectionError, a bad address, a version mismatch
        where = f"the Ray cluster at {address}" if address else "a local Ray instance"
        raise RayUnavailable(None, f"cannot start or reach {where}: {brief(e)}") from e
    try:
        yield
    finally:
        ray.shutdown()


# --- the actor -------------------------------------------------------------------------------


class _ScanActor:
    """One worker: the model set built once, then one file per ``analyse`` call.

    shipped: (spec as given, file name, object ref of its bytes) for the checkpoints the
    driver read; each is written into a temporary folder and the recipe points there.
    """

    def __init__(
        self,
        recipe: AnalyzerRecipe,
        source: str,
        threads: int,
        thumbnails: bool,
        analyses: tuple[str, ...],
        shipped: list[tuple[str, str, Any]],
    ) -> None:
        self.recipe = recipe
        self.source = source
        self.threads = threads
        self.thumbnails = thumbnails
        self.analyses = analyses
        self.shipped = shipped
        self.stopped = threading.Event()
        self.analyzer: Any = None

    def ready(self) -> WorkerReady | Failure:
        """Build the Analyzer; what it runs, or the failure in a form that crosses over."""
        import ray
        import torch

        torch.set_num_threads(self.threads)
        folder = Path(tempfile.mkdtemp(prefix="forensic-scan-models-"))
        recipe, renamed = self.recipe, {}
        try:
            if self.shipped and recipe.models is not None:
                local = {}
                for i, (spec, name, ref) in enumerate(self.shipped):
                    path = folder / str(i) / name  # one folder each: two specs, one file name
                    path.parent.mkdir()
                    path.write_bytes(ray.get(ref))
                    local[spec], renamed[str(path)] = str(path), spec
                recipe = dataclasses.replace(
                    recipe, models=tuple(local.get(m, m) for m in recipe.models)
                )
            self.analyzer, ready = build_worker(recipe, self.source, self.analyses)
            for model in getattr(self.analyzer, "models", ()):  # rows name the driver's file
                if model.path is not None and str(model.path) in renamed:
                    model.path = Path(renamed[str(model.path)])
            return ready
        except BaseException as e:
            failure = Failure.of(e)
            for path, spec in renamed.items():  # name the driver's file, not the copy
                failure = dataclasses.replace(
                    failure,
                    path=spec if failure.path == path else failure.path,
                    reason=failure.reason.replace(path, spec),
                )
            return failure
        finally:
            shutil.rmtree(folder, ignore_errors=True)  # loaded: the copies are not needed

    def analyse(self, task: Task) -> Answer | None:
        """The answer for one file; None when the scan was cancelled during it."""
        return analyse_task(
            self.analyzer, task, self.stopped.is_set, self.thumbnails, self.analyses
        )

    def stop(self) -> None:
        self.stopped.set()


@functools.cache
def _remote_actor() -> Any:
    """:class:`_ScanActor` as a Ray actor class: ``stop`` in its own concurrency group so it
    runs while ``analyse`` (the default group, one at a time, in order) is busy."""
    import ray

    cls = type("ScanActor", (_ScanActor,), {"stop": ray.method(concurrency_group="control")(
        _ScanActor.stop
    )})  # fmt: skip
    cls.__module__ = __name__
    return ray.remote(concurrency_groups={"control": 1})(cls)


# --- the driver ------------------------------------------------------------------------------


def checkpoint_files(recipe: AnalyzerRecipe) -> Iterator[tuple[str, str, bytes]]:
    """(spec as given, file name, bytes) of each ``--model`` of ``recipe`` that is a file on
    the driver, not an ensemble file: what the actors are sent. A file is what the catalog
    takes for one (:func:`engine.catalog.resolve`: anything but a folder that exists, a pipe or
    device included), read by :func:`engine.files.read_regular`, so a pipe, or a file swapped
    for one after it was listed, is a one-line :class:`~engine.errors.CheckpointError` naming
    it, as a local scan's loading says, never a read that waits forever. One file at a time: each file's bytes
    can be let go once they are in the object store."""
    from engine.checkpoints import unreadable  # imports torch: only when there are files

    for spec in recipe.models or ():
        path = Path(spec)
        if spec.endswith(ENSEMBLE_SUFFIX) or not path.exists() or path.is_dir():
            continue  # a name or an ensemble: resolved on the node
        try:
            data = read_regular(path)
        except OSError as e:
            raise unreadable(e, path) from e
        yield spec, path.name, data


@dataclass(eq=False)
class _Actor:
    """The driver's view of one actor: its handle, the ref of its ``ready`` call, and the
    files in flight in the order they were sent (the first is the one being analysed)."""

    handle: Any
    ready_ref: Any
    ready: bool = False
    inflight: list[tuple[Task, Any]] = field(default_factory=list)

    @property
    def name(self) -> str:
        try:
            return f"Ray actor {self.handle._actor_id.hex()[:12]}"
        except Exception:
            return "Ray actor"


class _RayPool(_Pool):
    """:class:`~forensic_viewer.scan.pool._Pool` whose workers are Ray actors (module doc)."""

    retries = 1

    def __init__(self, *args: Any, depth: int, resources: dict[str, float], **kw: Any) -> None:
        super().__init__(*args, **kw)
        self.depth = depth
        self.resources = resources
        self.shipped = self._ship_models()

    def _ship_models(self) -> list[tuple[str, str, Any]]:
        """Checkpoint files of the recipe put into the object store (see the module doc)."""
        import ray

        return [(spec, name, ray.put(data)) for spec, name, data in checkpoint_files(self.recipe)]

    def _start(self) -> None:
        actor = _remote_actor().options(**self.resources)
        handle = actor.remote(
            self.recipe, self.source, self.threads, self.thumbnails, self.analyses, self.shipped
        )
        self.workers.append(_Actor(handle, handle.ready.remote()))  # type: ignore[arg-type]

    def _shutdown(self) -> None:
        import ray

        for a in self.workers:
            with contextlib.suppress(Exception):
                ray.kill(a.handle, no_restart=True)
        self.workers.clear()

    def _cancel_asked(self) -> bool:
        was = self.cancelled
        if super()._cancel_asked() and not was:
            for a in self.workers:
                a.handle.stop.remote()
        return self.cancelled

    def _busy(self) -> bool:
        return any(a.inflight for a in self.workers)

    def _feed(self) -> None:
        """Fill every ready actor's queue up to ``depth`` files."""
        for a in list(self.workers):
            while a.ready and len(a.inflight) < self.depth and not self.cancelled:
                task = self._next_task()
                if task is None:
                    return
                a.inflight.append((task, a.handle.analyse.remote(task)))

    def _pump(self) -> None:
        """Wait up to :data:`POLL_SECONDS` for finished calls; handle each."""
        import ray

        owner: dict[Any, tuple[_Actor, Task | None]] = {}
        for a in self.workers:
            if not a.ready:
                owner[a.ready_ref] = (a, None)
            for task, ref in a.inflight:
                owner[ref] = (a, task)
        if not owner:
            time.sleep(POLL_SECONDS)
            return
        refs = list(owner)
        done, rest = ray.wait(refs, num_returns=1, timeout=POLL_SECONDS)
        if rest and done:
            more, _ = ray.wait(rest, num_returns=len(rest), timeout=0)
            done += more
        for ref in done:
            a, task = owner[ref]
            if a not in self.workers:  # died while handling an earlier ref of this round
                continue
            if task is None:
                self._on_ready(a)
            else:
                self._on_answer(a, task, ref)

    def _on_ready(self, a: _Actor) -> None:
        import ray
        from ray.exceptions import RayActorError

        try:
            ready = ray.get(a.ready_ref)
        except RayActorError as e:
            self.workers.remove(a)
            raise WorkerFailed(
                self.out, f"a Ray actor ended while loading the models ({_brief(e)})"
            ) from e
        if isinstance(ready, Failure):
            raise ready.exception() from RemoteTraceback(ready.trace)
        self._ready(a, ready)  # type: ignore[arg-type]

    def _on_answer(self, a: _Actor, task: Task, ref: Any) -> None:
        import ray
        from ray.exceptions import RayActorError

        try:
            answer = ray.get(ref)
        except RayActorError as e:
            self._died(a, e)
            return
        except Exception as e:  # the answer could not cross back: the file's error
            a.inflight = [(t, r) for t, r in a.inflight if r is not ref]
            message = unexpected(task.path, e, "passing its result back")
            self._unanswered(task, message, traceback.format_exc())
            return
        a.inflight = [(t, r) for t, r in a.inflight if r is not ref]
        if answer is None:  # cancelled during its analysis: not recorded
            return
        self._feed()  # the actor goes on while the driver writes this file's maps
        self._record(task, answer)

    def _died(self, a: _Actor, e: BaseException) -> None:
        """An actor died: the file it analysed counts a death, those queued behind it are
        handed out again, and another actor takes its place while files are left."""
        self.workers.remove(a)
        with contextlib.suppress(Exception):
            import ray

            ray.kill(a.handle, no_restart=True)
        inflight, a.inflight = a.inflight, []
        if inflight:
            self.retry.extend(t for t, _ in reversed(inflight[1:]))
            self._lost(inflight[0][0], f"{a.name} died: {_brief(e)}", a.name)
        if self._left and not self.cancelled:
            self._start()


def _brief(e: BaseException) -> str:
    """The first line of a Ray error, at most 200 characters."""
    lines = [line.strip() for line in str(e).splitlines() if line.strip()]
    return (lines[0] if lines else type(e).__name__)[:200]


def ray_device_problem(device: str) -> str | None:
    """Why ``device`` cannot be a Ray scan's, in one line, or None. Ray gives each actor its
    GPU through ``CUDA_VISIBLE_DEVICES``, so in every actor that GPU is ``cuda:0``: a
    ``cuda:1`` there names a GPU the actor cannot see (a code review, 2026-12-06), and which
    GPU an actor gets is Ray's choice, not the command line's."""
    if device.startswith("cuda:") and device != "cuda:0":
        return (
            f"device {device!r} cannot be used with Ray: each Ray actor sees the one GPU Ray "
            "gives it as cuda:0; give --device cuda (Ray chooses the GPU)"
        )
    return None


def _resources(recipe: AnalyzerRecipe, threads: int, actors: int) -> dict[str, float]:
    """What each actor asks of the cluster: ``threads`` CPUs, and a share of the cluster's
    GPUs when the recipe may use CUDA (``auto``, ``cuda``, ``cuda:0``: :func:`ray_device_problem`)
    and the cluster has any (Ray then sets ``CUDA_VISIBLE_DEVICES`` in the actor; ``auto``
    finds the GPU there, the CPU elsewhere). ``cuda:0`` asked for CPUs only, and Ray hides
    the GPUs from an actor that asks for none: it could never run."""
    import ray

    gpus = float(ray.cluster_resources().get("GPU", 0.0))
    cuda = recipe.device == "auto" or recipe.device.split(":")[0] == "cuda"
    if cuda and gpus > 0:
        return {"num_cpus": threads, "num_gpus": min(1.0, gpus / actors)}
    return {"num_cpus": threads}


def run_ray_scan(
    files: Iterable[tuple[Path, str]],
    recipe: AnalyzerRecipe,
    out: Path,
    *,
    source: str,
    address: str | None = None,
    jobs: int | None = None,
    total: int | None = None,
    on_file: Callable[[int, int, dict[str, Any]], None] | None = None,
    on_ready: Callable[[list[str], str | None, str, list[str]], None] | None = None,
    cancel: Callable[[], bool] | None = None,
    thumbnails: bool = True,
    lock: OutputLock | None = None,
    analyses: Sequence[str] = (),
    threads: int = 1,
    depth: int = DEFAULT_DEPTH,
    command: Mapping[str, Any] | None = None,
    index: ResultIndex | None = None,
    unread: Mapping[str, Any] | None = None,
) -> ScanSummary:
    """:func:`~forensic_viewer.scan.pool.run_pool_scan` with Ray actors as the workers (see
    the module doc): the same arguments, rows, summary and errors.

    address: an existing cluster (``ray start --head`` elsewhere; ``auto`` for the one this
        machine belongs to); None: a local instance on this machine with ``jobs x threads``
        CPUs, shut down at the end. A session already open in this process is used as it is.
    jobs: actors (default: a local instance, this machine's cores; a cluster, its CPUs //
        ``threads``). threads: torch threads (and Ray CPUs) per actor.
    depth: files in flight per actor (the back-pressure bound).
    command, unread: what scan.json's ``run`` records of the run, as ``run_scan`` takes them.
    Raises :class:`RayUnavailable` when Ray is missing or the cluster cannot be reached.
    """
    if jobs is not None and jobs < 1:
        raise ValueError(f"jobs must be >= 1, got {jobs}")
    if threads < 1:
        raise ValueError(f"threads must be >= 1, got {threads}")
    if depth < 1:
        raise ValueError(f"depth must be >= 1, got {depth}")
    if (problem := ray_device_problem(recipe.device)) is not None:
        raise ValueError(problem)
    cpus = None if address else (jobs or os.cpu_count() or 1) * threads
    with ray_session(address, cpus):
        import ray

        actors = jobs or max(1, int(ray.cluster_resources().get("CPU", 1)) // threads)
        pool = _RayPool(
            files,
            recipe,
            Path(out),
            jobs=actors,
            source=source,
            total=total,
            on_file=on_file,
            on_ready=on_ready,
            cancel=cancel,
            thumbnails=thumbnails,
            analyses=tuple(analyses),
            threads=threads,
            depth=depth,
            resources=_resources(recipe, threads, actors),
            command=command,
            index=index,
            unread=unread,
        )
        return run_locked(pool, Path(out), lock, "run_ray_scan")
