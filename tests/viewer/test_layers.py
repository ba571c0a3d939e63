"""The layer model and its drawings, without Qt: events, links, masks, agreement, read-out."""

from __future__ import annotations

import dataclasses
import gc
import subprocess
import sys
import weakref

import numpy as np
import pytest

from engine.analyses import MapMeaning, MapScale
from engine.decision import forged_fraction
from engine.types import Analysis, Evidence, FaceRegion, FaceScore, ModelResult, PartialMap
from forensic_viewer import overlays
from forensic_viewer.classic_layers import AnalysisLayer
from forensic_viewer.layer_base import ImageLayer
from forensic_viewer.layers import LayerList, build_layers, link_layers
from forensic_viewer.model_layers import (
    AgreementLayer,
    FacesLayer,
    HeatmapLayer,
    MaskLayer,
    PartialHeatmapLayer,
)
from forensic_viewer.wording import HEATMAP_MEANING
from tests.conftest import memory_evidence


def _evidence(h: int = 40, w: int = 60) -> Evidence:
    rng = np.random.default_rng(0)
    return memory_evidence(rng.integers(0, 256, (h, w, 3), dtype=np.uint8), file_size=1)


def _result(name: str, heatmap: np.ndarray, pixel_threshold: float = 0.5) -> ModelResult:
    mask = heatmap > pixel_threshold
    return ModelResult(
        name=name, architecture="crfd-net-compact", checkpoint=f"{name}.safetensors",
        checkpoint_sha256="f" * 64, rule="forged_fraction", score=0.5, verdict="manipulated",
        forged_fraction=forged_fraction(mask), threshold=0.05, pixel_threshold=pixel_threshold,
        threshold_provenance="test", input_policy={"mode": "window", "window": 64, "stride": 32},
        device="cpu", precision="fp32", seconds=0.1, heatmap=heatmap, mask=mask,
    )  # fmt: skip


def _two_blobs(h: int = 40, w: int = 60) -> np.ndarray:
    heat = np.full((h, w), 0.1, np.float32)
    heat[5:15, 5:20] = 0.9  # 150 px
    heat[25:35, 40:50] = 0.7  # 100 px
    return heat


def _render(layer) -> object:
    job = layer.render_job()
    assert job is not None
    assert layer.apply_render(job.version, job.fn())
    return layer.rendered


def test_setters_emit_once_per_change_and_validate() -> None:
    layer = HeatmapLayer("h", np.zeros((4, 4), np.float32), model="m")
    seen: list[tuple[str, object]] = []
    for name in ("opacity", "visible", "colormap", "invalidated"):
        layer.events[name].connect(lambda e: seen.append((e.type, e.value)))
    layer.opacity = 0.3
    layer.opacity = 0.3  # unchanged: no event
    layer.visible = False
    layer.colormap = "viridis"
    assert seen == [
        ("opacity", 0.3),
        ("visible", False),
        ("colormap", "viridis"),
        ("invalidated", 1),
    ]
    with pytest.raises(ValueError, match="opacity"):
        layer.opacity = 1.5
    with pytest.raises(ValueError, match="colormap"):
        layer.colormap = "rainbow-unicorn"


def test_opacity_and_visibility_do_not_invalidate_but_threshold_does() -> None:
    mask = MaskLayer("m", _two_blobs(), model="m", calibrated_threshold=0.5)
    v = mask.version
    mask.opacity, mask.visible, mask.contours = 0.2, False, False
    assert mask.version == v
    mask.threshold = 0.8
    assert mask.version == v + 1


def test_stale_render_results_are_dropped() -> None:
    mask = MaskLayer("m", _two_blobs(), model="m", calibrated_threshold=0.5)
    old = mask.render_job()
    mask.threshold = 0.8
    new = mask.render_job()
    assert old is not None and new is not None
    assert mask.apply_render(new.version, new.fn())
    assert not mask.apply_render(old.version, old.fn())
    assert mask.stats is not None and mask.stats.threshold == pytest.approx(0.8)
    assert mask.is_current


def test_mask_statistics_match_the_engine_at_the_calibrated_threshold() -> None:
    heat = np.random.default_rng(1).random((50, 70)).astype(np.float32)
    result = _result("m", heat, pixel_threshold=0.62)
    mask = MaskLayer("m", heat, model="m", calibrated_threshold=result.pixel_threshold)
    stats = _render(mask)
    assert stats.fraction == pytest.approx(result.forged_fraction, abs=1e-12)


def test_threshold_changes_fraction_regions_and_outlines() -> None:
    mask = MaskLayer("m", _two_blobs(), model="m", calibrated_threshold=0.5)
    low = _render(mask)
    assert low.regions == 2 and low.fraction == pytest.approx(250 / 2400)
    assert sorted(map(tuple, low.box_list.tolist())) == [(5, 5, 15, 10), (40, 25, 10, 10)]
    assert len(low.contours) > 0 and len(low.boxes) == 10  # two closed 4-corner boxes
    mask.threshold = 0.8
    high = _render(mask)
    assert high.regions == 1 and high.fraction == pytest.approx(150 / 2400)
    assert not np.array_equal(low.fill, high.fill)
    mask.threshold = 0.95
    none = _render(mask)
    assert none.regions == 0 and none.fraction == 0.0 and len(none.contours) == 0


def test_only_the_largest_regions_are_outlined() -> None:
    heat = np.zeros((40, 40), np.float32)
    heat[::4, ::4] = 1.0  # 100 specks
    heat[20:30, 20:30] = 1.0  # one big region
    r = overlays.mask_render(heat, 0.5, (255, 0, 0), max_outlined=3)
    assert r.regions > 3 and r.outlined == 3
    assert (20, 20, 10, 10) in map(tuple, r.box_list.tolist())


def test_heatmap_raster_follows_the_colormap() -> None:
    heat = np.linspace(0, 1, 256, dtype=np.float32).reshape(16, 16)
    a = overlays.heatmap_raster(heat, "inferno")
    b = overlays.heatmap_raster(heat, "gray")
    assert a.shape == (16, 16, 4) and a.dtype == np.uint8
    assert (a[..., 3] == 255).all()
    assert not np.array_equal(a, b)
    assert tuple(b[0, 0, :3]) == (0, 0, 0) and tuple(b[-1, -1, :3]) == (255, 255, 255)


def test_a_faded_heatmap_is_as_opaque_as_its_value() -> None:
    """Drawn opaque, a network's heatmap tinted the whole photograph with its colormap's dark
    low end; faded, a pixel's alpha is its value: the evidence shows through where the network
    found nothing, and a value of 1 is as opaque as before (colour premultiplied)."""
    heat = np.array([[0.0, 0.25, 0.5, 1.0]], np.float32)
    faded = overlays.heatmap_raster(heat, "inferno", fade=True)
    opaque = overlays.heatmap_raster(heat, "inferno")
    assert faded[0, :, 3].tolist() == [0, 64, 128, 255]
    assert (faded[0, 0] == 0).all()  # transparent and no colour: the evidence as it is
    assert np.array_equal(faded[0, 3], opaque[0, 3])
    np.testing.assert_allclose(faded[0, 2, :3], opaque[0, 2, :3].astype(float) * 128 / 255, atol=1)
    partial = np.array([[np.nan, 0.0, 1.0]], np.float32)
    hatched = overlays.partial_heatmap_raster(partial, "inferno", fade=True)
    assert hatched[0, 0, 3] > 0 and hatched[0, 1, 3] == 0 and hatched[0, 2, 3] == 255


def test_networks_heatmaps_fade_together_and_classic_maps_do_not() -> None:
    ev = _evidence()
    analysis = Analysis(ev, {"a": _result("a", _two_blobs()), "b": _result("b", _two_blobs())})
    layers = build_layers(ev, analysis)
    a, b = layers["a heatmap"], layers["b heatmap"]
    assert a.fade and b.fade
    assert _render(a)[0, 0, 3] == round(0.1 * 255)  # the 0.1 background: nearly clear
    version = a.version
    a.fade = False  # the analyst wants every pixel coloured: both panes follow
    assert not b.fade and a.version > version
    assert _render(a)[0, 0, 3] == 255
    meaning = MapMeaning(scale=MapScale.RAW, label="l", unit="u", high="h")
    ela = AnalysisLayer("ela map", np.zeros((40, 60), np.float32), analysis="ela", meaning=meaning)
    assert not ela.fade and _render(ela)[0, 0, 3] == 255  # a low reading is a reading


def test_agreement_is_the_share_of_masks_on_and_follows_thresholds() -> None:
    h1 = np.array([[0.9, 0.9, 0.1]], np.float32)
    h2 = np.array([[0.9, 0.1, 0.1]], np.float32)
    m1 = MaskLayer("a", h1, model="a", calibrated_threshold=0.5)
    m2 = MaskLayer("b", h2, model="b", calibrated_threshold=0.5)
    agreement = AgreementLayer([m1, m2])
    assert [agreement.share_at(x, 0) for x in range(3)] == [1.0, 0.5, 0.0]
    np.testing.assert_allclose(overlays.agreement_share([h1, h2], [0.5, 0.5]), [[1.0, 0.5, 0.0]])
    v = agreement.version
    m1.threshold = 0.95
    assert agreement.version == v + 1  # a mask's threshold re-renders the agreement
    assert agreement.share_at(0, 0) == 0.5
    raster = _render(agreement)
    assert raster[0, 2, 3] == 0 and raster[0, 0, 3] == 255  # no model: transparent


def test_linked_layers_follow_each_other_until_unlinked() -> None:
    a = HeatmapLayer("a", np.zeros((2, 2), np.float32), model="a")
    b = HeatmapLayer("b", np.zeros((2, 2), np.float32), model="b")
    unlink = link_layers([a, b], ["opacity", "colormap"])
    a.opacity = 0.25
    b.colormap = "turbo"
    assert (b.opacity, a.colormap) == (0.25, "turbo")
    unlink()
    a.opacity = 0.9
    assert b.opacity == 0.25


def test_layer_list_events_and_selection() -> None:
    layers = LayerList()
    seen: list[tuple[str, str, int | None]] = []
    layers.events.inserted.connect(lambda e: seen.append(("in", e.value.name, e.index)))
    layers.events.removed.connect(lambda e: seen.append(("out", e.value.name, e.index)))
    image = ImageLayer(np.zeros((2, 2, 3), np.uint8))
    heat = HeatmapLayer("h", np.zeros((2, 2), np.float32), model="m")
    layers.extend([image, heat])
    layers.selected = heat
    layers.remove(heat)
    assert seen == [("in", "evidence", 0), ("in", "h", 1), ("out", "h", 1)]
    assert layers.selected is None and layers["evidence"] is image
    with pytest.raises(KeyError, match="no layer named"):
        layers["h"]


def test_a_closed_layer_list_is_freed_without_the_cycle_collector() -> None:
    """Walk-through mem: the window turns Python's cycle collector off, and a list it let go
    stayed in memory with its rasters (its layers' own events, the linked fades, the agreement
    on the masks and a watcher's callbacks held it in cycles), ~50 bytes a pixel each time."""
    ev = _evidence()
    results = {n: _result(n, _two_blobs()) for n in ("a", "b")}
    layers = build_layers(ev, Analysis(ev, results, ensemble=_result("e", _two_blobs())))
    assert layers.of_kind("agreement") and layers._unlinks  # the cycles the list itself makes
    for layer in layers:
        if layer.render_job() is not None:
            _render(layer)
    layers.events.inserted.connect(lambda _e, watched=layers: None)  # a watcher on the list
    layers["a mask"].events.threshold.connect(lambda _e, watched=layers: None)  # and a layer
    rasters = [weakref.ref(la.rendered) for la in layers if isinstance(la.rendered, np.ndarray)]
    refs = [weakref.ref(layers), *(weakref.ref(la) for la in layers)]
    assert rasters and len(refs) >= 8
    gc.collect()
    gc.disable()
    try:
        layers.close()
        del layers, layer
        alive = [r() for r in refs + rasters if r() is not None]
    finally:
        gc.enable()
    assert alive == []


def test_build_layers_from_an_analysis() -> None:
    ev = _evidence()
    a, b = _two_blobs(), np.full((40, 60), 0.2, np.float32)
    face = FaceRegion(box=(1, 2, 10, 10), confidence=0.8, scores={"a": 0.5, "b": 0.2})
    analysis = Analysis(ev, {"a": _result("a", a), "b": _result("b", b)}, faces=[face])
    layers = build_layers(ev, analysis)
    assert [la.name for la in layers] == [
        "evidence", "a heatmap", "b heatmap", "a mask", "b mask", "model agreement", "faces",
    ]  # fmt: skip
    visible = {la.name for la in layers if la.visible}
    assert visible == {"evidence", "a heatmap", "a mask", "faces"}
    assert layers.selected is layers["a heatmap"]
    layers["a heatmap"].opacity = 0.8  # heatmaps share their settings ...
    assert layers["b heatmap"].opacity == 0.8
    layers["a mask"].threshold = 0.3  # ... masks keep their own threshold
    assert layers["b mask"].threshold == 0.5
    assert FacesLayer.label(face) == "face 0.80 · a 0.50 · b 0.20"


def test_a_cancelled_analysis_shows_the_partial_map_and_the_finished_models_mask() -> None:
    """What a Cancel kept: the running model's partial map shown and selected (the one
    heatmap drawn), the finished model's layers built as after a whole analysis, its mask
    shown; a partial map alone is shown too."""
    ev = _evidence()
    half = np.full((40, 60), np.nan, np.float32)
    half[:20] = 0.8
    partial = PartialMap("b", half, 0.5)
    kept = Analysis(ev, {"a": _result("a", _two_blobs())}, partial={"b": partial}, cancelled=True)
    layers = build_layers(ev, kept)
    partial_layer = PartialHeatmapLayer.title(partial)
    assert [la.name for la in layers] == ["evidence", "a heatmap", "a mask", partial_layer]
    visible = {la.name for la in layers if la.visible}
    assert visible == {"evidence", "a mask", partial_layer}
    assert layers.selected is layers[partial_layer]
    layers[partial_layer].opacity = 0.8  # linked with the finished heatmaps, as they are
    assert layers["a heatmap"].opacity == 0.8

    alone = build_layers(ev, Analysis(ev, {}, partial={"b": partial}, cancelled=True))
    assert [la.name for la in alone if la.visible] == ["evidence", partial_layer]


def test_a_face_label_gives_each_models_verdict_on_the_face_alone() -> None:
    face = FaceRegion(
        box=(1, 2, 48, 52),
        confidence=0.8,
        scores={"a": 0.5, "b": 0.25},
        face_scores={
            "b": FaceScore(0.2, "authentic"),
            "a": FaceScore(0.734, "manipulated", 0.9, threshold=0.5),
            "f": FaceScore(0.98391, "manipulated", 0.9, threshold=0.98287),  # a face model
        },
    )
    # the verdicts first (the canvas elides the end): the face model's (no heatmap mean in the
    # box: it runs on faces only), then "manipulated" before the others, each with the θ it
    # was decided by when the row recorded it; the detector's figures last
    assert FacesLayer.label(face) == (
        "f: face flagged as manipulated (score 0.9839 > θ 0.9829) · a: face flagged as "
        "manipulated (score 0.7340 > θ 0.5000) · "
        "b: face not flagged 0.20 · face 0.80 · a 0.50 · b 0.25"
    )
    # a face smaller than any the face verdicts were measured on says so first (its box is
    # narrow: the label's end is elided); one the face path did not judge has nothing to mark
    small = dataclasses.replace(face, box=(1, 2, 47, 60))
    assert FacesLayer.label(small) == (
        "outside the measured range (47 px < 48) · " + FacesLayer.label(face)
    )
    assert FacesLayer.label(dataclasses.replace(small, face_scores={})) == (
        "face 0.80 · a 0.50 · b 0.25"
    )


def test_align_visibility_by_kind_and_restore() -> None:
    ev = _evidence()
    analysis = Analysis(ev, {"a": _result("a", _two_blobs()), "b": _result("b", _two_blobs())})
    layers = build_layers(ev, analysis)
    before = layers.align_visibility_by_kind()
    assert layers["b heatmap"].visible and layers["b mask"].visible
    layers.restore_visibility(before)
    assert not layers["b heatmap"].visible and not layers["b mask"].visible


def test_readout_and_magnifier() -> None:
    ev = _evidence()
    heat = _two_blobs()
    layers = build_layers(ev, Analysis(ev, {"a": _result("a", heat)}))
    r = layers.readout(7.5, 6.2)
    assert r is not None and (r.x, r.y) == (7, 6)
    assert r.rgb == tuple(int(v) for v in ev.pixels[6, 7])
    assert r.heat == {"a": pytest.approx(0.9)}
    assert "RGB" in r.text() and "a 0.900" in r.text()
    assert layers.readout(-1, 3) is None and layers.readout(60, 3) is None
    plain = layers.magnify(7, 6, 3)
    assert plain is not None and plain.shape == (7, 7, 3)
    np.testing.assert_array_equal(plain[3, 3], ev.pixels[6, 7])  # nothing rendered yet
    _render(layers["a heatmap"])
    assert not np.array_equal(layers.magnify(7, 6, 3), plain)
    corner = layers.magnify(0, 0, 3)
    assert corner is not None and (corner[:3, :3] == 0).all()  # outside the image: black


@pytest.mark.slow
def test_the_layer_model_does_not_import_qt() -> None:
    code = (
        "import sys, forensic_viewer.layers, forensic_viewer.overlays; "
        "print(sorted(m for m in sys.modules if m.split('.')[0] in ('PySide6', 'pyqtgraph')))"
    )
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True)
    assert out.stdout.strip() == "[]"


def test_threshold_text_states_theta_once() -> None:
    from engine.types import ModelResult
    from forensic_viewer.gui.verdict_panel import threshold_text

    def result(provenance: str, threshold: float = 0.0375) -> ModelResult:
        return ModelResult(
            "m",
            "a",
            "",
            "",
            "forged_fraction",
            0.5,
            "authentic",
            0.1,
            threshold,
            0.5,
            provenance,
            {},
            "cpu",
            "fp32",
            1.0,
        )

    calibrated = "θ = 0.0375: midpoint of max real / min fake forged fraction, casia1-dev"
    assert threshold_text(result(calibrated)) == calibrated
    assert (
        threshold_text(result("default, not calibrated")) == "θ = 0.0375: default, not calibrated"
    )
    # four figures, as the decision line beside it (wording.decision_words) prints θ
    assert threshold_text(result("set by hand", 0.45678)) == "θ = 0.4568: set by hand"


def test_the_readout_says_inside_or_outside_the_copy_move_regions() -> None:
    """Where the copy-move regions replaced the ensemble's heatmap, the status bar read its
    1 and 0 as heatmap values ("ens 1.000"): it says inside or outside the region instead;
    a member's heatmap is read out as before."""
    from engine.ensemble_provenance import ON_THIS_FILE

    ev = _evidence()
    regions = np.zeros(ev.pixels.shape[:2], np.float32)
    regions[5:15, 5:20] = 1.0
    provenance = (
        f"θ on the stacked probability{ON_THIS_FILE}the heatmap is the clone analysis's map"
    )
    ens = dataclasses.replace(_result("ens", regions), threshold_provenance=provenance)
    member = _result("m", regions * 0.8)
    layers = build_layers(ev, Analysis(ev, {"m": member}, ensemble=ens))
    inside, outside = layers.readout(7.5, 6.5), layers.readout(30.5, 30.5)
    assert inside is not None and outside is not None
    assert "ens inside copy-move region" in inside.text() and "m 0.800" in inside.text()
    assert "ens outside copy-move region" in outside.text() and "m 0.000" in outside.text()
    assert "ens 1.000" not in inside.text() and "ens 0.000" not in outside.text()


def test_face_maps_become_hidden_layers_with_their_own_readout() -> None:
    ev = _evidence()
    heat = _two_blobs()
    analysis = Analysis(ev, {"a": _result("a", heat)})
    face_map = np.zeros_like(heat)
    face_map[2:5, 3:6] = 0.75
    analysis.face_maps = {"a": face_map}
    analysis.faces = [FaceRegion(box=(3, 2, 3, 3), confidence=0.9)]
    layers = build_layers(ev, analysis)
    layer = layers["a face map"]
    assert not layer.visible and layer.model is None and layer.kind == "heatmap"
    readout = layers.readout(4, 3)
    assert readout is not None and readout.heat["a face map"] == pytest.approx(0.75)
    assert readout.heat["a"] == pytest.approx(float(heat[3, 4]))


def test_a_network_heatmap_over_several_tiles_says_where_its_tile_grid_lies() -> None:
    """An analyst saw square blobs laid out on a grid over a 12 MP photograph's
    diffforensics-effl0 heatmap and nothing said that they were its tiles (the network
    normalises each tile on its own). The layer's "shows" line gives the grid's spacing: the
    fast path's tile less its two margins, the exact path's stride; one tile, nothing."""
    ev = _evidence(300, 520)
    heat = np.full((300, 520), 0.2, np.float32)
    fast = dataclasses.replace(
        _result("fast", heat), input_policy={"mode": "window", "tile": 256, "margin": 16}
    )
    exact = dataclasses.replace(
        _result("exact", heat), input_policy={"mode": "window", "window": 256, "stride": 128}
    )
    one = dataclasses.replace(
        _result("one", heat), input_policy={"mode": "window", "tile": 1024, "margin": 64}
    )
    layers = build_layers(ev, Analysis(ev, {"fast": fast, "exact": exact, "one": one}))
    assert "256-pixel tiles, one every 224 pixels" in layers["fast heatmap"].about
    assert "on a 224-pixel grid, the tiling made the change" in layers["fast heatmap"].about
    assert "one every 128 pixels" in layers["exact heatmap"].about
    assert layers["one heatmap"].about == HEATMAP_MEANING  # what it means, no grid


def test_a_report_figure_of_a_network_over_several_tiles_says_its_grid() -> None:
    from forensic_viewer.report.build import _tiles

    policy = {"mode": "window", "tile": 256, "margin": 16}
    assert "one every 224 pixels" in _tiles("model", policy, (2848, 4288))
    assert _tiles("ensemble", policy, (2848, 4288)) == ""  # a fused map: no grid of its own
    assert _tiles("model", policy, (200, 240)) == ""  # one tile
    assert _tiles("model", None, (2848, 4288)) == ""  # a row without its input policy
    resized = {"mode": "resize", "window": 128, "stride": 64}  # asdict(InputPolicy) keeps them
    assert _tiles("model", resized, (2848, 4288)) == ""  # one pass over the resized image
