"""The timing loop the network benches share (``bench_diffforensics``, ``bench_mask2former``):
warm-up passes first, then the median of timed ones, under ``torch.inference_mode``; the same
on one thread; and the frame of their runs, the 1-minute load average before and after."""

from __future__ import annotations

import os
import statistics
import time
from collections.abc import Callable, Iterator
from contextlib import contextmanager

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


def single_thread_seconds(
    fn: Callable[[], object],
    clock: Callable[[], float] = time.thread_time,
    warmup: int = WARMUP,
    runs: int = RUNS,
) -> float:
    """:func:`median_seconds` with torch on one thread (its thread count restored after): CPU
    seconds that other processes on a shared machine barely disturb."""
    threads = torch.get_num_threads()
    torch.set_num_threads(1)
    try:
        return median_seconds(fn, clock, warmup, runs)
    finally:
        torch.set_num_threads(threads)


@contextmanager
def network_run(size: int) -> Iterator[dict]:
    """The frame of a network bench's run on ``size``² inputs: prints its first line, and
    yields the figures it returns (size, threads, the 1-minute load average before and, once
    the block ends, after; printed then), to which the block adds its own. Wall figures taken
    at a load above the core count are upper bounds."""
    before = os.getloadavg()[0]
    threads = torch.get_num_threads()
    print(f"{size}² fp32 batch 1, {threads} threads, median of {RUNS} runs")
    figures = {
        "size": size,
        "threads": threads,
        "load_avg_before": round(before, 2),
        "load_avg_after": None,
    }
    yield figures
    after = os.getloadavg()[0]
    print(f"load average (1 min): {before:.2f} before, {after:.2f} after")
    figures["load_avg_after"] = round(after, 2)
