"""What the layers draw, computed from heatmaps and masks with numpy and OpenCV (no Qt).

The one renderer of heatmaps, masks and colormaps: the canvas draws these rasters on screen
and the reports' figures (:mod:`forensic_viewer.report.figures`) colour heatmaps and cut masks
with the same tables and rules, so a figure in a report shows what the analyst saw.

Every raster here is ``[H, W, 4]`` uint8 in the byte order of Qt's
``QImage.Format_ARGB32_Premultiplied`` on little-endian machines (B, G, R, A with colour already
multiplied by alpha): the canvas wraps the array in a QImage without a copy, and that format
is the one Qt's raster painter draws without converting. The functions run on a worker thread
(OpenCV and numpy release the GIL in the heavy parts), so the GUI thread only wraps and paints.

The mask is ``heatmap > threshold`` (strict), as ``engine.pipeline`` makes it, so at a model's
calibrated pixel threshold the forged fraction here equals the one of the analysis.

Classic analyses (``engine.analyses``) are drawn by the same rules: their maps through a
colormap (:func:`heatmap_raster`; a map of regions transparent outside them,
:func:`region_raster`), possibly one value per ``cell`` x ``cell`` pixels (the canvas stretches
such a raster over the evidence, the magnifier indexes it per cell), and clone pairs as two
boxes joined by a line between their centres (:func:`pair_link`, in the ``PAIR_*`` colours),
on screen and in the reports' figures alike.
"""

from __future__ import annotations

import functools
from dataclasses import dataclass, field

import cv2
import numpy as np
from numpy.typing import NDArray

Raster = NDArray[np.uint8]  # [H, W, 4] B, G, R, A premultiplied

# Colormaps offered for heatmaps; values are OpenCV's (perceptual ones first), "gray" is linear.
# cividis (Nuñez, Anderton and Renslow 2018) is made for colour-vision deficiencies: it reads
# the same with deuteranopia or protanopia as with normal vision.
COLORMAPS: dict[str, int | None] = {
    "inferno": cv2.COLORMAP_INFERNO,
    "magma": cv2.COLORMAP_MAGMA,
    "viridis": cv2.COLORMAP_VIRIDIS,
    "cividis": cv2.COLORMAP_CIVIDIS,
    "turbo": cv2.COLORMAP_TURBO,
    "hot": cv2.COLORMAP_HOT,
    "jet": cv2.COLORMAP_JET,
    "gray": None,
}
# The heatmaps' colormap until the analyst chooses another (the viewer's View > Heatmap
# colormap, kept in its settings; a report's --colormap). Kept: inferno's lightness rises
# monotonically under normal vision, deuteranopia, protanopia and tritanopia alike, its two
# ends are >= 96 CIEDE2000 apart under each, and values 0.25 apart >= 11.9 (walk-through cvd,
# 2026-12-06, "Colormaps"), nothing measured there gives a reason to change the colormap
# every earlier report used.
DEFAULT_COLORMAP = "inferno"
# Colormaps whose lightness goes down and up again along the scale (jet 68 times, turbo 54 under
# deuteranopia): a lighter colour is not a higher value. Offered, but said so where chosen and
# in a report's legend.
NOT_ORDERED = frozenset({"jet", "turbo"})


def colormap_label(name: str) -> str:
    """``name`` as a colormap menu or legend says it: jet and turbo with their warning."""
    return f"{name} (not perceptually ordered)" if name in NOT_ORDERED else name


MAX_OUTLINED = 500  # regions whose contour and box are drawn; the largest ones, by area
# Every thin stroke drawn over a heatmap (mask outlines, face and pair boxes, pair links) lies
# on a casing of this colour, a little wider: a stroke's colour can be a colormap's own (a
# vermillion mask on inferno at 0.63 was 3.2 CIEDE2000 from it for a deuteranope), its black
# edge is >= 25 from the upper half of every colormap offered, for every vision measured
# (tests/viewer/test_palette.py).
CASING_RGB = (0, 0, 0)
CASING_PX = 2  # the casing is this many pixels wider than its stroke (one on each side)
# A clone pair in pale green: the orange it had was inferno's own colour at 0.75 (1.1
# CIEDE2000, to everyone). Chosen by simulation: >= 16 from every mask colour, the truth's
# white and both face colours under every vision measured (white, the first choice, is the
# truth's). The boxes solid, the joining line dashed, each cased.
PAIR_SOURCE_RGB = (180, 210, 165)  # a clone pair's source box
PAIR_TARGET_RGB = PAIR_SOURCE_RGB  # ... its target box (which copy is the original is unknown)
PAIR_LINK_RGB = PAIR_SOURCE_RGB  # ... and the line joining them
# A face's box (the canvas's and the reports'); reports drew green, which is inferno's colour at
# 0.88 for a deuteranope (0.5 CIEDE2000).
FACE_RGB = (80, 220, 255)
# A face that a face model flagged (the face rule counts it): the canvas's box and label and the
# reports' figures draw it in magenta, thicker, solid and tagged "flagged" (the others dashed in
# reports), so it is told by shape and words too. The red it had turned olive for a
# deuteranope, 2.7 CIEDE2000 from inferno; magenta is >= 12 from inferno's upper half and
# >= 13 from FACE_RGB under every vision measured (tests/viewer/test_palette.py).
FLAGGED_FACE_RGB = (255, 0, 255)


@functools.cache
def colormap_lut(name: str) -> NDArray[np.uint8]:
    """[256, 3] uint8 RGB of colormap ``name`` for heatmap values 0/255 .. 255/255."""
    if name not in COLORMAPS:
        raise ValueError(f"unknown colormap {name!r}; choose from {sorted(COLORMAPS)}")
    ramp = np.arange(256, dtype=np.uint8).reshape(256, 1)
    code = COLORMAPS[name]
    if code is None:
        rgb = np.repeat(ramp, 3, axis=1)
    else:
        rgb = cv2.cvtColor(cv2.applyColorMap(ramp, code), cv2.COLOR_BGR2RGB).reshape(256, 3)
    rgb = np.ascontiguousarray(rgb)
    rgb.setflags(write=False)
    return rgb


def _bgra_lut(rgb: NDArray[np.uint8], alpha: NDArray[np.uint8]) -> NDArray[np.uint8]:
    """[1, 256, 4] premultiplied B, G, R, A lookup table for ``cv2.LUT``."""
    a = alpha.astype(np.float32)[:, None] / 255.0
    bgr = np.rint(rgb[:, ::-1].astype(np.float32) * a).astype(np.uint8)
    return np.concatenate([bgr, alpha[:, None]], axis=1).reshape(1, 256, 4)


def to_u8(values: NDArray[np.floating]) -> NDArray[np.uint8]:
    """[0, 1] floats to 0..255 (rounded, saturated), on OpenCV's threads."""
    return cv2.convertScaleAbs(np.ascontiguousarray(values, dtype=np.float32), alpha=255.0)


def _apply_lut(index: NDArray[np.uint8], lut: NDArray[np.uint8]) -> Raster:
    return cv2.LUT(cv2.merge([index, index, index, index]), lut)


def image_raster(pixels: NDArray[np.uint8]) -> Raster:
    """The evidence pixels [H, W, 3] RGB as an opaque raster."""
    return cv2.cvtColor(np.ascontiguousarray(pixels), cv2.COLOR_RGB2BGRA)


def colorize(heatmap: NDArray[np.floating], colormap: str) -> NDArray[np.uint8]:
    """A heatmap [H, W] in [0, 1] as RGB [H, W, 3] through ``colormap`` (for figures)."""
    return colormap_lut(colormap)[to_u8(heatmap)]


# a faded heatmap's alpha: as its value, so a low value lets the evidence show through
FADE_ALPHA = np.rint(np.linspace(0.0, 255.0, 256)).astype(np.uint8)


def heatmap_raster(heatmap: NDArray[np.float32], colormap: str, fade: bool = False) -> Raster:
    """A heatmap [H, W] in [0, 1] coloured by ``colormap`` (the layer has the opacity): opaque,
    or with ``fade`` as opaque as its value (transparent at 0), so that where a network found
    nothing the evidence is seen as it is, not tinted by the colormap's low end."""
    alpha = FADE_ALPHA if fade else np.full(256, 255, np.uint8)
    return _apply_lut(to_u8(heatmap), _bgra_lut(colormap_lut(colormap), alpha))


HATCH_PX = 8  # width of the stripes drawn over pixels a partial heatmap has not computed yet
HATCH_BGRA = (96, 96, 96, 160)  # premultiplied grey, more than half opaque


DIMMED = 0.35  # share of a heatmap's opacity kept where :func:`dim_and_hatch` dims it


def dim_and_hatch(raster: Raster, where: NDArray[np.bool_]) -> Raster:
    """``raster`` (premultiplied BGRA) dimmed to :data:`DIMMED` of its opacity and crossed by
    thin grey stripes where ``where`` is true, so that part reads as set aside, not as a
    finding, while its colours stay readable (a face map over the faces its model did not
    flag: ``forensic_viewer.model_layers.FaceMapLayer``)."""
    if where.any():
        h, w = where.shape
        yy, xx = np.ogrid[:h, :w]
        stripe = (xx + yy) % (2 * HATCH_PX) < 2
        raster[where] = (raster[where] * DIMMED).astype(np.uint8)
        raster[where & stripe] = HATCH_BGRA
    return raster


def partial_heatmap_raster(
    heatmap: NDArray[np.float32], colormap: str, fade: bool = False
) -> Raster:
    """A partial heatmap (NaN where not computed): computed pixels as :func:`heatmap_raster`,
    the others hatched with grey diagonal stripes over transparency, so that "not computed"
    never looks like a low value ("authentic")."""
    missing = np.isnan(heatmap)
    raster = heatmap_raster(np.where(missing, 0.0, heatmap).astype(np.float32), colormap, fade)
    if missing.any():
        h, w = heatmap.shape
        yy, xx = np.ogrid[:h, :w]
        stripe = ((xx + yy) // HATCH_PX) % 2 == 0
        raster[missing] = 0
        raster[missing & stripe] = HATCH_BGRA
    return raster


def region_raster(values: NDArray[np.float32], colormap: str, alpha: float = 0.55) -> Raster:
    """A map of regions (1 inside, 0 outside; values between as they come): the colormap's
    colour at each value, transparent at 0 so the evidence shows around the regions."""
    a = np.rint(np.linspace(0.0, 255.0 * alpha, 256)).astype(np.uint8)
    a[1:] = np.maximum(a[1:], round(255 * alpha))  # any value above 0 shows fully
    return _apply_lut(to_u8(values), _bgra_lut(colormap_lut(colormap), a))


# A classic analysis's map as the viewer first draws it (AnalysisLayer) and a report's figure
# draws it: probabilities in the networks' colormap, raw values and regions in another so that
# they never look like a network's heatmap; every value opaque (no fade: a low reading is a
# reading to see, not "nothing found"), the whole layer at this opacity.
ANALYSIS_OPACITY = 0.6


def analysis_colormap(scale: str) -> str:
    """The colormap a classic analysis's map of ``scale`` (``probability``, ``raw``,
    ``region``) is drawn in, on screen and in reports."""
    return "inferno" if scale == "probability" else "viridis"


def analysis_raster(values: NDArray[np.float32], scale: str, colormap: str) -> Raster:
    """A classic analysis's map [H, W] in [0, 1] as drawn: a map of regions transparent outside
    them (:func:`region_raster`), any other map opaque at every value (:func:`heatmap_raster`
    without fade)."""
    if scale == "region":
        return region_raster(values, colormap)
    return heatmap_raster(values, colormap, fade=False)


def over_rgb(rgb: NDArray[np.uint8], raster: Raster, opacity: float) -> NDArray[np.uint8]:
    """``raster`` (premultiplied B, G, R, A) painted over ``rgb`` [H, W, 3] at ``opacity``, as
    the canvas paints a layer (source over): the picture [H, W, 3] RGB the analyst saw."""
    a = raster[..., 3:4].astype(np.float32) * (opacity / 255.0)
    colour = raster[..., 2::-1].astype(np.float32) * opacity  # premultiplied R, G, B
    out = rgb.astype(np.float32) * (1.0 - a) + colour
    return np.clip(np.rint(out), 0, 255).astype(np.uint8)


def box_centre(box: tuple[float, float, float, float]) -> tuple[float, float]:
    """Centre of an (x, y, w, h) box in scene coordinates."""
    x, y, w, h = box
    return (x + w / 2.0, y + h / 2.0)


def pair_link(pair: object) -> tuple[tuple[float, float], tuple[float, float]]:
    """The line drawn between a clone pair's copies: from the centre of its ``source_box`` to
    the centre of its ``target_box`` (``engine.analyses.ClonePair`` or anything with both)."""
    return box_centre(pair.source_box), box_centre(pair.target_box)  # type: ignore[attr-defined]


def threshold_mask(heatmap: NDArray[np.float32], threshold: float) -> NDArray[np.uint8]:
    """``heatmap > threshold`` as uint8 0/1 (strict, like ``engine.pipeline``)."""
    _, out = cv2.threshold(
        np.ascontiguousarray(heatmap, np.float32), threshold, 1, cv2.THRESH_BINARY
    )
    return out.astype(np.uint8)


@dataclass
class Polylines:
    """Many polylines as one point list: ``connect[i]`` joins point i to point i + 1.

    x, y are scene coordinates (pixel (col, row) covers [col, col + 1] x [row, row + 1]).
    """

    x: NDArray[np.float64] = field(default_factory=lambda: np.zeros(0))
    y: NDArray[np.float64] = field(default_factory=lambda: np.zeros(0))
    connect: NDArray[np.bool_] = field(default_factory=lambda: np.zeros(0, bool))

    def __len__(self) -> int:
        return len(self.x)


def polylines(shapes: list[NDArray[np.floating]], *, closed: bool) -> Polylines:
    """Join ``shapes`` ([N, 2] x, y each) into one :class:`Polylines`."""
    parts = [np.asarray(s, np.float64).reshape(-1, 2) for s in shapes if len(s)]
    if closed:
        parts = [np.vstack([p, p[:1]]) for p in parts]
    if not parts:
        return Polylines()
    pts = np.vstack(parts)
    connect = np.ones(len(pts), bool)
    ends = np.cumsum([len(p) for p in parts]) - 1
    connect[ends] = False  # the last point of each shape is not joined to the next shape
    return Polylines(pts[:, 0], pts[:, 1], connect)


@dataclass
class MaskRender:
    """A mask at one threshold: its fill, statistics and the outlines of its largest regions.

    fraction: share of mask pixels (the forged fraction at ``threshold``).
    regions: connected regions (8-connectivity).
    outlined: how many of them have their contour and box in ``contours`` / ``boxes``.
    """

    threshold: float
    fraction: float
    regions: int
    outlined: int
    fill: Raster | None  # None: not drawn (a hidden large mask: model_layers.MaskLayer)
    contours: Polylines
    boxes: Polylines
    box_list: NDArray[np.int32]  # [outlined, 4] x, y, w, h


MASK_FILL_ALPHA = 0.45  # a mask's fill over the evidence


def mask_fill(
    mask: NDArray[np.uint8], color: tuple[int, int, int], alpha: float = MASK_FILL_ALPHA
) -> Raster:
    """A 0/1 ``mask`` as its fill: ``color`` (RGB) at ``alpha`` where 1, transparent where 0."""
    a = np.zeros(256, np.uint8)
    a[1] = round(255 * alpha)
    rgb = np.zeros((256, 3), np.uint8)
    rgb[1] = color
    return _apply_lut(mask, _bgra_lut(rgb, a))


def mask_render(
    heatmap: NDArray[np.float32],
    threshold: float,
    color: tuple[int, int, int],
    *,
    fill_alpha: float = MASK_FILL_ALPHA,
    max_outlined: int = MAX_OUTLINED,
    fill: bool = True,
) -> MaskRender:
    """Mask ``heatmap > threshold``: fill in ``color`` (RGB; without ``fill``, None),
    statistics, contours and boxes.

    Only the ``max_outlined`` largest regions are outlined: a noisy mask can hold 10^5 specks,
    whose outlines would hide the image and cost seconds to draw.
    """
    mask = threshold_mask(heatmap, threshold)
    n, labels, stats, _ = cv2.connectedComponentsWithStats(mask, connectivity=8)
    regions = n - 1
    fraction = cv2.countNonZero(mask) / mask.size if mask.size else 0.0
    fill_raster = mask_fill(mask, color, fill_alpha) if fill else None
    if regions > max_outlined:
        areas = stats[1:, cv2.CC_STAT_AREA]
        keep = np.argpartition(-areas, max_outlined - 1)[:max_outlined] + 1
        keep_lut = np.zeros(n, np.uint8)
        keep_lut[keep] = 1
        outline_src = keep_lut[labels]
    else:
        keep = np.arange(1, n)
        outline_src = mask
    contours, _ = cv2.findContours(outline_src, cv2.RETR_EXTERNAL, cv2.CHAIN_APPROX_SIMPLE)
    box_list = stats[keep][:, :4].astype(np.int32)
    corners = [
        np.array([[x, y], [x + w, y], [x + w, y + h], [x, y + h]], np.float64)
        for x, y, w, h in box_list
    ]
    return MaskRender(
        threshold=float(threshold),
        fraction=fraction,
        regions=int(regions),
        outlined=len(keep),
        fill=fill_raster,
        contours=polylines([c.reshape(-1, 2) + 0.5 for c in contours], closed=True),
        boxes=polylines(corners, closed=True),
        box_list=box_list,
    )


def agreement_share(
    heatmaps: list[NDArray[np.float32]], thresholds: list[float]
) -> NDArray[np.float32]:
    """Per pixel, the share of models whose mask (heatmap > its threshold) is on: [H, W] in [0, 1]."""
    if not heatmaps or len(heatmaps) != len(thresholds):
        raise ValueError(
            f"need one threshold per heatmap, got {len(heatmaps)} and {len(thresholds)}"
        )
    count = np.zeros(heatmaps[0].shape, np.float32)
    for heat, t in zip(heatmaps, thresholds, strict=True):
        cv2.add(count, threshold_mask(heat, t).astype(np.float32), dst=count)
    return count * np.float32(1.0 / len(heatmaps))


def agreement_raster(share: NDArray[np.float32], colormap: str) -> Raster:
    """Agreement share coloured by ``colormap``; pixels no model marks stay transparent."""
    alpha = np.full(256, 255, np.uint8)
    alpha[0] = 0
    return _apply_lut(to_u8(share), _bgra_lut(colormap_lut(colormap), alpha))


def legend(colormap: str, width: int = 256, height: int = 14) -> NDArray[np.uint8]:
    """[height, width, 3] RGB ramp of ``colormap`` from 0 (left) to 1 (right)."""
    idx = np.rint(np.linspace(0, 255, width)).astype(np.intp)
    row = colormap_lut(colormap)[idx]
    return np.ascontiguousarray(np.broadcast_to(row, (height, width, 3)))


def evidence_raster(raster: Raster, cell: int, shape: tuple[int, int]) -> Raster:
    """``raster`` as one value per evidence pixel of ``shape`` (height, width), as the canvas
    draws it: a raster of one value per ``cell`` x ``cell`` pixels has each cell repeated over
    its pixels, the last row and column cut by the image's border (a cell raster stretched to
    the image's size put values up to half a cell away from their pixels). For exports."""
    if cell == 1:
        return raster
    h, w = shape
    rows = np.minimum(np.arange(h) // cell, raster.shape[0] - 1)
    cols = np.minimum(np.arange(w) // cell, raster.shape[1] - 1)
    return raster[np.ix_(rows, cols)]


def composite_patch(
    base: NDArray[np.uint8],
    overlays: list[tuple[Raster, float]] | list[tuple[Raster, float, int]],
    x: int,
    y: int,
    radius: int,
) -> NDArray[np.uint8]:
    """RGB [2r+1, 2r+1, 3] around pixel (x, y): ``base`` RGB with premultiplied ``overlays``
    (raster, opacity[, cell]) blended on top in order; outside the image is black. A raster
    with a ``cell`` > 1 holds one value per cell x cell pixels. For the magnifier.
    """
    size = 2 * radius + 1
    h, w = base.shape[:2]
    out = np.zeros((size, size, 3), np.float32)
    x0, y0 = x - radius, y - radius
    sx0, sy0, sx1, sy1 = max(0, x0), max(0, y0), min(w, x0 + size), min(h, y0 + size)
    if sx1 <= sx0 or sy1 <= sy0:
        return out.astype(np.uint8)
    dst = (slice(sy0 - y0, sy1 - y0), slice(sx0 - x0, sx1 - x0))
    out[dst] = base[sy0:sy1, sx0:sx1]
    for raster, opacity, *rest in overlays:
        cell = rest[0] if rest else 1
        if cell == 1:
            patch = raster[sy0:sy1, sx0:sx1].astype(np.float32) * opacity
        else:
            rows = np.minimum(np.arange(sy0, sy1) // cell, raster.shape[0] - 1)
            cols = np.minimum(np.arange(sx0, sx1) // cell, raster.shape[1] - 1)
            patch = raster[np.ix_(rows, cols)].astype(np.float32) * opacity
        rgb = patch[..., 2::-1]  # B, G, R -> R, G, B, premultiplied
        a = patch[..., 3:4] / 255.0
        out[dst] = rgb + out[dst] * (1.0 - a)
    return np.clip(np.rint(out), 0, 255).astype(np.uint8)
