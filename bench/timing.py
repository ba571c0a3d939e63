"""The timing loop the network benches share (``bench_diffforensics``, ``bench_mask2former``):
warm-up passes first, then the median of timed ones, under ``torch.inference_mode``."""

from __future__ import annotations

import statistics
import time
from collections.abc import Callable

import torch

WARMUP, RUNS = 2, 5


def median_seconds(
    fn: Callable[[], object],
    clock: Callable[[], float] = time.perf_counter,
    warmup: int = WARMUP,
    runs: int = RUNS,
) -> float:
    """The median of ``runs`` timings of ``fn()`` by ``clock`` (wall: ``time.perf_counter``,
    CPU: ``time.process_time`` or ``time.thread_time``), after ``warmup`` untimed calls."""
    with torch.inference_mode():
        for _ in range(warmup):
            fn()
        times = []
        for _ in range(runs):
            t0 = clock()
            fn()
            times.append(clock() - t0)
    return statistics.median(times)
