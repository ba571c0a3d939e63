"""``scan --jobs auto`` (the default): how many worker processes a scan gets, and that the
command line runs the pool or this process accordingly."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest

from forensic_viewer.cli import EXIT_OK, EXIT_USAGE, main
from forensic_viewer.scan import jobs, pool
from tests.conftest import write_rgb
from tests.viewer.conftest import scan_args
from tests.viewer.test_scan_pool import _folder

GB = 2**30


@pytest.fixture
def two_cores(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(jobs, "cpu_cores", lambda: 2)
    monkeypatch.setattr(jobs, "available_memory", lambda: 16 * GB)
    monkeypatch.setattr(jobs, "accelerator_present", lambda: False)


def test_auto_gives_one_worker_per_core_for_a_large_folder_on_the_cpu(
    two_cores: None, monkeypatch: pytest.MonkeyPatch
) -> None:
    assert jobs.auto_jobs(jobs.AUTO_MIN_FILES - 1, "cpu") == 1  # start-up not won back
    assert jobs.auto_jobs(jobs.AUTO_MIN_FILES, "cpu") == 2
    assert jobs.auto_jobs(10_000, "auto") == 2
    assert jobs.auto_jobs(10_000, "cuda") == 1  # one process keeps a GPU busy
    monkeypatch.setattr(jobs, "accelerator_present", lambda: True)
    assert jobs.auto_jobs(10_000, "auto") == 1  # auto would pick the GPU
    assert jobs.auto_jobs(10_000, "cpu") == 2  # asked for the CPU: the GPU does not count
    monkeypatch.setattr(jobs, "available_memory", lambda: 3 * GB)
    assert jobs.auto_jobs(10_000, "cpu") == 1  # room for one worker's models only
    monkeypatch.setattr(jobs, "available_memory", lambda: GB // 2)
    assert jobs.auto_jobs(10_000, "cpu") == 1  # never fewer than one
    monkeypatch.setattr(jobs, "cpu_cores", lambda: 8)
    monkeypatch.setattr(jobs, "available_memory", lambda: 10 * GB)
    assert jobs.auto_jobs(10_000, "cpu") == 10 * GB // jobs.WORKER_MEMORY_BYTES == 4
    monkeypatch.setattr(jobs, "available_memory", lambda: None)
    assert jobs.auto_jobs(10_000, "cpu") == 8  # memory unknown: cores alone


def test_available_memory_reads_a_positive_amount_on_linux() -> None:
    if not Path("/proc/meminfo").exists():
        pytest.skip("no /proc/meminfo")
    memory = jobs.available_memory()
    assert memory is not None and memory > 0


@pytest.mark.parametrize("given, pooled", [(None, True), ("auto", True), ("1", False)])
def test_the_scan_runs_the_pool_when_auto_says_so(
    tmp_path: Path,
    tiny_checkpoint: Path,
    monkeypatch: pytest.MonkeyPatch,
    capsys: pytest.CaptureFixture[str],
    given: str | None,
    pooled: bool,
) -> None:
    """auto (or no --jobs) asks auto_jobs with the number of files and the device; the pool
    runs with its answer. --jobs 1 runs in this process whatever auto would say."""
    asked: list[tuple[int, str]] = []
    ran: list[int] = []

    def fake_auto(files: int, device: str = "auto") -> int:
        asked.append((files, device))
        return 2

    def fake_pool(files: Any, recipe: Any, out: Path, *, jobs: int, **kw: Any) -> Any:
        ran.append(jobs)
        raise KeyboardInterrupt  # the pool itself is tested in test_scan_pool.py

    monkeypatch.setattr(jobs, "auto_jobs", fake_auto)
    monkeypatch.setattr(pool, "run_pool_scan", fake_pool)
    folder = _folder(tmp_path / "ev", [f"f{i}.png" for i in range(3)])
    extra = () if given is None else ("--jobs", given)
    args = scan_args(folder, tmp_path / "out", tiny_checkpoint, "--device", "cpu", *extra)
    if pooled:
        main(args)  # ends when the fake pool does
        assert asked == [(3, "cpu")] and ran == [2]
        assert "2 worker processes (--jobs auto" in capsys.readouterr().err  # said, not hidden
    else:
        assert main(args) == EXIT_OK
        assert asked == [] and ran == []


@pytest.mark.parametrize("bad", ["x", "1.5", "0"])
def test_a_bad_jobs_value_is_a_usage_error(
    tmp_path: Path, tiny_checkpoint: Path, capsys: pytest.CaptureFixture[str], bad: str
) -> None:
    folder = _folder(tmp_path / "ev", ["a.png"])
    args = scan_args(folder, tmp_path / "out", tiny_checkpoint, "--jobs", bad)
    try:
        code = main(args)
    except SystemExit as e:  # argparse's own refusal
        code = e.code
    assert code == EXIT_USAGE
    assert "--jobs" in capsys.readouterr().err


def test_a_resume_counts_only_the_files_left_to_analyse(
    tmp_path: Path, tiny_checkpoint: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    folder = _folder(tmp_path / "ev", [f"f{i}.png" for i in range(3)])
    out = tmp_path / "out"
    assert main(scan_args(folder, out, tiny_checkpoint, "--jobs", "1")) == EXIT_OK
    write_rgb(folder / "new.png", 48, 56, seed=9)  # one more file in the same folder
    asked: list[int] = []
    monkeypatch.setattr(jobs, "auto_jobs", lambda files, device="auto": asked.append(files) or 1)
    assert main(scan_args(folder, out, tiny_checkpoint)) == EXIT_OK
    assert asked == [1]  # the three done files are skipped, not counted
