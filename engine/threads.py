"""Which cores a scan worker process runs on (issue 18's worker processes,
``forensic_viewer.scan.pool``).

:func:`core_slots` splits the cores this process may use into one group of ``threads`` cores
per worker, and a worker pins itself to its group (:func:`pin_process`, Linux's
``sched_setaffinity``) before it loads a runtime, so every thread it starts (PyTorch's,
OpenVINO's inference threads, OpenCV's pool, BLAS) inherits the restriction. Measured on the
2-core machine (``bench/bench_scan_jobs.py``, docs/BENCHMARKS.md, 2026-12-02, alternating
rounds): two single-threaded workers left to the scheduler analysed 0.28-0.30 files/s in
steady state, pinned one per core 0.45-0.48, at about the same CPU seconds per file; so the
unpinned pair lost wall time, not work. A worker runs its OpenVINO inference on a runtime
thread while its main thread waits, and hands work back and forth between the two for every
network and file; pinned, both are on one core and the other worker never shares it (why
the scheduler's placement cost that much was not traced further). Capping OpenCV's and
BLAS's pools at the worker's share as well changed nothing measurable (0.475 against 0.474
files/s) and is not done: a single-threaded worker's OpenCV and BLAS threads used about
0.2 CPU s of its 5 per file.

Pinning applies only when the workers' threads fit on the cores (``jobs * threads <= cores``):
otherwise pinned workers would stack on some cores while others idle, and the scheduler is
left to place them.

:func:`torch_threads` runs a block at another PyTorch intra-op thread count (issue 18, 1 MP):
the fast path's tile fusion around OpenVINO's inference (``engine.pipeline``) runs at one.
OpenVINO's streams already keep every core busy, and PyTorch's OpenMP workers, woken for each
small elementwise operation of the fusion (a 256 x 256 tile, a sigmoid, a sum), spin-wait for
work between them and take those cores from the streams (docs/BENCHMARKS.md, "Fewer CPU
seconds at 1 MP"). Elementwise operations give the same values at any thread count.
"""

from __future__ import annotations

import contextlib
import os
from collections.abc import Iterable, Iterator, Sequence


def available_cores() -> tuple[int, ...]:
    """The cores this process may run on, in order (every core where the system cannot say)."""
    try:
        return tuple(sorted(os.sched_getaffinity(0)))
    except AttributeError:  # not on Linux
        return tuple(range(os.cpu_count() or 1))


def core_slots(available: Sequence[int], jobs: int, threads: int) -> list[tuple[int, ...]] | None:
    """``jobs`` disjoint groups of ``threads`` cores each, taken in order from ``available``;
    None when they do not fit (``jobs * threads`` more than the cores: pinning would then
    stack workers on cores while others idle, so the scheduler is left to place them)."""
    if jobs < 1 or threads < 1:
        raise ValueError(f"jobs and threads must be >= 1, got jobs={jobs}, threads={threads}")
    cores = list(available)
    if jobs * threads > len(cores):
        return None
    return [tuple(cores[i * threads : (i + 1) * threads]) for i in range(jobs)]


def free_slot(
    slots: Sequence[tuple[int, ...]], taken: Iterable[tuple[int, ...] | None]
) -> tuple[int, ...] | None:
    """The first of ``slots`` no live worker holds (a replaced worker's slot is free again);
    None when every slot is taken."""
    used = {s for s in taken if s is not None}
    return next((s for s in slots if s not in used), None)


def pin_process(cores: Sequence[int]) -> bool:
    """Restrict this process (threads started afterwards inherit it) to ``cores``; False
    where the system has no affinity call."""
    if not hasattr(os, "sched_setaffinity"):
        return False
    os.sched_setaffinity(0, set(cores))
    return True


@contextlib.contextmanager
def torch_threads(n: int) -> Iterator[None]:
    """PyTorch's intra-op thread count ``n`` inside the block, the count before restored after.

    Meant for the calling thread's own work: PyTorch keeps the OpenMP count per thread (the
    count read and restored here are this thread's), besides the process-wide default that a
    thread starting PyTorch work meanwhile would take."""
    import torch

    if n < 1:
        raise ValueError(f"n must be >= 1, got {n}")
    before = torch.get_num_threads()
    if before == n:
        yield
        return
    torch.set_num_threads(n)
    try:
        yield
    finally:
        torch.set_num_threads(before)
