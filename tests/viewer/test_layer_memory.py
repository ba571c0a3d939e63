"""LayerMemory (no Qt): a mask's threshold comes back only onto the same bytes and
calibration, and a reset is reported only for a threshold the analyst had moved."""

from __future__ import annotations

import numpy as np

from engine.analyses import MapMeaning, MapScale
from engine.types import PartialMap
from forensic_viewer.classic_layers import AnalysisLayer
from forensic_viewer.layer_memory import LayerMemory, Reset
from forensic_viewer.layers import LayerList
from forensic_viewer.model_layers import FaceMapLayer, HeatmapLayer, MaskLayer, PartialHeatmapLayer


def _mask(calibrated: float) -> MaskLayer:
    heatmap = np.zeros((8, 8), np.float32)
    return MaskLayer("net mask", heatmap, model="net", calibrated_threshold=calibrated)


def test_a_threshold_left_at_its_calibration_is_not_reset_when_the_calibration_changes() -> None:
    resets: list[Reset] = []
    memory = LayerMemory(on_reset=lambda path, r: resets.extend(r))
    memory.swap("e.png", "a" * 64, LayerList([_mask(0.5)]))  # never moved
    memory.swap(None, None, None)
    again = _mask(0.7)  # other weights under the same name
    memory.swap("e.png", "a" * 64, LayerList([again]))
    assert again.threshold == 0.7
    assert resets == []


def test_a_moved_threshold_is_reset_and_reported_when_the_calibration_changes() -> None:
    resets: list[Reset] = []
    memory = LayerMemory(on_reset=lambda path, r: resets.extend(r))
    first = _mask(0.5)
    memory.swap("e.png", "a" * 64, LayerList([first]))
    first.threshold = 0.3
    memory.swap(None, None, None)
    again = _mask(0.7)
    memory.swap("e.png", "a" * 64, LayerList([again]))
    assert again.threshold == 0.7
    assert [(r.layer, r.was) for r in resets] == [(again, 0.3)]
    # the layer's threshold is not recorded as calibrated: "stored" (threshold_words)
    assert "its stored threshold is now 0.7 (was 0.5)" in resets[0].why


def _heatmaps() -> LayerList:
    """A network's heatmap, a face map, a partial map (kind "heatmap") and a classic
    analysis's map (kind "analysis", viridis by its scale)."""
    heat = np.zeros((8, 8), np.float32)
    raw = MapMeaning(scale=MapScale.RAW, label="error level", unit="grey levels", high="edited")
    return LayerList(
        [
            HeatmapLayer("net heatmap", heat, model="net"),
            FaceMapLayer("net", heat, []),
            PartialHeatmapLayer(PartialMap("other", np.full((8, 8), np.nan, np.float32), 0.0)),
            AnalysisLayer("ela", heat, analysis="ela", meaning=raw),
        ]
    )


def _colormaps(layers: LayerList) -> dict[str, str]:
    return {la.name: la.colormap for la in layers if hasattr(la, "colormap")}


def test_the_preferred_colormap_seeds_every_heatmap_face_and_partial_map_of_each_file() -> None:
    # walk-through cvd, finding 2: the next file, the face maps stayed inferno
    memory = LayerMemory()
    memory.set_colormap("cividis")
    layers = _heatmaps()
    memory.swap("a.png", "a" * 64, layers)
    assert _colormaps(layers) == {
        "net heatmap": "cividis",
        "net face map": "cividis",
        PartialHeatmapLayer.title(
            PartialMap("other", np.zeros((1, 1), np.float32), 0.0)
        ): "cividis",
        "ela": "viridis",  # a classic analysis keeps its own (overlays.analysis_colormap)
    }


def test_a_new_preference_applies_to_the_shown_file_and_forgets_the_files_own_colormaps() -> None:
    memory = LayerMemory()
    first = _heatmaps()
    memory.swap("a.png", "a" * 64, first)
    first["net heatmap"].colormap = "jet"  # this file's heatmap, chosen in the layer panel
    first["ela"].colormap = "gray"  # and its analysis map
    shown = _heatmaps()
    memory.swap("b.png", "b" * 64, shown)
    memory.set_colormap("magma")
    assert set(_colormaps(shown).values()) == {"magma", "viridis"}
    again = _heatmaps()
    memory.swap("a.png", "a" * 64, again)
    assert again["net heatmap"].colormap == "magma"  # its jet forgotten: chosen before
    assert again["ela"].colormap == "gray"  # an analysis map's choice is not the preference's


def test_a_files_own_heatmap_colormap_chosen_after_the_preference_is_kept() -> None:
    memory = LayerMemory()
    memory.set_colormap("viridis")
    first = _heatmaps()
    memory.swap("a.png", "a" * 64, first)
    first["net heatmap"].colormap = "hot"
    memory.swap("b.png", "b" * 64, _heatmaps())
    again = _heatmaps()
    memory.swap("a.png", "a" * 64, again)
    assert again["net heatmap"].colormap == "hot"
