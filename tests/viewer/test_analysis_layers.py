"""Classic analyses as layers (no Qt): what is added, what is shown, the read-out, the magnifier."""

from __future__ import annotations

import numpy as np
import pytest

from engine.analyses import (
    AnalysisMap,
    AnalysisResult,
    ClonePair,
    MapMeaning,
    MapScale,
    Output,
    Provenance,
)
from engine.types import Analysis, Evidence
from forensic_viewer import overlays
from forensic_viewer.classic_layers import AnalysisLayer, ClonePairsLayer
from forensic_viewer.layers import add_classic_layers, build_layers, classic_sources

H, W = 40, 64
RAW = MapMeaning(MapScale.RAW, "error level", "|Δ| x 8 / 255", "changes on resave")
REGION = MapMeaning(MapScale.REGION, "copied regions", "1 inside", "repeats elsewhere")
PAIR = ClonePair((2, 3, 10, 8), (40, 20, 10, 8), (1, 0, 38, 0, 1, 17), 0.0, 1.0, "blocks", 30,
                 80, 0.97)  # fmt: skip


def _evidence() -> Evidence:
    pixels = np.random.default_rng(0).integers(0, 256, (H, W, 3), dtype=np.uint8)
    return Evidence("e.png", "0" * 64, 1, "PNG", W, H, "RGB", 1, 1, False, {}, [], pixels)


def _result(name: str, output: Output) -> AnalysisResult:
    return AnalysisResult(name, Provenance("m", "s", "1"), {}, "0" * 64, 0.01, output)


def _ela() -> AnalysisResult:
    values = np.tile(np.linspace(0, 1, W, dtype=np.float32), (H, 1))
    coarse = np.arange(5 * 8, dtype=np.float32).reshape(5, 8) / 40  # one value per 8 x 8
    extra = AnalysisMap("ela-coarse", RAW, coarse, cell=8)
    picture = np.zeros((H, W, 3), np.uint8)
    return _result("ela", Output(map=values, meaning=RAW, display=picture, layers=(extra,)))


def _clone() -> AnalysisResult:
    region = np.zeros((H, W), np.float32)
    region[3:11, 2:12] = region[20:28, 40:50] = 1.0
    return _result("clone", Output(map=region, meaning=REGION, score=1.0, pairs=(PAIR,)))


def _render(layer) -> None:
    job = layer.render_job()
    layer.apply_render(job.version, job.fn())


def test_each_result_becomes_its_map_picture_extra_maps_and_pairs() -> None:
    layers = build_layers(_evidence())
    added = add_classic_layers(layers, {"ela": _ela(), "clone": _clone()})
    assert [(la.name, la.kind) for la in added] == [
        ("ela map (what scans keep)", "analysis"),
        ("ela picture (for the eye)", "analysis-picture"),
        ("ela: ela-coarse", "analysis-map"),
        ("clone map", "analysis"),
        ("clone pairs", "pairs"),
    ]
    shown = {la.name for la in layers if la.visible}
    # one analysis at a time: ELA's picture, the one ELA's readers read (its map hidden)
    assert shown == {"evidence", "ela picture (for the eye)", "clone pairs"}
    assert layers.selected is layers["ela picture (for the eye)"]
    assert classic_sources(layers) == ["ela", "clone"]
    ela = layers["ela map (what scans keep)"]
    assert isinstance(ela, AnalysisLayer) and ela.colormap == "viridis"  # not a heatmap's
    assert "raw values, not a probability of manipulation" in ela.about
    assert "not a probability" in layers["ela picture (for the eye)"].about
    again = add_classic_layers(layers, {"clone": _clone()})  # running again replaces
    assert [la.name for la in layers].count("clone map") == 1 and len(again) == 2
    assert layers["clone map"].visible and not layers["ela picture (for the eye)"].visible


def test_the_readout_gives_each_analysis_value_with_its_scale() -> None:
    layers = build_layers(_evidence())
    add_classic_layers(layers, {"ela": _ela(), "clone": _clone()})
    r = layers.readout(45.5, 22.5)
    assert r is not None
    ela = float(np.linspace(0, 1, W, dtype=np.float32)[45])
    assert r.analyses == {"ela": (pytest.approx(ela), "raw"), "clone": (1.0, "region")}
    assert f"ela {ela:.3f} raw" in r.text() and "clone 1.000 region" in r.text()
    layers["ela: ela-coarse"].visible = True  # an extra map reads out while shown, per cell
    r = layers.readout(45.5, 22.5)
    assert r is not None and r.analyses["ela-coarse"] == (pytest.approx((2 * 8 + 5) / 40), "raw")


def test_region_maps_are_transparent_outside_and_coarse_maps_magnify_per_cell() -> None:
    layers = build_layers(_evidence())
    add_classic_layers(layers, {"clone": _clone(), "ela": _ela()})
    region = layers["clone map"]
    _render(region)
    raster = region.raster()
    assert raster is not None and raster[0, 0, 3] == 0 and raster[5, 5, 3] > 100
    coarse = layers["ela: ela-coarse"]
    _render(coarse)
    assert coarse.raster().shape[:2] == (5, 8)  # drawn cell by cell over the evidence
    for la in layers:
        la.visible = la is coarse or la.kind == "image"
    coarse.opacity = 1.0
    patch = layers.magnify(20, 20, 2)
    assert patch is not None
    expected = overlays.heatmap_raster(coarse.heatmap, coarse.colormap)[20 // 8, 20 // 8]
    np.testing.assert_array_equal(patch[2, 2], expected[2::-1])  # B, G, R -> R, G, B


def test_pairs_are_linked_centre_to_centre() -> None:
    layers = build_layers(_evidence())
    add_classic_layers(layers, {"clone": _clone()})
    pairs = layers["clone pairs"]
    assert isinstance(pairs, ClonePairsLayer) and pairs.pairs == [PAIR]
    assert overlays.pair_link(PAIR) == ((7.0, 7.0), (45.0, 24.0))
    assert "which copy is the original cannot be told" in pairs.about
    assert ClonePairsLayer.label(1, PAIR).startswith("pair 1: rotation 0.0°, scale 1.000")


def test_an_analysis_carries_its_classic_results_into_its_layers() -> None:
    ev = _evidence()
    analysis = Analysis(ev, {}, analyses={"clone": _clone()})
    layers = build_layers(ev, analysis)
    assert [la.name for la in layers] == ["evidence", "clone map", "clone pairs"]
    assert not layers["clone map"].visible and layers["clone pairs"].visible  # not just run
    assert layers.selected is None
    assert analysis.to_dict()["analyses"]["clone"]["pairs"][0]["detector"] == "blocks"
    # results that arrive with a later analysis (an ensemble's) join without redrawing the others
    before = layers["clone map"]
    added = add_classic_layers(
        layers, {"clone": _clone(), "ela": _ela()}, replace=False, show=False
    )
    assert added[0].name == "ela map (what scans keep)" and layers["clone map"] is before


def test_elas_picture_is_what_shows_after_its_run_and_its_map_waits_hidden() -> None:
    """ELA's map (mean error x 8 / 255) is nearly uniform where a resave changes a few grey
    levels; its stretched picture is what Forensically and Sherloq show and what an examiner
    reads. After an ELA run the map was shown and the picture hidden, both named alike."""
    layers = build_layers(_evidence())
    add_classic_layers(layers, {"clone": _clone()})  # an earlier run's map, shown
    add_classic_layers(layers, {"ela": _ela()})
    picture, values = layers["ela picture (for the eye)"], layers["ela map (what scans keep)"]
    assert picture.kind == "analysis-picture" and values.kind == "analysis"
    assert picture.visible and layers.selected is picture
    assert not values.visible and not layers["clone map"].visible  # one analysis at a time
    r = layers.readout(45.5, 22.5)  # the map's value is read out, hidden or not
    assert r is not None and "ela" in r.analyses
    add_classic_layers(layers, {"clone": _clone()})  # another run: its map, the picture hidden
    assert layers["clone map"].visible and not picture.visible
    assert classic_sources(layers) == ["ela", "clone"]  # a compare pane for each, as before
