"""The layers of the networks' results (no Qt): heatmaps, masks, agreement, faces, face maps.

Per network and for the ensemble: its heatmap (:class:`HeatmapLayer`; while it runs or after a
Cancel, :class:`PartialHeatmapLayer`) and its mask at a live threshold (:class:`MaskLayer`);
across the networks, their masks' agreement (:class:`AgreementLayer`); the detected faces
(:class:`FacesLayer`) and each face model's face map (:class:`FaceMapLayer`); and, in
ground-truth mode, the true mask drawn as a mask of its own (:class:`GroundTruthLayer`), with
the masks' colours (:data:`MODEL_COLORS`, :data:`ENSEMBLE_COLOR`, :data:`GROUND_TRUTH_COLOR`).
:func:`forensic_viewer.layers.add_analysis_layers` builds them from an ``Analysis``.

Split from :mod:`forensic_viewer.layers` (the list and its builders, which import these) and
kept apart from the classic analyses' layers (:mod:`forensic_viewer.classic_layers`) so that
each stays within the 700 lines tests/test_structure.py allows; one list, one read-out and one
set of visibility rules still serve both kinds.
"""

from __future__ import annotations

import dataclasses
from collections.abc import Callable, Sequence
from typing import Any

import numpy as np
from numpy.typing import NDArray

from engine.decision import MANIPULATED
from engine.facepath import crop_box, face_out_of_range
from engine.types import FaceRegion, PartialMap
from forensic_viewer import overlays
from forensic_viewer.events import Event
from forensic_viewer.face_marks import face_name, face_verdict_short, flag_words
from forensic_viewer.layer_base import Layer, checked_colormap, checked_unit
from forensic_viewer.overlays import MaskRender, Raster
from forensic_viewer.threshold_words import own_threshold_word, pixel_threshold_words
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
    partial_words,
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
# each mask colour in words: a mask's row in the layer list says it (its swatch shows it)
COLOR_WORDS = {
    **dict(
        zip(MODEL_COLORS, ("vermillion", "sky blue", "yellow", "blue", "bluish green"), strict=True)
    ),
    ENSEMBLE_COLOR: "reddish purple",
    GROUND_TRUTH_COLOR: "white",
}


def color_words(rgb: tuple[int, int, int]) -> str:
    """``rgb`` in words: its name for the masks' colours, else its three values."""
    return COLOR_WORDS.get(tuple(rgb), "RGB {} {} {}".format(*rgb))


class HeatmapLayer(Layer):
    """One model's heatmap [H, W] float32 in [0, 1], coloured by a colormap.

    fade: each pixel as opaque as its value (``overlays.heatmap_raster``), the default for a
        network's heatmap: drawn opaque, the colormap's dark low end tinted the whole
        photograph and hid what a low value lies over; off, every pixel is coloured.
    regions_of: the copy-move analysis whose map of regions (1 inside, 0 outside) replaced
        the ensemble's heatmap on this file
        (``engine.ensemble_provenance.heatmap_replaced_by``), which the layer's controls say (:attr:`about`) and its legend's ends; None: a heatmap.
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
        self._colormap = checked_colormap(colormap)
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
        self._set("colormap", checked_colormap(value), invalidate=True)

    def _render_fn(self) -> Callable[[], Any]:
        heatmap, colormap, fade = self.heatmap, self._colormap, self._fade
        return lambda: overlays.heatmap_raster(heatmap, colormap, fade)

    def raster(self) -> Raster | None:
        return self._rendered

    def _raster_pixels(self) -> int:
        return int(self.heatmap.size)

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
    (:func:`~forensic_viewer.layers.show_partial`), or as a Cancel left it. Drawn hatched where
    not computed (``overlays.partial_heatmap_raster``); its name, its read-out and its exports
    say "partial"; it has no mask and takes no part in the agreement (no verdict from a part)."""

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
    ``fill``, ``contours`` and ``boxes`` choose what is drawn without re-rendering. A mask is
    always drawn (its statistics are read while it is hidden), its fill raster only while it
    is shown and filled, or while it is small (:attr:`~Layer.drawn_hidden`): hidden, a large
    mask's stats keep ``fill`` None.
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
        threshold_calibrated: bool | None = None,
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
        self.calibrated_threshold = checked_unit(calibrated_threshold, "calibrated threshold")
        # whether the checkpoint records calibrated_threshold as chosen on validation data (a
        # result's pixel_threshold_calibrated): the reset button says "calibrated" or "stored"
        self.own_threshold = own_threshold_word(threshold_calibrated)
        self.own_threshold_words = pixel_threshold_words(threshold_calibrated)
        self._threshold = checked_unit(
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
        self._set("threshold", checked_unit(value, "threshold"), invalidate=True)

    def reset_threshold(self) -> None:
        """Back to the model's own pixel threshold (calibrated or stored: ``own_threshold``)."""
        self.threshold = self.calibrated_threshold

    @property
    def fill(self) -> bool:
        return self._fill

    @fill.setter
    def fill(self, value: bool) -> None:
        self._set("fill", bool(value))
        if self._visible and self._lacks_drawing():
            self.invalidate()  # its fill was not drawn while it was unticked

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
        fill = (self._visible and self._fill) or self.drawn_hidden
        return lambda: overlays.mask_render(heatmap, threshold, color, fill=fill)

    def raster(self) -> Raster | None:
        return None if self._rendered is None or not self._fill else self._rendered.fill

    def _raster_pixels(self) -> int:
        return int(self.heatmap.size)

    @property
    def wants_drawing(self) -> bool:
        return True  # its statistics, shown or not

    def _lacks_drawing(self) -> bool:
        unfilled = self._rendered is not None and self._rendered.fill is None
        return not self.is_current or (self._fill and unfilled)

    def release_drawing(self) -> None:
        """Let its fill raster go; its statistics and outlines stay."""
        if self._rendered is None or self._rendered.fill is None:
            return
        self._rendered = dataclasses.replace(self._rendered, fill=None)
        self.events.rendered(self._rendered)


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
        self._colormap = checked_colormap(colormap)
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
        self._set("colormap", checked_colormap(value), invalidate=True)

    def _render_fn(self) -> Callable[[], Any]:
        heatmaps = [m.heatmap for m in self.masks]
        thresholds = [m.threshold for m in self.masks]
        colormap = self._colormap
        return lambda: overlays.agreement_raster(
            overlays.agreement_share(heatmaps, thresholds), colormap
        )

    def raster(self) -> Raster | None:
        return self._rendered

    def _raster_pixels(self) -> int:
        return int(self.masks[0].heatmap.size)

    def share_at(self, x: int, y: int) -> float:
        """Share of models whose mask is on at pixel (x, y), at the current thresholds."""
        on = sum(1 for m in self.masks if m.heatmap[y, x] > m.threshold)
        return on / len(self.masks)


# what a face label's figures are (the faces panel says it under the list)
FACES_LEGEND = (
    f"score: mean heatmap inside the box; face {FLAGGED} or {NOT_FLAGGED} (score): the model "
    "on the face alone, cropped with a margin at its training scale; a whole-image model's "
    f"result on a face is {MEMBER_FACE_WORDS}"
)


# what the faces layer draws (its "shows" line in the layer panel)
FACES_SHOWS = (
    "a box per detected face, numbered as in the report; red: a face model flagged the face "
    "(the face rule counts it), cyan: no face model did; its label (elided at the box's "
    "width, whole in the box's tooltip) leads with the face model's verdict"
)


class FacesLayer(Layer):
    """Detected faces: boxes with the detector's confidence and each model's score.

    image_size: the evidence's (width, height), so that every label of a face (the layer
    panel's as the canvas's) says when the image's border cuts it; None: not said. Without
    faces the layer stands for a detection that ran and found none: the layer panel says so
    (the analysis adds it then, ``Analysis.faces_checked``)."""

    kind = "faces"

    def __init__(
        self,
        faces: Sequence[FaceRegion],
        *,
        name: str = "faces",
        image_size: tuple[int, int] | None = None,
    ) -> None:
        super().__init__(name)
        self.faces = list(faces)
        self.image_size = image_size

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
