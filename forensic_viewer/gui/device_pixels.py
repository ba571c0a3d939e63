"""Logical and device pixels: what the canvas needs to be exact on a scaled screen.

Qt lays widgets out in logical pixels; a screen at 125 %, 150 % or 200 % has
``devicePixelRatioF()`` (the *ratio*) 1.25, 1.5 or 2 device pixels per logical one. The canvas
measures its zoom in device pixels per evidence pixel, because that is what the analyst sees:
"100 %" is one evidence pixel per device pixel (:func:`zoom_step` lands on whole multiples of
it), drawing is nearest neighbour whenever an evidence pixel covers a device pixel or more
(:func:`smooth_at`), and the pointer names the evidence pixel drawn under its device pixel's
centre (:func:`device_centre`), which the raster engine samples. Mapping the pointer's logical
position rounded to a whole logical pixel named the neighbouring pixel more than half the time
at 200 % (walk-through hidpi, finding 1). No Qt here: the functions take the ratio.
"""

from __future__ import annotations

import math

ZOOM_IN, ZOOM_OUT = 1.25, 0.8  # View ▸ Zoom in / out, below 1:1 (above it: whole multiples)
_EPS = 1e-6  # a logical position times the ratio lands this close below a whole device pixel


def device_centre(logical: float, ratio: float) -> float:
    """The logical coordinate of the centre of the device pixel at ``logical`` (one axis of a
    pointer's position, in logical pixels: the device pixel starts there or just before)."""
    device = math.floor(logical * ratio + _EPS)
    return (device + 0.5) / ratio


def smooth_at(device_scale: float) -> bool:
    """Whether an image drawn at ``device_scale`` device pixels per image pixel is smoothed:
    only when zoomed out below one device pixel per image pixel (else nearest neighbour, so
    the analyst sees the real pixels)."""
    return abs(device_scale) < 1.0 - _EPS


def zoom_step(zoom: float, factor: float) -> float:
    """The zoom (device pixels per image pixel) after zooming by ``factor`` from ``zoom``
    (View ▸ Zoom in: :data:`ZOOM_IN`, out: :data:`ZOOM_OUT`). Below 1:1 it moves by ``factor``;
    a zoom that ends above 1:1 is rounded to a whole multiple, at least one more (in) or one
    fewer (out) than a zoom that was above it, so every image pixel is the same whole number of
    device pixels: 1.25 times 1:1 drew them 1 and 2 pixels wide in turn, which made a regular
    pattern, a JPEG grid, look irregular. Zooming in through 1:1 stops there."""
    target = zoom * factor
    if factor > 1 and zoom >= 1.0 - _EPS:
        target = max(target, math.floor(zoom + _EPS) + 1)
    elif factor < 1 and zoom > 1.0 + _EPS:
        target = min(target, math.ceil(zoom - _EPS) - 1)
    return float(max(1, math.floor(target + 0.5))) if target > 1.0 + _EPS else float(target)


def zoom_words(zoom: float) -> tuple[str, str]:
    """The status bar's zoom field: its text (``"zoom 300 %"``) and its tooltip, which says
    what the figure counts."""
    per = f"{zoom:.3g}"
    text = f"zoom {zoom * 100:.0f} %" if zoom >= 0.1 else f"zoom {zoom * 100:.2g} %"
    tip = (
        f"{per} screen (device) pixels per image pixel; 100 % (View ▸ 100 %, Ctrl+1) shows one "
        "image pixel per screen pixel, whatever the display scaling"
    )
    return text, tip
