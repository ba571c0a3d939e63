"""Folder scans with worker processes (``scan --jobs N``, issue 18) and the exact path's place
in a scan's settings.

The workers are spawned interpreters that build their models from a recipe; faults are
planted through :mod:`tests.viewer.scan_pool_helpers`. The checkpoint has random weights:
these tests check plumbing (rows, files, resume), never findings. Each pooled run starts
Python processes that import torch, a few seconds each on a loaded 2-core machine.
"""

from __future__ import annotations

import hashlib
import json
import multiprocessing
import os
import signal
import subprocess
import sys
import time
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any

import pytest

from forensic_viewer.cli import EXIT_OK, EXIT_USAGE, main
from forensic_viewer.scan.pool import run_pool_scan
from forensic_viewer.scan.pool_worker import AnalyzerRecipe
from forensic_viewer.scan.results import SCAN_INFO
from forensic_viewer.scan.run import SCAN_LOG, run_scan
from tests.conftest import HANG_S, write_rgb
from tests.viewer.conftest import scan_args
from tests.viewer.scan_pool_helpers import DIED, FaultyRecipe
from tests.viewer.test_scan_file_hashes import assert_hashes_of_files
from tests.viewer.test_scan_prefetch import files_of

ROOT = Path(__file__).resolve().parents[2]
TIMING = {"seconds", "run"}  # the only fields two runs of the same analysis may differ in


def _folder(root: Path, names: list[str], corrupt: tuple[str, ...] = ()) -> Path:
    root.mkdir(parents=True)
    for i, name in enumerate(names):
        fmt = "JPEG" if name.endswith(".jpg") else "PNG"
        write_rgb(root / name, 40 + 8 * i, 56, seed=i, fmt=fmt)
    for name in corrupt:
        (root / name).write_bytes(b"\x89PNG\r\n\x1a\n" + b"\x00" * 30)
    return root


def _lines(out: Path) -> list[dict[str, Any]]:
    """The rows of results.jsonl as written, one per line (a torn last line left out)."""
    rows = []
    for line in (out / "results.jsonl").read_text(encoding="utf-8").splitlines():
        try:
            rows.append(json.loads(line))
        except ValueError:
            pass
    return rows


def _rows(out: Path) -> dict[str, dict[str, Any]]:
    return {r["path"]: r for r in _lines(out)}


def _untimed(value: Any) -> Any:
    if isinstance(value, dict):
        return {k: _untimed(v) for k, v in value.items() if k not in TIMING}
    if isinstance(value, list):
        return [_untimed(v) for v in value]
    return value


def _files(out: Path, sub: str) -> dict[str, bytes]:
    return {p.name: p.read_bytes() for p in sorted((out / sub).iterdir())}


def _sha(path: Path) -> str:
    return hashlib.sha256(path.read_bytes()).hexdigest()


def _same_output(one: Path, two: Path) -> dict[str, dict[str, Any]]:
    """Assert that scan folder ``two`` holds what ``one`` does: the same rows but for timings,
    the same maps and thumbnails byte for byte, the same CSV in the file list's order; the
    rows of ``two``."""
    a, b = _rows(one), _rows(two)
    assert {k: _untimed(r) for k, r in a.items()} == {k: _untimed(r) for k, r in b.items()}
    assert _files(one, "maps") == _files(two, "maps")
    assert _files(one, "thumbs") == _files(two, "thumbs")
    csv = [(o / "results.csv").read_text(encoding="utf-8") for o in (one, two)]
    assert csv[0] == csv[1]
    return b


def _recipe(checkpoint: Path, **kw: Any) -> FaultyRecipe:
    return FaultyRecipe(models=(str(checkpoint),), device="cpu", faces=False, **kw)


def test_two_workers_write_the_rows_of_a_one_process_scan(
    tmp_path: Path, tiny_checkpoint: Path
) -> None:
    names = ["a.png", "b.jpg", "boom.png", "c.png", "d.png", "e.jpg", "f.png"]
    folder = _folder(tmp_path / "ev", names, ("broken.png",))
    recipe = _recipe(tiny_checkpoint, raise_on="boom.png")
    analyzer = recipe.build()
    classic = ("ela", "noise")  # classic analyses run after the models, in the workers too
    one = run_scan(files_of(folder), analyzer, tmp_path / "one", source="t", analyses=classic)
    # the pooled scan resumes one begun in a single process: its first two files are done
    begun = run_scan(files_of(folder)[:2], analyzer, tmp_path / "two", source="t", analyses=classic)
    assert begun.done == 2
    ready: list[tuple[Any, ...]] = []
    reported: list[int] = []
    two = run_pool_scan(
        files_of(folder),
        recipe,
        tmp_path / "two",
        jobs=2,
        source="t",
        threads=1,  # as the test process: the same float rounding in both
        on_ready=lambda *a: ready.append(a),
        on_file=lambda i, total, row: reported.append(i),
        analyses=classic,
    )
    assert not multiprocessing.active_children()  # every worker ended with the scan
    assert ready == [(["tiny"], None, "cpu", [])]
    assert reported == list(range(8)) and two.total == 8
    assert (one.done, one.skipped, two.done, two.skipped) == (6, 0, 4, 2)
    for s in (one, two):
        assert sorted(k for k, _ in s.failed) == ["boom.png", "broken.png"] and not s.cancelled
    b = _same_output(tmp_path / "one", tmp_path / "two")
    assert set(b) == {*names, "broken.png"}
    for out in (tmp_path / "one", tmp_path / "two"):  # the same rows: the same hashes
        for row in _rows(out).values():
            if row["status"] == "ok":
                assert_hashes_of_files(out, row)  # of the bytes the parent wrote
    assert b["boom.png"]["error"] == (
        f"{folder / 'boom.png'}: unexpected RuntimeError while analysing: "
        "planted failure on boom.png"
    )
    assert b["boom.png"]["sha256"] == _sha(folder / "boom.png")
    assert b["a.png"]["details"]["tiny"]["seconds"] > 0  # timings are recorded, only not compared
    assert list(b["f.png"]["analyses"]) == list(classic)
    # the worker's traceback reached scan.log through the parent
    log = (tmp_path / "two" / SCAN_LOG).read_text(encoding="utf-8")
    assert "Traceback" in log and "planted failure on boom.png" in log and two.log is not None
    info = {
        k: json.loads((tmp_path / o / SCAN_INFO).read_text())
        for k, o in (("1", "one"), ("2", "two"))
    }
    settings = ("source", "models", "window", "stride", "ensemble", "analyses", "exact")
    assert {k: info["1"][k] for k in settings} == {k: info["2"][k] for k in settings}
    assert info["2"]["jobs"] == 2 and info["2"]["exact"] is False


def _affinities(log: Path) -> list[list[str]]:
    """The lines of a FaultyRecipe's affinity_log: [file name or "(build)", pid, cores]."""
    return [line.split("\t") for line in log.read_text(encoding="utf-8").splitlines()]


@pytest.mark.skipif(len(os.sched_getaffinity(0)) < 2, reason="pinning needs two cores")
@pytest.mark.slow
def test_workers_whose_threads_fit_are_pinned_one_per_core(
    tmp_path: Path, tiny_checkpoint: Path
) -> None:
    folder = _folder(tmp_path / "ev", [f"{c}.png" for c in "abcdef"])
    log = tmp_path / "affinity.log"
    # each analysis waits a little, so that both workers take files (their build lines
    # name both even when one takes every file on a loaded machine)
    recipe = _recipe(tiny_checkpoint, affinity_log=str(log), delay=0.3)
    summary = run_pool_scan(files_of(folder), recipe, tmp_path / "out", jobs=2, source="t")
    assert summary.done == 6
    pinned = {pid: cores for _, pid, cores in _affinities(log)}
    first_two = ",".join(str(c) for c in sorted(os.sched_getaffinity(0))[:2]).split(",")
    assert len(pinned) == 2 and sorted(pinned.values()) == first_two
    # pin=False (bench_scan_jobs' reference): left to the scheduler, every core allowed
    log.unlink()
    run_pool_scan(files_of(folder), recipe, tmp_path / "out2", jobs=2, source="t", pin=False)
    everywhere = ",".join(str(c) for c in sorted(os.sched_getaffinity(0)))
    assert {cores for _, _, cores in _affinities(log)} == {everywhere}


@pytest.mark.slow
def test_a_worker_that_dies_costs_its_file_only_and_is_replaced(
    tmp_path: Path, tiny_checkpoint: Path
) -> None:
    # one worker: the files after the one that kills it can only be done by a replacement
    folder = _folder(tmp_path / "ev", ["a.png", "b-die.png", "c.png", "d.png"])
    out = tmp_path / "out"
    log = tmp_path / "affinity.log"
    recipe = _recipe(tiny_checkpoint, die_on="b-die.png", affinity_log=str(log))
    summary = run_pool_scan(files_of(folder), recipe, out, jobs=1, source="t", threads=1)
    assert (summary.done, [k for k, _ in summary.failed]) == (3, ["b-die.png"])
    # the replacement is pinned to the core its predecessor had (its slot is free again)
    pinned = {pid: cores for _, pid, cores in _affinities(log)}
    assert len(pinned) == 2 and set(pinned.values()) == {str(min(os.sched_getaffinity(0)))}
    rows = _rows(out)
    assert set(rows) == {"a.png", "b-die.png", "c.png", "d.png"}
    died = rows["b-die.png"]
    assert died["status"] == "error" and died["sha256"] == _sha(folder / "b-die.png")
    assert died["error"] == (
        f"{folder / 'b-die.png'}: the worker process analysing it ended unexpectedly "
        f"(exit code {DIED})"
    )
    assert "b-die.png" in (out / SCAN_LOG).read_text(encoding="utf-8")
    assert not multiprocessing.active_children()
    # a rerun (here in one process: both kinds resume each other) tries that file again only
    again = run_scan(files_of(folder), _recipe(tiny_checkpoint).build(), out, source="t")
    assert (again.done, again.skipped, again.failed) == (1, 3, [])
    assert _rows(out)["b-die.png"]["status"] == "ok"


def test_a_worker_that_cannot_load_its_models_fails_the_scan_with_the_same_error(
    tmp_path: Path,
) -> None:
    from engine.errors import ForensicError

    folder = _folder(tmp_path / "ev", ["a.png"])
    bad = tmp_path / "bad.safetensors"
    bad.write_bytes(b"not a checkpoint")
    recipe = AnalyzerRecipe(models=(str(bad),), device="cpu", faces=False)
    with pytest.raises(ForensicError) as here:
        recipe.build()
    with pytest.raises(ForensicError) as pooled:
        run_pool_scan(files_of(folder), recipe, tmp_path / "out", jobs=1, source="t")
    assert type(pooled.value) is type(here.value) and str(pooled.value) == str(here.value)
    assert not (tmp_path / "out" / "results.jsonl").exists()
    assert not multiprocessing.active_children()


@contextmanager
def _killed_after_its_first_row(args: list[str], out: Path) -> Iterator[Any]:
    """The command-line scan of ``args`` (into ``out``) started in a process group of its own
    and killed with SIGKILL, the parent only, once it has written a row (within ``HANG_S``);
    yields the process and the rows it left. The group is killed when the block ends."""
    scan = subprocess.Popen(
        [sys.executable, "-m", "forensic_viewer.cli", *args],
        cwd=ROOT,
        env={**os.environ, "PYTHONPATH": str(ROOT)},
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
        start_new_session=True,  # its workers share its process group
    )
    try:
        deadline = time.monotonic() + HANG_S
        while not ((out / "results.jsonl").exists() and _lines(out)):
            assert scan.poll() is None, "the scan ended before it could be killed"
            assert time.monotonic() < deadline, "no row written"
            time.sleep(0.01)
        scan.send_signal(signal.SIGKILL)  # the parent only: its workers are left behind
        scan.wait(HANG_S)
        yield scan, _rows(out)
    finally:
        try:
            os.killpg(scan.pid, signal.SIGKILL)
        except ProcessLookupError:
            pass


def _resumed_each_once(
    out: Path, before: dict[str, Any], names: list[str], printed: str
) -> dict[str, dict[str, Any]]:
    """Assert that the rerun after the kill (its output ``printed``) analysed only the files
    left, that ``out`` holds one row per file of ``names`` and that the rows written before
    the kill stayed as they were; the rows."""
    assert f"{len(names) - len(before)} analysed, {len(before)} already done" in printed
    assert sorted(r["path"] for r in _lines(out)) == sorted(names)  # each once
    after = _rows(out)
    assert all(after[k] == row for k, row in before.items())  # what was written stays
    return after


@pytest.mark.skipif(not hasattr(signal, "SIGKILL"), reason="POSIX: kill -9 the scan")
@pytest.mark.slow
def test_a_pooled_scan_killed_midway_resumes_without_duplicates(
    tmp_path: Path, tiny_checkpoint: Path, capsys
) -> None:
    names = [f"f{i:02d}.png" for i in range(16)]
    folder = _folder(tmp_path / "ev", names)
    out = tmp_path / "out"
    args = scan_args(folder, out, tiny_checkpoint, "--jobs", "2", "--exact")
    with _killed_after_its_first_row(args, out) as (scan, before):
        assert 0 < len(before) < len(names)
        # the workers see their pipe close and end by themselves
        deadline = time.monotonic() + HANG_S
        while True:
            try:
                os.killpg(scan.pid, 0)
            except ProcessLookupError:
                break
            assert time.monotonic() < deadline, "worker processes outlived the killed scan"
            time.sleep(0.1)
    capsys.readouterr()
    # the rerun in one process (a pooled and a one-process scan resume each other)
    assert main(scan_args(folder, out, tiny_checkpoint, "--exact")) == EXIT_OK
    after = _resumed_each_once(out, before, names, capsys.readouterr().out)
    assert all(r["details"]["tiny"]["input_policy"]["tiling"] == "sliding" for r in after.values())


def test_exact_is_a_scan_setting_a_resume_must_match(
    tmp_path: Path, tiny_checkpoint: Path, capsys
) -> None:
    folder = _folder(tmp_path / "ev", ["a.png", "b.png"])
    out = tmp_path / "out"
    assert main(scan_args(folder, out, tiny_checkpoint, "--exact")) == EXIT_OK
    assert json.loads((out / SCAN_INFO).read_text())["exact"] is True
    policy = _rows(out)["a.png"]["details"]["tiny"]["input_policy"]
    assert (policy["tiling"], policy["runtime"], policy["window"]) == ("sliding", "torch", 64)
    capsys.readouterr()
    assert main(scan_args(folder, out, tiny_checkpoint)) == EXIT_USAGE  # the fast path
    assert "other models or settings" in capsys.readouterr().err
    assert main(scan_args(folder, out, tiny_checkpoint, "--exact")) == EXIT_OK
    assert "0 analysed, 2 already done" in capsys.readouterr().out

    fast = tmp_path / "fast"
    assert main(scan_args(folder, fast, tiny_checkpoint)) == EXIT_OK
    assert json.loads((fast / SCAN_INFO).read_text())["exact"] is False
    assert _rows(fast)["a.png"]["details"]["tiny"]["input_policy"]["tiling"] == "overlap-crop"
    assert main(scan_args(folder, fast, tiny_checkpoint, "--exact")) == EXIT_USAGE


def test_jobs_must_be_positive(tmp_path: Path, tiny_checkpoint: Path, capsys) -> None:
    folder = _folder(tmp_path / "ev", ["a.png"])
    assert main(scan_args(folder, tmp_path / "out", tiny_checkpoint, "--jobs", "0")) == EXIT_USAGE
    assert "--jobs must be >= 1" in capsys.readouterr().err


def test_worker_processes_name_failed_files_by_their_absolute_path(
    tmp_path: Path, tiny_checkpoint: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """A folder named relative to where the scan runs: every error row of a pooled scan (a
    file that does not decode, an analysis that raises, a worker that dies on its file) names
    the file by its absolute path, as a one-process scan's rows and results.csv do."""
    folder = _folder(tmp_path / "ev", ["a.png", "boom.png", "dead.png"], ("broken.png",))
    monkeypatch.chdir(tmp_path)
    recipe = _recipe(tiny_checkpoint, raise_on="boom.png", die_on="dead.png")
    summary = run_pool_scan(
        files_of(Path("ev")), recipe, tmp_path / "out", jobs=2, source="t", threads=1
    )
    rows = _rows(tmp_path / "out")
    failed = {"boom.png", "dead.png", "broken.png"}
    assert {k for k, r in rows.items() if r["status"] == "error"} == failed
    for key in failed:
        assert rows[key]["error"].startswith(f"{folder / key}: "), rows[key]["error"]
    assert dict(summary.failed) == {k: rows[k]["error"] for k in failed}


def test_scan_json_says_the_run_started_before_the_workers_loaded_their_models(
    tmp_path: Path, tiny_checkpoint: Path
) -> None:
    """run.started is when the run began, not when its workers were ready: with models slow to
    load, started and ended spanned seconds less than the total the command line printed."""
    folder = _folder(tmp_path / "ev", ["a.png", "b.png"])
    built = tmp_path / "built.log"
    recipe = _recipe(tiny_checkpoint, build_log=str(built), build_delay=1.5)
    run_pool_scan(files_of(folder), recipe, tmp_path / "out", jobs=2, source="t", threads=1)
    run = json.loads((tmp_path / "out" / SCAN_INFO).read_text())["run"]
    # the same format (local time, its offset), so the strings order as the times do; a
    # worker's first line was written 1.5 s before it could say it was ready
    assert run["state"] == "finished"
    assert run["started"] <= min(built.read_text(encoding="utf-8").split())


@pytest.mark.slow
def test_a_cache_that_keeps_nothing_is_said_once_a_scan_not_once_a_worker(
    tmp_path: Path, tiny_checkpoint: Path, monkeypatch: pytest.MonkeyPatch, capfd
) -> None:
    """The OpenVINO cache folder cannot be made (its place is a file): each worker converts in
    memory and warns once in its process, so ``scan --jobs 2`` printed the line twice; the
    scan's workers share one flag and say it once."""
    pytest.importorskip("openvino")
    not_a_folder = tmp_path / "cache-file"
    not_a_folder.write_text("not a folder")
    monkeypatch.setenv("FORENSIC_VIEWER_CACHE", str(not_a_folder))
    monkeypatch.setenv("FORENSIC_VIEWER_RUNTIME", "openvino")
    folder = _folder(tmp_path / "ev", ["a.png", "b.png"])
    built = tmp_path / "built.log"
    recipe = _recipe(tiny_checkpoint, build_log=str(built))
    capfd.readouterr()
    summary = run_pool_scan(files_of(folder), recipe, tmp_path / "out", jobs=2, source="t")
    assert summary.done == 2
    assert len(built.read_text(encoding="utf-8").split()) == 2  # both workers built the models
    said = [line for line in capfd.readouterr().err.splitlines() if "not cached" in line]
    assert len(said) == 1 and said[0].startswith(f"{not_a_folder / 'openvino'}: "), said
