"""Annotated figures for reports, drawn with numpy and OpenCV only (no Qt, no display).

One figure per model and for the ensemble: the evidence, downscaled so its long side is at most
``max_side`` pixels (a strip keeps a legible short side and is folded: :func:`fit_size`,
:func:`fold`), with the heatmap blended over it through a colormap (transparent where the
heatmap is 0, ``opacity`` where it is 1), the mask's outline (heatmap > pixel threshold) and
the face boxes, above a legend bar that maps colours to probabilities and marks the pixel
threshold. When the evidence cannot be shown (changed since the analysis, unreadable) the
heatmap is drawn alone on black, so no layer is ever drawn over pixels it was not computed on.

Classic analyses get a figure of their own (:func:`analysis_figure`): their map drawn over the
evidence as the viewer's layer draws it (its colormap, every value opaque, the layer's opacity;
the legend bar in that colormap, without a mask marker: their maps have no threshold),
region maps outlined, and clone pairs drawn linked: the source box, the target box and a line
between their centres, numbered as in the report's pair table.

All images here are [H, W, 3] uint8 RGB. Colormaps and the mask rule (heatmap > threshold) are
the screen's (:mod:`forensic_viewer.overlays`), so a figure shows what the viewer showed.
"""

from __future__ import annotations

import dataclasses
import io
import math
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from typing import Any

import cv2
import numpy as np
from numpy.typing import NDArray
from PIL import Image

from forensic_viewer.overlays import (
    ANALYSIS_OPACITY,
    CASING_PX,
    CASING_RGB,
    COLORMAPS,
    DEFAULT_COLORMAP,
    FACE_RGB,
    FLAGGED_FACE_RGB,
    PAIR_LINK_RGB,
    PAIR_SOURCE_RGB,
    PAIR_TARGET_RGB,
    analysis_colormap,
    analysis_raster,
    colorize,
    colormap_label,
    over_rgb,
    pair_link,
    threshold_mask,
)
from forensic_viewer.wording import threshold_figure

MAX_SIDE = 1024
# px: a figure's short side is drawn at least this wide (or at the image's own, never
# enlarged), within the pixels of a MAX_SIDE x MAX_SIDE figure: fitted into 1024 px, a
# 100 x 20000 receipt was a figure 5 px wide. Such a strip is then folded (fold).
MIN_SIDE = 96
FOLD_GAP = 8  # px of white between the pieces of a folded figure
FOLD_MIN = 4  # px: a strip thinner than this is fitted as before (its pieces would be lines)
LEGEND_HEIGHT = 46  # at a figure width of TEXT_WIDTH or less; scaled up with wider figures
TEXT_WIDTH = 480  # pixels: figures wider than this draw their text larger, in proportion, so
# that it prints at about the same size once the figure is shrunk to the page's width


def text_scale(width: int) -> float:
    """How much larger than at :data:`TEXT_WIDTH` a figure ``width`` pixels wide draws text."""
    return max(1.0, width / TEXT_WIDTH)


TICKS = (0.0, 0.25, 0.5, 0.75, 1.0)  # a probability scale's labelled values
FACE_TILE = 256  # side of one face's tile in a face-map figure (the face path's window)
FACE_TILES = 12  # faces drawn in one face-map figure at most (a crowd would fill pages)


def face_flagged(face: Mapping[str, Any]) -> bool:
    """Whether a face model flagged ``face`` (a faces-table entry): a face verdict
    "manipulated" of a model with no heatmap mean in its box (``scores``: the whole-image
    models'), the faces the default verdict's face rule counts, as the viewer's
    ``face_marks.flagged_by`` tells them."""
    means = face.get("scores") or {}
    return any(
        isinstance(fs, Mapping) and fs.get("verdict") == "manipulated"
        for name, fs in (face.get("face_scores") or {}).items()
        if name not in means
    )


def boxes_words(faces: Sequence[Mapping[str, Any]]) -> str:
    """What an evidence figure's caption says of its face boxes: "" without faces."""
    if not faces:
        return ""
    flagged = any(map(face_flagged, faces))
    how = "; solid, thicker and tagged FLAGGED: a face model flagged it" if flagged else ""
    return f", with the face boxes (dashed, numbered as in the faces table{how})"


def face_tiles(faces: Sequence[Mapping[str, Any]]) -> list[int]:
    """The faces a face-map figure draws, as 0-based indices in the faces table: those a face
    model flagged first (:func:`face_flagged`), then the others, each in the table's order, at
    most :data:`FACE_TILES`. The figure drew the first 12 faces by confidence, and left out
    the flagged faces 21, 33 and 57 of a 60-face collage (walk-through 2026-12-06, finding 3)."""
    flagged = [i for i, f in enumerate(faces) if face_flagged(f)]
    rest = [i for i, f in enumerate(faces) if not face_flagged(f)]
    return (flagged + rest)[:FACE_TILES]


def face_tiles_words(faces: Sequence[Mapping[str, Any]]) -> str:
    """Which faces a face-map figure shows (:func:`face_tiles`), for its caption: ``3 of 3``,
    or ``12 of 60: the 5 flagged ones first, then 7 others``."""
    shown = face_tiles(faces)
    flagged = sum(face_flagged(faces[i]) for i in shown)
    head = f"{len(shown)} of {len(faces)}"
    if not flagged or flagged == len(faces):
        return head
    ones = "one" if flagged == 1 else "ones"
    return f"{head}: the {flagged} flagged {ones} first, then {len(shown) - flagged} others"


@dataclass(frozen=True)
class FigureStyle:
    """How figures are drawn.

    colormap: one of :data:`COLORMAPS`, the viewer's choice or ``--colormap`` (by default
        :data:`~forensic_viewer.overlays.DEFAULT_COLORMAP`, perceptually uniform ``inferno``,
        so equal steps in probability look like equal steps in colour); named in every
        figure's legend bar.
    opacity: heatmap opacity where the heatmap is 1 (it scales with the probability).
    contour_rgb / face_rgb: colours of the mask outline and of face boxes (the viewer's), each
        on a dark casing (:data:`~forensic_viewer.overlays.CASING_RGB`) that stands out from
        every colormap's upper half for every vision (tests/viewer/test_palette.py); a face
        box is dashed, its number on a dark backing.
    flagged_face_rgb: a face a face model flagged (:func:`face_flagged`), drawn solid and
        thicker and tagged "N FLAGGED", in the viewer's colour for it: the face that decided a
        verdict is told by shape and words, not by hue alone.
    max_side: long side of a figure in pixels (reports stay small; the maps are in the scan).
    """

    colormap: str = DEFAULT_COLORMAP
    opacity: float = 0.6
    contour_rgb: tuple[int, int, int] = (0, 255, 255)
    face_rgb: tuple[int, int, int] = FACE_RGB
    flagged_face_rgb: tuple[int, int, int] = FLAGGED_FACE_RGB
    max_side: int = MAX_SIDE

    def __post_init__(self) -> None:
        if self.colormap not in COLORMAPS:
            raise ValueError(f"colormap must be one of {sorted(COLORMAPS)}, got {self.colormap!r}")
        if not 0.0 <= self.opacity <= 1.0:
            raise ValueError(f"opacity must be in [0, 1], got {self.opacity}")
        if self.max_side < 16:
            raise ValueError(f"max_side must be >= 16, got {self.max_side}")


def fit_size(height: int, width: int, max_side: int) -> tuple[int, int]:
    """(h, w) scaled so the long side is at most ``max_side``; never enlarged. An image whose
    short side would be drawn below :data:`MIN_SIDE` keeps that short side (or its own, when
    smaller; not below :data:`FOLD_MIN`), within ``max_side`` squared pixels: a 100 x 20000 receipt is 72 x 14480, not
    5 x 1024; its long side is then beyond ``max_side`` and :func:`fold` cuts it into pieces."""
    short, scale = min(height, width), min(1.0, max_side / max(height, width))
    if FOLD_MIN <= short and short * scale < MIN_SIDE:
        legible = min(MIN_SIDE / short, max_side / math.sqrt(height * width))
        scale = min(1.0, max(scale, legible))
    return max(1, round(height * scale)), max(1, round(width * scale))


def fold_pieces(height: int, width: int, max_side: int) -> int:
    """Into how many pieces :func:`fold` cuts a figure drawn ``height`` x ``width``: 1 when its
    long side is within ``max_side``, else about the square root of its aspect ratio (the
    folded figure near square), each piece at most ``max_side`` long."""
    long, short = max(height, width), min(height, width)
    if long <= max_side:
        return 1
    return max(math.ceil(long / max_side), round(math.sqrt(long / short)))


def fold(img: NDArray[np.uint8], max_side: int) -> NDArray[np.uint8]:
    """A drawn figure longer than ``max_side`` (a strip: :func:`fit_size`) cut along its long
    side into :func:`fold_pieces` pieces of equal length, in order: a tall one's side by side
    from left to right, a wide one's one below the other, :data:`FOLD_GAP` px of white
    between them (the last piece padded with white). Every piece keeps the figure's scale."""
    n = fold_pieces(img.shape[0], img.shape[1], max_side)
    if n == 1:
        return img
    wide = img.shape[1] > img.shape[0]
    tall = img.transpose(1, 0, 2) if wide else img  # folded as a tall one, turned back after
    length, across = -(-tall.shape[0] // n), tall.shape[1]
    out = np.full((length, n * across + (n - 1) * FOLD_GAP, 3), 255, np.uint8)
    for i in range(n):
        piece = tall[i * length : (i + 1) * length]
        x = i * (across + FOLD_GAP)
        out[: piece.shape[0], x : x + across] = piece
    return np.ascontiguousarray(out.transpose(1, 0, 2)) if wide else out


def resize_to(img: NDArray[Any], size: tuple[int, int]) -> NDArray[Any]:
    """``img`` resized to ``size`` = (h, w); area interpolation when shrinking."""
    h, w = size
    if img.shape[:2] == (h, w):
        return img
    interp = cv2.INTER_AREA if h <= img.shape[0] else cv2.INTER_LINEAR
    return cv2.resize(img, (w, h), interpolation=interp)


def blend(
    rgb: NDArray[np.uint8], heat: NDArray[np.floating], colormap: str, opacity: float
) -> NDArray[np.uint8]:
    """Heatmap over ``rgb``: alpha = opacity x probability, so low values leave the evidence
    visible and high values show their colour."""
    colour = colorize(heat, colormap).astype(np.float32)
    alpha = (opacity * np.clip(heat, 0.0, 1.0)).astype(np.float32)[..., None]
    out = rgb.astype(np.float32) * (1.0 - alpha) + colour * alpha
    return np.clip(np.rint(out), 0, 255).astype(np.uint8)


def draw_mask_outline(
    rgb: NDArray[np.uint8],
    mask: NDArray[np.bool_] | NDArray[np.uint8],
    colour: tuple[int, int, int],
) -> NDArray[np.uint8]:
    """Outline of the mask's regions (external and hole contours) on a copy of ``rgb``."""
    out = np.ascontiguousarray(rgb.copy())
    contours, _ = cv2.findContours(
        np.ascontiguousarray(mask, np.uint8), cv2.RETR_CCOMP, cv2.CHAIN_APPROX_SIMPLE
    )
    thickness = max(1, round(max(rgb.shape[:2]) / 400))
    # Crisp lines in the exact colour (no anti-aliasing): an outline pixel is never a blend
    # that could be read as a heatmap colour; on a dark casing, seen over any colour.
    cv2.drawContours(out, contours, -1, CASING_RGB, thickness + CASING_PX, lineType=cv2.LINE_8)
    cv2.drawContours(out, contours, -1, colour, thickness, lineType=cv2.LINE_8)
    return out


def cased_line(
    out: NDArray[np.uint8],
    a: tuple[int, int],
    b: tuple[int, int],
    colour: tuple[int, int, int],
    thickness: int,
    dash: int = 0,
) -> None:
    """A line from ``a`` to ``b`` in ``colour`` on its dark casing, drawn into ``out``; with
    ``dash`` > 0, dashes ``dash`` pixels long with gaps of half that (each dash cased)."""
    length = math.hypot(b[0] - a[0], b[1] - a[1])
    if dash <= 0 or length <= dash:
        pieces = [(a, b)]
    else:
        step, pieces = dash * 1.5, []
        for t0 in np.arange(0.0, length, step):
            t1 = min(length, t0 + dash)
            pieces.append(tuple(  # type: ignore[arg-type]
                (round(a[0] + (b[0] - a[0]) * t / length), round(a[1] + (b[1] - a[1]) * t / length))
                for t in (t0, t1)
            ))  # fmt: skip
    for layer, width in ((CASING_RGB, thickness + CASING_PX), (colour, thickness)):
        for p, q in pieces:
            cv2.line(out, p, q, layer, width, lineType=cv2.LINE_8)


def cased_box(
    out: NDArray[np.uint8],
    p0: tuple[int, int],
    p1: tuple[int, int],
    colour: tuple[int, int, int],
    thickness: int,
    dash: int = 0,
) -> None:
    """The rectangle ``p0``..``p1`` drawn into ``out`` as four :func:`cased_line` sides."""
    (x0, y0), (x1, y1) = p0, p1
    corners = [(x0, y0), (x1, y0), (x1, y1), (x0, y1)]
    if dash <= 0:
        cv2.rectangle(out, p0, p1, CASING_RGB, thickness + CASING_PX, lineType=cv2.LINE_8)
        cv2.rectangle(out, p0, p1, colour, thickness, lineType=cv2.LINE_8)
        return
    for i in range(4):
        cased_line(out, corners[i], corners[(i + 1) % 4], colour, thickness, dash)


def backed_text(
    out: NDArray[np.uint8],
    text: str,
    origin: tuple[int, int],
    colour: tuple[int, int, int],
    size: float,
    stroke: int,
) -> None:
    """``text`` in ``colour`` on a dark backing, its top left at ``origin`` (kept inside
    ``out``): a box's number read over any colour of the evidence or the heatmap, as the
    viewer's labels on their dark fill."""
    font = cv2.FONT_HERSHEY_SIMPLEX
    (tw, th), base = cv2.getTextSize(text, font, size, stroke)
    pad = max(1, stroke)
    h, w = out.shape[:2]
    x = min(max(0, origin[0]), max(0, w - tw - 2 * pad))
    y = min(max(0, origin[1]), max(0, h - th - base - 2 * pad))
    cv2.rectangle(out, (x, y), (x + tw + 2 * pad, y + th + base + 2 * pad), CASING_RGB, -1)
    cv2.putText(out, text, (x + pad, y + pad + th), font, size, colour, stroke, cv2.LINE_AA)


def face_tag(number: int, flagged: bool) -> str:
    """What a face box is labelled with in a figure: its number, "FLAGGED" after a flagged
    face's (the figure says which face decided the verdict in words, not by its colour)."""
    return f"{number} FLAGGED" if flagged else str(number)


def draw_face_box(
    out: NDArray[np.uint8],
    p0: tuple[int, int],
    p1: tuple[int, int],
    number: int,
    flagged: bool,
    style: FigureStyle,
    thin: int,
    k: float,
) -> None:
    """One face's box into ``out``: dashed and ``thin``, or when a face model flagged it solid,
    twice as thick and in ``style.flagged_face_rgb``; cased; labelled :func:`face_tag` on a
    dark backing above its top left corner (inside it at the figure's top)."""
    colour = style.flagged_face_rgb if flagged else style.face_rgb
    if flagged:
        cased_box(out, p0, p1, colour, 2 * thin)
    else:
        cased_box(out, p0, p1, colour, thin, dash=max(4, 5 * thin))
    size, stroke = 0.5 * k, max(1, round(1.3 * k))
    (_, th), base = cv2.getTextSize("0", cv2.FONT_HERSHEY_SIMPLEX, size, stroke)
    top = p0[1] - th - base - 2 * stroke - thin
    backed_text(out, face_tag(number, flagged), (p0[0], top if top >= 0 else p0[1] + thin + 1),
                colour, size, stroke)  # fmt: skip


def draw_face_boxes(
    rgb: NDArray[np.uint8],
    faces: Sequence[dict[str, Any]],
    scale: float,
    colour: tuple[int, int, int],
    flagged_colour: tuple[int, int, int] | None = None,
) -> NDArray[np.uint8]:
    """Face boxes (``{"box": [x, y, w, h]}`` in evidence pixels) drawn at ``scale``, numbered
    from 1 in the order of the report's face table (:func:`draw_face_box`): dashed, or a face
    a face model flagged (:func:`face_flagged`) solid, twice as thick, tagged "FLAGGED" and in
    ``flagged_colour`` when given."""
    out = np.ascontiguousarray(rgb.copy())
    thin = max(1, round(min(max(rgb.shape[:2]), MAX_SIDE) / 300))  # a strip's too
    k = text_scale(rgb.shape[1])
    style = FigureStyle(face_rgb=colour, flagged_face_rgb=flagged_colour or colour)
    for i, face in enumerate(faces, start=1):
        flagged = flagged_colour is not None and face_flagged(face)
        x, y, w, h = (float(v) * scale for v in face["box"])
        p0, p1 = (round(x), round(y)), (round(x + w), round(y + h))
        draw_face_box(out, p0, p1, i, flagged, style, thin, k)
    return out


def legend_bar(
    width: int,
    colormap: str = "inferno",
    pixel_threshold: float | None = None,
    contour_rgb: tuple[int, int, int] = (0, 255, 255),
    regions: bool = False,
    outside_drawn: bool = True,
) -> NDArray[np.uint8]:
    """A colour scale from probability 0 (left) to 1 (right) with ticks at 0, .25, .5, .75, 1
    below it and, when given, a marker at the pixel threshold (labelled above the scale) in
    the mask outline's colour. ``regions``: the scale of a map of regions (the copy-move
    analysis's, when it replaced the ensemble's heatmap), its two ends alone labelled
    "0 outside" and "1 inside", no marker: no value between them is drawn. ``outside_drawn``
    False: a map of regions drawn transparent outside them (a classic analysis's,
    :func:`~forensic_viewer.overlays.region_raster`): the scale is the colour of 1 alone,
    "1 inside", beside an empty box, "0 outside: not drawn" (a dark "0 outside" in the
    legend appeared nowhere in the figure)."""
    width = max(width, 160)
    k = text_scale(width)  # every length below grows with it: the text prints alike
    out = np.full((round(LEGEND_HEIGHT * k), width, 3), 255, np.uint8)
    x0, x1, y0, y1 = round(8 * k), width - round(8 * k), round(16 * k), round(28 * k)
    ramp = np.linspace(0.0, 1.0, x1 - x0, dtype=np.float32)[None, :].repeat(y1 - y0, 0)
    out[y0:y1, x0:x1] = colorize(ramp, colormap)
    font, black, stroke = cv2.FONT_HERSHEY_SIMPLEX, (0, 0, 0), max(1, round(k))

    def text(label: str, x: int, y: int, centred: bool = True) -> None:
        (tw, _), _ = cv2.getTextSize(label, font, 0.38 * k, stroke)
        tx = min(max(x - tw // 2 if centred else x, 0), width - tw)
        cv2.putText(out, label, (tx, y), font, 0.38 * k, black, stroke, cv2.LINE_AA)

    # the colormap named above the scale's left end (its right end when the threshold's label
    # is there), so a reader knows which scale the figure was drawn in (the analyst may have
    # chosen one), with jet's and turbo's warning
    name = colormap_label(colormap)
    (nw, _), _ = cv2.getTextSize(name, font, 0.38 * k, stroke)
    left = True
    if pixel_threshold is not None and 0.0 <= pixel_threshold <= 1.0 and not regions:
        mark = f"mask > {threshold_figure(pixel_threshold)}"
        (mw, _), _ = cv2.getTextSize(mark, font, 0.38 * k, stroke)
        left = x0 + pixel_threshold * (x1 - x0 - 1) - mw / 2 > x0 + nw + round(6 * k)
    text(name, x0 if left else x1 - nw, y0 - round(5 * k), centred=False)

    if regions and not outside_drawn:
        mid = (x0 + x1) // 2
        out[y0:y1, x0:mid] = 255
        cv2.rectangle(out, (x0, y0), (mid - 1, y1 - 1), (128, 128, 128), 1)
        out[y0:y1, mid:x1] = colorize(np.ones((1, 1), np.float32), colormap)[0, 0]
        text("0 outside: not drawn", x0, y1 + round(14 * k), centred=False)
        text("1 inside", (mid + x1) // 2, y1 + round(14 * k))
        return out
    ticks = {0.0: "0 outside", 1.0: "1 inside"} if regions else {v: f"{v:g}" for v in TICKS}
    for v, label in ticks.items():
        x = round(x0 + v * (x1 - x0 - 1))
        cv2.line(out, (x, y1), (x, y1 + round(3 * k)), black, stroke)
        text(label, x, y1 + round(14 * k))
    if pixel_threshold is not None and 0.0 <= pixel_threshold <= 1.0 and not regions:
        x = round(x0 + pixel_threshold * (x1 - x0 - 1))
        cv2.rectangle(out, (x - 2 * stroke, y0 - 3 * stroke), (x + stroke, y1 + 1), black, stroke)
        cv2.line(out, (x, y0 - 2), (x, y1), contour_rgb, 2 * stroke)
        text(f"mask > {threshold_figure(pixel_threshold)}", x, y0 - round(5 * k))
    return out


def evidence_figure(
    rgb: NDArray[np.uint8], faces: Sequence[dict[str, Any]], style: FigureStyle = FigureStyle()
) -> NDArray[np.uint8]:
    """The evidence alone (downscaled) with its face boxes: the reference for every layer."""
    size = fit_size(rgb.shape[0], rgb.shape[1], style.max_side)
    small = resize_to(rgb, size)
    boxed = draw_face_boxes(
        small, faces, size[0] / rgb.shape[0], style.face_rgb, style.flagged_face_rgb
    )
    return fold(boxed, style.max_side)


def annotated_figure(
    rgb: NDArray[np.uint8] | None,
    heat: NDArray[np.floating],
    pixel_threshold: float,
    faces: Sequence[dict[str, Any]] = (),
    style: FigureStyle = FigureStyle(),
    regions: bool = False,
) -> NDArray[np.uint8]:
    """Evidence + heatmap + mask outline + face boxes, above the legend bar.

    rgb: the analysed pixels [H, W, 3] (the heatmap's resolution), or None to draw the
        heatmap on black (evidence not shown).
    heat: [H, W] probabilities; the mask is taken as heat > ``pixel_threshold`` after
        downscaling (area average), which is what the eye sees at the figure's size.
    regions: ``heat`` is a map of regions (1 inside, 0 outside: the copy-move analysis's,
        which replaced the ensemble's heatmap), drawn above that scale's legend.
    """
    out, small_heat, scale = _over_evidence(rgb, heat, style, "heatmap")
    out = draw_mask_outline(out, threshold_mask(small_heat, pixel_threshold), style.contour_rgb)
    out = draw_face_boxes(out, faces, scale, style.face_rgb, style.flagged_face_rgb)
    return above_legend(fold(out, style.max_side), style, pixel_threshold, regions)


def _over_evidence(
    rgb: NDArray[np.uint8] | None, values: NDArray[np.floating], style: FigureStyle, what: str
) -> tuple[NDArray[np.uint8], NDArray[np.float32], float]:
    """The map ``values`` [H, W] coloured over the evidence ``rgb`` [H, W, 3] (or on black when
    None) at the figure's size: (that picture, ``values`` at that size, the figure's scale).
    ValueError, naming the map as ``what``, when the evidence is another size."""
    h, w = values.shape[:2]
    if rgb is not None and rgb.shape[:2] != (h, w):
        raise ValueError(f"evidence is {rgb.shape[1]}x{rgb.shape[0]}, the {what} {w}x{h}")
    size = fit_size(h, w, style.max_side)
    small = resize_to(np.asarray(values, dtype=np.float32), size)
    base = np.zeros((*size, 3), np.uint8) if rgb is None else resize_to(rgb, size)
    out = blend(base, small, style.colormap, 1.0 if rgb is None else style.opacity)
    return out, small, size[0] / h


def above_legend(
    img: NDArray[np.uint8],
    style: FigureStyle,
    pixel_threshold: float | None,
    regions: bool = False,
    outside_drawn: bool = True,
) -> NDArray[np.uint8]:
    """``img`` above the legend bar of its width (padded with white when narrower)."""
    legend = legend_bar(
        img.shape[1], style.colormap, pixel_threshold, style.contour_rgb, regions, outside_drawn
    )
    if legend.shape[1] != img.shape[1]:
        pad = np.full((img.shape[0], legend.shape[1], 3), 255, np.uint8)
        pad[:, : img.shape[1]] = img
        img = pad
    return np.vstack([img, legend])


def outlined(face: dict[str, Any], model: str | None) -> bool:
    """Whether a face map's mask outline is drawn on ``face`` (a faces-table entry): not when
    ``model`` judged the face and did not flag it (the map is a per-pixel output, the face's
    verdict its score against θ); drawn for a face it flagged, or did not judge (a row
    written before face verdicts), or without ``model``."""
    fs = (face.get("face_scores") or {}).get(model) if model is not None else None
    return not isinstance(fs, dict) or fs.get("verdict") == "manipulated"


def face_maps_figure(
    rgb: NDArray[np.uint8] | None,
    face_map: NDArray[np.floating],
    pixel_threshold: float | None,
    faces: Sequence[dict[str, Any]],
    style: FigureStyle = FigureStyle(),
    tile: int = FACE_TILE,
    model: str | None = None,
) -> NDArray[np.uint8] | None:
    """One model's face map (the face path: its maps of the face crops pasted back, 0
    elsewhere) shown where it lives: each face's crop (``engine.facepath.crop_box``, the
    path's own) with the map over it, its face box and number, in tiles of at most ``tile``
    pixels side by side (rows as wide as ``style.max_side``), above the legend bar. A
    whole-image figure would draw a 12 MP photograph's faces as specks. None without faces.

    rgb: the analysed pixels [H, W, 3] at the map's resolution, or None (maps on black).
    pixel_threshold: the model's, for the mask outline and the legend's mark (None: neither).
    At most :data:`FACE_TILES` faces are drawn, those a face model flagged first
    (:func:`face_tiles`), each numbered as in the faces table, a flagged one's box in
    ``style.flagged_face_rgb``, thicker.
    model: the map's model; given, a face it judged and did not flag gets no outline
    (:func:`outlined`): the map read above the pixel threshold over the authentic faces of a
    montage, and their outlines matched the flagged face's.
    """
    from engine.facepath import crop_box  # the face path's geometry (engine.facepath imports torch)

    h, w = face_map.shape[:2]
    if rgb is not None and rgb.shape[:2] != (h, w):
        raise ValueError(f"evidence is {rgb.shape[1]}x{rgb.shape[0]}, the face map {w}x{h}")
    tiles = []
    for i in face_tiles(faces):
        face = faces[i]
        x, y, bw, bh = (round(float(v)) for v in face["box"])
        c = crop_box((x, y, bw, bh), w, h)
        heat = np.asarray(face_map[c.y0 : c.y1, c.x0 : c.x1], dtype=np.float32)
        scale = tile / max(heat.shape)  # a small face enlarged to the tile, as the path does
        size = (max(1, round(heat.shape[0] * scale)), max(1, round(heat.shape[1] * scale)))
        small = resize_to(heat, size)
        if rgb is None:
            t = blend(np.zeros((*size, 3), np.uint8), small, style.colormap, 1.0)
        else:
            t = blend(resize_to(rgb[c.y0 : c.y1, c.x0 : c.x1], size), small, style.colormap,
                      style.opacity)  # fmt: skip
        if pixel_threshold is not None and outlined(face, model):
            t = draw_mask_outline(t, threshold_mask(small, pixel_threshold), style.contour_rgb)
        k = size[0] / heat.shape[0]
        p0 = (round((x - c.x0) * k), round((y - c.y0) * k))
        p1 = (round((x - c.x0 + bw) * k), round((y - c.y0 + bh) * k))
        t = np.ascontiguousarray(t)
        draw_face_box(t, p0, p1, i + 1, face_flagged(face), style, 1, 1.0)
        cell = np.full((tile, tile, 3), 255, np.uint8)
        cell[: t.shape[0], : t.shape[1]] = t
        tiles.append(cell)
    if not tiles:
        return None
    per_row = max(1, style.max_side // (tile + 4))
    rows = []
    for k in range(0, len(tiles), per_row):
        row = tiles[k : k + per_row]
        gap = np.full((tile, 4, 3), 255, np.uint8)
        rows.append(np.hstack([p for t in row for p in (t, gap)][:-1]))
    width = max(r.shape[1] for r in rows)
    grid = np.full((sum(r.shape[0] + 4 for r in rows) - 4, width, 3), 255, np.uint8)
    top = 0
    for r in rows:
        grid[top : top + r.shape[0], : r.shape[1]] = r
        top += r.shape[0] + 4
    return above_legend(grid, style, pixel_threshold)


def draw_pairs(rgb: NDArray[np.uint8], pairs: Sequence[Any], scale: float) -> NDArray[np.uint8]:
    """Clone pairs (objects with ``source_box``/``target_box`` (x, y, w, h) in evidence
    pixels) drawn at ``scale``: both boxes, a line joining their centres, the pair's number."""
    out = np.ascontiguousarray(rgb.copy())
    thickness = max(1, round(min(max(rgb.shape[:2]), MAX_SIDE) / 300))  # a strip's too
    k = text_scale(rgb.shape[1])
    for i, pair in enumerate(pairs, start=1):
        a, b = ((round(u * scale), round(v * scale)) for u, v in pair_link(pair))
        cased_line(out, a, b, PAIR_LINK_RGB, thickness, dash=max(4, 5 * thickness))
        for box, colour in ((pair.source_box, PAIR_SOURCE_RGB), (pair.target_box, PAIR_TARGET_RGB)):
            x, y, w, h = (float(v) * scale for v in box)
            cased_box(out, (round(x), round(y)), (round(x + w), round(y + h)), colour, thickness)
            backed_text(out, str(i), (round(x) + thickness + 1, round(y) + thickness + 1),
                        colour, 0.45 * k, max(1, round(k)))  # fmt: skip
    return out


def analysis_figure(
    rgb: NDArray[np.uint8] | None,
    values: NDArray[np.floating],
    scale_kind: str,
    pairs: Sequence[Any] = (),
    style: FigureStyle = FigureStyle(),
) -> NDArray[np.uint8]:
    """A classic analysis's map over the evidence (or on black), above the legend bar.

    Drawn as the viewer draws the analysis's layer (:func:`~forensic_viewer.overlays.
    analysis_raster` at :data:`~forensic_viewer.overlays.ANALYSIS_OPACITY`, in
    :func:`~forensic_viewer.overlays.analysis_colormap`'s colormap, ``style``'s colormap and
    opacity aside: those are the networks'): every value coloured, a low reading as visible as
    on screen, not faded into the photograph like a network's "nothing found"; but a map of
    regions, drawn inside its regions only.

    scale_kind: the map's scale (``probability``, ``raw`` or ``region``); a region map is also
    outlined, its legend "0 outside: not drawn" and "1 inside" (:func:`legend_bar`). pairs:
    clone pairs, drawn linked (:func:`draw_pairs`).
    """
    h, w = values.shape[:2]
    if rgb is not None and rgb.shape[:2] != (h, w):
        raise ValueError(f"evidence is {rgb.shape[1]}x{rgb.shape[0]}, the map {w}x{h}")
    size = fit_size(h, w, style.max_side)
    small = resize_to(np.asarray(values, dtype=np.float32), size)
    colormap = analysis_colormap(scale_kind)
    base = np.zeros((*size, 3), np.uint8) if rgb is None else resize_to(rgb, size)
    raster = analysis_raster(small, scale_kind, colormap)
    out = over_rgb(base, raster, 1.0 if rgb is None else ANALYSIS_OPACITY)
    scale = size[0] / h
    if scale_kind == "region":
        out = draw_mask_outline(out, small > 0.5, style.contour_rgb)
    drawn = fold(draw_pairs(out, pairs, scale), style.max_side)
    legend_style = dataclasses.replace(style, colormap=colormap)
    region = scale_kind == "region"  # transparent outside its regions: so is its legend
    return above_legend(drawn, legend_style, None, region, outside_drawn=not region)


def picture_scale(
    name: str, params: Mapping[str, Any], extras: Mapping[str, Any]
) -> tuple[tuple[str, str], str]:
    """How analysis ``name``'s picture maps what it measured to grey levels: (the legend's two
    ends, the caption's words), from the parameters and extras it recorded."""
    white, pct = extras.get("display_white_at"), params.get("display_percentile")
    if name == "ela" and isinstance(white, int | float):
        return (("0", f"{white:g} or more"), (
            f"each channel's error |Δ| (grey levels) stretched so that {white:g}, the "
            f"{pct:g}th percentile of the image's differences, and more are white"
        ))  # fmt: skip
    gain = params.get("residual_gain")
    if name == "noise" and isinstance(gain, int | float) and gain > 0:
        top = 255.0 / gain
        return (("0", f"{top:.3g} or more"), (
            f"the median-filter noise residual |Y - median3(Y)| x {gain:g} (grey levels), "
            f"white at {top:.3g} or more"
        ))  # fmt: skip
    return (("0", "255"), "as the analysis drew it (its scaling is not recorded)")


def picture_figure(
    display: NDArray[np.uint8], ends: tuple[str, str], style: FigureStyle = FigureStyle()
) -> NDArray[np.uint8]:
    """A classic analysis's picture for the eye (its ``display`` [H, W, 3], e.g. ELA's error
    levels stretched to white: what the viewer's picture layer shows, opaque) at the figure's
    size, above a grey scale from black to white whose ends are labelled ``ends`` (what a
    channel's 0 and 255 stand for, e.g. ``("0", "12.3 or more")``)."""
    size = fit_size(display.shape[0], display.shape[1], style.max_side)
    img = fold(resize_to(np.ascontiguousarray(display), size), style.max_side)
    width = max(img.shape[1], 160)
    k = text_scale(width)
    legend = np.full((round(LEGEND_HEIGHT * k), width, 3), 255, np.uint8)
    x0, x1, y0, y1 = round(8 * k), width - round(8 * k), round(16 * k), round(28 * k)
    ramp = np.linspace(0.0, 1.0, x1 - x0, dtype=np.float32)[None, :].repeat(y1 - y0, 0)
    legend[y0:y1, x0:x1] = colorize(ramp, "gray")
    font, stroke = cv2.FONT_HERSHEY_SIMPLEX, max(1, round(k))
    for label, x, left in ((ends[0], x0, True), (ends[1], x1, False)):
        (tw, _), _ = cv2.getTextSize(label, font, 0.38 * k, stroke)
        tx = x if left else max(0, x - tw)
        cv2.putText(legend, label, (tx, y1 + round(14 * k)), font, 0.38 * k, (0, 0, 0), stroke,
                    cv2.LINE_AA)  # fmt: skip
    if img.shape[1] < width:
        pad = np.full((img.shape[0], width, 3), 255, np.uint8)
        pad[:, : img.shape[1]] = img
        img = pad
    return np.vstack([img, legend])


def encode(rgb: NDArray[np.uint8], fmt: str = "JPEG", quality: int = 88) -> bytes:
    """``rgb`` as JPEG (photographs and heatmaps) or PNG bytes."""
    buf = io.BytesIO()
    img = Image.fromarray(rgb)
    if fmt.upper() == "JPEG":
        img.save(buf, format="JPEG", quality=quality, optimize=True)
    else:
        img.save(buf, format="PNG", optimize=True)
    return buf.getvalue()
