"""The ensemble's copy-move analysis on a thread beside the networks (engine.beside): it starts
before the networks end, gives the same results, progress and errors as after them, stops on
Cancel without being waited for, and runs after them on the exact path."""

from __future__ import annotations

import threading
from pathlib import Path

import pytest

import engine.pipeline as pipeline
from engine.beside import one_thread_pools
from engine.catalog import SAMPLES
from engine.ensemble import Ensemble, Member
from engine.io import load_evidence
from engine.pipeline import Analyzer, Cancelled
from engine.runtime import openvino_available
from engine.types import Evidence, Progress
from tests.conftest import HANG_S
from tests.engine.analyses.conftest import jpeg_bytes
from tests.engine.analyses.test_clone import cloned
from tests.engine.test_fastpath import _figures

WAIT = HANG_S  # seconds a hook waits for the other thread: a deadlock guard, never a measure


def copy_moved(tmp_path: Path) -> Evidence:
    """A photograph-like scene with a rotated copy of a disc (the copy-move tests' own)."""
    img, _ = cloned(15.0, 1.0)
    path = tmp_path / "copied.jpg"
    path.write_bytes(jpeg_bytes(img, 90))
    return load_evidence(path)


def analyzer(checkpoint: Path, **kw) -> Analyzer:  # type: ignore[no-untyped-def]
    """The tiny network on the fast path (PyTorch) with an ensemble that needs the copy-move."""
    ensemble = Ensemble("e", [Member("tiny")], localization_analyses={"clone": "replace"})
    return Analyzer([str(checkpoint)], device="cpu", runtime="torch", ensemble=ensemble, **kw)


def record_analysis(monkeypatch, before=None):  # type: ignore[no-untyped-def]
    """Wrap the pipeline's classic-analysis call: each call's thread and cancel callable."""
    calls: list[dict] = []
    real = Analyzer._run_analysis

    def run(name, evidence, progress, cancel):  # type: ignore[no-untyped-def]
        calls.append({"thread": threading.current_thread(), "cancel": cancel})
        if before is not None:
            before(cancel)
        return real(name, evidence, progress, cancel)

    monkeypatch.setattr(Analyzer, "_run_analysis", staticmethod(run))
    return calls


def test_the_copy_move_analysis_starts_before_the_networks_end(
    tmp_path: Path, tiny_checkpoint: Path, monkeypatch
) -> None:
    """The networks wait (a hook) until the copy-move analysis has started: it starts beside
    them, on a thread of its own (run after them, it never would: the wait would run out)."""
    ev = copy_moved(tmp_path)
    started = threading.Event()
    calls = record_analysis(monkeypatch, before=lambda cancel: started.set())
    seen: dict[str, bool] = {}
    real_models = Analyzer._run_models

    def networks(self, *a):  # type: ignore[no-untyped-def]
        seen["started before the networks"] = started.wait(WAIT)
        real_models(self, *a)
        seen["networks ended"] = True

    monkeypatch.setattr(Analyzer, "_run_models", networks)
    a = analyzer(tiny_checkpoint).analyze(ev)
    assert seen == {"started before the networks": True, "networks ended": True}
    assert len(calls) == 1 and calls[0]["thread"] is not threading.main_thread()
    assert a.analyses["clone"].pairs and a.ensemble is not None


def test_beside_the_networks_every_result_and_progress_step_is_as_after_them(
    tmp_path: Path, tiny_checkpoint: Path
) -> None:
    """A synthetic copy-move: the networks' and the ensemble's maps bit for bit, the copy-move
    map and pairs, and the progress steps, in order, reported on the calling thread alone."""
    ev = copy_moved(tmp_path)
    an = analyzer(tiny_checkpoint)
    runs = {}
    for beside in (True, False):
        an.beside_networks = beside
        steps: list[tuple[str, int, int, str]] = []

        def progress(p: Progress, steps: list = steps) -> None:
            steps.append((p.stage, p.done, p.total, threading.current_thread().name))

        a = an.analyze(ev, progress=progress)
        clone = a.analyses["clone"].to_dict()
        clone.pop("seconds")
        runs[beside] = (
            {k: (r.heatmap.tobytes(), r.score, r.verdict) for k, r in a.results.items()},
            (a.ensemble.heatmap.tobytes(), a.ensemble.score, a.ensemble.verdict),
            clone,
            a.analyses["clone"].map.tobytes(),
            steps,
        )
    assert runs[True] == runs[False]
    assert runs[True][2]["pairs"]  # the copy was found
    steps = runs[True][4]
    assert {s[3] for s in steps} == {threading.current_thread().name}
    assert [s[:3] for s in steps if s[0] == "clone"] == [("clone", i, 4) for i in range(5)]
    assert steps[-1][:3] == ("clone", 4, 4)  # after the network's steps, as before


def test_an_error_in_the_copy_move_analysis_is_raised_as_it_was(
    tmp_path: Path, tiny_checkpoint: Path, monkeypatch
) -> None:
    ev = copy_moved(tmp_path)

    def broken(cancel):  # type: ignore[no-untyped-def]
        raise ValueError(f"{ev.path}: the copy-move analysis could not read it")

    record_analysis(monkeypatch, before=broken)
    an = analyzer(tiny_checkpoint)
    messages = []
    for beside in (True, False):
        an.beside_networks = beside
        with pytest.raises(ValueError) as e:
            an.analyze(ev)
        messages.append(str(e.value))
    assert messages[0] == messages[1] == f"{ev.path}: the copy-move analysis could not read it"


def test_cancel_while_the_copy_move_runs_ends_without_waiting_for_it(
    tmp_path: Path, tiny_checkpoint: Path, monkeypatch
) -> None:
    """The copy-move analysis held (a hook) after the networks: Cancel ends the analysis with
    the networks' results kept while the thread is still held; released, it stops itself."""
    ev = copy_moved(tmp_path)
    held, release, cancelled = threading.Event(), threading.Event(), threading.Event()

    def hold(cancel):  # type: ignore[no-untyped-def]
        held.set()
        release.wait(WAIT)

    calls = record_analysis(monkeypatch, before=hold)
    real_models = Analyzer._run_models

    def networks(self, *a):  # type: ignore[no-untyped-def]
        real_models(self, *a)
        assert held.wait(WAIT)
        cancelled.set()  # the user presses Cancel while the copy-move analysis runs

    monkeypatch.setattr(Analyzer, "_run_models", networks)
    with pytest.raises(Cancelled) as e:
        analyzer(tiny_checkpoint).analyze(ev, cancel=cancelled.is_set)
    worker = calls[0]["thread"]
    assert worker.is_alive()  # the analysis did not wait for it
    assert e.value.kept is not None and set(e.value.kept().results) == {"tiny"}
    release.set()
    worker.join(WAIT)
    assert not worker.is_alive()


def test_an_error_in_the_networks_stops_the_copy_move_thread(
    tmp_path: Path, tiny_checkpoint: Path, monkeypatch
) -> None:
    ev = copy_moved(tmp_path)
    started = threading.Event()
    calls = record_analysis(monkeypatch, before=lambda cancel: started.set())

    def networks(self, *a):  # type: ignore[no-untyped-def]
        assert started.wait(WAIT)
        raise RuntimeError("a network failed")

    monkeypatch.setattr(Analyzer, "_run_models", networks)
    with pytest.raises(RuntimeError, match="a network failed"):
        analyzer(tiny_checkpoint).analyze(ev)
    assert calls[0]["cancel"]()  # its next step stops it
    calls[0]["thread"].join(WAIT)
    assert not calls[0]["thread"].is_alive()


@pytest.mark.parametrize("kw", [{"exact": True}, {"window": 32}])
def test_the_exact_path_runs_the_copy_move_after_the_networks_on_the_calling_thread(
    tmp_path: Path, tiny_checkpoint: Path, monkeypatch, kw
) -> None:
    calls = record_analysis(monkeypatch)
    analyzer(tiny_checkpoint, **kw).analyze(copy_moved(tmp_path))
    assert [c["thread"] for c in calls] == [threading.current_thread()]


def test_a_process_on_one_core_runs_the_copy_move_after_the_networks(
    tmp_path: Path, tiny_checkpoint: Path, monkeypatch
) -> None:
    """A scan worker pinned to one core: a thread beside the networks would only share it."""
    monkeypatch.setattr(pipeline, "available_cores", lambda: (0,))
    calls = record_analysis(monkeypatch)
    analyzer(tiny_checkpoint).analyze(copy_moved(tmp_path))
    assert [c["thread"] for c in calls] == [threading.current_thread()]


def test_the_pools_are_at_one_thread_until_the_last_user_leaves() -> None:
    threadpoolctl = pytest.importorskip("threadpoolctl")

    def counts() -> set[int]:
        return {
            i["num_threads"]
            for i in threadpoolctl.threadpool_info()
            if i["internal_api"] == "openblas"
        }

    with threadpoolctl.threadpool_limits(limits=2, user_api="blas"):  # the tests run at one
        assert counts() == {2}
        first, second = one_thread_pools(), one_thread_pools()
        first.__enter__()
        assert counts() == {1}
        second.__enter__()
        first.__exit__(None, None, None)  # an abandoned thread ends while the next one runs
        assert counts() == {1}
        second.__exit__(None, None, None)
        assert counts() == {2}


@pytest.mark.slow
@pytest.mark.skipif(not openvino_available(), reason="openvino not installed")
def test_the_default_analysis_is_the_same_with_the_copy_move_beside_the_networks(
    tmp_path: Path, monkeypatch
) -> None:
    """The default analysis (bundled networks on OpenVINO, ensemble, copy-move, faces, face
    path) on bundled samples and a synthetic copy-move: every map and figure the same."""
    from engine.assembly import assemble_analyzer

    monkeypatch.setenv("FORENSIC_VIEWER_CACHE", str(tmp_path / "cache"))
    monkeypatch.setenv("FORENSIC_VIEWER_RUNTIME", "openvino")
    an = assemble_analyzer(None, device="cpu")
    assert an.ensemble is not None and "clone" in an.ensemble.analyses
    evidence = [
        load_evidence(SAMPLES / n) for n in ("astronaut-faceblend.jpg", "chelsea-resample.jpg")
    ]
    for ev in [*evidence, copy_moved(tmp_path)]:
        an.beside_networks = True
        new = _figures(an.analyze(ev))
        an.beside_networks = False
        assert new == _figures(an.analyze(ev)), ev.path
