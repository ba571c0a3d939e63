"""Folder scans on Ray actors (``scan --ray``, issue 22) and the executor seam they share with
the worker-process pool.

The seam test and the missing-Ray test need no Ray: an in-process executor plugged into the
pool's driver shows that the driver alone decides rows, retries and error rows. The Ray tests
share a local Ray instance with 2 CPUs (20-40 s to start on the loaded 2-core machine; each
test then 1.5-4 minutes there) and are marked slow. The checkpoint has random weights:
plumbing (rows, files, resume), never findings.
"""

from __future__ import annotations

import os
import signal
import sys
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pytest

from forensic_viewer.cli import EXIT_FILES_FAILED, EXIT_OK, main
from forensic_viewer.scan.pool import _Pool
from forensic_viewer.scan.pool_worker import Task, WorkerReady, analyse_task, build_worker
from forensic_viewer.scan.run import SCAN_LOG, run_scan
from tests.conftest import write_rgb
from tests.viewer.conftest import scan_args
from tests.viewer.test_scan_answers import no_quantising
from tests.viewer.test_scan_pool import (
    _files,
    _folder,
    _killed_after_its_first_row,
    _lines,
    _recipe,
    _resumed_each_once,
    _rows,
    _same_output,
    _sha,
    _untimed,
)
from tests.viewer.test_scan_prefetch import files_of

ROOT = Path(__file__).resolve().parents[2]
NAMES = ["a.png", "b.jpg", "boom.png", "c.png", "d.png", "e.jpg"]
CLASSIC = ("ela",)


# --- the seam, without Ray -------------------------------------------------------------------


@dataclass(eq=False)
class _InProcessWorker:
    analyzer: Any
    info: WorkerReady
    ready: bool = False
    task: Task | None = None


class _InProcessPool(_Pool):
    """The pool's driver with workers that analyse in this process, one file per pump, and a
    planted death: the worker given ``die_on`` "dies" before analysing it. As Ray's pool,
    a file is handed out again once before it becomes an error row. The answers for the files
    named in ``lost_on`` never arrive (they could not be passed back)."""

    retries = 1

    def __init__(self, *args: Any, die_on: str, lost_on: tuple[str, ...] = (), **kw: Any) -> None:
        super().__init__(*args, **kw)
        self.die_on = die_on
        self.lost_on = lost_on
        self.started = 0
        self.built: tuple[Any, WorkerReady] | None = None

    def _start(self) -> None:
        self.started += 1
        if self.built is None:
            self.built = build_worker(self.recipe, self.source, self.analyses)
        self.workers.append(_InProcessWorker(*self.built))  # type: ignore[arg-type]

    def _shutdown(self) -> None:
        self.workers.clear()

    def _feed(self) -> None:
        for w in self.workers:
            if w.ready and w.task is None and not self.cancelled:
                w.task = self._next_task()

    def _pump(self) -> None:
        for w in list(self.workers):
            if not w.ready:
                self._ready(w, w.info)  # type: ignore[arg-type]
                continue
            task, w.task = w.task, None
            if task is None:
                continue
            if task.path.name == self.die_on:
                self.workers.remove(w)
                self._lost(task, "planted death", "in-process worker")
                if self._left:
                    self._start()
                continue
            answer = analyse_task(w.analyzer, task, lambda: False, self.thumbnails, self.analyses)
            assert answer is not None
            if task.path.name in self.lost_on:
                self._unanswered(task, f"{task.path}: planted loss of its answer", "planted")
                continue
            with pytest.MonkeyPatch.context() as mp:  # the driver writes bytes it received
                no_quantising(mp)
                self._record(task, answer)


def test_the_pool_driver_with_another_executor_writes_a_local_scans_rows(
    tmp_path: Path, tiny_checkpoint: Path
) -> None:
    folder = _folder(tmp_path / "ev", [*NAMES, "kill.png"], ("broken.png",))
    recipe = _recipe(tiny_checkpoint, raise_on="boom.png")
    one = run_scan(files_of(folder), recipe.build(), tmp_path / "one", source="t", analyses=CLASSIC)
    pool = _InProcessPool(
        files_of(folder),
        recipe,
        tmp_path / "two",
        jobs=2,
        source="t",
        total=None,
        on_file=None,
        on_ready=None,
        cancel=None,
        thumbnails=True,
        analyses=CLASSIC,
        threads=1,
        die_on="kill.png",
    )
    two = pool.run()
    assert pool.started == 2 + 2  # each death of kill.png cost a worker, replaced
    assert (one.done, two.done) == (6, 5)
    assert sorted(k for k, _ in two.failed) == ["boom.png", "broken.png", "kill.png"]
    a, b = _rows(tmp_path / "one"), _rows(tmp_path / "two")
    assert len(_lines(tmp_path / "two")) == len(b) == 8  # each file once
    del a["kill.png"]
    died = b.pop("kill.png")
    assert {k: _untimed(r) for k, r in a.items()} == {k: _untimed(r) for k, r in b.items()}
    assert died["sha256"] == _sha(folder / "kill.png")
    assert died["error"] == (
        f"{folder / 'kill.png'}: the worker process analysing it ended unexpectedly "
        "(2 times; the last: planted death)"
    )
    assert _files(tmp_path / "one", "maps").keys() > _files(tmp_path / "two", "maps").keys()


def test_a_file_whose_answer_never_came_is_recorded_as_a_failure_in_a_worker_is(
    tmp_path: Path, tiny_checkpoint: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """A worker that died on a file, or an answer that could not be passed back (Ray's
    ``_failed_over``, a worker process's unpicklable result): the error row had no SHA-256
    for a lost answer, and where the file's row was being brought up to date (an analysis of
    an older version) on unchanged bytes, the error row took the finished row's place, which
    a failure in a worker keeps (the file "not upgraded"). Recorded alike now: each file named
    in one line of scan.log, the scan going on."""
    from tests.viewer.test_scan_upgrade import _older

    folder = _folder(tmp_path / "ev", ["a.png", "b.png", "c.png", "d.png"])
    out = tmp_path / "out"
    recipe = _recipe(tiny_checkpoint)
    with monkeypatch.context() as m:
        now = _older(m, "ela")  # the rows hold ela 1: a resume brings them up to date
        run_scan(files_of(folder), recipe.build(), out, source="t", analyses=CLASSIC)
    before = _rows(out)
    old_d = before["d.png"]["sha256"]
    old_maps = [a["map"]["file"] for a in before["d.png"]["analyses"].values() if a.get("map")]
    write_rgb(folder / "d.png", 48, 56, seed=9)  # changed bytes: its row is replaced
    pool = _InProcessPool(
        files_of(folder), recipe, out, jobs=1, source="t", total=None, on_file=None,
        on_ready=None, cancel=None, thumbnails=True, analyses=CLASSIC, threads=1,
        die_on="b.png", lost_on=("c.png", "d.png"),
    )  # fmt: skip
    summary = pool.run()
    rows = _rows(out)
    assert rows["a.png"]["analyses"]["ela"]["provenance"]["version"] == now  # upgraded
    assert rows["b.png"] == before["b.png"] and rows["c.png"] == before["c.png"]  # kept
    assert (summary.upgraded["ela"].rerun, summary.upgraded["ela"].kept) == (1, 2)
    assert [k for k, _ in summary.failed] == ["d.png"] and summary.changed == ["d.png"]
    died = rows["d.png"]
    assert (died["sha256"], died["replaces"]) == (_sha(folder / "d.png"), {"sha256": old_d})
    assert died["error"] == f"{folder / 'd.png'}: planted loss of its answer"
    # its classic maps gone with the row that named them, as after a failure in a worker
    assert old_maps and not [f for f in old_maps if (out / f).exists()]
    log = (out / SCAN_LOG).read_text(encoding="utf-8")
    for name in ("b.png", "c.png", "d.png"):
        assert str(folder / name) in log


@pytest.mark.skipif(not hasattr(os, "mkfifo"), reason="named pipes are POSIX")
def test_a_model_file_sent_to_the_actors_is_read_as_a_regular_file_only(
    tmp_path: Path, tiny_checkpoint: Path
) -> None:
    """The checkpoints a Ray scan sends its actors are read without Ray: a named pipe given as
    ``--model`` (or put in a checkpoint's place after it was listed) is refused with the line a
    local scan's loading gives, naming it, where reading it by name waited for a writer."""
    from engine.checkpoints import read_meta
    from engine.errors import CheckpointError
    from forensic_viewer.scan.pool_worker import AnalyzerRecipe
    from forensic_viewer.scan.ray_pool import checkpoint_files

    recipe = AnalyzerRecipe(models=(str(tiny_checkpoint), "tiny", "x.ensemble.json"))
    assert list(checkpoint_files(recipe)) == [
        (str(tiny_checkpoint), tiny_checkpoint.name, tiny_checkpoint.read_bytes())
    ]  # names and ensembles are resolved on the nodes
    pipe = tmp_path / "pipe.safetensors"
    os.mkfifo(pipe)
    with pytest.raises(CheckpointError) as local:
        read_meta(pipe)
    with pytest.raises(CheckpointError) as e:
        list(checkpoint_files(AnalyzerRecipe(models=(str(tiny_checkpoint), str(pipe)))))
    assert str(e.value) == str(local.value)
    assert str(e.value) == f"{pipe}: not a regular file (a device, pipe or socket)"


# --- Ray -------------------------------------------------------------------------------------


@pytest.fixture(scope="module")
def local_ray() -> Iterator[None]:
    """A local Ray instance with 2 CPUs for this module's tests; its workers inherit this
    process's environment (PYTHONPATH, one torch thread, the torch runtime)."""
    ray = pytest.importorskip("ray")
    ray.init(num_cpus=2, include_dashboard=False, configure_logging=False, log_to_driver=False)
    try:
        yield
    finally:
        ray.shutdown()


@pytest.mark.slow
def test_a_ray_scan_writes_the_rows_of_a_local_scan(
    tmp_path: Path, tiny_checkpoint: Path, local_ray: None, monkeypatch
) -> None:
    from forensic_viewer.scan import ray_pool
    from forensic_viewer.scan.ray_pool import DEFAULT_DEPTH, run_ray_scan

    in_flight: list[int] = []  # files handed to actors and not yet answered, after each feed
    feed = ray_pool._RayPool._feed

    def counted(pool: Any) -> None:
        feed(pool)
        in_flight.append(sum(len(a.inflight) for a in pool.workers))

    monkeypatch.setattr(ray_pool._RayPool, "_feed", counted)

    folder = _folder(tmp_path / "ev", NAMES, ("broken.png",))
    recipe = _recipe(tiny_checkpoint, raise_on="boom.png")
    one = run_scan(files_of(folder), recipe.build(), tmp_path / "one", source="t", analyses=CLASSIC)
    reported: list[int] = []
    two = run_ray_scan(
        files_of(folder),
        recipe,
        tmp_path / "two",
        jobs=2,
        source="t",
        on_file=lambda i, total, row: reported.append(i),
        analyses=CLASSIC,
    )
    assert reported == list(range(7)) and (one.done, two.done) == (5, 5)
    assert 0 < max(in_flight) <= 2 * DEFAULT_DEPTH < 7  # back-pressure: never the whole folder
    assert sorted(k for k, _ in two.failed) == ["boom.png", "broken.png"]
    assert set(_same_output(tmp_path / "one", tmp_path / "two")) == {*NAMES, "broken.png"}
    log = (tmp_path / "two" / SCAN_LOG).read_text(encoding="utf-8")
    assert "planted failure on boom.png" in log and "Traceback" in log


@pytest.mark.slow
def test_a_file_that_kills_two_actors_becomes_an_error_row(
    tmp_path: Path, tiny_checkpoint: Path, local_ray: None
) -> None:
    from forensic_viewer.scan.ray_pool import run_ray_scan

    folder = _folder(tmp_path / "ev", ["a.png", "b-die.png", "c.png", "d.png"])
    out = tmp_path / "out"
    summary = run_ray_scan(
        files_of(folder), _recipe(tiny_checkpoint, die_on="b-die.png"), out, jobs=1, source="t"
    )
    assert (summary.done, [k for k, _ in summary.failed]) == (3, ["b-die.png"])
    rows = _rows(out)
    assert set(rows) == {"a.png", "b-die.png", "c.png", "d.png"} and len(_lines(out)) == 4
    died = rows["b-die.png"]
    assert died["sha256"] == _sha(folder / "b-die.png")
    assert died["error"].startswith(
        f"{folder / 'b-die.png'}: the worker process analysing it ended unexpectedly (2 times; "
    )
    assert "Ray actor" in died["error"]


@pytest.mark.slow
@pytest.mark.skipif(not hasattr(signal, "SIGKILL"), reason="POSIX: kill -9 the scan")
def test_a_ray_scan_killed_midway_resumes_without_duplicates(
    tmp_path: Path, tiny_checkpoint: Path, local_ray: None, capsys
) -> None:
    names = [f"f{i:02d}.png" for i in range(12)]
    folder = _folder(tmp_path / "ev", names)
    out = tmp_path / "out"
    args = scan_args(folder, out, tiny_checkpoint, "--exact", "--ray", "--jobs", "2")
    with _killed_after_its_first_row(args, out) as (_, before):
        assert 0 < len(before) < len(names)
    capsys.readouterr()
    # the rerun on Ray again (this test's instance): only the rest is analysed, each file once
    assert main([*args[:-2], "--jobs", "2"]) == EXIT_OK
    _resumed_each_once(out, before, names, capsys.readouterr().out)


@pytest.mark.slow
def test_the_cli_exit_code_and_a_bad_model_are_those_of_a_local_scan(
    tmp_path: Path, tiny_checkpoint: Path, local_ray: None, capsys
) -> None:
    folder = _folder(tmp_path / "ev", ["a.png"], ("broken.png",))
    args = scan_args(folder, tmp_path / "out", tiny_checkpoint, "--ray")
    assert main(args) == EXIT_FILES_FAILED
    assert "broken.png" in capsys.readouterr().err
    bad = tmp_path / "bad.safetensors"
    bad.write_bytes(b"not a checkpoint")
    local = main(scan_args(folder, tmp_path / "o1", bad))
    err_local = capsys.readouterr().err
    on_ray = main(scan_args(folder, tmp_path / "o2", bad, "--ray"))
    err_ray = capsys.readouterr().err
    assert local == on_ray != EXIT_OK
    assert err_local.replace("o1", "o2") == err_ray and str(bad) in err_ray


@pytest.mark.slow
def test_cancel_stops_the_actors_analyses_and_a_rerun_resumes(
    tmp_path: Path, tiny_checkpoint: Path, local_ray: None
) -> None:
    from forensic_viewer.scan.ray_pool import run_ray_scan

    folder = _folder(tmp_path / "ev", ["a.png", "b.png", "c.png", "d.png", "e.png"])
    out = tmp_path / "out"
    ready: list[tuple[Any, ...]] = []
    polls: list[int] = []

    def cancel() -> bool:  # asked once files are in flight (the driver polls every 0.1 s)
        if ready:
            polls.append(1)
        return len(polls) > 2

    # each analysis waits 10 minutes unless its actor hears the cancel: only the stop sent
    # through the actors' control group lets this scan end within the test's timeout
    summary = run_ray_scan(
        files_of(folder),
        _recipe(tiny_checkpoint, delay=600.0),
        out,
        jobs=2,
        source="t",
        on_ready=lambda *a: ready.append(a),
        cancel=cancel,
    )
    assert summary.cancelled and summary.done == 0 and not summary.failed
    assert not (out / "results.jsonl").exists() or _lines(out) == []
    again = run_ray_scan(files_of(folder), _recipe(tiny_checkpoint), out, jobs=2, source="t")
    assert (again.done, again.cancelled) == (5, False) and len(_lines(out)) == 5


def test_ray_missing_is_a_usage_error_before_any_work(
    tmp_path: Path, tiny_checkpoint: Path, monkeypatch, capsys
) -> None:
    import forensic_viewer.scan.ray_pool as ray_pool

    monkeypatch.setattr(ray_pool, "ray_available", lambda: False)
    folder = _folder(tmp_path / "ev", ["a.png"])
    out = tmp_path / "out"
    assert main(scan_args(folder, out, tiny_checkpoint, "--ray", "head:6379")) == 2
    err = capsys.readouterr().err
    assert "--ray needs Ray" in err and "forensic-viewer[cluster]" in err
    assert not (out / "results.jsonl").exists()


def test_the_frozen_build_does_not_offer_ray_and_says_so_in_one_line(
    tmp_path: Path, tiny_checkpoint: Path, monkeypatch, capsys
) -> None:
    """The frozen build picked up a Ray without its workers from the building environment;
    `scan --ray` failed after 29 s with a ModuleNotFoundError traceback (walk-through pkg,
    finding 3). It now leaves Ray out and refuses --ray before any work, pip being no help."""
    monkeypatch.setattr(sys, "frozen", True, raising=False)
    folder = _folder(tmp_path / "ev", ["a.png"])
    out = tmp_path / "out"
    assert main(scan_args(folder, out, tiny_checkpoint, "--ray")) == 2
    err = capsys.readouterr().err
    assert "--ray needs Ray, which the frozen build does not include" in err, err
    assert len(err.strip().splitlines()) == 1 and not (out / "results.jsonl").exists()
