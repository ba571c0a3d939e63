"""The classic analyses an ensemble needs and face detection, run on a thread beside the networks
(issue 18, 1 MP).

On the CPU fast path the default analysis ran its stages one after the other: the networks
(OpenVINO's streams, one per core), then the copy-move analysis (``engine.analyses.clone``:
OpenCV and numpy's OpenBLAS, each on its own pool of one thread per core). The analysis needs
nothing from the networks and OpenVINO, OpenCV and BLAS release the GIL, so
:class:`Beside` runs it on a thread of its own while the networks run, with OpenBLAS at one
thread (:func:`one_thread_pools`: its map and pairs are the same at any count, and it costs
fewer CPU seconds at one; docs/BENCHMARKS.md, "The copy-move analysis beside the networks").
The caller takes each result where it needs it (:meth:`Beside.result`), in the order the
serial code ran them.

Face detection (:func:`detection`) runs there too, after the analyses (before them it saved
nothing measurable: docs/BENCHMARKS.md; after them the ensemble is fused while it runs, and an
abandoned thread stops at the copy-move's next step): MTCNN needs only the pixels, and its P-Net pyramid runs at one PyTorch thread, R-Net and O-Net at the count of the
caller's thread (on which their landmarks depend: :func:`detection` sets the thread to it), so
boxes, confidences and landmarks are those the caller would have found. The caller scores the
faces with the networks' heatmaps when it takes them (``engine.faces.FaceDetector.score``).
Detection is not cancellable, and the caller waits for it as it waited for its own detection
(``cancellable=False``): Cancel then takes effect where it did before, at the face path.

What the caller sees is what it saw before: progress is reported on the caller's thread, each
analysis's steps after the networks' (the thread queues them); an analysis's error is raised
from :meth:`~Beside.result` as it is, its own one-line message; Cancel stops the thread at its
next step and :meth:`~Beside.result` stops waiting at once; an analysis that ends in an error or
Cancel on the caller's side (:meth:`~Beside.abandon`) has the thread stop at its next step, its
result discarded, the caller not waiting for it.
"""

from __future__ import annotations

import contextlib
import queue
import threading
from collections.abc import Callable, Iterator, Sequence
from typing import Any

import numpy as np
from numpy.typing import NDArray

from engine.tiling import Cancelled
from engine.types import FaceRegion, Progress

ProgressFn = Callable[[Progress], None]
CancelFn = Callable[[], bool]
JobFn = Callable[[CancelFn, ProgressFn], Any]  # (cancel, progress) -> result

FACES = "faces"  # the name of face detection's job (:func:`detection`)

# how often a caller waiting for a result asks its own cancel() (seconds)
_POLL = 0.05

_pools_lock = threading.Lock()
_pools_users = 0
_pools_restore: list[Callable[[], None]] = []


def _limit_pools() -> list[Callable[[], None]]:
    """Every OpenBLAS in the process (numpy's, OpenCV's own) at one thread, through
    threadpoolctl when it is installed (else left as it is); the calls that restore them.

    OpenCV's own pool is left alone: ``cv2.setNumThreads`` is process-wide and documented as
    not thread-safe (never to be called while another thread may be inside OpenCV, as the
    networks' resize of the detection view or a viewer's other threads may be), and at one thread
    it saved nothing measurable beside OpenBLAS's one (docs/BENCHMARKS.md)."""
    try:
        from threadpoolctl import ThreadpoolController
    except ImportError:
        return []
    limiter = ThreadpoolController().select(internal_api="openblas").limit(limits=1)
    return [limiter.restore_original_limits]


@contextlib.contextmanager
def one_thread_pools() -> Iterator[None]:
    """OpenBLAS's thread pools at one thread while any caller is inside.

    The setting is process-wide: the first caller in sets it and the last one out restores
    it, so an abandoned thread still running beside the next analysis's cannot leave it at
    one. The networks use no BLAS of these meanwhile (OpenVINO and PyTorch have their own)."""
    global _pools_users
    with _pools_lock:
        if _pools_users == 0:
            _pools_restore[:] = _limit_pools()
        _pools_users += 1
    try:
        yield
    finally:
        with _pools_lock:
            _pools_users -= 1
            if _pools_users == 0:
                for undo in reversed(_pools_restore):
                    undo()
                _pools_restore.clear()


class Beside:
    """Each job of ``jobs`` (``(name, run)``, ``run(cancel, progress)``), in order, on a
    thread of its own.

    cancel: the caller's; the thread also stops before its next job or at its next step after
    :meth:`abandon`. A job's error does not stop the jobs after it (the caller may take a later
    job's result first: it raises the error where the serial code would have). Started at once;
    :meth:`result` gives each name's result, in any order.
    """

    def __init__(self, jobs: Sequence[tuple[str, JobFn]], cancel: CancelFn | None) -> None:
        self.names = tuple(name for name, _ in jobs)
        if len(set(self.names)) != len(self.names):
            raise ValueError(f"job names must be distinct, got {list(self.names)}")
        self._cancel = cancel
        self._stop = threading.Event()
        # ("progress", Progress) | ("done", name, result) | ("error", name, exception)
        self._events: queue.Queue[tuple[Any, ...]] = queue.Queue()
        self._ended: dict[str, tuple[Any, ...]] = {}  # jobs ended before the caller asked
        self._thread = threading.Thread(
            target=self._work, args=(tuple(jobs),), name="beside the networks", daemon=True
        )
        self._thread.start()

    def _cancelled(self) -> bool:
        return self._stop.is_set() or (self._cancel is not None and self._cancel())

    def _work(self, jobs: tuple[tuple[str, JobFn], ...]) -> None:
        for name, run in jobs:
            if self._stop.is_set():  # abandoned: nobody takes the rest
                return
            try:
                out = run(self._cancelled, lambda p: self._events.put(("progress", p)))
            except BaseException as e:  # raised on the caller's thread by result()
                self._events.put(("error", name, e))
                continue
            self._events.put(("done", name, out))

    def result(self, name: str, progress: ProgressFn | None, *, cancellable: bool = True) -> Any:
        """``name``'s result, the progress queued until it ends reported on this thread; its
        exception raised. Cancelled as soon as the caller's cancel() turns True, unless not
        ``cancellable`` (a job the serial code could not cancel either: it is waited for)."""
        if name not in self.names:
            raise ValueError(f"no job '{name}' runs beside the networks: {list(self.names)}")
        while name not in self._ended:
            try:
                event = self._events.get(timeout=_POLL)
            except queue.Empty:
                if cancellable and self._cancel is not None and self._cancel():
                    self.abandon()
                    raise Cancelled(f"{name} cancelled") from None
                if not self._thread.is_alive() and self._events.empty():  # never a silent hang
                    raise RuntimeError(
                        f"the thread beside the networks ended without '{name}'"
                    ) from None
                continue
            if event[0] == "progress":
                if progress is not None:
                    progress(event[1])
                continue
            self._ended[event[1]] = event
        event = self._ended.pop(name)
        if event[0] == "error":
            raise event[2]
        return event[2]

    def abandon(self) -> None:
        """The caller ended without the results: the thread stops at its next step."""
        self._stop.set()

    @property
    def running(self) -> bool:
        return self._thread.is_alive()


def analysis_job(run: Callable[[CancelFn, ProgressFn], Any]) -> JobFn:
    """A classic analysis as a job: ``run`` with OpenBLAS at one thread (:func:`one_thread_pools`)."""

    def job(cancel: CancelFn, progress: ProgressFn) -> Any:
        with one_thread_pools():
            return run(cancel, progress)

    return job


def detection(detector: Any, pixels: NDArray[np.uint8]) -> JobFn:
    """``detector.detect(pixels)`` as a job, at the PyTorch thread count of the thread that
    calls this (read here): a new thread takes PyTorch's process-wide count as it stands when
    it first calls PyTorch, which the networks' fusion sets to one meanwhile
    (``engine.threads.torch_threads``), and MTCNN's R-Net and O-Net run at the thread's count,
    on which their landmarks depend. The count is set, not restored: the thread is
    :class:`Beside`'s own and ends with its jobs, none other of which runs PyTorch (restoring
    would write whatever the thread started with back to the process-wide count)."""
    import torch

    threads = torch.get_num_threads()

    def job(cancel: CancelFn, progress: ProgressFn) -> list[FaceRegion]:
        # PyTorch's first call on a thread sets the thread to the process-wide count (even after
        # a set_num_threads there): that call first, then the caller's count, which then holds
        torch.get_num_threads()
        torch.set_num_threads(threads)
        return detector.detect(pixels)

    return job
