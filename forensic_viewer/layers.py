"""The viewer's model: layers drawn over the evidence, in plain Python with events (no Qt).

This module holds one file's :class:`LayerList` (order, selection, linked settings, the pixel
read-out, the magnifier's patch) and the functions that build and update its layers from an
analysis (:func:`build_layers`, :func:`add_analysis_layers`, :func:`add_classic_layers`,
:func:`show_partial`); the layer types live in :mod:`forensic_viewer.layer_base` (the base
:class:`Layer` and its rendering, the evidence image), :mod:`forensic_viewer.model_layers` (the
networks' heatmaps, masks, agreement, faces and face maps, the ground truth) and
:mod:`forensic_viewer.classic_layers` (the classic analyses' maps, pictures and clone pairs),
and are importable from here too.

As in napari, a layer holds what is drawn and how (visibility, opacity, colormap, threshold)
and announces every change through ``layer.events.<name>``; Qt widgets subscribe to those
events and only call setters in their slots. The canvas, the layer controls and the compare
panes all watch the same layer objects, so one change shows everywhere.

Drawing a layer means computing a raster (and, for masks, statistics and outlines) from a
heatmap. That takes up to a second for a 4096 x 4096 evidence file, so it never happens in a
setter: a change that alters the picture bumps ``layer.version`` and emits ``invalidated``;
whoever renders (``forensic_viewer.gui.workers.LayerRenderer``, on a worker thread) takes a
:meth:`Layer.render_job` — a function over a snapshot of the settings — runs it, and hands the
result back with :meth:`Layer.apply_render`, which emits ``rendered``. Changes that Qt applies
for free (visibility, opacity, which outlines to show) never re-render.

Layers (bottom to top): the evidence image; a heatmap per model and for the ensemble; a mask
per model (heatmap > a live threshold, starting at the model's own pixel threshold); the
model agreement (per pixel, the share of models whose mask is on); the detected faces; then per
classic analysis (``engine.analyses``, :func:`add_classic_layers`) its map, its picture for the
analyst, its extra maps and its clone pairs; in ground-truth mode, the true mask
(:class:`GroundTruthLayer`). An analysis layer carries what its values mean
(``meaning``): the panels, the read-out and the reports say "raw values" where they are, never
"probability of manipulation".
"""

from __future__ import annotations

from collections.abc import Callable, Iterable, Iterator, Mapping, Sequence
from dataclasses import dataclass, field

import numpy as np
from numpy.typing import NDArray

from engine.analyses import AnalysisResult
from engine.ensemble_provenance import heatmap_replaced_by
from engine.types import Analysis, Evidence, PartialMap
from forensic_viewer import overlays
from forensic_viewer.classic_layers import (
    AnalysisLayer,
    AnalysisMapLayer,
    ClonePairsLayer,
    MapChoiceLayer,
    PictureLayer,
)
from forensic_viewer.events import EmitterGroup, Event, Subscriptions
from forensic_viewer.layer_base import ImageLayer, Layer, RenderJob
from forensic_viewer.map_choice import found_map
from forensic_viewer.model_layers import (
    ENSEMBLE_COLOR,
    FACES_LEGEND,
    GROUND_TRUTH_COLOR,
    MODEL_COLORS,
    AgreementLayer,
    FaceMapLayer,
    FacesLayer,
    GroundTruthLayer,
    HeatmapLayer,
    MaskLayer,
    PartialHeatmapLayer,
)
from forensic_viewer.wording import map_layer_name, picture_layer_name, tile_grid_words

# the layer types live in their own modules and are imported from here too, as they were
# before the split (callers may import them from either)
__all__ = [
    "ENSEMBLE_COLOR",
    "FACES_LEGEND",
    "GROUND_TRUTH_COLOR",
    "MODEL_COLORS",
    "PICTURE_FIRST",
    "AgreementLayer",
    "AnalysisLayer",
    "AnalysisMapLayer",
    "ClonePairsLayer",
    "FaceMapLayer",
    "FacesLayer",
    "GroundTruthLayer",
    "HeatmapLayer",
    "ImageLayer",
    "Layer",
    "LayerList",
    "MapChoiceLayer",
    "MaskLayer",
    "PartialHeatmapLayer",
    "PictureLayer",
    "PixelReadout",
    "RenderJob",
    "add_analysis_layers",
    "add_classic_layers",
    "build_layers",
    "classic_sources",
    "link_layers",
    "remove_classic_layers",
    "remove_partial_layers",
    "show_partial",
]


# --- the list --------------------------------------------------------------------------


@dataclass(frozen=True)
class PixelReadout:
    """What is under one evidence pixel."""

    x: int
    y: int
    rgb: tuple[int, int, int]
    heat: dict[str, float]
    agreement: float | None = None
    analyses: dict[str, tuple[float, str]] = field(default_factory=dict)  # value, map scale
    # the names in ``heat`` whose map is the copy-move regions (1 inside, 0 outside) that
    # replaced the ensemble's heatmap (:attr:`HeatmapLayer.regions_of`), not a heatmap
    regions: frozenset[str] = frozenset()
    # by face map's name in ``heat``, whose face crop the pixel is in and that face's verdict
    # (:meth:`FaceMapLayer.face_note`): the value alone read as a verdict on the face
    face_notes: dict[str, str] = field(default_factory=dict)

    def text(self) -> str:
        """:meth:`lines` on one line (the status bar's read-out)."""
        return "   ".join(self.lines())

    def lines(self) -> list[str]:
        """Coordinates, RGB, each model's heatmap (a copy-move region map as ``inside
        copy-move region`` or ``outside``: its 1 and 0 are no heatmap values), the agreement,
        then each classic analysis's value with its scale (``ela 0.125 raw``), so raw values
        never read as probabilities."""
        r, g, b = self.rgb
        parts = [f"x {self.x}  y {self.y}", f"RGB {r} {g} {b}"]
        parts += [
            f"{name} {'inside' if value >= 0.5 else 'outside'} copy-move region"
            if name in self.regions
            else f"{name} {'not computed' if np.isnan(value) else f'{value:.3f}'}"
            + (f" ({self.face_notes[name]})" if name in self.face_notes else "")
            for name, value in self.heat.items()
        ]
        if self.agreement is not None:
            parts.append(f"agreement {self.agreement:.0%}")
        parts += [f"{name} {v:.3f} {scale}" for name, (v, scale) in self.analyses.items()]
        return parts


class LayerList:
    """The ordered layers of one evidence file (index 0 at the bottom) and the selected one.

    Events: ``inserted`` and ``removed`` (value: the layer, index: its position) and
    ``selected`` (value: the layer or None).
    """

    def __init__(self, layers: Iterable[Layer] = ()) -> None:
        self.events = EmitterGroup(self, ("inserted", "removed", "selected"))
        self._layers: list[Layer] = []
        self._selected: Layer | None = None
        self._unlinks: list[Callable[[], None]] = []
        self.extend(layers)

    def __iter__(self) -> Iterator[Layer]:
        return iter(list(self._layers))

    def __len__(self) -> int:
        return len(self._layers)

    def __getitem__(self, key: int | str) -> Layer:
        if isinstance(key, int):
            return self._layers[key]
        for layer in self._layers:
            if layer.name == key:
                return layer
        raise KeyError(f"no layer named {key!r}; layers: {[la.name for la in self._layers]}")

    def __contains__(self, layer: object) -> bool:
        return layer in self._layers

    def index(self, layer: Layer) -> int:
        return self._layers.index(layer)

    def append(self, layer: Layer) -> None:
        self.insert(len(self._layers), layer)

    def extend(self, layers: Iterable[Layer]) -> None:
        for layer in layers:
            self.append(layer)

    def insert(self, index: int, layer: Layer) -> None:
        if layer in self._layers:
            raise ValueError(f"{layer!r} is already in the list")
        self._layers.insert(index, layer)
        self.events.inserted(layer, index=index)

    def remove(self, layer: Layer) -> None:
        index = self._layers.index(layer)
        if self._selected is layer:
            self.selected = None
        del self._layers[index]
        self.events.removed(layer, index=index)

    def clear(self) -> None:
        for unlink in self._unlinks:
            unlink()
        self._unlinks.clear()
        for layer in reversed(list(self._layers)):
            self.remove(layer)

    def close(self) -> None:
        """The window let this list go (another file shown, or this one analysed again): its
        links undone and every callback on it and its layers let go, their drawings dropped
        (:meth:`Layer.close`). Its memory is then freed at once by reference counting; the
        cycle collector, off in the viewer, freed it only now and then (walk-through mem).
        The list and its layers are not used after."""
        for unlink in self._unlinks:
            unlink()
        self._unlinks.clear()
        self.events.disconnect_all()
        for layer in self._layers:
            layer.close()

    def of_kind(self, kind: str) -> list[Layer]:
        return [la for la in self._layers if la.kind == kind]

    def of_model(self, model: str) -> list[Layer]:
        return [la for la in self._layers if la.model == model]

    def moved_thresholds(self) -> dict[str, float]:
        """The models (and ensemble) whose mask the analyst's threshold slider shows at another
        threshold than its calibrated one, with that threshold: a report draws the calibrated
        one, and says what the viewer showed."""
        return {
            la.model: la.threshold
            for la in self.of_kind("mask")
            if isinstance(la, MaskLayer) and la.model and la.threshold != la.calibrated_threshold
        }

    @property
    def image(self) -> ImageLayer | None:
        found = self.of_kind("image")
        return found[0] if found else None  # type: ignore[return-value]

    @property
    def selected(self) -> Layer | None:
        return self._selected

    @selected.setter
    def selected(self, layer: Layer | None) -> None:
        if layer is not None and layer not in self._layers:
            raise ValueError(f"{layer!r} is not in the list")
        if layer is not self._selected:
            self._selected = layer
            self.events.selected(layer)

    def link(self, layers: Sequence[Layer], attributes: Sequence[str]) -> None:
        """Keep ``attributes`` equal across ``layers`` (see :func:`link_layers`) while listed."""
        self._unlinks.append(link_layers(layers, attributes))

    def align_visibility_by_kind(
        self, kinds: Sequence[str] = ("heatmap", "mask", "analysis", "pairs")
    ) -> dict[Layer, bool]:
        """For each kind, show every layer of it if any is shown (so side-by-side panes, one
        per model or classic analysis, all draw the kinds the analyst has switched on).
        Returns the visibility before, for :meth:`restore_visibility`."""
        before = {la: la.visible for la in self._layers}
        for kind in kinds:
            layers = self.of_kind(kind)
            if any(la.visible for la in layers):
                for la in layers:
                    la.visible = True
        return before

    def restore_visibility(self, before: dict[Layer, bool]) -> None:
        """Undo :meth:`align_visibility_by_kind` for the layers still listed."""
        for layer, visible in before.items():
            if layer in self._layers:
                layer.visible = visible

    def readout(self, x: float, y: float) -> PixelReadout | None:
        """What is under scene point (x, y), or None outside the evidence."""
        image = self.image
        if image is None:
            return None
        col, row = int(np.floor(x)), int(np.floor(y))
        h, w = image.shape
        if not (0 <= col < w and 0 <= row < h):
            return None
        rgb = tuple(int(v) for v in image.pixels[row, col])
        heatmaps = [la for la in self.of_kind("heatmap") if isinstance(la, HeatmapLayer)]

        def named(la: HeatmapLayer) -> str:
            return (la.model or la.name) + (
                " (partial)" if isinstance(la, PartialHeatmapLayer) else ""
            )

        heat = {named(la): la.value_at(col, row) for la in heatmaps}
        face_notes = {
            named(la): note
            for la in heatmaps
            if isinstance(la, FaceMapLayer) and (note := la.face_note(col, row))
        }
        regions = frozenset(named(la) for la in heatmaps if la.regions_of is not None)
        agreement = next(
            (la.share_at(col, row) for la in self._layers if isinstance(la, AgreementLayer)),
            None,
        )
        classic = {
            la.readout_name: (la.value_at(col, row), str(la.meaning.scale))
            for la in self._layers
            if isinstance(la, AnalysisLayer) and (la.kind == "analysis" or la.visible)
        }
        return PixelReadout(col, row, rgb, heat, agreement, classic, regions, face_notes)  # type: ignore[arg-type]

    def magnify(self, x: float, y: float, radius: int) -> NDArray[np.uint8] | None:
        """RGB [2r+1, 2r+1, 3] of the visible layers around scene point (x, y) (for a
        magnifier), or None without an image."""
        image = self.image
        if image is None:
            return None
        overlays_drawn = [
            (raster, la.opacity, la.cell)
            for la in self._layers
            if la.visible and la.kind != "image" and (raster := la.raster()) is not None
        ]
        return overlays.composite_patch(
            image.pixels, overlays_drawn, int(np.floor(x)), int(np.floor(y)), radius
        )


def link_layers(layers: Sequence[Layer], attributes: Sequence[str]) -> Callable[[], None]:
    """Make a change of any of ``attributes`` on one layer apply to all ``layers`` (as napari's
    ``link_layers``). Returns a function that undoes the link."""
    links = Subscriptions()
    for attr in attributes:
        for layer in layers:
            if attr not in layer.events:
                raise ValueError(f"{layer!r} has no attribute {attr!r} to link")

            def follow(event: Event, attr: str = attr) -> None:
                for other in layers:
                    if other is not event.source:
                        setattr(other, attr, event.value)

            links.on(layer.events[attr], follow)
    return links.clear


# --- from an analysis ----------------------------------------------------------------------


def build_layers(
    evidence: Evidence,
    analysis: Analysis | None = None,
    classic: Mapping[str, AnalysisResult] | None = None,
) -> LayerList:
    """The layers for one evidence file: the image, and with an analysis its layers; then the
    classic analyses' (``classic``; default: those the analysis carries), their maps hidden."""
    layers = LayerList([ImageLayer(evidence.pixels)])
    if analysis is not None:
        add_analysis_layers(layers, analysis)
    if classic is None and analysis is not None:
        classic = analysis.analyses
    if classic:
        add_classic_layers(layers, classic, show=False)
    return layers


# Analyses whose picture for the eye is what an examiner reads, shown after their run instead
# of their map: ELA's map (mean error x 8 / 255) is nearly uniform where a resave changes a few
# grey levels, where its stretched picture (what FotoForensics, Forensically and Sherloq show)
# shows the pasted region.
PICTURE_FIRST = frozenset({"ela"})


def add_classic_layers(
    layers: LayerList,
    results: Mapping[str, AnalysisResult],
    *,
    show: bool = True,
    replace: bool = True,
) -> list[Layer]:
    """Add the layers of classic analysis ``results``.

    Per analysis: its map (:class:`AnalysisLayer`), its picture, its extra maps (hidden; several
    of them one :class:`MapChoiceLayer`) and its clone pairs (shown). With ``show`` (the analyst just ran them), the first analysis's
    lead layer is shown and selected and every other analysis map and picture hidden, so one
    analysis is seen at a time (the layer panel and the compare panes show the others);
    without, the maps wait hidden in the list. The lead is the map, or for the analyses of
    :data:`PICTURE_FIRST` the picture (its map stays, hidden, still read out). A map beside
    a picture is named apart from it (:func:`~forensic_viewer.wording.map_layer_name`).
    ``replace``: layers of the same analyses already listed are replaced; without, results
    already drawn are skipped. Returns the layers added.
    """
    if replace:
        remove_classic_layers(layers, results)
    else:
        drawn = {la.analysis for la in layers}
        results = {k: r for k, r in results.items() if k not in drawn}
    added: list[Layer] = []
    leads: list[Layer] = []  # each analysis's layer shown after its run
    for name, r in results.items():
        picture = None if r.display is None else PictureLayer(
            picture_layer_name(name), r.display, analysis=name
        )  # fmt: skip
        if r.map is not None and r.meaning is not None:
            main = AnalysisLayer(
                map_layer_name(name, picture is not None), r.map, analysis=name, meaning=r.meaning
            )
            added.append(main)
            leads.append(picture if picture is not None and name in PICTURE_FIRST else main)
        if picture is not None:
            added.append(picture)
        if len(r.layers) > 1:
            added.append(MapChoiceLayer(name, r.layers, found=found_map(r)))
        for m in r.layers if len(r.layers) == 1 else ():
            added.append(
                AnalysisMapLayer(
                    f"{name}: {m.name}",
                    m.values,
                    analysis=name,
                    meaning=m.meaning,
                    readout_name=m.name,
                    cell=m.cell,
                )
            )
        if r.pairs:
            added.append(ClonePairsLayer(f"{name} pairs", r.pairs, analysis=name))
    shown = leads[0] if show and leads else None
    if shown is not None:
        for la in (*layers.of_kind("analysis"), *layers.of_kind("analysis-picture")):
            la.visible = False
        shown.visible = True
    layers.extend(added)
    if shown is not None:
        layers.selected = shown
    return added


def remove_classic_layers(layers: LayerList, names: Iterable[str]) -> None:
    """Take the layers of the classic analyses ``names`` out of ``layers``."""
    gone = set(names)
    for la in layers:
        if la.analysis is not None and la.analysis in gone:
            layers.remove(la)


def classic_sources(layers: LayerList) -> list[str]:
    """The classic analyses with a map in ``layers``, in their order (for compare panes)."""
    return [la.analysis for la in layers.of_kind("analysis") if la.analysis is not None]


def show_partial(layers: LayerList, partial: PartialMap) -> PartialHeatmapLayer:
    """Show a running network's latest partial map: its :class:`PartialHeatmapLayer` updated,
    or added (shown and selected, the other partial layers hidden). Returns the layer."""
    for la in layers.of_kind("heatmap"):
        if isinstance(la, PartialHeatmapLayer) and la.model == partial.model:
            la.update(partial)
            return la
    for la in layers.of_kind("heatmap"):
        if isinstance(la, PartialHeatmapLayer):
            la.visible = False
    layer = PartialHeatmapLayer(partial)
    layers.append(layer)
    layers.selected = layer
    return layer


def remove_partial_layers(layers: LayerList) -> None:
    """Take every partial heatmap out of ``layers`` (the whole result replaces them)."""
    for la in layers:
        if isinstance(la, PartialHeatmapLayer):
            layers.remove(la)


def add_analysis_layers(layers: LayerList, analysis: Analysis) -> None:
    """Add the heatmap, mask, agreement and face layers of ``analysis`` to ``layers`` (the
    faces' also when detection ran and found none, which the layer panel then says), and
    each model's face map (the face path) hidden; for a cancelled analysis, the running
    model's partial map (:class:`PartialHeatmapLayer`, hatched where not computed).

    Shown at first: the ensemble's heatmap and mask when there is an ensemble, else the first
    model's; the faces. After a Cancel, the partial map is shown and selected instead of the
    finished model's heatmap (its mask stays shown): it is what the analyst was watching when
    they cancelled, and one heatmap is drawn at a time, since two at half opacity blend into
    colours neither model gave (and the hatch's gaps would show the other model's values as
    if they were the partial one's). Heatmaps share opacity and colormap, masks their opacity and what they
    draw (so every model, and every side-by-side pane, is seen the same way); each mask keeps
    its own threshold, since each model has its own calibration.
    """
    sources = [
        (name, r, MODEL_COLORS[i % len(MODEL_COLORS)])
        for i, (name, r) in enumerate(analysis.results.items())
        if r.heatmap is not None
    ]
    if analysis.ensemble is not None and analysis.ensemble.heatmap is not None:
        sources.append((analysis.ensemble.name, analysis.ensemble, ENSEMBLE_COLOR))
    looked = bool(analysis.faces) or bool(analysis.faces_checked)  # none found is said too
    if not sources and not looked and not analysis.partial:
        return
    shown = sources[-1][0] if analysis.ensemble is not None and sources else None
    if shown is None and sources:
        shown = sources[0][0]
    heatmaps: list[Layer] = []
    masks: list[MaskLayer] = []
    for name, result, color in sources:
        assert result.heatmap is not None
        ensemble = result is analysis.ensemble  # its heatmap may be the copy-move regions
        copies = heatmap_replaced_by(result.threshold_provenance) if ensemble else None
        heatmaps.append(
            HeatmapLayer(
                f"{name} heatmap",
                result.heatmap,
                model=name,
                visible=name == shown and not analysis.partial,
                regions_of=copies,
                ensemble=ensemble,
                tiles=""
                if ensemble
                else tile_grid_words(result.input_policy, result.heatmap.shape),
            )
        )
        masks.append(
            MaskLayer(
                f"{name} mask",
                result.heatmap,
                model=name,
                calibrated_threshold=result.pixel_threshold,
                # an ensemble file records no choice; its reports call its threshold calibrated
                threshold_calibrated=True if ensemble else result.pixel_threshold_calibrated,
                color=color,
                visible=name == shown,
            )
        )
    layers.extend(heatmaps)
    layers.extend(masks)
    model_masks = [m for m in masks if m.model in analysis.results]
    if len(model_masks) >= 2:
        layers.append(AgreementLayer(model_masks))
    if looked:
        size = (analysis.evidence.width, analysis.evidence.height)  # border cuts in labels
        layers.append(FacesLayer(analysis.faces, image_size=size))
    for name, face_map in analysis.face_maps.items():
        # the face path's maps, hidden; no model, so a model's pane and its readout keep the
        # whole-image heatmap and the readout lists "<model> face map" apart
        layers.append(FaceMapLayer(name, face_map, analysis.faces))
    for i, partial in enumerate(analysis.partial.values()):  # what a Cancel left running
        heatmaps.append(PartialHeatmapLayer(partial, visible=i == 0))
        layers.append(heatmaps[-1])
    if len(heatmaps) > 1:
        layers.link(heatmaps, ("opacity", "colormap", "fade"))
        layers.link(masks, ("opacity", "fill", "contours", "boxes"))
    top = next((la for la in heatmaps if la.visible), None)
    if top is not None:
        layers.selected = top
