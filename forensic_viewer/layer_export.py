"""A layer written to a PNG as drawn, saying in the file what shaped it (no Qt).

Case ▸ Export the selected layer as drawn… (``gui/case_log.py``) writes :func:`layer_png`: the
layer as straight (not premultiplied) BGRA at the evidence's size, and a ``tEXt`` chunk
(keyword :data:`PNG_KEY`, JSON in ASCII) holding what shaped it: model, layer, its threshold
and the calibrated one, opacity, colormap, the fade ("transparent where low"), what a mask
draws, the evidence's SHA-256 and the program's version. A file away from its case log still
says it is a mask at 0.2 and not the calibrated 0.5 (a walk-through of 2026-12-06 found the
PNG said nothing, and the log did not record the fade, which changes the file).

A mask is exported as the canvas draws it: its fill when ticked, then its contours (2 pixels)
and its regions' boxes (1 pixel; solid, where the canvas dashes them) in its colour. Only its
fill was written, and with the fill unticked the export was refused as "not drawn yet" while
the contours were on the screen.
"""

from __future__ import annotations

import json
import struct
import zlib
from typing import Any

import cv2
import numpy as np
from numpy.typing import NDArray

from forensic_viewer.environment import APP_PACKAGE, package_version
from forensic_viewer.layer_base import Layer
from forensic_viewer.model_layers import MaskLayer, PartialHeatmapLayer
from forensic_viewer.overlays import Polylines, evidence_raster, mask_fill, threshold_mask

PNG_KEY = "forensic-viewer layer"  # the tEXt keyword (1-79 Latin-1 characters)
SETTINGS = ("threshold", "calibrated_threshold", "colormap", "fade", "fill", "contours", "boxes")


class NotDrawn(ValueError):
    """The layer draws nothing to export now; the message says why (one line)."""


def layer_settings(layer: Layer) -> dict[str, Any]:
    """What shapes ``layer``'s picture: opacity, and those of :data:`SETTINGS` it has; a
    partial heatmap's share computed (``partial``)."""
    settings: dict[str, Any] = {"opacity": layer.opacity}
    for attr in SETTINGS:
        if hasattr(layer, attr):
            settings[attr] = getattr(layer, attr)
    if isinstance(layer, PartialHeatmapLayer):  # a part of the image only, no verdict
        settings["partial"] = layer.fraction
    return settings


def _straight(raster: NDArray[np.uint8], cell: int, shape: tuple[int, int]) -> NDArray[np.uint8]:
    bgra = evidence_raster(raster, cell, shape).astype(np.float32)
    alpha = bgra[..., 3:4]
    bgra[..., :3] = np.where(alpha > 0, bgra[..., :3] * 255.0 / np.maximum(alpha, 1), 0)
    return np.clip(bgra + 0.5, 0, 255).astype(np.uint8)


def _bgra(color: tuple[int, int, int]) -> tuple[int, int, int, int]:
    return int(color[2]), int(color[1]), int(color[0]), 255


def _draw(
    bgra: NDArray[np.uint8], lines: Polylines, color: tuple[int, int, int], width: int
) -> None:
    """Each joined pair of points of ``lines`` (scene coordinates of pixel centres, x + 0.5)
    as an opaque line through those pixels. Rounding the centres moved every odd coordinate a
    pixel on (Python rounds halves to even), off the image at its right and bottom edges."""
    x = np.floor(lines.x).astype(np.int64)  # the pixel whose centre the point is
    y = np.floor(lines.y).astype(np.int64)
    for i in np.flatnonzero(lines.connect[:-1]) if len(lines) else ():
        a, b = (int(x[i]), int(y[i])), (int(x[i + 1]), int(y[i + 1]))
        cv2.line(bgra, a, b, _bgra(color), width, lineType=cv2.LINE_8)


def _draw_boxes(
    bgra: NDArray[np.uint8], boxes: NDArray[np.int32], color: tuple[int, int, int]
) -> None:
    """Each region's box (x, y, w, h rows) 1 pixel wide on the region's outermost pixels. The
    box's corners, on pixel edges (x + w), drew its right and bottom sides outside the region,
    and not at all at the image's right and bottom edges."""
    for x, y, w, h in boxes.tolist():
        cv2.rectangle(bgra, (x, y), (x + w - 1, y + h - 1), _bgra(color), 1, cv2.LINE_8)


def layer_bgra(layer: Layer, shape: tuple[int, int]) -> NDArray[np.uint8]:
    """``layer`` as drawn now, straight BGRA [H, W, 4] at the evidence ``shape`` (height,
    width), drawn here at its current settings when the canvas's drawing of them is still on
    its way (a threshold moved just before: the export was the drawing before the move, logged
    at the new threshold). Raises :class:`NotDrawn` when it draws nothing to export."""
    job = None if layer.is_current else layer.render_job()
    if job is not None:
        layer.apply_render(job.version, job.fn())
    if isinstance(layer, MaskLayer):
        stats = layer.stats
        if stats is None:
            raise NotDrawn(f"{layer.name}: not drawn yet")
        if not (layer.fill or layer.contours or layer.boxes):
            raise NotDrawn(f"{layer.name}: draws nothing (fill, contours and boxes unticked)")
        if layer.fill:
            fill = stats.fill
            if fill is None:  # hidden and large: its fill was not kept (layer_base)
                mask = threshold_mask(layer.heatmap, stats.threshold)
                fill = mask_fill(mask, layer.color)
            bgra = _straight(fill, layer.cell, shape)
        else:
            bgra = np.zeros((*shape, 4), np.uint8)
        if layer.contours:
            _draw(bgra, stats.contours, layer.color, 2)
        if layer.boxes:
            _draw_boxes(bgra, stats.box_list, layer.color)
        return bgra
    raster = layer.raster()
    if raster is None:
        raise NotDrawn(f"{layer.name}: not drawn yet (or not a raster layer)")
    return _straight(raster, layer.cell, shape)


def png_text_chunk(keyword: str, text: str) -> bytes:
    """A PNG ``tEXt`` chunk (Latin-1 keyword and text)."""
    data = keyword.encode("latin-1") + b"\0" + text.encode("latin-1")
    body = b"tEXt" + data
    return struct.pack(">I", len(data)) + body + struct.pack(">I", zlib.crc32(body) & 0xFFFFFFFF)


def layer_png(bgra: NDArray[np.uint8], about: dict[str, Any]) -> bytes:
    """``bgra`` as PNG bytes with ``about`` (and the program's version) in a ``tEXt`` chunk
    right after the header. Raises OSError when encoding fails."""
    ok, png = cv2.imencode(".png", bgra)
    if not ok:
        raise OSError("PNG encoding failed")
    data = png.tobytes()
    text = json.dumps({**about, "program": f"{APP_PACKAGE} {package_version(APP_PACKAGE)}"})
    end_of_header = 8 + 4 + 4 + 13 + 4  # signature, then IHDR: length, type, data, CRC
    return data[:end_of_header] + png_text_chunk(PNG_KEY, text) + data[end_of_header:]
