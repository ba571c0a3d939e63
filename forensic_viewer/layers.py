"""The viewer's model: layers drawn over the evidence, in plain Python with events (no Qt).

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
per model (heatmap > a live threshold, starting at the model's calibrated pixel threshold); the
model agreement (per pixel, the share of models whose mask is on); the detected faces; then per
classic analysis (``engine.analyses``, :func:`add_classic_layers`) its map, its picture for the
analyst, its extra maps and its clone pairs; in ground-truth mode, the true mask
(:class:`GroundTruthLayer`). An analysis layer carries what its values mean
(``meaning``): the panels, the read-out and the reports say "raw values" where they are, never
"probability of manipulation".

Long file: the layer types of networks and classic analyses live together, so that one list,
one read-out and one set of visibility rules serve both (the point of treating them alike).
"""

from __future__ import annotations

from collections.abc import Callable, Iterable, Iterator, Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any, ClassVar

import numpy as np
from numpy.typing import NDArray

from engine.analyses import AnalysisMap, AnalysisResult, ClonePair, MapMeaning, MapScale
from engine.decision import MANIPULATED
from engine.ensemble import heatmap_replaced_by
from engine.facepath import crop_box, face_out_of_range
from engine.types import Analysis, Evidence, FaceRegion, PartialMap
from forensic_viewer import overlays
from forensic_viewer.events import EmitterGroup, Event, Subscriptions
from forensic_viewer.face_marks import face_name, face_verdict_short, flag_words
from forensic_viewer.map_choice import found_map
from forensic_viewer.overlays import MaskRender, Raster
from forensic_viewer.wording import (
    AGREEMENT_MEANING,
    ENSEMBLE_HEATMAP_MEANING,
    FLAGGED,
    HEATMAP_MEANING,
    MEMBER_FACE_WORDS,
    NOT_FLAGGED,
    OUT_OF_RANGE,
    copy_map_words,
    face_decision_words,
    map_layer_name,
    partial_words,
    picture_layer_name,
    scale_words,
    tile_grid_words,
    verdict_words,
)

# The masks' colours: Okabe and Ito's palette ("Color Universal Design", 2008), whose colours
# stay apart for the common colour-vision deficiencies, and white for the ground truth, which
# no model's colour comes near for any of them (tests/viewer/test_palette.py measures it).
# The truth's green (0, 255, 140) was hard to tell from the fifth model's (80, 230, 120) even
# with normal vision, and the first model's red from the fifth's green for a deuteranope.
MODEL_COLORS: tuple[tuple[int, int, int], ...] = (
    (213, 94, 0),  # vermillion
    (86, 180, 233),  # sky blue
    (240, 228, 66),  # yellow
    (0, 114, 178),  # blue
    (0, 158, 115),  # bluish green
)
ENSEMBLE_COLOR = (204, 121, 167)  # reddish purple
GROUND_TRUTH_COLOR = (255, 255, 255)  # white: the reference, outlined


# --- layers ------------------------------------------------------------------------------


def _unit(value: float, what: str) -> float:
    value = float(value)
    if not 0.0 <= value <= 1.0:
        raise ValueError(f"{what} must be in [0, 1], got {value}")
    return value


def _colormap(name: str) -> str:
    if name not in overlays.COLORMAPS:
        raise ValueError(f"unknown colormap {name!r}; choose from {sorted(overlays.COLORMAPS)}")
    return name


@dataclass(frozen=True)
class RenderJob:
    """A layer's drawing at one ``version``: call ``fn`` (on any thread), then hand the result
    to ``layer.apply_render(version, result)`` on the thread that owns the layers."""

    layer: Layer
    version: int
    fn: Callable[[], Any]


class Layer:
    """Something drawn over the evidence. ``model`` names the model it belongs to, if any."""

    kind: ClassVar[str] = "layer"
    EVENTS: ClassVar[tuple[str, ...]] = ("name", "visible", "opacity", "invalidated", "rendered")

    def __init__(
        self,
        name: str,
        *,
        model: str | None = None,
        visible: bool = True,
        opacity: float = 1.0,
    ) -> None:
        self.events = EmitterGroup(self, self.EVENTS)
        self.model = model
        self._name = name
        self._visible = bool(visible)
        self._opacity = _unit(opacity, "opacity")
        self._version = 0
        self._rendered: Any = None
        self._rendered_version = -1

    def __repr__(self) -> str:
        return f"{type(self).__name__}({self._name!r})"

    def _set(self, attr: str, value: Any, *, invalidate: bool = False) -> None:
        """Store ``value`` as ``self._<attr>``; emit ``<attr>`` (and invalidate) if it changed."""
        if getattr(self, "_" + attr) == value:
            return
        setattr(self, "_" + attr, value)
        self.events[attr](value)
        if invalidate:
            self.invalidate()

    @property
    def name(self) -> str:
        return self._name

    @name.setter
    def name(self, value: str) -> None:
        self._set("name", str(value))

    @property
    def visible(self) -> bool:
        return self._visible

    @visible.setter
    def visible(self, value: bool) -> None:
        self._set("visible", bool(value))

    @property
    def opacity(self) -> float:
        return self._opacity

    @opacity.setter
    def opacity(self, value: float) -> None:
        self._set("opacity", _unit(value, "opacity"))

    # rendering

    @property
    def version(self) -> int:
        """Bumped by every change that alters what :meth:`render_job` computes."""
        return self._version

    @property
    def rendered(self) -> Any:
        """The latest render result applied (None before the first)."""
        return self._rendered

    @property
    def is_current(self) -> bool:
        """Whether the render result applied is that of the current settings."""
        return self._rendered_version == self._version

    def invalidate(self) -> None:
        self._version += 1
        self.events.invalidated(self._version)

    def render_job(self) -> RenderJob | None:
        """A job computing this layer's drawing for the current settings, or None if the layer
        draws straight from its data (faces)."""
        fn = self._render_fn()
        return None if fn is None else RenderJob(self, self._version, fn)

    def _render_fn(self) -> Callable[[], Any] | None:
        return None

    def apply_render(self, version: int, result: Any) -> bool:
        """Take the result of the job made at ``version``; results older than the one shown are
        dropped. Emits ``rendered``. Returns whether the result was taken."""
        if version <= self._rendered_version:
            return False
        self._rendered_version = version
        self._rendered = result
        self.events.rendered(result)
        return True

    def raster(self) -> Raster | None:
        """The raster drawn for this layer (None when not rendered yet or not raster-drawn)."""
        return None

    cell: int = 1  # the raster holds one value per cell x cell evidence pixels
    analysis: str | None = None  # the classic analysis the layer shows, if any

    @property
    def about(self) -> str:
        """What the layer shows, in words for its controls ("" when its name says it)."""
        return ""


class ImageLayer(Layer):
    """The evidence pixels [H, W, 3] RGB, opaque, at the bottom."""

    kind = "image"

    def __init__(self, pixels: NDArray[np.uint8], *, name: str = "evidence") -> None:
        super().__init__(name)
        self.pixels = pixels

    @property
    def shape(self) -> tuple[int, int]:
        return (int(self.pixels.shape[0]), int(self.pixels.shape[1]))

    def _render_fn(self) -> Callable[[], Any]:
        pixels = self.pixels
        return lambda: overlays.image_raster(pixels)

    def raster(self) -> Raster | None:
        return self._rendered


class HeatmapLayer(Layer):
    """One model's heatmap [H, W] float32 in [0, 1], coloured by a colormap.

    fade: each pixel as opaque as its value (``overlays.heatmap_raster``), the default for a
        network's heatmap: drawn opaque, the colormap's dark low end tinted the whole
        photograph and hid what a low value lies over; off, every pixel is coloured.
    regions_of: the copy-move analysis whose map of regions (1 inside, 0 outside) replaced
        the ensemble's heatmap on this file (``engine.ensemble.heatmap_replaced_by``), which
        the layer's controls say (:attr:`about`) and its legend's ends; None: a heatmap.
    tiles: how the network's tiles lay over the image, in words
        (:func:`~forensic_viewer.wording.tile_grid_words`), said by :attr:`about`; "" when it
        ran on one tile or is no network's map.
    ensemble: the ensemble's heatmap (its members' combined), said so by :attr:`about`.

    :attr:`about` says what the values mean in the report legend's words
    (``wording.HEATMAP_MEANING``): the ensemble's layer had said nothing, a tiled network's
    only how it was tiled.
    """

    kind = "heatmap"
    EVENTS = (*Layer.EVENTS, "colormap", "fade")

    def __init__(
        self,
        name: str,
        heatmap: NDArray[np.float32],
        *,
        model: str | None,
        colormap: str = "inferno",
        visible: bool = True,
        opacity: float = 0.5,
        fade: bool = True,
        regions_of: str | None = None,
        tiles: str = "",
        ensemble: bool = False,
    ) -> None:
        super().__init__(name, model=model, visible=visible, opacity=opacity)
        self.heatmap = heatmap
        self._colormap = _colormap(colormap)
        self._fade = bool(fade)
        self.regions_of = regions_of
        self.tiles = tiles
        self.ensemble = ensemble

    @property
    def about(self) -> str:
        if self.regions_of is not None:
            return copy_map_words(self.regions_of)
        meaning = ENSEMBLE_HEATMAP_MEANING if self.ensemble else HEATMAP_MEANING
        return f"{meaning}; {self.tiles}" if self.tiles else meaning

    @property
    def fade(self) -> bool:
        return self._fade

    @fade.setter
    def fade(self, value: bool) -> None:
        self._set("fade", bool(value), invalidate=True)

    @property
    def colormap(self) -> str:
        return self._colormap

    @colormap.setter
    def colormap(self, value: str) -> None:
        self._set("colormap", _colormap(value), invalidate=True)

    def _render_fn(self) -> Callable[[], Any]:
        heatmap, colormap, fade = self.heatmap, self._colormap, self._fade
        return lambda: overlays.heatmap_raster(heatmap, colormap, fade)

    def raster(self) -> Raster | None:
        return self._rendered

    def value_at(self, x: int, y: int) -> float:
        return float(self.heatmap[y, x])


class FaceMapLayer(HeatmapLayer):
    """One model's face map (the face path: its heatmaps of the face crops pasted back at full
    resolution, 0 outside them; ``engine.facepath``), hidden at first, dimmed and hatched over
    the crops of the faces the model did not flag.

    The map is a per-pixel output; the model's verdict on a face is its score against θ. The
    face model's map read 0.973 over a face it judged authentic (score 0.9089 ≤ θ 0.9829) and
    all four faces of a montage glowed alike, the flagged one no brighter (walk-through
    2026-12-05). Where two crops overlap, the map holds the larger value (``engine.facepath.
    paste``): :meth:`face_note` names both faces.
    """

    def __init__(self, name: str, face_map: NDArray[np.float32], faces: Sequence[FaceRegion]):
        super().__init__(f"{name} face map", face_map, model=None, visible=False)
        self.face_model = name
        self.faces = list(faces)
        h, w = face_map.shape
        self.crops = [crop_box(f.box, w, h) for f in self.faces]
        flagged = np.zeros((h, w), bool)
        judged = np.zeros((h, w), bool)
        for face, c in zip(self.faces, self.crops, strict=True):
            fs = face.face_scores.get(name)
            area = (slice(c.y0, c.y1), slice(c.x0, c.x1))
            if fs is not None and fs.verdict == MANIPULATED:
                flagged[area] = True
            else:
                judged[area] = True
        self.dimmed = judged & ~flagged  # inside unflagged faces' crops only

    @property
    def about(self) -> str:
        return (
            f"{self.face_model} on each face's crop alone, per pixel; dimmed and hatched over "
            "the faces it did not flag: the map is a per-pixel output, the face's verdict is "
            "its score against θ, so a face can read high here and stay unflagged (the "
            "read-out gives the face's verdict beside the value)"
        )

    def _render_fn(self) -> Callable[[], Any]:
        heatmap, colormap, fade, dimmed = self.heatmap, self._colormap, self._fade, self.dimmed
        return lambda: overlays.dim_and_hatch(
            overlays.heatmap_raster(heatmap, colormap, fade), dimmed
        )

    def face_note(self, x: int, y: int) -> str:
        """Whose crop pixel (x, y) lies in and the model's verdict on that face (``face 3, x 68
        y 114: not flagged, score 0.9089 ≤ θ 0.9829``); with overlapping crops, each, and that
        the value is the larger of theirs; "" outside every crop."""
        inside = [
            (i, f)
            for i, (f, c) in enumerate(zip(self.faces, self.crops, strict=True), start=1)
            if c.x0 <= x < c.x1 and c.y0 <= y < c.y1
        ]
        notes = []
        for i, face in inside:
            fs = face.face_scores.get(self.face_model)
            said = "not judged" if fs is None else face_verdict_short(fs)
            notes.append(f"{face_name(i, face)}: {said}")
        lead = "the larger value of the overlapping crops of " if len(inside) > 1 else ""
        return lead + "; ".join(notes)


class PartialHeatmapLayer(HeatmapLayer):
    """A network's heatmap of which only part is computed (``engine.types.PartialMap``: NaN
    where not computed): while the network runs, filled in as its tiles finish
    (:func:`show_partial`), or as a Cancel left it. Drawn hatched where not computed
    (``overlays.partial_heatmap_raster``); its name, its read-out and its exports say
    "partial"; it has no mask and takes no part in the agreement (no verdict from a part)."""

    def __init__(self, partial: PartialMap, *, visible: bool = True, opacity: float = 0.5) -> None:
        super().__init__(
            self.title(partial), partial.heatmap, model=partial.model, visible=visible,
            opacity=opacity,
        )  # fmt: skip
        self.fraction = partial.fraction
        self.cell = partial.cell  # a preview: one value per cell x cell pixels, drawn per cell

    @staticmethod
    def title(partial: PartialMap) -> str:
        return f"{partial.model} heatmap — {partial_words(partial.fraction)}"

    def update(self, partial: PartialMap) -> None:
        """Show ``partial``, a later map of the same model (re-rendered, renamed)."""
        self.heatmap, self.fraction, self.cell = partial.heatmap, partial.fraction, partial.cell
        self.name = self.title(partial)
        self.invalidate()

    @property
    def about(self) -> str:
        if self.fraction >= 1.0:  # nothing hatched: the whole map, before its result
            return f"{HEATMAP_MEANING}; its mask and verdict come with the model's result"
        return f"{HEATMAP_MEANING}; hatched: not computed yet (not a low value)"

    def value_at(self, x: int, y: int) -> float:
        h, w = self.heatmap.shape
        return float(self.heatmap[min(y // self.cell, h - 1), min(x // self.cell, w - 1)])

    def _render_fn(self) -> Callable[[], Any]:
        heatmap, colormap, fade = self.heatmap, self._colormap, self._fade
        return lambda: overlays.partial_heatmap_raster(heatmap, colormap, fade)


class MaskLayer(Layer):
    """heatmap > threshold, with a live threshold that starts at the model's calibrated one.

    After each render, :attr:`stats` holds the forged fraction and the number of regions at
    the threshold rendered, and the outlines (contours and boxes) of the largest regions.
    ``fill``, ``contours`` and ``boxes`` choose what is drawn without re-rendering.
    """

    kind = "mask"
    EVENTS = (*Layer.EVENTS, "threshold", "fill", "contours", "boxes")

    def __init__(
        self,
        name: str,
        heatmap: NDArray[np.float32],
        *,
        model: str,
        calibrated_threshold: float,
        color: tuple[int, int, int] = MODEL_COLORS[0],
        threshold: float | None = None,
        visible: bool = True,
        opacity: float = 1.0,
        fill: bool = True,
        contours: bool = True,
        boxes: bool = True,
    ) -> None:
        super().__init__(name, model=model, visible=visible, opacity=opacity)
        self.heatmap = heatmap
        self.calibrated_threshold = _unit(calibrated_threshold, "calibrated threshold")
        self._threshold = _unit(
            calibrated_threshold if threshold is None else threshold, "threshold"
        )
        self.color = color
        self._fill = fill
        self._contours = contours
        self._boxes = boxes

    @property
    def threshold(self) -> float:
        return self._threshold

    @threshold.setter
    def threshold(self, value: float) -> None:
        self._set("threshold", _unit(value, "threshold"), invalidate=True)

    def reset_threshold(self) -> None:
        """Back to the model's calibrated pixel threshold."""
        self.threshold = self.calibrated_threshold

    @property
    def fill(self) -> bool:
        return self._fill

    @fill.setter
    def fill(self, value: bool) -> None:
        self._set("fill", bool(value))

    @property
    def contours(self) -> bool:
        return self._contours

    @contours.setter
    def contours(self, value: bool) -> None:
        self._set("contours", bool(value))

    @property
    def boxes(self) -> bool:
        return self._boxes

    @boxes.setter
    def boxes(self, value: bool) -> None:
        self._set("boxes", bool(value))

    @property
    def stats(self) -> MaskRender | None:
        return self._rendered

    def _render_fn(self) -> Callable[[], Any]:
        heatmap, threshold, color = self.heatmap, self._threshold, self.color
        return lambda: overlays.mask_render(heatmap, threshold, color)

    def raster(self) -> Raster | None:
        return None if self._rendered is None or not self._fill else self._rendered.fill


class GroundTruthLayer(MaskLayer):
    """The true mask of the evidence (ground-truth mode, :mod:`forensic_viewer.scan.groundtruth`)
    drawn as a mask of its own: outlined, not filled, so the models' masks stay visible under it.
    Its own kind, so that agreement, compare panes and readouts never take it for a model's."""

    kind = "groundtruth"

    def __init__(self, mask: NDArray[np.bool_], *, name: str = "ground truth") -> None:
        super().__init__(
            name,
            mask.astype(np.float32),
            model=None,  # type: ignore[arg-type]
            calibrated_threshold=0.5,
            color=GROUND_TRUTH_COLOR,
            fill=False,
            boxes=False,
        )
        self.truth = mask


class AgreementLayer(Layer):
    """Per pixel, the share of models whose mask is on, following each mask's live threshold."""

    kind = "agreement"
    EVENTS = (*Layer.EVENTS, "colormap")

    def __init__(
        self,
        masks: Sequence[MaskLayer],
        *,
        name: str = "model agreement",
        colormap: str = "viridis",
        visible: bool = False,
        opacity: float = 0.7,
    ) -> None:
        if not masks:
            raise ValueError("model agreement needs at least one mask layer")
        super().__init__(name, visible=visible, opacity=opacity)
        self.masks = list(masks)
        self._colormap = _colormap(colormap)
        for mask in self.masks:
            mask.events.threshold.connect(self._on_threshold)

    def _on_threshold(self, _event: Event) -> None:
        self.invalidate()

    @property
    def about(self) -> str:
        return AGREEMENT_MEANING

    @property
    def colormap(self) -> str:
        return self._colormap

    @colormap.setter
    def colormap(self, value: str) -> None:
        self._set("colormap", _colormap(value), invalidate=True)

    def _render_fn(self) -> Callable[[], Any]:
        heatmaps = [m.heatmap for m in self.masks]
        thresholds = [m.threshold for m in self.masks]
        colormap = self._colormap
        return lambda: overlays.agreement_raster(
            overlays.agreement_share(heatmaps, thresholds), colormap
        )

    def raster(self) -> Raster | None:
        return self._rendered

    def share_at(self, x: int, y: int) -> float:
        """Share of models whose mask is on at pixel (x, y), at the current thresholds."""
        on = sum(1 for m in self.masks if m.heatmap[y, x] > m.threshold)
        return on / len(self.masks)


# what a face label's figures are (the faces panel says it under the list)
FACES_LEGEND = (
    f"score: mean heatmap inside the box; face {FLAGGED} or {NOT_FLAGGED} (score): the model "
    "on the face alone, cropped with a margin at its training scale; a whole-image model's "
    f"face {FLAGGED} is {MEMBER_FACE_WORDS}"
)


# what the faces layer draws (its "shows" line in the layer panel)
FACES_SHOWS = (
    "a box per detected face, numbered as in the report; red: a face model flagged the face "
    "(the face rule counts it), cyan: no face model did; its label (elided at the box's "
    "width, whole in the box's tooltip) leads with the face model's verdict"
)


class FacesLayer(Layer):
    """Detected faces: boxes with the detector's confidence and each model's score."""

    kind = "faces"

    def __init__(self, faces: Sequence[FaceRegion], *, name: str = "faces") -> None:
        super().__init__(name)
        self.faces = list(faces)

    @property
    def about(self) -> str:
        return FACES_SHOWS

    @staticmethod
    def label(
        face: FaceRegion, number: int | None = None, image_size: tuple[int, int] | None = None
    ) -> str:
        """One line per face, what matters first (the canvas elides its end at the box's
        width): its ``number`` when given (as the reports number faces) and whether a face
        model flagged it (:func:`~forensic_viewer.face_marks.flag_words`), then each model's verdict and score on the face analysed alone at its own scale
        (the face path) with the θ it was decided by: the face models' first (those trained on
        faces; a whole-image model has a mean heatmap in the box, ``face.scores``, a face model
        none), flagged before not flagged within each; then the detection confidence and
        each whole-image model's mean heatmap in the box, e.g. ``f: face flagged as manipulated
        (score 0.9839 > θ 0.9829) · a: face not flagged 0.20 · face 0.98 · a 0.41`` (the score
        alone for a row written before θ was recorded)."""
        judged = sorted(
            face.face_scores.items(),
            key=lambda kv: (kv[0] in face.scores, kv[1].verdict != MANIPULATED),
        )
        parts = [
            f"{name}: face {verdict_words(fs.verdict)} "
            + (
                f"{fs.score:.2f}"
                if fs.threshold is None
                else f"({face_decision_words(fs.to_dict())})"
            )
            for name, fs in judged
        ]
        parts.append(f"face {face.confidence:.2f}")
        parts += [f"{name} {score:.2f}" for name, score in face.scores.items()]
        out = face_out_of_range(face.box, image_size)  # image_size (w, h): border cuts too
        if out and judged:  # first: a small face's box is narrow and the label's end elided
            why = [f"{out['short_side']} px < {out['min_side']}"] if "short_side" in out else []
            why += ["cut by the image border"] if out.get("cut_by_border") else []
            parts.insert(0, f"{OUT_OF_RANGE} ({'; '.join(why)})")
        if number is not None:  # the number, then the face models' word on the face
            parts[:0] = [str(number), *([said] if (said := flag_words(face)) else [])]
        return " · ".join(parts)


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
    """Add the heatmap, mask, agreement and face layers of ``analysis`` to ``layers``, and
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
    if not sources and not analysis.faces and not analysis.partial:
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
                color=color,
                visible=name == shown,
            )
        )
    layers.extend(heatmaps)
    layers.extend(masks)
    model_masks = [m for m in masks if m.model in analysis.results]
    if len(model_masks) >= 2:
        layers.append(AgreementLayer(model_masks))
    if analysis.faces:
        layers.append(FacesLayer(analysis.faces))
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
