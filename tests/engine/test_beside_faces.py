"""Face detection on the thread beside the networks (engine.beside, issue 18): on the CPU fast
path it runs there while the networks run, MTCNN's R-Net and O-Net at the caller's PyTorch
thread count; the faces, their scores, errors and Cancel are those of detection after the
networks; elsewhere it runs after them on the calling thread."""

from __future__ import annotations

import importlib.util
import queue
import threading
from pathlib import Path

import numpy as np
import pytest
import torch

import engine.pipeline as pipeline
from engine.faces import FaceDetector, Mtcnn, RawFace
from engine.pipeline import Analyzer, Cancelled
from engine.threads import torch_threads
from tests.conftest import HANG_S, memory_evidence
from tests.engine.test_beside import analyzer, copy_moved

skdata = pytest.importorskip("skimage.data")
needs_mtcnn = pytest.mark.skipif(
    importlib.util.find_spec("facenet_pytorch") is None, reason="facenet-pytorch is not installed"
)


class Recorder:
    """A backend that finds one face and records the thread it ran on; ``before()`` (if set)
    runs first: a hook to hold it or make it fail."""

    name = "recorder"

    def __init__(self, before=None) -> None:  # type: ignore[no-untyped-def]
        self.before = before
        self.threads: list[threading.Thread] = []
        self.started = threading.Event()

    def __call__(self, rgb: np.ndarray) -> list[RawFace]:
        self.threads.append(threading.current_thread())
        self.started.set()
        if self.before is not None:
            self.before()
        return [RawFace((10.0, 12.0, 50.0, 60.0), 0.97)]


def networks_wait_for(event: threading.Event, monkeypatch, seen: dict) -> None:  # type: ignore[no-untyped-def]
    """The networks start only once ``event`` is set (a bounded wait, recorded in ``seen``)."""
    real = Analyzer._run_models

    def networks(self, *a):  # type: ignore[no-untyped-def]
        seen["before the networks"] = event.wait(HANG_S)
        real(self, *a)

    monkeypatch.setattr(Analyzer, "_run_models", networks)


def faces_of(analysis) -> list[tuple]:  # type: ignore[no-untyped-def]
    return [(f.box, f.confidence, f.landmarks, f.scores, f.face_scores) for f in analysis.faces]


@pytest.mark.parametrize("ensemble", [True, False], ids=["with-copy-move", "faces-alone"])
def test_detection_runs_beside_the_networks_and_its_faces_are_scored_after_them(
    tmp_path: Path, tiny_checkpoint: Path, monkeypatch, ensemble: bool
) -> None:
    """The networks wait (a hook) until detection has started: it runs on another thread,
    beside them (after them, the wait would run out); the faces and their scores are those of
    detection after the networks, with or without a copy-move analysis on that thread."""
    ev = copy_moved(tmp_path)
    rec = Recorder()
    seen: dict[str, bool] = {}
    networks_wait_for(rec.started, monkeypatch, seen)
    if ensemble:
        an = analyzer(tiny_checkpoint, faces=FaceDetector(rec))
    else:
        an = Analyzer(
            [str(tiny_checkpoint)], device="cpu", runtime="torch", faces=FaceDetector(rec)
        )
    beside = an.analyze(ev)
    assert seen == {"before the networks": True}
    assert rec.threads[0] is not threading.current_thread()
    assert beside.faces and set(beside.faces[0].scores) == {"tiny"}
    an.beside_networks = False
    rec.started.set()
    after = an.analyze(ev)
    assert rec.threads[1] is threading.current_thread()
    assert faces_of(beside) == faces_of(after)
    assert [r.heatmap.tobytes() for r in beside.results.values()] == [
        r.heatmap.tobytes() for r in after.results.values()
    ]


@pytest.mark.parametrize("backend", ["mtcnn", "haar"])
def test_detection_beside_finds_the_faces_of_detection_after_the_networks_bit_for_bit(
    tiny_checkpoint: Path, monkeypatch, backend: str
) -> None:
    """The astronaut and a scene of two faces: boxes, confidences, landmarks and scores the
    same. The networks hold the caller's thread at one PyTorch thread while detection runs
    beside them (as the fast path's fusion around OpenVINO does), which a new thread would
    take as its count: MTCNN's R-Net and O-Net still run at the caller's count (2), on which
    their landmarks depend."""
    if backend == "mtcnn" and importlib.util.find_spec("facenet_pytorch") is None:
        pytest.skip("facenet-pytorch is not installed")
    detector = FaceDetector(backend)  # type: ignore[arg-type]
    seen: dict[str, set[int]] = {"r": set(), "o": set()}
    hooks = []
    if backend == "mtcnn":
        assert isinstance(detector.backend, Mtcnn)
        hooks = [
            m.register_forward_pre_hook(lambda *_, k=k: seen[k].add(torch.get_num_threads()))
            for k, m in zip("ro", detector.backend._nets[1:], strict=True)
        ]
    done, at_one = threading.Event(), threading.Event()
    real_detect = detector.detect

    def detect(pixels):  # type: ignore[no-untyped-def]
        try:
            if an.beside_networks:  # the caller at one thread before detection starts
                assert at_one.wait(HANG_S)
            return real_detect(pixels)
        finally:
            done.set()

    monkeypatch.setattr(detector, "detect", detect)
    real_models = Analyzer._run_models

    def networks(self, *a):  # type: ignore[no-untyped-def]
        with torch_threads(1):  # the caller at one thread until detection has ended
            at_one.set()
            if self.beside_networks:
                assert done.wait(HANG_S)
        real_models(self, *a)

    monkeypatch.setattr(Analyzer, "_run_models", networks)
    face = skdata.astronaut()[40:220, 150:300]
    scene = np.full((300, 700, 3), 90, np.uint8)
    scene[60:240, 40:190] = face
    scene[60:240, 480:630] = face[:, ::-1]
    an = Analyzer([str(tiny_checkpoint)], device="cpu", runtime="torch", faces=detector)
    an.face_path = False
    before = torch.get_num_threads()
    try:
        torch.set_num_threads(2)
        runs = {}
        for beside in (True, False):
            an.beside_networks = beside
            runs[beside] = []
            for im in (face, scene):
                done.clear()
                at_one.clear()
                runs[beside].append(faces_of(an.analyze(memory_evidence(im))))
            if backend == "mtcnn":
                assert seen == {"r": {2}, "o": {2}}, beside
            assert torch.get_num_threads() == 2
    finally:
        torch.set_num_threads(before)
        for h in hooks:
            h.remove()
    if backend == "mtcnn":
        assert [len(f) for f in runs[True]] == [1, 2]
    assert any(runs[True]) and runs[True] == runs[False]


def test_an_error_in_detection_beside_the_networks_is_raised_as_it_was(
    tmp_path: Path, tiny_checkpoint: Path
) -> None:
    """The detector fails on the thread beside the networks: the caller raises the same error
    (after the copy-move analysis and the ensemble, where detection ran before)."""
    ev = copy_moved(tmp_path)

    def broken() -> None:
        raise RuntimeError(f"{ev.path}: the face detector could not run")

    rec = Recorder(before=broken)
    an = analyzer(tiny_checkpoint, faces=FaceDetector(rec))
    errors = []
    for beside in (True, False):
        an.beside_networks = beside
        with pytest.raises(RuntimeError) as e:
            an.analyze(ev)
        errors.append((type(e.value), str(e.value)))
    assert rec.threads[0] is not threading.current_thread()
    assert rec.threads[1] is threading.current_thread()
    assert errors[0] == errors[1] == (RuntimeError, f"{ev.path}: the face detector could not run")


def test_cancel_while_detecting_beside_waits_for_detection_as_the_caller_did(
    tmp_path: Path, tiny_checkpoint: Path, monkeypatch
) -> None:
    """Cancel pressed as the networks end, detection still running: detection cannot be
    cancelled, and the caller waits for it as it waited for its own (then the face path
    stops; without it the analysis ends whole), the same with and without the thread.

    Beside the networks, detection is held until the caller's first look for its result,
    which finds nothing yet (as a look while it runs would)."""
    ev = copy_moved(tmp_path)
    cancelled, release = threading.Event(), threading.Event()
    rec = Recorder(before=lambda: release.wait(HANG_S))
    an = Analyzer([str(tiny_checkpoint)], device="cpu", runtime="torch", faces=FaceDetector(rec))
    caller = threading.current_thread()
    real_models, real_beside = Analyzer._run_models, pipeline.Beside

    def networks(self, *a):  # type: ignore[no-untyped-def]
        real_models(self, *a)
        cancelled.set()  # the user presses Cancel as the networks end
        if not self.beside_networks:
            release.set()  # detection runs next, on this thread

    class FirstLookEmpty(queue.Queue):
        def get(self, block=True, timeout=None):  # type: ignore[no-untyped-def]
            if threading.current_thread() is caller and not release.is_set():
                release.set()
                raise queue.Empty
            return super().get(block, timeout)

    def beside(jobs, cancel):  # type: ignore[no-untyped-def]
        b = real_beside(jobs, cancel)
        b._events = FirstLookEmpty()  # detection is held: nothing was queued before
        return b

    monkeypatch.setattr(Analyzer, "_run_models", networks)
    monkeypatch.setattr(pipeline, "Beside", beside)
    outcomes = []
    for beside_on in (True, False):
        an.beside_networks = beside_on
        for face_path in (True, False):
            an.face_path = face_path
            cancelled.clear()
            release.clear()
            try:
                a = an.analyze(ev, cancel=cancelled.is_set)
                outcomes.append((beside_on, face_path, "whole", len(a.faces)))
            except Cancelled as e:
                kept = e.kept() if e.kept is not None else None
                outcomes.append((beside_on, face_path, "cancelled", kept and set(kept.results)))
    assert rec.threads[0] is not caller and rec.threads[-1] is caller
    assert outcomes == [
        (True, True, "cancelled", {"tiny"}),
        (True, False, "whole", 1),
        (False, True, "cancelled", {"tiny"}),
        (False, False, "whole", 1),
    ]


def test_an_error_in_the_networks_leaves_detection_to_end_on_its_own(
    tmp_path: Path, tiny_checkpoint: Path, monkeypatch
) -> None:
    """The networks fail while detection runs beside them (put first here): the error is
    raised at once, the thread is abandoned (the copy-move after detection never starts) and
    ends once detection does."""
    ev = copy_moved(tmp_path)
    release = threading.Event()
    rec = Recorder(before=lambda: release.wait(HANG_S))
    clone_calls = []
    monkeypatch.setattr(Analyzer, "_run_analysis", staticmethod(lambda *a: clone_calls.append(a)))

    def networks(self, *a):  # type: ignore[no-untyped-def]
        assert rec.started.wait(HANG_S)
        raise RuntimeError("a network failed")

    monkeypatch.setattr(Analyzer, "_run_models", networks)
    jobs = []
    real_beside = pipeline.Beside

    def beside(js, cancel):  # type: ignore[no-untyped-def]
        jobs.append([name for name, _ in js])
        b = real_beside(list(reversed(js)), cancel)  # detection first: the copy-move after it
        jobs.append(b)
        return b

    monkeypatch.setattr(pipeline, "Beside", beside)
    with pytest.raises(RuntimeError, match="a network failed"):
        analyzer(tiny_checkpoint, faces=FaceDetector(rec)).analyze(ev)
    assert jobs[0] == ["clone", "faces"]
    assert jobs[1].running  # detection held: the caller did not wait for it
    release.set()
    jobs[1]._thread.join(HANG_S)
    assert not jobs[1].running and clone_calls == []


@pytest.mark.parametrize(
    "how", ["exact", "window", "one core", "beside off"], ids=lambda h: h.replace(" ", "-")
)
def test_detection_runs_after_the_networks_on_the_calling_thread_off_the_cpu_fast_path(
    tmp_path: Path, tiny_checkpoint: Path, monkeypatch, how: str
) -> None:
    """The exact path, a window override, a scan worker on one core, and beside_networks off."""
    rec = Recorder()
    kw = {"exact": {"exact": True}, "window": {"window": 32}}.get(how, {})
    if how == "one core":
        monkeypatch.setattr(pipeline, "available_cores", lambda: (0,))
    an = analyzer(tiny_checkpoint, faces=FaceDetector(rec), **kw)
    an.beside_networks = how != "beside off"
    a = an.analyze(copy_moved(tmp_path))
    assert rec.threads == [threading.current_thread()] and len(a.faces) == 1


def test_no_thread_starts_without_a_detector_or_analyses(
    tmp_path: Path, tiny_checkpoint: Path, monkeypatch
) -> None:
    """Faces switched off and no ensemble (a viewer run with faces off): nothing beside."""
    started = []
    monkeypatch.setattr(pipeline, "Beside", lambda *a: started.append(a))
    an = Analyzer([str(tiny_checkpoint)], device="cpu", runtime="torch")
    assert an.analyze(copy_moved(tmp_path)).faces == [] and started == []


def test_the_detector_runs_its_backend_on_one_thread_at_a_time() -> None:
    """A second detection (an abandoned analysis's still running beside the next) waits: while
    the backend runs, the detector's lock is held."""
    held = []
    detector = FaceDetector(Recorder(before=lambda: held.append(not lock.acquire(False))))
    lock = detector._lock
    assert len(detector.detect(np.zeros((80, 80, 3), np.uint8))) == 1
    assert held == [True] and not lock.locked()
