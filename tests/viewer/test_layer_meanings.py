"""Every layer says what its values mean, in the words the reports use (walk-through
2026-12-05): a finished model's map had stayed "partial (100 % of the image)" with a note on
hatching that was not there; the ensemble's heatmap and the model agreement said nothing of
their values, a tiled network's only how it was tiled, while the PDF's legend called a heatmap
a "probability of manipulation"; the clone map said what 1 and 0 are twice."""

from __future__ import annotations

import dataclasses

import numpy as np

from engine.analyses import MapMeaning, MapScale
from engine.types import Analysis, PartialMap
from forensic_viewer.classic_layers import AnalysisLayer
from forensic_viewer.layers import build_layers
from forensic_viewer.model_layers import PartialHeatmapLayer
from forensic_viewer.report.text import LEGEND_TEXT
from forensic_viewer.wording import (
    AGREEMENT_MEANING,
    ENSEMBLE_HEATMAP_MEANING,
    HEATMAP_MEANING,
    partial_words,
)
from tests.viewer.test_layers import _evidence, _result, _two_blobs


def test_a_map_computed_over_the_whole_image_is_not_called_partial() -> None:
    whole = PartialHeatmapLayer(PartialMap("m", np.full((4, 4), 0.3, np.float32), 1.0))
    assert "partial" not in whole.name and "100 %" not in whole.name
    assert whole.name == "m heatmap — whole image computed — no mask or verdict yet"
    assert "hatched" not in whole.about  # nothing is hatched
    assert "mask and verdict come with the model's result" in whole.about
    half = np.full((4, 4), np.nan, np.float32)
    half[:2] = 0.3
    layer = PartialHeatmapLayer(PartialMap("m", half, 0.5))
    assert layer.name == f"m heatmap — {partial_words(0.5)}"
    assert "partial (50 % of the image)" in layer.name and "hatched" in layer.about
    layer.update(PartialMap("m", np.full((4, 4), 0.3, np.float32), 1.0))  # its last tile done
    assert "partial" not in layer.name and "hatched" not in layer.about
    assert partial_words(0.999) == "partial (99 % of the image) — no verdict"  # a gap: partial


def test_every_network_heatmap_and_the_agreement_say_what_their_values_mean() -> None:
    ev = _evidence()
    tiled = dataclasses.replace(
        _result("tiled", _two_blobs()), input_policy={"mode": "window", "tile": 32, "margin": 4}
    )
    ens = dataclasses.replace(_result("ens", _two_blobs()), name="ens")
    layers = build_layers(
        ev, Analysis(ev, {"a": _result("a", _two_blobs()), "tiled": tiled}, ensemble=ens)
    )
    assert layers["a heatmap"].about == HEATMAP_MEANING
    assert layers["tiled heatmap"].about.startswith(HEATMAP_MEANING)  # then its tile grid
    assert "24-pixel grid" in layers["tiled heatmap"].about
    assert layers["ens heatmap"].about == ENSEMBLE_HEATMAP_MEANING
    assert layers["model agreement"].about == AGREEMENT_MEANING
    # the report's colour legend says the same of a heatmap, from the same words
    assert HEATMAP_MEANING in LEGEND_TEXT and ENSEMBLE_HEATMAP_MEANING in LEGEND_TEXT
    assert "probability of manipulation" not in LEGEND_TEXT


def test_a_map_of_regions_says_what_1_and_0_are_once() -> None:
    meaning = MapMeaning(
        scale=MapScale.REGION,
        label="regions found copied within the image (both copies of each pair)",
        unit="1 inside a verified copy, 0 elsewhere",
        high="this region repeats elsewhere in the image",
    )
    layer = AnalysisLayer(
        "clone map", np.zeros((4, 4), np.float32), analysis="clone", meaning=meaning
    )
    assert layer.about.count("0 elsewhere") == 1
    assert "1 inside a verified copy" in layer.about
