"""bench.timing: the network benches' timing loop (warm-up untimed, median of the rest)."""

from __future__ import annotations

import torch

from bench.timing import median_seconds


def test_median_seconds_times_the_runs_after_the_warmup_under_inference_mode() -> None:
    durations = [100.0, 100.0, 3.0, 1.0, 2.0]  # two warm-up calls, then three timed
    now = [0.0]
    modes: list[bool] = []

    def fn() -> None:
        modes.append(torch.is_inference_mode_enabled())
        now[0] += durations[len(modes) - 1]

    assert median_seconds(fn, lambda: now[0], warmup=2, runs=3) == 2.0
    assert modes == [True] * 5
