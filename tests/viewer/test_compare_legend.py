"""Walk-through C, findings 4 and 5: compare mode had no colour scale or mask key, each pane's
mask was cut at its own pixel threshold with nothing saying so, and a loaded true mask was
never drawn over a model's pane nor scored in it."""

from __future__ import annotations

import threading
from pathlib import Path

import numpy as np
import pytest
from PIL import Image

from engine.metrics import f1_iou
from engine.types import Analysis
from forensic_viewer.gui import compare
from forensic_viewer.gui.compare import CompareView, mask_words
from forensic_viewer.gui.compare_legend import LEGEND_WORDS, TRUTH_LEGEND
from forensic_viewer.gui.groundtruth_panel import GroundTruthPanel
from forensic_viewer.layers import build_layers
from forensic_viewer.model_layers import MaskLayer
from forensic_viewer.scan import truth_scores
from forensic_viewer.scan.truth_scores import MapSource, score_map
from tests.conftest import HANG_MS, memory_evidence
from tests.viewer.test_layers import _result, _two_blobs

pytestmark = pytest.mark.gui


def _view(qtbot, thresholds: dict[str, float]):
    rng = np.random.default_rng(5)
    evidence = memory_evidence(rng.integers(0, 256, (40, 60, 3), dtype=np.uint8), file_size=1)
    results = {
        n: _result(n, _two_blobs() * (0.6 + 0.1 * i), t)
        for i, (n, t) in enumerate(thresholds.items())
    }
    analysis = Analysis(evidence, results)
    layers = build_layers(evidence, analysis)
    view = CompareView()
    qtbot.addWidget(view)
    view.set_content(layers, analysis)
    return view, layers, analysis


def _pane(view: CompareView, name: str):
    (pane,) = [p for p in view.panes if p.source is not None and p.source.name == name]
    return pane


def test_one_legend_strip_and_each_panes_mask_threshold(qtbot) -> None:
    view, layers, _ = _view(qtbot, {"m1": 0.5, "m2": 0.35})
    assert not view.legend.isHidden()
    assert view.legend.words.text() == f"inferno: {LEGEND_WORDS}"
    assert not view.legend.bar.pixmap().isNull()
    assert "inferno" in view.legend.bar.accessibleDescription()
    for name, t in (("m1", 0.5), ("m2", 0.35)):
        assert f" · {mask_words(t)} — {name}" in _pane(view, name).title.text()
    assert mask_words(0.35) == "mask > 0.35"
    # the slider moves the mask: the pane says the threshold it is drawn at now
    mask = next(
        la for la in layers.of_kind("mask") if isinstance(la, MaskLayer) and la.model == "m2"
    )
    mask.threshold = 0.6
    assert f" · {mask_words(0.6)} — m2" in _pane(view, "m2").title.text()
    # the colormap is linked across the heatmaps: the strip follows it
    heat = next(la for la in layers.of_kind("heatmap") if la.model == "m1")
    heat.colormap = "viridis"
    assert "viridis" in view.legend.bar.accessibleDescription()
    view.set_content(None, None)
    assert view.legend.isHidden()  # nothing to compare: no scale


def _truth_loaded(qtbot, tmp_path: Path, view: CompareView, layers, analysis, truth):
    """``truth`` loaded in a Ground truth panel as the window loads it, the panel giving the
    view its scores (as the window's layout wires them)."""
    panel = GroundTruthPanel()
    qtbot.addWidget(panel)
    view.truth_scores = panel
    panel.scored.connect(view.truth_scored)
    file = tmp_path / "truth.png"
    Image.fromarray(np.where(truth, 255, 0).astype(np.uint8)).save(file)
    panel.load("mem.png", analysis.evidence, file)
    panel.show_for("mem.png", analysis.evidence, analysis, layers)
    return panel


def test_the_true_mask_is_outlined_over_each_model_and_scored_in_its_title(
    qtbot, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    view, layers, analysis = _view(qtbot, {"m1": 0.5, "m2": 0.35})
    truth = np.zeros((40, 60), bool)
    truth[5:20, 5:25] = True  # overlaps the first blob only
    in_gui: list[str] = []  # maps scored in the GUI thread (review R, finding 2: 1.1 s each)
    real = truth_scores.score_map

    def watched(source, mask):
        if threading.current_thread() is threading.main_thread():
            in_gui.append(source.name)
        return real(source, mask)

    monkeypatch.setattr(truth_scores, "score_map", watched)
    monkeypatch.setattr(compare, "score_map", watched, raising=False)  # where it was called
    panel = _truth_loaded(qtbot, tmp_path, view, layers, analysis, truth)
    view.set_content(layers, analysis)  # the window's refresh, right after the panel's
    (layer,) = layers.of_kind("groundtruth")
    assert view.legend.words.text() == f"inferno: {LEGEND_WORDS}{TRUTH_LEGEND}"
    qtbot.waitUntil(lambda: not panel.scoring, timeout=HANG_MS)
    view.set_content(layers, analysis)  # a refresh after the scores came reuses them
    assert in_gui == []
    for name in ("m1", "m2"):
        pane = _pane(view, name)
        drawn = [v.layer for v in pane.canvas.visuals]
        assert layer in drawn  # the white outline over the model's mask
        r = analysis.results[name]
        own = score_map(MapSource(name, "model", r.heatmap, r.pixel_threshold, None, None), truth)
        assert own.own is not None  # the Ground truth panel's "own" row
        figures = f"F1 {own.own.f1():.3f}, IoU {own.own.iou():.3f}"
        assert f"vs true mask {figures} — {name}" in pane.title.text()
        assert (
            f"own pixel threshold {r.pixel_threshold:.4g}: pixel {figures}" in pane.title.toolTip()
        )
    empty = np.zeros((40, 60), bool)
    panel = _truth_loaded(qtbot, tmp_path, view, layers, analysis, empty)
    view.set_content(layers, analysis)
    qtbot.waitUntil(
        lambda: "true mask empty: flags" in _pane(view, "m1").title.text(), timeout=HANG_MS
    )


def test_the_figures_in_a_title_are_those_of_the_mask_drawn_after_the_slider_moved(
    qtbot, tmp_path: Path
) -> None:
    """Review R, finding 3: the title said "mask > 0.6" beside the F1 at the own 0.35, and the
    legend that every mask was at its own threshold."""
    view, layers, analysis = _view(qtbot, {"m1": 0.5, "m2": 0.35})
    truth = np.zeros((40, 60), bool)
    truth[5:20, 5:25] = True  # holds m2's first blob (0.63) and not its second (0.49)
    panel = _truth_loaded(qtbot, tmp_path, view, layers, analysis, truth)
    view.set_content(layers, analysis)
    assert "vs true mask: scoring…" in _pane(view, "m2").title.text()
    qtbot.waitUntil(lambda: not panel.scoring, timeout=HANG_MS)
    heat = analysis.results["m2"].heatmap

    def figures(t: float) -> str:
        f1, iou = f1_iou(heat > t, truth)
        return f"F1 {f1:.3f}, IoU {iou:.3f}"

    assert figures(0.35) != figures(0.6)
    pane = _pane(view, "m2")
    assert f"{mask_words(0.35)} · vs true mask {figures(0.35)} — m2" in pane.title.text()
    mask = next(
        la for la in layers.of_kind("mask") if isinstance(la, MaskLayer) and la.model == "m2"
    )
    mask.threshold = 0.6
    assert f"{mask_words(0.6)} · vs true mask {figures(0.6)} — m2" in pane.title.text()
    tip = pane.title.toolTip()
    assert f"above 0.6 (the slider's): pixel {figures(0.6)}" in tip
    assert f"own pixel threshold 0.35 (the Ground truth panel's row): pixel {figures(0.35)}" in tip
    assert "its own pixel threshold until its mask slider moves it" in view.legend.words.text()


def test_each_colormap_the_panes_are_drawn_in_has_its_own_scale(qtbot) -> None:
    # walk-through cvd, finding 6: one inferno strip over clone, ELA and noise panes in viridis
    from tests.viewer.test_analysis_layers import _clone, _ela, _evidence

    evidence = _evidence()
    heat = np.tile(np.linspace(0, 1, evidence.width, dtype=np.float32), (evidence.height, 1))
    analysis = Analysis(evidence, {"m1": _result("m1", heat, 0.5)})
    layers = build_layers(evidence, analysis, {"ela": _ela(), "clone": _clone()})
    view = CompareView()
    qtbot.addWidget(view)
    view.set_content(layers, analysis)
    assert view.legend.words.text().startswith("inferno: network heatmaps")
    ((bar, words),) = [(b, w) for b, w in view.legend.others if not w.isHidden()]
    assert "viridis" in bar.accessibleDescription() and not bar.pixmap().isNull()
    assert words.text() == (
        "viridis: ela (raw values, not a probability of manipulation); "
        "clone (1 inside the regions found, 0 elsewhere)"
    )
    ela = layers["ela map (what scans keep)"]
    ela.colormap = "jet"  # a pane's colormap chosen in the layer panel: the strip follows
    shown = [w.text() for _b, w in view.legend.others if not w.isHidden()]
    assert shown == [
        "jet (not perceptually ordered): ela (raw values, not a probability of manipulation)",
        "viridis: clone (1 inside the regions found, 0 elsewhere)",
    ]
