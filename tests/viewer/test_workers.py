"""The analysis worker and the layer renderer: off the GUI thread, typed signals, cancel."""

from __future__ import annotations

import threading
from collections.abc import Iterator
from pathlib import Path

import numpy as np
import pytest

from forensic_viewer.gui.workers import AnalysisWorker, LayerRenderer
from forensic_viewer.layers import LayerList
from forensic_viewer.model_layers import HeatmapLayer, MaskLayer
from tests.conftest import HANG_MS, HANG_S
from tests.viewer.conftest import write_image

pytestmark = pytest.mark.gui


@pytest.fixture
def worker(qtbot) -> Iterator[AnalysisWorker]:
    w = AnalysisWorker()
    w.start()
    yield w
    w.stop()


def _configure(qtbot, worker: AnalysisWorker, models: list[str]) -> list:
    with qtbot.waitSignal(worker.modelsReady, timeout=HANG_MS) as ready:
        worker.configure(models, "cpu")
    return list(ready.args)


def test_analysis_loads_then_succeeds_and_keeps_the_models(
    qtbot, worker: AnalysisWorker, tiny_checkpoint: Path, image_path: Path
) -> None:
    assert _configure(qtbot, worker, [str(tiny_checkpoint)]) == [["tiny"], "cpu"]
    analyzer = worker._analyzer
    assert analyzer.max_batch_seconds is None  # full batches, as a scan (Cancel: per block)
    progress: list[tuple] = []
    events: list[tuple] = []
    worker.progress.connect(lambda *a: progress.append(a))
    worker.loaded.connect(lambda *a: events.append(("loaded", *a)))
    worker.succeeded.connect(lambda *a: events.append(("succeeded", *a)))
    with qtbot.waitSignal(worker.succeeded, timeout=HANG_MS):
        job = worker.submit(image_path)
    assert [(e[0], e[1]) for e in events] == [("loaded", job), ("succeeded", job)]
    evidence, analysis = events[0][2], events[1][2]
    assert evidence.path == str(image_path) and len(evidence.sha256) == 64
    assert set(analysis.results) == {"tiny"}
    assert analysis.results["tiny"].heatmap.shape == (96, 128)
    # two stages from the first call: the network, then the face path (its detector is on)
    assert progress and progress[-1][1:] == ("tiny", 0, 2, progress[-1][4], progress[-1][4])
    with qtbot.waitSignal(worker.succeeded, timeout=HANG_MS):
        worker.submit(image_path)
    assert worker._analyzer is analyzer  # models loaded once, kept across jobs


def test_cancel_stops_a_running_analysis(
    qtbot, worker: AnalysisWorker, tiny_checkpoint: Path, tmp_path: Path, gate: threading.Event
) -> None:
    _configure(qtbot, worker, [str(tiny_checkpoint)])
    big = write_image(tmp_path / "big.png", 512, 512)
    succeeded: list[int] = []
    cancelled: list[int] = []
    worker.succeeded.connect(lambda job, _a: succeeded.append(job))
    worker.cancelled.connect(cancelled.append)
    with qtbot.waitSignal(worker.progress, timeout=HANG_MS):
        job = worker.submit(big)
        queued = worker.submit(big)
    worker.cancel()  # job is held at its first progress (gate): it cannot end first
    gate.set()
    qtbot.waitUntil(lambda: len(cancelled) == 2, timeout=HANG_MS)
    assert cancelled == [job, queued]
    assert succeeded == []
    with qtbot.waitSignal(worker.succeeded, timeout=HANG_MS):  # later jobs run normally
        worker.submit(write_image(tmp_path / "small.png"))


def test_unreadable_evidence_fails_with_one_line_naming_the_file(
    qtbot, worker: AnalysisWorker, corrupt_path: Path, tmp_path: Path
) -> None:
    _configure(qtbot, worker, [])
    for path in (corrupt_path, tmp_path / "missing.jpg"):
        with qtbot.waitSignal(worker.failed, timeout=HANG_MS) as blocker:
            job = worker.submit(path)
        assert blocker.args[0] == job
        message = blocker.args[1]
        assert message.startswith(f"{path}: ") and "\n" not in message
        assert "Traceback" not in message


def test_no_models_still_decodes_the_evidence(
    qtbot, worker: AnalysisWorker, image_path: Path
) -> None:
    assert _configure(qtbot, worker, []) == [[], "cpu"]
    with qtbot.waitSignal(worker.succeeded, timeout=HANG_MS) as blocker:
        worker.submit(image_path)
    analysis = blocker.args[1]
    assert analysis.results == {} and analysis.evidence.width == 128


def test_a_bad_checkpoint_is_reported_and_the_others_load(
    qtbot, worker: AnalysisWorker, tiny_checkpoint: Path, tmp_path: Path
) -> None:
    bad = tmp_path / "bad.safetensors"
    bad.write_bytes(b"not a checkpoint at all")
    with qtbot.waitSignal(worker.modelsFailed, timeout=HANG_MS) as failed:
        worker.configure([str(bad), str(tiny_checkpoint)], "cpu")
    assert str(bad) in failed.args[0]
    qtbot.waitUntil(lambda: worker.model_names == ["tiny"], timeout=HANG_MS)


def test_an_ensemble_with_a_member_that_does_not_load_is_dropped_with_its_reasons(
    qtbot, worker: AnalysisWorker, tiny_checkpoint: Path, tmp_path: Path
) -> None:
    import json

    from engine.ensemble import ENSEMBLE_SUFFIX

    (tmp_path / "broken.safetensors").write_bytes(b"not a checkpoint at all")
    half = tmp_path / f"half{ENSEMBLE_SUFFIX}"
    members = [{"model": "tiny.safetensors"}, {"model": "broken.safetensors"}]
    half.write_text(json.dumps({"name": "half", "members": members}))
    other = tmp_path / f"other{ENSEMBLE_SUFFIX}"
    other.write_text(json.dumps({"name": "other", "members": [{"model": "tiny.safetensors"}]}))
    with qtbot.waitSignal(worker.modelsFailed, timeout=HANG_MS) as failed:
        worker.configure([str(half), str(other)], "cpu")
    lines = failed.args[0].split("\n")
    assert lines[0] == f"one ensemble at a time: using {half}"
    assert lines[1].startswith(f"{tmp_path / 'broken.safetensors'}: ")
    assert lines[2] == f"{half}: member 'broken.safetensors' is not loaded; no ensemble"
    qtbot.waitUntil(lambda: worker.model_names == ["tiny"], timeout=HANG_MS)
    assert worker._analyzer.ensemble is None


def test_renderer_renders_layers_off_thread_and_coalesces(qtbot) -> None:
    heat = np.random.default_rng(0).random((64, 64)).astype(np.float32)
    heatmap = HeatmapLayer("h", heat, model="m")
    mask = MaskLayer("m", heat, model="m", calibrated_threshold=0.5)
    layers = LayerList([heatmap, mask])
    renderer = LayerRenderer()
    try:
        renderer.watch(layers)
        qtbot.waitUntil(lambda: renderer.idle and mask.stats is not None, timeout=HANG_MS)
        assert heatmap.rendered.shape == (64, 64, 4)
        applied: list[float] = []
        mask.events.rendered.connect(lambda e: applied.append(e.value.threshold))
        for t in np.linspace(0.1, 0.9, 30):
            mask.threshold = float(t)
        qtbot.waitUntil(lambda: renderer.idle, timeout=HANG_MS)
        assert mask.is_current and mask.stats.threshold == pytest.approx(0.9)
        assert applied == sorted(applied) and len(applied) <= 30
        assert mask.stats.fraction == pytest.approx(float((heat > 0.9).mean()))
    finally:
        renderer.stop()


def test_the_stages_after_the_networks_are_counted_from_the_first_call() -> None:
    """The copy-move analysis an ensemble runs after its networks, and the face path, must
    neither restart the progress bar at the first network nor change the count of stages
    midway (the bar went from 98 % of 2 stages to 66 % of 3, and the ETA back up)."""
    from types import SimpleNamespace

    from engine.types import Progress
    from forensic_viewer.gui.workers import later_stages, throttled_progress

    analyzer = SimpleNamespace(
        ensemble=SimpleNamespace(analyses=["clone"]), faces=object(), face_path=True
    )
    assert later_stages(analyzer) == ["clone", "faces"]
    assert later_stages(SimpleNamespace(ensemble=None, faces=None)) == []
    sent: list[tuple] = []
    on_progress = throttled_progress(["a", "b"], lambda *m: sent.append(m), ["clone", "faces"])
    on_progress(Progress(stage="a", done=4, total=4))
    on_progress(Progress(stage="b", done=4, total=4))
    on_progress(Progress(stage="clone", done=4, total=4))
    on_progress(Progress(stage="m faces", done=1, total=1))
    assert sent == [
        ("a", 0, 4, 4, 4),
        ("b", 1, 4, 4, 4),
        ("clone", 2, 4, 4, 4),
        ("m faces", 3, 4, 1, 1),
    ]
    fractions = [(i + d / t) / n for _, i, n, d, t in sent]
    assert fractions == sorted(fractions)


def test_progress_is_passed_on_at_most_every_interval_and_always_at_a_stage_end() -> None:
    from engine.types import Progress
    from forensic_viewer.gui.workers import throttled

    reports = [("a", 4), ("b", 1), ("b", 2), ("b", 4), ("c", 1)]
    for interval, passed in ((3600.0, [("a", 4), ("b", 4)]), (0.0, reports)):
        sent: list[Progress] = []
        on_progress = throttled(sent.append, interval)
        for stage, done in reports:
            on_progress(Progress(stage=stage, done=done, total=4))
        assert [(p.stage, p.done) for p in sent] == passed


def test_a_file_over_the_pixel_limit_fails_before_the_models_are_loaded(
    qtbot, worker: AnalysisWorker, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """The refusal went out from the analysis thread, behind the model change queued before
    the file: about 10 s of loading for a file refused at its header. The loader here waits
    until the refusal has arrived."""
    import threading

    import engine.assembly

    release = threading.Event()
    load = engine.assembly.assemble_lenient

    def slow_load(*args, **kw):
        release.wait(HANG_S)
        return load(*args, **kw)

    monkeypatch.setattr(engine.assembly, "assemble_lenient", slow_load)
    monkeypatch.setenv("FORENSIC_VIEWER_MAX_PIXELS", "3000")
    big = write_image(tmp_path / "big.png", 60, 70)
    ready: list[object] = []
    worker.modelsReady.connect(lambda *a: ready.append(a))
    try:
        worker.configure([], "cpu")
        with qtbot.waitSignal(worker.failed, timeout=HANG_MS) as failed:
            job = worker.submit(big)
        assert failed.args[0] == job and ready == []
        assert (
            failed.args[1].startswith(f"{big}: declared size") and "3,000-pixel" in failed.args[1]
        )
    finally:
        release.set()
    qtbot.waitUntil(lambda: ready != [], timeout=HANG_MS)  # the models still load after


def test_a_quit_while_the_models_are_prepared_stops_after_the_network_under_way(
    qtbot, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """The worker's preparing of its networks (an OpenVINO conversion each at first use, up
    to a minute) did not look at a quit: stop() waited 10 s and returned with the thread still
    converting the next one, which the window's end then destroyed running (abort)."""
    from PySide6.QtCore import QCoreApplication

    import engine.pipeline as pipeline
    from tests.conftest import make_tiny_checkpoint

    w = AnalysisWorker(faces=False)
    made: list[str] = []
    real = pipeline.make_runner

    def quit_during_the_first(model: object, **kw: object) -> object:
        made.append(str(kw["sha256"]))
        w.requestInterruption()  # the window closes while this network is prepared
        return real(model, **kw)  # type: ignore[arg-type]

    monkeypatch.setattr(pipeline, "make_runner", quit_during_the_first)
    paths = [str(make_tiny_checkpoint(tmp_path / f"{n}.safetensors", name=n)) for n in "ab"]
    ready: list[tuple] = []
    w.modelsReady.connect(lambda *a: ready.append(a))
    w.start()
    w.configure(paths, "cpu")
    assert w.wait(HANG_MS)  # the thread ended by itself, the second network not prepared
    w.stop()
    assert len(made) == 1
    QCoreApplication.sendPostedEvents()  # anything queued to the GUI thread delivered
    assert ready == []  # the window is going away: nothing to tell it


def test_the_renderer_draws_a_large_hidden_layer_only_once_it_is_shown(
    qtbot, monkeypatch: pytest.MonkeyPatch
) -> None:
    """A 102 MP photograph's hidden layers held 2.4 GB of rasters nobody saw (walk-through M)."""
    from forensic_viewer import layer_base

    monkeypatch.setattr(layer_base, "HIDDEN_DRAWN_PIXELS", 1000)  # 64 x 64 is large here
    heat = np.random.default_rng(2).random((64, 64)).astype(np.float32)
    hidden = HeatmapLayer("h", heat, model="m", visible=False)
    mask = MaskLayer("m", heat, model="m", calibrated_threshold=0.5, visible=False)
    layers = LayerList([hidden, mask])
    renderer = LayerRenderer()
    try:
        renderer.watch(layers)
        qtbot.waitUntil(lambda: renderer.idle and mask.stats is not None, timeout=HANG_MS)
        assert hidden.rendered is None and mask.stats.fill is None
        hidden.visible = mask.visible = True
        qtbot.waitUntil(lambda: renderer.idle and hidden.rendered is not None, timeout=HANG_MS)
        qtbot.waitUntil(lambda: mask.stats.fill is not None, timeout=HANG_MS)
        assert hidden.rendered.shape == (64, 64, 4)
    finally:
        renderer.stop()
