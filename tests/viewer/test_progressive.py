"""Issue 18's viewer levers: the heatmap fills in while a network runs, Cancel keeps the finished
part marked partial (no verdict), and files queued behind an analysis are decoded and shown at
once."""

from __future__ import annotations

import json
import re
import sys
import threading
from collections.abc import Iterator
from pathlib import Path

import numpy as np
import pytest
from PySide6.QtCore import QSettings, Qt

from engine.types import PartialMap
from forensic_viewer.audit import LOG_NAME, AuditLog
from forensic_viewer.gui import workers
from forensic_viewer.gui.main_window import CANCELLED_WORDS, MainWindow
from forensic_viewer.gui.report_job import image_report_job
from forensic_viewer.gui.window_analysis import kept_words
from forensic_viewer.model_layers import MaskLayer, PartialHeatmapLayer
from forensic_viewer.wording import verdict_words
from tests.conftest import HANG_MS, HANG_S, make_tiny_checkpoint
from tests.viewer.conftest import open_listed, without_sessions, write_image

pytestmark = pytest.mark.gui

STEP_SECONDS = 0.02  # each tile is made this much slower, so partial maps show up mid-run


@pytest.fixture
def slow_tiles(monkeypatch: pytest.MonkeyPatch) -> None:
    """Small fast-path tiles (many per image), every partial map sent (no 0.4 s throttle),
    and each tile slowed a little, so that an analysis lasts long enough to be watched."""
    monkeypatch.setattr("engine.fastpath.CRFD_TILE", 64)
    monkeypatch.setattr(workers, "PARTIAL_INTERVAL", 0.0)
    real = workers.throttled_partial

    def slowed(send):
        inner = real(send)

        def on_progress(p) -> None:
            inner(p)
            if p.partial is not None:
                workers.time.sleep(STEP_SECONDS)

        return on_progress

    monkeypatch.setattr(workers, "throttled_partial", slowed)


@pytest.fixture
def held(slow_tiles: None, monkeypatch: pytest.MonkeyPatch) -> Iterator[threading.Event]:
    """Slowed tiles, and each analysis waits at its first partial map until the event is set
    (at the end of the test at the latest: a failing test leaves no thread waiting)."""
    gate = threading.Event()
    slowed = workers.throttled_partial

    def held(send):
        inner = slowed(send)

        def on_progress(p) -> None:
            inner(p)
            gate.wait(HANG_S)

        return on_progress

    monkeypatch.setattr(workers, "throttled_partial", held)
    yield gate
    gate.set()


def _window(qtbot, tmp_path: Path, models: list[Path], log: AuditLog | None = None) -> MainWindow:
    settings = QSettings(str(tmp_path / "settings.ini"), QSettings.Format.IniFormat)
    window = MainWindow(
        models=[str(m) for m in models], device="cpu", settings=settings, case_log=log
    )
    qtbot.addWidget(window)
    window.show()
    qtbot.waitUntil(lambda: window._models_known, timeout=HANG_MS)
    return window


def _watch_partials(window: MainWindow, on_each=None) -> list[tuple[str, float, np.ndarray, bool]]:
    """Record, as the GUI receives them, each partial map's model, fraction, the partial
    layer's heatmap then, and whether the file's analysis had finished."""
    seen: list[tuple[str, float, np.ndarray, bool]] = []
    shown = window._on_partial

    def spy(job: int, partial: PartialMap) -> None:
        shown(job, partial)
        entry = window._entry_for(job)
        layers = [] if window.layers is None else window.layers.of_kind("heatmap")
        layer = next(
            (
                la
                for la in layers
                if isinstance(la, PartialHeatmapLayer) and la.model == partial.model
            ),
            None,
        )
        if layer is not None and entry is not None:
            seen.append(
                (partial.model, layer.fraction, layer.heatmap.copy(), entry.analysis is not None)
            )
        if on_each is not None:
            on_each(partial)

    window.worker.mail.on("partial", spy)
    return seen


def _cancel_midway(window: MainWindow, model: str | None = None) -> None:
    """Cancel once, when a partial map (of ``model``, or of any) is between 20 % and done."""
    done = False

    def on_each(partial: PartialMap) -> None:
        nonlocal done
        if (model is None or partial.model == model) and 0.2 < partial.fraction < 1.0 and not done:
            done = True
            window.cancel()

    _watch_partials(window, on_each)


def test_the_heatmap_fills_in_while_the_network_runs(
    qtbot, tmp_path: Path, slow_tiles: None
) -> None:
    model = make_tiny_checkpoint(tmp_path / "m1.safetensors", "m1", seed=1)
    window = _window(qtbot, tmp_path, [model])
    said: list[str] = []  # the verdict panel while the map fills in
    listed: list[tuple[str, str]] = []  # the partial layer's name and its row in the list

    def on_each(_p: PartialMap) -> None:
        layers = [] if window.layers is None else list(window.layers)
        layer = next((la for la in layers if isinstance(la, PartialHeatmapLayer)), None)
        if layer is None:  # a late partial of a finished map: its layer is gone
            return
        said.append(window.verdict_panel.text())
        listed.append((layer.name, window.layer_panel.item_of(layer).text()))

    seen = _watch_partials(window, on_each)
    image = write_image(tmp_path / "big.png", 192, 256)  # 5 x 7 tiles of 64 px
    open_listed(qtbot, window, [image])
    entry = window.entries[str(image)]
    qtbot.waitUntil(lambda: not entry.running, timeout=HANG_MS)
    before_end = [s for s in seen if not s[3]]
    assert len(before_end) >= 2  # partial maps arrived before the result
    fractions = [s[1] for s in before_end]
    assert fractions == sorted(fractions) and fractions[0] < 1.0
    first, last = before_end[0][2], before_end[-1][2]
    assert np.isnan(first).any()  # not computed yet: NaN, drawn hatched, never "authentic"
    assert np.isfinite(last).sum() > np.isfinite(first).sum()  # the layer changed in between
    # the one file open is the one running: never "queued behind the running one"
    assert len(said) >= 2 and "analysing" in said[-2] and "queued" not in said[-2]
    # the layer list follows the share computed, not the first one it was named with
    assert all(name == row for name, row in listed) and len({n for n, _ in listed}) >= 2
    layer_names = [la.name for la in window.layers]
    assert not any("partial" in n for n in layer_names)  # the whole map replaced it
    assert "m1 heatmap" in layer_names and "m1 mask" in layer_names
    assert entry.analysis is not None and not entry.analysis.cancelled


def test_in_compare_mode_the_running_networks_map_fills_its_own_pane(
    qtbot, tmp_path: Path, held: threading.Event
) -> None:
    """The main view filled the heatmap in while the network ran; the compare panes drew it
    only when the run had ended."""
    model = make_tiny_checkpoint(tmp_path / "m1.safetensors", "m1", seed=1)
    window = _window(qtbot, tmp_path, [model])
    window.set_compare(True)
    image = write_image(tmp_path / "big.png", 192, 256)
    open_listed(qtbot, window, [image])
    entry = window.entries[str(image)]
    qtbot.waitUntil(lambda: window.compare.shows("m1"), timeout=HANG_MS)
    assert entry.running and entry.analysis is None  # held at its first partial map
    (pane,) = [p for p in window.compare.panes if p.source.name == "m1"]
    (drawn,) = [v.layer for v in pane.canvas.visuals if v.layer.kind != "image"]
    assert isinstance(drawn, PartialHeatmapLayer) and drawn.visible
    assert pane.title.text().startswith("partial (") and "no verdict" in pane.title.text()
    held.set()
    qtbot.waitUntil(lambda: not entry.running, timeout=HANG_MS)
    (pane,) = [p for p in window.compare.panes if p.source.name == "m1"]
    assert pane.title.text().startswith(verdict_words(entry.analysis.results["m1"].verdict))


def test_cancel_keeps_the_finished_model_and_a_partial_map_without_verdict_then_rerun_replaces_it(
    qtbot, tmp_path: Path, slow_tiles: None
) -> None:
    models = [make_tiny_checkpoint(tmp_path / f"m{i}.safetensors", f"m{i}", seed=i) for i in (1, 2)]
    log = AuditLog(tmp_path / "case", program="test viewer", examiner="A. Examiner")
    window = _window(qtbot, tmp_path, models, log)

    _cancel_midway(window, "m2")
    order: list[str] = []
    window.worker.cancelled.connect(lambda _job: order.append("cancelled"))
    window.worker.kept.connect(lambda _job, _a: order.append("kept"))
    image = write_image(tmp_path / "big.png", 192, 256)
    open_listed(qtbot, window, [image])
    entry = window.entries[str(image)]
    qtbot.waitUntil(lambda: not entry.running, timeout=HANG_MS)
    qtbot.waitUntil(lambda: entry.analysis is not None, timeout=HANG_MS)
    # the window's slot and this test's are two queued calls: the second may come a turn later
    qtbot.waitUntil(lambda: len(order) == 2, timeout=HANG_MS)
    assert order == ["cancelled", "kept"]  # cancelled at once, what it kept built after
    assert window._job_paths == {} == window._job_models  # the job ended with its kept part
    qtbot.waitUntil(lambda: window.renderer.idle, timeout=HANG_MS)

    kept = entry.analysis
    assert kept is not None and kept.cancelled and kept.ensemble is None
    assert list(kept.results) == ["m1"] and list(kept.partial) == ["m2"]  # m1 whole, m2 partial
    fraction = kept.partial["m2"].fraction
    assert 0.0 < fraction < 1.0
    percent = f"partial ({int(fraction * 100)} % of the image) — no verdict"
    partial_layers = [la for la in window.layers if isinstance(la, PartialHeatmapLayer)]
    assert [la.name for la in partial_layers] == [f"m2 heatmap — {percent}"]
    assert not any(isinstance(la, MaskLayer) and la.model == "m2" for la in window.layers)
    assert partial_layers[0].raster() is not None  # drawn (hatched where not computed)
    # what was kept is what is seen: the partial map shown and selected, m1's mask shown
    assert partial_layers[0].visible and window.layers.selected is partial_layers[0]
    assert window.layers["m1 mask"].visible and not window.layers["m1 heatmap"].visible
    drawn = next(v for v in window.canvas.visuals if v.layer is partial_layers[0])
    assert drawn.raster.isVisible()  # on the canvas, not only in the model
    item = window.layer_panel.item_of(partial_layers[0])
    assert item.checkState() == Qt.CheckState.Checked
    text = window.verdict_panel.text()
    assert "no default verdict" in text and f"m2 — {percent}" in text
    assert "m1 — " in text  # the finished model keeps its card and verdict
    assert "m2 — authentic" not in text and "m2 — manipulated" not in text
    readout = window.layers.readout(255, 191).text()  # tiles run row-major: the last pixel
    assert "m2 (partial) not computed" in readout
    assert "partial" in window.evidence_list.entry(str(image)).text()
    assert window.export_report() is None  # refused, with the reason
    assert "cancelled analysis" in window.statusBar().currentMessage()
    with pytest.raises(ValueError, match="no report of a cancelled analysis"):
        image_report_job(kept)
    assert window.case.export_layer(partial_layers[0], tmp_path / "partial.png") is not None

    lines = without_sessions(
        json.loads(x) for x in (tmp_path / "case" / LOG_NAME).read_text().splitlines()
    )
    cancel = next(x for x in lines if x["action"] == "analysis-cancelled")["details"]
    assert list(cancel["kept"]["models"]) == ["m1"]
    assert cancel["kept"]["partial"] == {"m2": {"fraction": fraction, "verdict": None}}
    export = next(x for x in lines if x["action"] == "layer-exported")["details"]
    assert export["partial"] == fraction and "partial" in export["layer"]

    window.analyse()  # a later full run replaces the partial result
    qtbot.waitUntil(lambda: entry.running, timeout=HANG_MS)
    qtbot.waitUntil(lambda: not entry.running, timeout=HANG_MS)
    assert entry.analysis is not None and not entry.analysis.cancelled
    assert set(entry.analysis.results) == {"m1", "m2"} and not entry.analysis.partial
    assert not any(isinstance(la, PartialHeatmapLayer) for la in window.layers)
    assert "m2 mask" in [la.name for la in window.layers]
    assert "no default verdict" not in window.verdict_panel.text()


@pytest.mark.parametrize("shown", [0, 2], ids=["the-running-file", "a-queued-file"])
def test_after_a_cancel_the_status_bar_speaks_of_the_shown_file(
    qtbot, tmp_path: Path, slow_tiles: None, shown: int
) -> None:
    """Cancel with files queued behind the running one: the queued files' "analysis
    cancelled" (they arrive last) replaced the shown file's "kept what finished" in the status
    bar. The shown file's words stay; the others are counted beside them and each is said in
    the evidence list."""
    model = make_tiny_checkpoint(tmp_path / "m1.safetensors", "m1", seed=1)
    window = _window(qtbot, tmp_path, [model])

    _cancel_midway(window)
    paths = [write_image(tmp_path / "big.png", 192, 256)]
    paths += [write_image(tmp_path / f"q{i}.png", 96, 128, seed=i) for i in (1, 2)]
    open_listed(qtbot, window, paths)
    entries = [window.entries[str(p)] for p in paths]
    # big.png's analysis begun first: a file selected before it began would go before it
    begun: set[int] = set()
    window.worker.progress.connect(lambda job, *_: begun.add(job))
    qtbot.waitUntil(lambda: entries[0].job in begun, timeout=HANG_MS)
    window.show_entry(str(paths[shown]))
    qtbot.waitUntil(lambda: not any(e.running for e in entries), timeout=HANG_MS)
    qtbot.waitUntil(lambda: window._job_paths == {}, timeout=HANG_MS)  # every job's end arrived

    said = window.statusBar().currentMessage()
    kept = entries[0].analysis
    assert kept is not None and kept.cancelled
    head = f"big.png: {kept_words(kept)}" if shown == 0 else "q2.png: analysis cancelled"
    assert said == f"{head} — and 2 other files cancelled (see the evidence list)"
    for path in paths:  # each file's own outcome stays in its row
        assert ("partial" if path == paths[0] else "cancelled") in window.evidence_list.entry(
            str(path)
        ).text()


def test_files_queued_behind_an_analysis_are_decoded_and_shown_at_once(
    qtbot, tmp_path: Path, slow_tiles: None
) -> None:
    model = make_tiny_checkpoint(tmp_path / "m1.safetensors", "m1", seed=1)
    window = _window(qtbot, tmp_path, [model])
    first = write_image(tmp_path / "first.png", 192, 256)
    queued = [write_image(tmp_path / f"q{i}.png", 96, 128, seed=i) for i in (1, 2)]
    open_listed(qtbot, window, [first, *queued])
    entries = [window.entries[str(p)] for p in (first, *queued)]
    qtbot.waitUntil(lambda: all(e.evidence is not None for e in entries), timeout=HANG_MS)
    assert entries[0].running and entries[0].analysis is None  # still analysing the first
    assert all(e.analysis is None for e in entries[1:])  # their analyses are only queued
    assert "analysis queued" in window.evidence_list.entry(str(queued[0])).text()
    window.show_entry(str(queued[1]))
    assert window.layers is not None and window.layers.image is not None
    assert window.layers.image.pixels is entries[2].evidence.pixels  # shown, not analysed yet
    assert window.canvas.isVisible()
    assert "queued" in window.verdict_panel.text()
    qtbot.waitUntil(lambda: not any(e.running for e in entries), timeout=HANG_MS)
    assert all(e.analysis is not None and "m1" in e.analysis.results for e in entries)
    assert "m1 heatmap" in [la.name for la in window.layers]  # the shown file's result arrived


def test_not_computed_pixels_are_hatched_and_read_as_not_computed() -> None:
    from forensic_viewer import overlays
    from forensic_viewer.layer_base import ImageLayer
    from forensic_viewer.layers import LayerList, show_partial

    heat = np.full((32, 48), np.nan, np.float32)
    heat[:16] = 0.0  # computed, and as low as a value gets
    raster = overlays.partial_heatmap_raster(heat, "inferno")
    low = overlays.heatmap_raster(np.zeros((1, 1), np.float32), "inferno")[0, 0]
    assert (raster[:16] == low).all()  # computed: the colormap, opaque
    alphas = set(np.unique(raster[16:, :, 3]).tolist())
    assert alphas == {0, overlays.HATCH_BGRA[3]}  # not computed: stripes over transparency
    assert not (raster[16:] == low).all(axis=-1).any()  # never the colour of "authentic"

    layers = LayerList([ImageLayer(np.zeros((32, 48, 3), np.uint8))])
    layer = show_partial(layers, PartialMap("m", heat, 0.5))
    assert layer.name == "m heatmap — partial (50 % of the image) — no verdict"
    assert "m (partial) 0.000" in layers.readout(3, 3).text()
    assert "m (partial) not computed" in layers.readout(3, 20).text()
    fuller = heat.copy()
    fuller[16:24] = 0.5
    assert show_partial(layers, PartialMap("m", fuller, 0.75)) is layer  # updated, not added
    assert layer.name.startswith("m heatmap — partial (75 %") and len(layers) == 2


def test_a_preview_partial_map_reads_out_per_cell() -> None:
    from forensic_viewer.layer_base import ImageLayer
    from forensic_viewer.layers import LayerList, show_partial

    preview = np.array([[0.25, np.nan], [0.75, np.nan]], np.float32)  # cell 4 over 8 x 6
    layers = LayerList([ImageLayer(np.zeros((8, 6, 3), np.uint8))])
    layer = show_partial(layers, PartialMap("m", preview, 0.5, cell=4))
    assert layer.cell == 4
    assert "m (partial) 0.250" in layers.readout(3, 3).text()
    assert "m (partial) 0.750" in layers.readout(0, 7).text()
    assert "m (partial) not computed" in layers.readout(5, 0).text()


def test_files_queued_before_a_model_change_run_with_the_models_chosen_when_opened(
    qtbot,
    tmp_path: Path,
    slow_tiles: None,
    held: threading.Event,
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    """Models changed while the first of three files is analysed and the third still waits to
    be decoded (a decode-ahead budget of one image): the two queued files keep the models they
    were opened with, the current one is analysed again with the new ones; the status bar and
    the case log's analysis-started entries say which."""
    monkeypatch.setattr(workers, "DECODE_AHEAD_PIXELS", 1)  # one decoded file waits at most
    gate = held  # holds the first analysis at its first tile until the change
    m1, m2 = (make_tiny_checkpoint(tmp_path / f"m{i}.safetensors", f"m{i}", seed=i) for i in (1, 2))
    log = AuditLog(tmp_path / "case", program="test viewer", examiner="A. Examiner")
    window = _window(qtbot, tmp_path, [m1], log)
    succeeded: list[int] = []  # every analysis that ran to its end
    window.worker.succeeded.connect(lambda job, _a: succeeded.append(job))
    files = [write_image(tmp_path / f"f{i}.png", 96, 128, seed=i) for i in range(3)]
    open_listed(qtbot, window, files)
    first, *queued = (window.entries[str(p)] for p in files)
    qtbot.waitUntil(lambda: first.job in window._job_started, timeout=HANG_MS)
    qtbot.waitUntil(lambda: queued[0].evidence is not None, timeout=HANG_MS)
    assert queued[1].evidence is None  # not decoded yet: it waits for the first to finish
    with_m1 = first.job
    window._on_models_chosen([str(m2)], "cpu")  # the Models panel's choice
    assert "2 files already queued keep the models" in window.statusBar().currentMessage()
    gate.set()
    qtbot.waitUntil(lambda: not any(e.running for e in (first, *queued)), timeout=HANG_MS)
    assert [list(e.analysis.results) for e in queued] == [["m1"], ["m1"]]
    assert list(first.analysis.results) == ["m2"]  # the current file, analysed again
    qtbot.waitUntil(lambda: first.job in succeeded, timeout=HANG_MS)  # the last to end
    assert with_m1 not in succeeded  # its m1 run, whose result nobody would see, was cancelled

    lines = without_sessions(
        json.loads(x) for x in (tmp_path / "case" / LOG_NAME).read_text().splitlines()
    )
    started = [x["details"] for x in lines if x["action"] == "analysis-started"]
    asked = {(Path(d["path"]).name, tuple(Path(m).stem for m in d["models"])) for d in started}
    assert asked == {("f0.png", ("m1",)), ("f1.png", ("m1",)), ("f2.png", ("m1",)),
                     ("f0.png", ("m2",))}  # fmt: skip


def test_a_file_asked_for_again_while_queued_or_running_is_analysed_once(
    qtbot, tmp_path: Path, slow_tiles: None, held: threading.Event
) -> None:
    gate = held
    model = make_tiny_checkpoint(tmp_path / "m1.safetensors", "m1", seed=1)
    window = _window(qtbot, tmp_path, [model])
    runs: list[int] = []  # every analysis that ran to its end, in order
    window.worker.succeeded.connect(lambda job, _a: runs.append(job))
    first, second = (write_image(tmp_path / f"{n}.png", 96, 128) for n in ("first", "second"))
    open_listed(qtbot, window, [first, second])
    a, b = window.entries[str(first)], window.entries[str(second)]
    jobs = [a.job, b.job]
    qtbot.waitUntil(lambda: a.job in window._job_started, timeout=HANG_MS)  # running, held
    open_listed(qtbot, window, [second, first])  # opened again: one running, one queued
    window.analyse(str(first))  # and Analyse again
    assert [a.job, b.job] == jobs  # the requests they had stand
    assert "already queued or being analysed" in window.statusBar().currentMessage()
    gate.set()
    qtbot.waitUntil(lambda: not a.running and not b.running, timeout=HANG_MS)
    assert a.analysis is not None and b.analysis is not None
    window.analyse(str(first))  # finished: asked again, it runs again
    qtbot.waitUntil(lambda: a.job in runs, timeout=HANG_MS)  # and nothing else ran before it
    assert runs == [*jobs, a.job]


def test_keeping_is_said_in_the_cancelled_slot_then_forgotten_once_kept_arrived(
    qtbot, tmp_path: Path, slow_tiles: None
) -> None:
    """The worker remembers a job whose kept part follows only until ``kept`` reached the GUI
    thread (after every ``cancelled`` slot asked): not every such job for the session."""
    model = make_tiny_checkpoint(tmp_path / "m1.safetensors", "m1", seed=1)
    worker = workers.AnalysisWorker(faces=False)
    worker.start()
    try:
        with qtbot.waitSignal(worker.modelsReady, timeout=HANG_MS):
            worker.configure([str(model)], "cpu")
        said: list[bool] = []
        kept: list[int] = []
        worker.cancelled.connect(lambda job: said.append(worker.keeping(job)))
        worker.kept.connect(lambda job, _a: kept.append(job))
        worker.mail.on("partial", lambda _job, _p: worker.cancel())  # after its first tile
        job = worker.submit(write_image(tmp_path / "big.png", 192, 256))
        qtbot.waitUntil(lambda: kept == [job], timeout=HANG_MS)
        assert said == [True]
        qtbot.waitUntil(lambda: not worker.keeping(job), timeout=HANG_MS)
        # the worker thread forgets the job (``_live``) in its ``finally``, which may run just
        # after ``kept`` reached this thread: wait for it, then nothing of the job is left
        qtbot.waitUntil(lambda: job not in worker._live, timeout=HANG_MS)
        assert worker._keeping == set() and worker._live == set() == worker._dropped
    finally:
        worker.stop()


def test_a_kept_part_that_cannot_be_built_logs_the_cancel_and_the_failure_and_keeps_nothing(
    qtbot, tmp_path: Path, slow_tiles: None, monkeypatch: pytest.MonkeyPatch
) -> None:
    """Building what a Cancel kept fails (``failed`` follows ``cancelled``): the case log
    writes the cancel then the failure at once, not the cancel when the window closes, and
    holds nothing for the job; the file says the failure."""

    def cannot_build(*_a: object) -> None:
        raise RuntimeError("no room for the kept part")

    monkeypatch.setattr("engine.pipeline.Analyzer._kept", cannot_build)
    monkeypatch.setattr(sys, "excepthook", lambda *_a: None)  # the worker reports it (failed)
    model = make_tiny_checkpoint(tmp_path / "m1.safetensors", "m1", seed=1)
    log = AuditLog(tmp_path / "case", program="test viewer", examiner="A. Examiner")
    window = _window(qtbot, tmp_path, [model], log)
    window.worker.mail.on("partial", lambda _job, _p: window.cancel())  # after its first tile
    image = write_image(tmp_path / "big.png", 192, 256)
    open_listed(qtbot, window, [image])
    entry = window.entries[str(image)]
    # ``failed`` is queued once per receiver from the worker thread, and this thread can run
    # the window's slot (which sets the error) before the case log's and the last one
    # (``_forget_job``) are posted: wait for all of them
    qtbot.waitUntil(
        lambda: bool(entry.error) and not window.case._kept and not window._job_paths,
        timeout=HANG_MS,
    )
    assert "no room for the kept part" in entry.error and entry.analysis is None
    assert window.worker._keeping == set()
    lines = without_sessions(
        json.loads(x) for x in (tmp_path / "case" / LOG_NAME).read_text().splitlines()
    )
    ended = [(x["action"], x["details"]) for x in lines if x["action"].startswith("analysis-")]
    assert [a for a, _ in ended] == ["analysis-started", "analysis-cancelled", "analysis-failed"]
    assert ended[1][1] == {"path": str(image)}  # nothing kept
    assert ended[2][1]["path"] == str(image) and "no room" in ended[2][1]["error"]


def test_a_running_analysis_asked_again_with_other_models_keeps_nothing(
    qtbot, tmp_path: Path, slow_tiles: None, held: threading.Event
) -> None:
    """The current file asked for again with other models while it runs: its running
    analysis is cancelled and builds no kept part (nobody would see it); a Cancel by the
    analyst still keeps one (test_cancel_keeps_the_finished_model_...)."""
    gate = held  # holds the first analysis at its first tile until the change
    m1, m2 = (make_tiny_checkpoint(tmp_path / f"m{i}.safetensors", f"m{i}", seed=i) for i in (1, 2))
    log = AuditLog(tmp_path / "case", program="test viewer", examiner="A. Examiner")
    window = _window(qtbot, tmp_path, [m1], log)
    ended: list[tuple[str, int]] = []
    window.worker.cancelled.connect(lambda job: ended.append(("cancelled", job)))
    window.worker.kept.connect(lambda job, _a: ended.append(("kept", job)))
    image = write_image(tmp_path / "big.png", 192, 256)
    open_listed(qtbot, window, [image])
    entry = window.entries[str(image)]
    old = entry.job
    qtbot.waitUntil(lambda: old in window._job_started, timeout=HANG_MS)  # running, held
    window._on_models_chosen([str(m2)], "cpu")  # the current file runs again with m2
    assert entry.job != old
    gate.set()
    qtbot.waitUntil(lambda: not entry.running, timeout=HANG_MS)
    assert ended == [("cancelled", old)]  # and no kept part built
    assert list(entry.analysis.results) == ["m2"] and not entry.analysis.cancelled
    lines = without_sessions(
        json.loads(x) for x in (tmp_path / "case" / LOG_NAME).read_text().splitlines()
    )
    cancels = [x["details"] for x in lines if x["action"] == "analysis-cancelled"]
    assert cancels == [{"path": str(image)}]


def test_a_stopping_worker_builds_no_kept_part(
    qtbot, tmp_path: Path, slow_tiles: None, held: threading.Event, monkeypatch: pytest.MonkeyPatch
) -> None:
    """The window closes while an analysis runs: the worker cancels it and builds nothing from
    what it finished (the analyst's Cancel does: test_cancel_keeps_the_finished_model_...)."""
    from engine.pipeline import Analyzer

    built: list[int] = []
    real = Analyzer._kept

    def spy(self, *a, **k):
        built.append(1)
        return real(self, *a, **k)

    monkeypatch.setattr(Analyzer, "_kept", spy)
    m1 = make_tiny_checkpoint(tmp_path / "m1.safetensors", "m1", seed=1)
    window = _window(qtbot, tmp_path, [m1])
    image = write_image(tmp_path / "big.png", 192, 256)
    open_listed(qtbot, window, [image])
    job = window.entries[str(image)].job
    qtbot.waitUntil(lambda: job in window._job_started, timeout=HANG_MS)  # running, held
    threading.Timer(0.3, held.set).start()  # released while stop() waits for the thread
    window.worker.stop(60_000)
    assert window.worker.isFinished()
    assert built == []


def test_the_eta_is_shown_whole_in_the_status_bar_while_a_network_runs(
    qtbot, tmp_path: Path, slow_tiles: None, monkeypatch: pytest.MonkeyPatch
) -> None:
    """The ETA ended the status message ("analysing <file>: <model> (2/4), 26/330 windows,
    about 1:15 left"), which gets the room the read-out, the progress bar and Cancel leave: at
    the window's first size a camera's file name and a model's name cut it off ("about 1:15
    lef"). It is in the progress bar now, which always has its room."""
    gate = threading.Event()  # the analysis waits at its 10th tile, the ETA known by then
    slowed = workers.throttled_partial

    def held(send):
        inner = slowed(send)

        def on_progress(p) -> None:
            inner(p)
            if p.done >= 10:
                gate.wait(HANG_S)

        return on_progress

    monkeypatch.setattr(workers, "throttled_partial", held)
    model = make_tiny_checkpoint(tmp_path / "m.safetensors", "a-long-model-name", seed=1)
    window = _window(qtbot, tmp_path, [model])
    image = write_image(tmp_path / "Bushnell_Trophy_HD_Aggressor_119775C.png", 192, 256)
    try:
        open_listed(qtbot, window, [image])
        bar = window.progress
        qtbot.waitUntil(lambda: "left" in bar.text(), timeout=HANG_MS)
        text = bar.text()
        assert re.fullmatch(r"\d+% · about \d+:\d\d left", text), text
        assert bar.isVisible()
        assert bar.fontMetrics().horizontalAdvance(text) < bar.contentsRect().width()
    finally:
        gate.set()
    entry = window.entries[str(image)]
    qtbot.waitUntil(lambda: not entry.running, timeout=HANG_MS)
    assert "left" not in bar.text()  # nothing runs: no time left to show


def test_a_file_whose_queued_analysis_was_cancelled_says_so_when_shown(
    qtbot, tmp_path: Path, slow_tiles: None
) -> None:
    """Cancel while a second file waits: shown afterwards, that file's Verdict panel was empty
    (no analysis, no error, not running) and only its evidence-list badge said it was
    cancelled; it says so, with how to analyse it again, until it is analysed."""
    model = make_tiny_checkpoint(tmp_path / "m1.safetensors", "m1", seed=1)
    window = _window(qtbot, tmp_path, [model])

    _cancel_midway(window)
    big = write_image(tmp_path / "big.png", 192, 256)
    queued = write_image(tmp_path / "queued.png", 96, 128, seed=2)
    open_listed(qtbot, window, [big, queued])
    entries = [window.entries[str(p)] for p in (big, queued)]
    qtbot.waitUntil(lambda: not any(e.running for e in entries), timeout=HANG_MS)
    qtbot.waitUntil(lambda: window._job_paths == {}, timeout=HANG_MS)
    assert entries[1].analysis is None and entries[1].evidence is not None

    window.show_entry(str(queued))
    assert window.verdict_panel.text() == CANCELLED_WORDS
    window.show_entry(str(big))  # the kept part's cards, then back
    assert window.verdict_panel.text() != CANCELLED_WORDS
    window.show_entry(str(queued))
    assert window.verdict_panel.text() == CANCELLED_WORDS

    window.analyse(str(queued))
    qtbot.waitUntil(lambda: entries[1].analysis is not None, timeout=HANG_MS)
    window.show_entry(str(queued))
    assert CANCELLED_WORDS not in window.verdict_panel.text()


def test_the_evidence_list_says_the_per_cent_the_progress_bar_shows(
    qtbot, tmp_path: Path, slow_tiles: None
) -> None:
    """The running file's row rounded its fraction and the bar (Qt's ``%p``) truncated it: the
    row said "analysing 2%" beside a bar at 1 %, and 100 % while the bar and the analysis were
    at 99 %. At every progress step both say the same."""
    model = make_tiny_checkpoint(tmp_path / "m1.safetensors", "m1", seed=1)
    window = _window(qtbot, tmp_path, [model])
    path = write_image(tmp_path / "big.png", 192, 256)
    seen: list[tuple[str, str]] = []

    def spy(*_args: object) -> None:  # after the window's own slot
        row = window.evidence_list.entry(str(path)).text()
        seen.append((re.search(r"analysing (\d+)%", row).group(1), window.progress.text()))

    window.worker.progress.connect(spy)
    open_listed(qtbot, window, [path])
    qtbot.waitUntil(lambda: not window.entries[str(path)].running, timeout=HANG_MS)
    assert len(seen) > 10
    for row, bar in seen:
        assert bar.startswith(f"{row}%"), (row, bar)
