"""How many worker processes a scan runs: ``scan --jobs N|auto`` and the batch dialog's
"worker processes".

:func:`auto_jobs` decides ``--jobs auto`` (one worker per core on the CPU for
:data:`AUTO_MIN_FILES` files or more, as many as memory allows), :func:`files_to_analyse`
counts what a resume leaves for it, :func:`jobs_arg` reads the option. Apart from the pool
(:mod:`forensic_viewer.scan.pool`) because the command line and the batch dialog ask before
any worker starts, and this module needs nothing of the pool's pipe, records or results.
"""

from __future__ import annotations

import argparse
import os
import sys
from collections.abc import Collection, Sequence
from pathlib import Path

__all__ = [
    "AUTO_JOBS",
    "AUTO_MIN_FILES",
    "WORKER_MEMORY_BYTES",
    "accelerator_present",
    "auto_jobs",
    "available_memory",
    "cpu_cores",
    "files_to_analyse",
    "jobs_arg",
]


def cpu_cores() -> int:
    """The cores this process may run on (its affinity where the system says, else all)."""
    try:
        return max(1, len(os.sched_getaffinity(0)))
    except AttributeError:  # not on Linux
        return max(1, os.cpu_count() or 1)


# ``scan --jobs auto`` (the default): below this many files one process scans them, since the
# workers' start-up (each imports torch and loads its models: 4-5 s on this 2-core machine,
# against 1.3 s for one process) is not won back: on 10 files two workers finished later (x0.87
# with loading) though they run x1.44 faster in steady state (docs/BENCHMARKS.md, 2026-12-02).
AUTO_MIN_FILES = 30
AUTO_JOBS = 0  # a job count that means "auto" where a number is needed (the batch dialog)
# Memory one worker may need: peak RSS 1.4 GB for 1 MP files, 2.0 GB for a 12 MP photograph
# with the default set (bench_scan_jobs, bench_evidence), with room for the decoded image.
WORKER_MEMORY_BYTES = 2_500 * 2**20


def jobs_arg(text: str) -> int | str:
    """A ``--jobs`` value: a whole number or ``auto`` (argparse's ``type``)."""
    if text == "auto":
        return text
    try:
        return int(text)
    except ValueError:
        raise argparse.ArgumentTypeError(f"must be a whole number or auto, got {text!r}") from None


def files_to_analyse(files: Sequence[tuple[Path, str]], done: Collection[str]) -> int:
    """How many of a scan's ``files`` (path, key) it will analyse: a resume skips the keys in
    ``done`` (``upgrade.up_to_date_keys``: rows holding an older analysis version are work
    left), so they cost no worker (:func:`auto_jobs`)."""
    return sum(key not in done for _, key in files)


def available_memory() -> int | None:
    """Bytes of memory the system can give without swapping (Linux ``MemAvailable``), or
    None when unknown."""
    try:
        for line in Path("/proc/meminfo").read_text().splitlines():
            if line.startswith("MemAvailable:"):
                return int(line.split()[1]) * 1024
    except (OSError, ValueError, IndexError):
        pass
    return None


def accelerator_present() -> bool:
    """Whether a GPU the analysis could use is likely present, without importing torch (the
    parent of a pool never does): an NVIDIA or ROCm device node on Linux; on macOS always
    (Apple silicon's MPS)."""
    if sys.platform == "darwin":
        return True
    gpus = Path("/proc/driver/nvidia/gpus")
    try:
        if gpus.is_dir() and any(gpus.iterdir()):
            return True
    except OSError:
        pass
    return Path("/dev/kfd").exists()


def auto_jobs(files: int, device: str = "auto") -> int:
    """Worker processes for ``scan --jobs auto``: one per core, as many as memory allows
    (:data:`WORKER_MEMORY_BYTES` each), when the scan is on the CPU and has at least
    :data:`AUTO_MIN_FILES` files; else 1 (this process). On a GPU one process keeps the
    device busy and a second would hold a second copy of the models in its memory.

    Why: one process uses about 1.8 of two cores (OpenVINO's two streams, then the serial
    stages: decoding, the copy-move analysis, faces, writing); two pinned single-thread
    workers keep both busy, x1.44 the files per second in steady state on this machine
    (docs/BENCHMARKS.md). Measured at two cores only."""
    if files < AUTO_MIN_FILES:
        return 1
    if device != "cpu" and (device != "auto" or accelerator_present()):
        return 1
    jobs = cpu_cores()
    memory = available_memory()
    if memory is not None:
        jobs = min(jobs, memory // WORKER_MEMORY_BYTES)
    return max(1, jobs)
