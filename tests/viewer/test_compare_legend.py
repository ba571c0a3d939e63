"""Walk-through C, findings 4 and 5: compare mode had no colour scale or mask key, each pane's
mask was cut at its own pixel threshold with nothing saying so, and a loaded true mask was
never drawn over a model's pane nor scored in it."""

from __future__ import annotations

import numpy as np
import pytest

from engine.types import Analysis
from forensic_viewer.gui.compare import LEGEND_WORDS, TRUTH_LEGEND, CompareView, mask_words
from forensic_viewer.layers import build_layers
from forensic_viewer.model_layers import GroundTruthLayer, MaskLayer
from forensic_viewer.scan.truth_scores import MapSource, score_map
from tests.conftest import memory_evidence
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
    assert view.legend.words.text() == LEGEND_WORDS
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


def test_the_true_mask_is_outlined_over_each_model_and_scored_in_its_title(qtbot) -> None:
    view, layers, analysis = _view(qtbot, {"m1": 0.5, "m2": 0.35})
    truth = np.zeros((40, 60), bool)
    truth[5:20, 5:25] = True  # overlaps the first blob only
    layer = GroundTruthLayer(truth)
    layers.append(layer)
    view.set_content(layers, analysis)
    assert view.legend.words.text() == LEGEND_WORDS + TRUTH_LEGEND
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
    empty = GroundTruthLayer(np.zeros((40, 60), bool), name="authentic")
    layers.remove(layer)
    layers.append(empty)
    view.set_content(layers, analysis)
    assert "true mask empty: flags" in _pane(view, "m1").title.text()  # F1 is 0/0 there
