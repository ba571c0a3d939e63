"""An analysis's several extra maps (the JPEG ghost at each quality) are one layer with a
chooser, not ten rows that drowned the layer list (offscreen for the controls)."""

from __future__ import annotations

import numpy as np
import pytest

from engine.analyses import AnalysisMap, AnalysisResult, MapMeaning, MapScale, Output, Provenance
from engine.types import Evidence
from forensic_viewer.classic_layers import AnalysisLayer, MapChoiceLayer
from forensic_viewer.layers import add_classic_layers, build_layers

H, W = 40, 64
QUALITIES = (50, 60, 70)


def _meaning(q: int) -> MapMeaning:
    return MapMeaning(MapScale.RAW, f"difference at quality {q}", "0..1", "differs more")


def _ghost() -> AnalysisResult:
    maps = tuple(
        AnalysisMap(f"ghost-q{q}", _meaning(q), np.full((5, 8), i / 4, np.float32), cell=8)
        for i, q in enumerate(QUALITIES)
    )
    contrast = np.zeros((H, W), np.float32)
    output = Output(map=contrast, meaning=_meaning(60), layers=maps)
    return AnalysisResult("ghost", Provenance("m", "s", "1"), {}, "0" * 64, 0.01, output)


def _layers(results: dict[str, AnalysisResult] | None = None):
    pixels = np.zeros((H, W, 3), np.uint8)
    ev = Evidence("e.jpg", "0" * 64, 1, "JPEG", W, H, "RGB", 1, 1, False, {}, [], pixels)
    layers = build_layers(ev)
    add_classic_layers(layers, {"ghost": _ghost()} if results is None else results)
    return layers


def test_the_ghosts_qualities_are_one_layer_whose_quality_is_chosen() -> None:
    layers = _layers()
    names = [la.name for la in layers]
    assert names == ["evidence", "ghost map", "ghost: ghost-q50 (1 of 3 maps)"]
    choice = layers["ghost: ghost-q50 (1 of 3 maps)"]
    assert isinstance(choice, AnalysisLayer) and choice.kind == "analysis-map"
    assert not choice.visible and choice.choices == ["ghost-q50", "ghost-q60", "ghost-q70"]
    assert "quality 50" in choice.about
    chosen: list[int] = []
    choice.events.chosen.connect(lambda e: chosen.append(e.value))
    version = choice.version
    choice.chosen = 2
    assert chosen == [2] and choice.version > version  # drawn again
    assert choice.name == "ghost: ghost-q70 (3 of 3 maps)"  # the quality said in its row
    assert "quality 70" in choice.about and choice.cell == 8
    np.testing.assert_array_equal(choice.heatmap, np.full((5, 8), 0.5, np.float32))
    choice.visible = True
    r = layers.readout(20.5, 20.5)
    assert r is not None and r.analyses["ghost-q70"] == (0.5, "raw")  # read out by its name
    assert "ghost-q50" not in r.analyses
    with pytest.raises(ValueError, match="0 to 2"):
        choice.chosen = 3


def _jpeg_ghost(found: int | None) -> dict[str, AnalysisResult]:
    """The ghost as ``jpeg-ghost`` reports it: its quality q* in ``extras["ghost_quality"]``."""
    r = _ghost()
    output = Output(map=r.map, meaning=r.meaning, layers=r.layers, extras={"ghost_quality": found})
    return {
        "jpeg-ghost": AnalysisResult(
            "jpeg-ghost", r.provenance, {}, r.evidence_sha256, 0.01, output
        )
    }


def test_the_chooser_starts_on_the_quality_the_ghost_found_and_says_so() -> None:
    layers = _layers(_jpeg_ghost(60))
    choice = layers.of_kind("analysis-map")[0]
    assert isinstance(choice, MapChoiceLayer)
    assert choice.chosen == 1 and choice.readout_name == "ghost-q60"
    assert choice.name == "jpeg-ghost: ghost-q60 (2 of 3 maps, the earlier save's quality)"
    assert "quality 60" in choice.about
    np.testing.assert_array_equal(choice.heatmap, np.full((5, 8), 0.25, np.float32))
    choice.chosen = 0  # another quality: the row no longer says it is the ghost's
    assert choice.name == "jpeg-ghost: ghost-q50 (1 of 3 maps)"
    choice.chosen = 1
    assert choice.name.endswith("(2 of 3 maps, the earlier save's quality)")


@pytest.mark.parametrize("found", [None, 90])  # no ghost found; a quality with no map
def test_without_a_ghost_quality_among_the_maps_the_chooser_starts_on_the_first(found) -> None:
    layers = _layers(_jpeg_ghost(found))
    choice = layers.of_kind("analysis-map")[0]
    assert isinstance(choice, MapChoiceLayer)
    assert choice.chosen == 0 and choice.name == "jpeg-ghost: ghost-q50 (1 of 3 maps)"


def test_the_layers_controls_choose_the_quality_and_follow_it(qtbot) -> None:
    from forensic_viewer.gui.layer_panel import LayerPanel
    from tests.viewer.test_wheel_guard import wheel_down

    layers = _layers()
    choice = layers["ghost: ghost-q50 (1 of 3 maps)"]
    panel = LayerPanel()
    qtbot.addWidget(panel)
    panel.set_layers(layers)
    layers.selected = choice
    panel.show()
    controls = panel.controls
    assert controls is not None and controls.choice is not None
    combo = controls.choice
    assert [combo.itemText(i) for i in range(combo.count())] == list(choice.choices)
    assert combo.accessibleName() == "map of ghost shown"
    combo.setCurrentIndex(1)
    assert choice.chosen == 1 and panel.list.currentItem().text() == choice.name
    assert "quality 60" in controls.about.text()  # its "shows" follows
    choice.chosen = 2  # from elsewhere: the chooser follows
    assert combo.currentIndex() == 2 and "quality 70" in controls.about.text()
    choice.chosen = 1
    wheel_down(combo)  # a wheel passing over the controls changes no map
    assert choice.chosen == 1
