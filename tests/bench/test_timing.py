"""bench.timing: the network benches' timing loop (warm-up untimed, median of the rest), on one
thread, and the frame of their runs."""

from __future__ import annotations

import pytest
import torch

from bench import timing
from bench.timing import median_seconds, network_run, single_thread_seconds


def test_median_seconds_times_the_runs_after_the_warmup_under_inference_mode() -> None:
    durations = [100.0, 100.0, 3.0, 1.0, 2.0]  # two warm-up calls, then three timed
    now = [0.0]
    modes: list[bool] = []

    def fn() -> None:
        modes.append(torch.is_inference_mode_enabled())
        now[0] += durations[len(modes) - 1]

    assert median_seconds(fn, lambda: now[0], warmup=2, runs=3) == 2.0
    assert modes == [True] * 5


def test_single_thread_seconds_runs_on_one_thread_and_gives_the_threads_back() -> None:
    threads = torch.get_num_threads()
    torch.set_num_threads(2)
    seen: list[int] = []
    try:
        single_thread_seconds(lambda: seen.append(torch.get_num_threads()), warmup=1, runs=2)
        assert seen == [1, 1, 1] and torch.get_num_threads() == 2

        def fails() -> None:
            raise RuntimeError("planted")

        with pytest.raises(RuntimeError):  # given back when the timed call fails too
            single_thread_seconds(fails, runs=1)
        assert torch.get_num_threads() == 2
    finally:
        torch.set_num_threads(threads)


def test_network_run_brackets_the_block_with_the_load_average(monkeypatch, capsys) -> None:
    loads = iter([(1.234, 0.0, 0.0), (3.456, 0.0, 0.0)])
    monkeypatch.setattr(timing.os, "getloadavg", lambda: next(loads))
    with network_run(64) as figures:
        assert figures["load_avg_before"] == 1.23 and figures["load_avg_after"] is None
        figures["rows"] = ["row"]
    assert figures == {
        "size": 64,
        "threads": torch.get_num_threads(),
        "load_avg_before": 1.23,
        "load_avg_after": 3.46,
        "rows": ["row"],
    }
    assert list(figures)[:4] == ["size", "threads", "load_avg_before", "load_avg_after"]
    out = capsys.readouterr().out.splitlines()
    assert out[0] == f"64² fp32 batch 1, {torch.get_num_threads()} threads, median of 5 runs"
    assert out[-1] == "load average (1 min): 1.23 before, 3.46 after"
