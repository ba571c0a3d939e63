"""The layers of the classic analyses (``engine.analyses``; no Qt): maps, pictures, clone pairs.

Per analysis: its main map (:class:`AnalysisLayer`, coloured like a heatmap and carrying what
its values mean, so the panels, the read-out and the reports say "raw values" where they are,
never "probability of manipulation"), its extra maps (:class:`AnalysisMapLayer`; several of one
grid as one :class:`MapChoiceLayer`), its picture for the analyst (:class:`PictureLayer`) and
its copy pairs (:class:`ClonePairsLayer`). :func:`forensic_viewer.layers.add_classic_layers`
builds them from the analyses' results.

Split from :mod:`forensic_viewer.layers` (the list and its builders, which import these) and
kept apart from the networks' layers (:mod:`forensic_viewer.model_layers`, whose
:class:`~forensic_viewer.model_layers.HeatmapLayer` :class:`AnalysisLayer` extends) so that
each stays within the 700 lines tests/test_structure.py allows; one list, one read-out and one
set of visibility rules still serve both kinds.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from typing import Any

import numpy as np
from numpy.typing import NDArray

from engine.analyses import AnalysisMap, ClonePair, MapMeaning, MapScale
from forensic_viewer import overlays
from forensic_viewer.layer_base import Layer
from forensic_viewer.model_layers import HeatmapLayer
from forensic_viewer.overlays import Raster
from forensic_viewer.wording import scale_words


class AnalysisLayer(HeatmapLayer):
    """The main map of a classic analysis, coloured like a heatmap, with what its values mean.

    values: [h, w] float32 in [0, 1], one per ``cell`` x ``cell`` evidence pixels (1: full
        resolution). A map of regions (``meaning.scale`` region) is drawn transparent outside
        them (in the colormap's colour for 1: viridis' yellow); raw values and regions get
        another default colormap than probabilities, so they do not look like a network's
        heatmap.
    """

    kind = "analysis"

    def __init__(
        self,
        name: str,
        values: NDArray[np.float32],
        *,
        analysis: str,
        meaning: MapMeaning,
        readout_name: str | None = None,
        cell: int = 1,
        colormap: str | None = None,
        visible: bool = False,
        opacity: float = overlays.ANALYSIS_OPACITY,
    ) -> None:
        if colormap is None:
            colormap = overlays.analysis_colormap(meaning.scale)
        # not faded: a classic analysis's low values are readings to see (smoother, no error)
        super().__init__(
            name, values, model=None, colormap=colormap, visible=visible, opacity=opacity,
            fade=False,
        )  # fmt: skip
        self.analysis = analysis
        self.meaning = meaning
        self.cell = int(cell)
        self.readout_name = readout_name or analysis

    @property
    def about(self) -> str:
        m = self.meaning
        if m.scale == MapScale.REGION:  # its unit says what 1 and 0 are: said once, not twice
            return f"{m.label}. Unit: {m.unit}. High: {m.high}."
        return f"{m.label} ({scale_words(m.scale)}). Unit: {m.unit}. High: {m.high}."

    def _render_fn(self) -> Callable[[], Any]:
        values, colormap, fade = self.heatmap, self._colormap, self._fade
        if fade and self.meaning.scale != MapScale.REGION:  # the analyst asked for it
            return lambda: overlays.heatmap_raster(values, colormap, fade)
        scale = str(self.meaning.scale)
        return lambda: overlays.analysis_raster(values, scale, colormap)

    def value_at(self, x: int, y: int) -> float:
        h, w = self.heatmap.shape
        return float(self.heatmap[min(y // self.cell, h - 1), min(x // self.cell, w - 1)])


class AnalysisMapLayer(AnalysisLayer):
    """An extra map of a classic analysis (e.g. the JPEG ghost at one quality), hidden at
    first; in the read-out only while shown."""

    kind = "analysis-map"


class MapChoiceLayer(AnalysisMapLayer):
    """An analysis's several extra maps of one grid (the JPEG ghost at each quality) as one
    layer that shows one of them, :attr:`chosen` (its controls' chooser): ten rows, one per
    quality, drowned the layer list. Its name says which map it shows and of how many
    (``jpeg-ghost: ghost-q75 (6 of 10 maps)``), its :attr:`about` that map's meaning, the
    read-out that map's name; a choice emits ``chosen`` and draws the layer again. ``found``
    (:func:`~forensic_viewer.map_choice.found_map`): the map at what the analysis found (the
    ghost's quality) and its words; the layer starts on it, its row saying so while shown."""

    EVENTS = (*AnalysisMapLayer.EVENTS, "chosen")

    def __init__(
        self,
        analysis: str,
        maps: Sequence[AnalysisMap],
        *,
        chosen: int | None = None,
        found: tuple[int, str] | None = None,
    ) -> None:
        if len({(m.cell, m.values.shape) for m in maps}) != 1:
            raise ValueError(f"{analysis}: the maps to choose from must share one grid")
        self.maps = list(maps)
        self.found = found
        if chosen is None:
            chosen = 0 if found is None else found[0]
        first = self.maps[chosen]
        super().__init__(
            self._label(analysis, chosen), first.values, analysis=analysis,
            meaning=first.meaning, readout_name=first.name, cell=first.cell,
        )  # fmt: skip
        self._chosen = chosen

    def _label(self, analysis: str, index: int) -> str:
        found = "" if self.found is None or self.found[0] != index else f", {self.found[1]}"
        return f"{analysis}: {self.maps[index].name} ({index + 1} of {len(self.maps)} maps{found})"

    @property
    def choices(self) -> list[str]:
        """The maps' names, in the analysis's order (the chooser's entries)."""
        return [m.name for m in self.maps]

    @property
    def chosen(self) -> int:
        return self._chosen

    @chosen.setter
    def chosen(self, index: int) -> None:
        index = int(index)
        if not 0 <= index < len(self.maps):
            raise ValueError(f"choose a map from 0 to {len(self.maps) - 1}, got {index}")
        if index == self._chosen:
            return
        m = self.maps[index]
        self.heatmap, self.meaning, self.readout_name = m.values, m.meaning, m.name
        self.name = self._label(str(self.analysis), index)
        self._set("chosen", index, invalidate=True)


class PictureLayer(Layer):
    """A classic analysis's picture for the analyst [H, W, 3] RGB (e.g. amplified error
    levels, the noise residual), opaque: a raw display, never a probability."""

    kind = "analysis-picture"

    def __init__(
        self, name: str, pixels: NDArray[np.uint8], *, analysis: str, visible: bool = False
    ) -> None:
        super().__init__(name, visible=visible)
        self.pixels = pixels
        self.analysis = analysis

    @property
    def about(self) -> str:
        return (
            f"the {self.analysis} analysis's picture for the eye (raw values, amplified: "
            "not a probability of manipulation)"
        )

    def _render_fn(self) -> Callable[[], Any]:
        pixels = self.pixels
        return lambda: overlays.image_raster(pixels)

    def raster(self) -> Raster | None:
        return self._rendered

    def _raster_pixels(self) -> int:
        return int(self.pixels.shape[0] * self.pixels.shape[1])


class ClonePairsLayer(Layer):
    """Copy pairs found by a classic analysis: both boxes of each, joined by a line."""

    kind = "pairs"

    def __init__(
        self, name: str, pairs: Sequence[ClonePair], *, analysis: str, visible: bool = True
    ) -> None:
        super().__init__(name, visible=visible)
        self.pairs = list(pairs)
        self.analysis = analysis

    @property
    def about(self) -> str:
        n = len(self.pairs)
        return (
            f"{n} pair{'s' if n != 1 else ''} of copies: source box, target box and the line "
            "joining them (which copy is the original cannot be told from the pixels)"
        )

    @staticmethod
    def label(i: int, pair: ClonePair) -> str:
        """One line per pair: number, transform and support."""
        return (
            f"pair {i}: rotation {pair.rotation_deg + 0.0:.1f}°, scale {pair.scale:.3f}, "
            f"{pair.matches} {pair.detector} matches, correlation {pair.correlation:.2f}"
        )
