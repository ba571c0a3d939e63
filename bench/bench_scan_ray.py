"""Folder scans on Ray (issue 22): a local Ray instance with 2 actors against one process, and
what Ray adds per file.

- **Throughput**: the folder of :mod:`bench.bench_scan_jobs` (``N_FILES`` project-made 1 MP
  JPEGs) scanned with the default analysis of ``forensic-viewer scan`` on the CPU: ``run_scan``
  in this process with every core's threads (models loaded first and timed apart as
  ``setup_s``, as bench_scan_jobs does), and ``run_ray_scan`` with ``JOBS`` actors of
  cores // ``JOBS`` threads on a local Ray instance, timed from ``ray.init`` (Ray's own start
  included) to the last row. Files per second with model loading and in steady state.
- **Overhead per file**: the same tiny random-weight checkpoint as the tests
  (``tests.conftest.make_tiny_checkpoint``) on ``N_SMALL`` small PNGs, where the analysis
  itself costs milliseconds: seconds per file in steady state with 1 Ray actor of 1 thread
  minus those of one process with 1 thread. That difference is what the actor call, the object
  store round trip and the driver's bookkeeping cost, paid once per file however large.

- **Bytes per answer**: what one worker (a Ray actor, a process of ``--jobs``) sends back per
  file, pickled as Ray and the pipe pickle it (protocol 5): the row and the bytes of its 8-bit
  map PNGs and thumbnail (``forensic_viewer.scan.run.encode_outcome``), on one 1 MP photograph
  with the default analysis and on one small PNG with the tiny model; beside it, what the
  same maps weigh as float32 (4 bytes a pixel a map), which workers sent before issue 22's
  quantisation moved to the worker side. And the CPU that moved with it: the seconds to
  quantise and encode those maps (``encode_outcome``, now in the worker; the driver did it
  before) and to write the received bytes (``write_outcome``, all the driver does now), the
  fastest of 3 repetitions.

``BENCH_SCAN_RAY_FILES`` / ``BENCH_SCAN_RAY_SMALL`` override ``N_FILES`` / ``N_SMALL``. Skipped
(``{"skipped": ...}``) when Ray is not installed.
"""

from __future__ import annotations

import json
import os
import shutil
import tempfile
import time
from pathlib import Path
from typing import Any

from bench.bench_scan_jobs import Clock, load_average, make_photo

N_FILES = int(os.environ.get("BENCH_SCAN_RAY_FILES", "8"))
N_SMALL = int(os.environ.get("BENCH_SCAN_RAY_SMALL", "40"))
JOBS = 2


def _figures(clock: Clock, n: int, wall: float) -> dict[str, Any]:
    """bench_scan_jobs' figures of a run, less those not measured here (CPU, RSS, load)."""
    row = clock.figures(n, wall, 0.0, 0.0, [])
    for key in ("cpu_s_per_file", "peak_rss_mb", "load_before", "load_after"):
        row.pop(key)
    return row


def _one_process(files: list, out: Path, source: str, models: list[str] | None, threads: int):
    import torch

    from engine.assembly import assemble_analyzer
    from forensic_viewer.scan.run import run_scan

    torch.set_num_threads(threads)
    t0 = time.perf_counter()
    analyzer = assemble_analyzer(models, device="cpu", faces=models is None)
    analyzer.prepare()
    setup = time.perf_counter() - t0
    clock = Clock()
    summary = run_scan(files, analyzer, out, source=source, on_file=clock.on_file)
    wall = time.perf_counter() - clock.t0
    assert summary.done == len(files), summary
    row = _figures(clock, len(files), setup + wall)
    return {**row, "setup_s": round(setup, 1), "threads": threads}


def _on_ray(files: list, out: Path, source: str, models: list[str] | None, jobs: int, threads: int):
    import ray

    from forensic_viewer.scan.pool_worker import AnalyzerRecipe
    from forensic_viewer.scan.ray_pool import run_ray_scan

    recipe = AnalyzerRecipe(
        models=None if models is None else tuple(models), device="cpu", faces=models is None
    )
    clock = Clock()
    ray.init(
        num_cpus=jobs * threads, include_dashboard=False, configure_logging=False,
        log_to_driver=False,
    )  # fmt: skip
    started = time.perf_counter() - clock.t0
    ready: list[float] = []
    try:
        summary = run_ray_scan(
            files, recipe, out, source=source, jobs=jobs, threads=threads,
            on_file=clock.on_file, on_ready=lambda *a: ready.append(time.perf_counter()),
        )  # fmt: skip
    finally:
        ray.shutdown()
    wall = time.perf_counter() - clock.t0
    assert summary.done == len(files), summary
    row = _figures(clock, len(files), wall)
    return {
        **row,
        "ray_start_s": round(started, 1),
        "first_actor_ready_s": round(ready[0] - clock.t0, 1),
        "actors": jobs,
        "threads_per_actor": threads,
    }


def _throughput(tmp: Path) -> dict[str, Any]:
    from forensic_viewer.scan.jobs import cpu_cores
    from forensic_viewer.scan.walk import scan_files

    folder = tmp / "photos"
    folder.mkdir()
    for i in range(N_FILES):
        make_photo(folder / f"photo{i:02d}.jpg", seed=i)
    files = scan_files(folder, False)
    print(f"{N_FILES} JPEGs of 1 MP; load {load_average()}", flush=True)
    one = _one_process(files, tmp / "one", str(folder), None, cpu_cores())
    print(f"one process: {one['files_per_s']:.3f} files/s with model loading, "
          f"{one['steady_files_per_s']:.3f} steady (setup {one['setup_s']} s)", flush=True)  # fmt: skip
    threads = max(1, cpu_cores() // JOBS)
    two = _on_ray(files, tmp / "ray", str(folder), None, JOBS, threads)
    print(f"Ray, {JOBS} actors: {two['files_per_s']:.3f} files/s with Ray's start and model "
          f"loading, {two['steady_files_per_s']:.3f} steady (Ray up after {two['ray_start_s']} s, "
          f"first actor ready after {two['first_actor_ready_s']} s)", flush=True)  # fmt: skip
    return {
        "one_process": one,
        f"ray_{JOBS}_actors": two,
        "ratio": round(two["files_per_s"] / one["files_per_s"], 3),
        "steady_ratio": round(two["steady_files_per_s"] / one["steady_files_per_s"], 3),
    }


def _overhead(tmp: Path) -> dict[str, Any]:
    from bench.bench_scan_jobs import make_photo as photo
    from forensic_viewer.scan.walk import scan_files
    from tests.conftest import make_tiny_checkpoint

    folder = tmp / "small"
    folder.mkdir()
    for i in range(N_SMALL):
        photo(folder / f"s{i:03d}.jpg", seed=i, size=(128, 96))
    files = scan_files(folder, False)
    models = [str(make_tiny_checkpoint(tmp / "tiny.safetensors"))]
    one = _one_process(files, tmp / "small-one", str(folder), models, 1)
    ray = _on_ray(files, tmp / "small-ray", str(folder), models, 1, 1)
    per_one, per_ray = 1 / one["steady_files_per_s"], 1 / ray["steady_files_per_s"]
    overhead_ms = 1000 * (per_ray - per_one)
    print(f"{N_SMALL} small files, tiny model: {1000 * per_one:.1f} ms/file in one process, "
          f"{1000 * per_ray:.1f} ms/file on 1 Ray actor: overhead {overhead_ms:.1f} ms/file",
          flush=True)  # fmt: skip
    return {
        "files": N_SMALL,
        "one_process_ms_per_file": round(1000 * per_one, 1),
        "ray_1_actor_ms_per_file": round(1000 * per_ray, 1),
        "overhead_ms_per_file": round(overhead_ms, 1),
    }


def _answer_bytes(tmp: Path) -> dict[str, Any]:
    """Pickled bytes of one worker answer, and of its maps as float32 (module doc)."""
    import pickle

    import torch

    from bench.bench_scan_jobs import make_photo as photo
    from forensic_viewer.scan.encoded import EncodedRecord
    from forensic_viewer.scan.pool_worker import AnalyzerRecipe, Answer, Collected, build_worker
    from forensic_viewer.scan.run import analyse_item, encode_outcome, load_for_scan, write_outcome
    from tests.conftest import make_tiny_checkpoint

    def fastest(step: Any, *args: Any) -> tuple[Any, float]:
        """``step(*args)`` and the fastest of 3 runs' seconds."""
        times, result = [], None
        for _ in range(3):
            t0 = time.perf_counter()
            result = step(*args)
            times.append(time.perf_counter() - t0)
        return result, min(times)

    torch.set_num_threads(1)
    tiny = str(make_tiny_checkpoint(tmp / "answer-tiny.safetensors"))
    cases = {
        "default_1mp": (AnalyzerRecipe(device="cpu"), None),
        "tiny_128x96": (AnalyzerRecipe(models=(tiny,), device="cpu", faces=False), (128, 96)),
    }
    figures: dict[str, Any] = {}
    for label, (recipe, size) in cases.items():
        path = photo(
            tmp / f"answer-{label}.jpg", seed=3, **({} if size is None else {"size": size})
        )
        analyzer, _ = build_worker(recipe, str(tmp), ())
        problems = Collected()
        item = load_for_scan(0, path, path.name)
        analysis = analyse_item(item, analyzer, None, None, problems)
        faces = analyzer.faces is not None
        encoded, encode_s = fastest(encode_outcome, item, analysis, faces, problems)
        assert isinstance(encoded, EncodedRecord), encoded
        _, write_s = fastest(write_outcome, encoded, tmp / f"answer-out-{label}")
        answer = Answer(encoded, tuple(problems.lines))
        record = encoded.record
        maps = (
            len(record.models)
            + (record.ensemble is not None)
            + sum(a.map is not None for a in record.analyses)
        )
        sent = len(pickle.dumps(answer, protocol=5))
        floats = 4 * record.width * record.height * maps
        figures[label] = {
            "pixels": record.width * record.height,
            "maps": maps,
            "answer_bytes": sent,
            "map_and_thumb_file_bytes": answer.outcome.nbytes,
            "float32_maps_bytes": floats,
            "ratio": round(floats / sent, 1),
            "worker_encode_ms": round(1000 * encode_s, 1),
            "driver_write_ms": round(1000 * write_s, 1),
        }
        print(f"answer per file, {label}: {sent / 1e6:.3f} MB sent ({maps} maps as 8-bit PNGs "
              f"and the thumbnail); the maps as float32: {floats / 1e6:.3f} MB; encoding "
              f"{1000 * encode_s:.0f} ms in the worker, writing {1000 * write_s:.0f} ms in the "
              "driver", flush=True)  # fmt: skip
    return figures


def run() -> dict:
    from forensic_viewer.scan.ray_pool import INSTALL_HINT, ray_available

    if not ray_available():
        print(f"skipped: Ray is not installed ({INSTALL_HINT})")
        return {"skipped": "ray not installed"}
    tmp = Path(tempfile.mkdtemp(prefix="bench-scan-ray-"))
    try:
        return {
            "answer_bytes": _answer_bytes(tmp),
            "throughput": _throughput(tmp),
            "overhead": _overhead(tmp),
        }
    finally:
        shutil.rmtree(tmp, ignore_errors=True)


if __name__ == "__main__":
    print(json.dumps(run(), indent=2))
