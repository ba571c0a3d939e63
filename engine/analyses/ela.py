"""Error level analysis (ELA): how much each pixel changes when the image is saved again as JPEG.

Method: recompress the evidence at one JPEG quality and take the absolute difference with the
evidence, per pixel and channel. Regions that were already compressed at that quality (or
lower) change little; regions with another compression history (pasted from a less compressed
source, retouched after the last save, or resampled) change more. The difference is a raw
measurement of a file's history, never a probability of manipulation: high-contrast edges and
fine texture always show higher error levels, and any edit followed by a resave at low quality
flattens it.

Source: N. Krawetz, "A Picture's Worth: Digital Image Analysis and Forensics", Black Hat
Briefings 2007; the ELA of FotoForensics (quality 90, scaled display), Forensically and Sherloq.

The JPEG grid is that of the stored file (the pixels are un-rotated for the round trip when
EXIF orientation was applied, and the map is turned back), so a rotated photograph's blocks
stay aligned. The resave keeps a JPEG's own chroma subsampling (4:4:4, 4:2:2, 4:2:0...): a
4:4:4 file resaved at 4:2:0 changes at every colour edge by the subsampling alone, which
swamps the compression history ELA is for (a 4:4:4 photograph saved once at quality 90 read
3.5 times the error level of the same photograph at 4:2:0, all of it at colour edges). A
subsampling stored with factors of the camera's own (luma 2x2 over chroma 1x2) is resaved at
the subsampling of the same geometry (4:2:2). Other
formats are resaved at 4:2:0, libjpeg's default and that of the tools above.

An RGB-coded JPEG (Adobe APP14 transform 0: R, G and B compressed as they are, no YCbCr) is
resaved RGB-coded too, as ``cjpeg -rgb`` writes one (all three by IJG's luma table at the
quality; Pillow's ``keep_rgb``): a YCbCr resave changes every pixel of it by the colour
transform and the chroma quantisation alone, whatever its history. Pillow writes RGB-coded
JPEGs only at full resolution; one whose components are subsampled is resaved at full
resolution with a warning.
"""

from __future__ import annotations

from dataclasses import dataclass

import cv2
import numpy as np
from numpy.typing import NDArray

from engine.analyses._imaging import (
    JPEG_SAMPLING,
    LUMA_BAND_PIXELS,
    jpeg_roundtrip,
    jpeg_roundtrip_rgb_coded,
    open_stored,
    orient,
    orient_rgb,
    stored_colour_space,
    stored_rgb,
    stored_sampling,
)
from engine.analyses._jpegtables import match_file
from engine.analyses.base import Context, MapMeaning, MapScale, Output, register_analysis
from engine.types import Evidence


@dataclass(frozen=True)
class ElaParams:
    quality: int = 90  # JPEG quality of the resave; FotoForensics uses 90, Sherloq's default 75
    map_gain: float = 8.0  # map = mean |Δ| over RGB x map_gain / 255, clipped at 1 (|Δ| 32 -> 1)
    display_percentile: float = 99.5  # display: channel |Δ| scaled so this percentile is white

    def __post_init__(self) -> None:
        if not 1 <= self.quality <= 100:
            raise ValueError(f"quality must be in [1, 100], got {self.quality}")
        if self.map_gain <= 0:
            raise ValueError(f"map_gain must be > 0, got {self.map_gain}")
        if not 50.0 <= self.display_percentile <= 100.0:
            raise ValueError(
                f"display_percentile must be in [50, 100], got {self.display_percentile}"
            )


@register_analysis(
    "ela",
    ElaParams(),
    method="error level analysis (JPEG resave difference)",
    source="N. Krawetz, 'A Picture's Worth', Black Hat 2007; FotoForensics / Forensically ELA",
    version="5",  # 5: a CMYK or YCCK JPEG is warned of (the conversion in every pixel, no
    # comparison of its own quality: no blind warning from its ink tables); 4: a subsampling stored with other factors (luma 2x2 over chroma 1x2)
    # resaved at its geometry (4:2:2), was at 4:2:0; a warning when the resave quality is at
    # or above the file's own (error levels near 0 everywhere: nothing stands out); 3: an RGB-coded JPEG is resaved RGB-coded (was as YCbCr);
    # 2: a JPEG is resaved at its own chroma subsampling (was always 4:2:0)
    description="error level at a chosen JPEG quality (raw, display-scaled)",
    needs_file=True,  # a JPEG's colour coding and subsampling, a turned image's stored pixels
)
def ela(evidence: Evidence, p: ElaParams, ctx: Context) -> Output:
    rgb = evidence.pixels
    if evidence.orientation_applied:
        rgb = stored_rgb(evidence, ctx.file_bytes())
    data = ctx.file_bytes() if evidence.format == "JPEG" else b""
    space = stored_colour_space(evidence, data)
    rgb_coded = space == "RGB"
    own = stored_sampling(evidence, data) if evidence.format == "JPEG" else None
    sampling = own or (2, 2)
    warnings: tuple[str, ...] = ()
    if rgb_coded and own != (1, 1):
        warnings = (
            "an RGB-coded JPEG with subsampled components: resaved RGB-coded at full "
            "resolution (Pillow writes RGB-coded JPEGs only so); its error includes the "
            "subsampling's",
        )
    match = match_file(open_stored(data, "JPEG")) if evidence.format == "JPEG" else None
    own_q = None if match is None else match.quality
    if space in ("CMYK", "YCCK"):
        warnings += (ink_warning(space, own_q),)
    elif own_q is not None and p.quality >= own_q:
        warnings += (blind_warning(own_q, p.quality),)
    ctx.step(0, 3)
    if rgb_coded:
        resaved = jpeg_roundtrip_rgb_coded(rgb, p.quality)
    else:
        resaved = jpeg_roundtrip(rgb, p.quality, sampling)
    ctx.step(1, 3)
    m, display, top, total = _levels(rgb, resaved, p)
    ctx.step(2, 3)
    m = orient(m, evidence.orientation)
    display = orient_rgb(display, evidence.orientation)
    ctx.step(3, 3)
    return Output(
        map=m,
        meaning=MapMeaning(
            scale=MapScale.RAW,
            label=f"error level at JPEG quality {p.quality}",
            unit=f"mean |Δ| over RGB x {p.map_gain:g} / 255, clipped at 1",
            high="changes more on resave than its surroundings: another compression history, "
            "or simply edges and fine texture",
        ),
        display=display,
        extras={
            "mean_error": round(total / (3 * m.size), 4),
            "file_quality": own_q,  # the file's own (last) IJG quality, as jpeg-tables estimates
            "display_white_at": round(top, 2),
            "resave_coding": "RGB-coded (no YCbCr transform)" if rgb_coded else "YCbCr",
            "resave_subsampling": "4:4:4" if rgb_coded else JPEG_SAMPLING[sampling][0],
            "resave_subsampling_from": _sampling_from(own, rgb_coded),
            "unit": "grey levels (0..255)",
        },
        warnings=warnings,
    )


def _levels(
    rgb: NDArray[np.uint8], resaved: NDArray[np.uint8], p: ElaParams
) -> tuple[NDArray[np.float32], NDArray[np.uint8], float, int]:
    """The map [H, W] float32, the display [H, W, 3] uint8, the display's white point and the
    sum of every channel's |Δ|, from the evidence and its resave.

    In row bands on uint8 (as :func:`luminance` works): the whole |Δ| as int16 then float32
    and the float temporaries of the display's scaling came to some 42 bytes a pixel (511 MB
    over the decoded image at 12 MP). |Δ| of uint8 is exact, a channel sum of three fits
    uint16 and float32 holds it exactly, and the display is a function of |Δ| (0..255) alone,
    so a 256-entry table gives the figures the float arithmetic did, bit for bit."""
    h, w = rgb.shape[:2]
    step = max(1, int(np.sqrt(h * w / 250_000)))
    sample = cv2.absdiff(rgb[::step, ::step], resaved[::step, ::step]).astype(np.float32)
    top = float(np.percentile(sample, p.display_percentile))
    scale = np.arange(256, dtype=np.float32) * (255.0 / max(top, 1.0))
    table = np.rint(np.minimum(scale, 255.0)).astype(np.uint8)
    gain = np.float32(p.map_gain / 255.0)
    m = np.empty((h, w), np.float32)
    display = np.empty_like(rgb)
    total = 0
    rows = max(1, LUMA_BAND_PIXELS // max(w, 1))
    for y in range(0, h, rows):
        d = cv2.absdiff(rgb[y : y + rows], resaved[y : y + rows])  # rows, W, 3 uint8
        display[y : y + rows] = table[d]
        s = d.sum(axis=2, dtype=np.uint16)
        total += int(s.sum(dtype=np.int64))
        level = s.astype(np.float32) / np.float32(3)  # the mean over RGB, as float32 makes it
        m[y : y + rows] = np.minimum(level * gain, np.float32(1.0))
    return m, display, top, total


def blind_warning(own_q: int, quality: int) -> str:
    """What ELA at ``quality`` cannot show on a file last saved at about ``own_q`` (<= it).

    A JPEG resaved at its own quality, tables and grid is almost its own fixed point (mean
    error 0.00 grey levels on a 12 MP crop saved at 90 then resaved at 90), and one resaved
    finer changes by little more than rounding (0.1-0.2 at 90 and 95 on one saved at 80): every
    region reads near 0, whatever its history (a q70 background with a region pasted in, saved
    at 90: pixel AUC 0.50 at ELA 90, 0.61-0.80 at 85-70). A quality some 15 below the file's
    own (75 for 90, FotoForensics' and Sherloq's range) resaves coarser than its last save."""
    return (
        f"the file's own quality (about {own_q}) is at or below the resave quality {quality}: "
        "error levels are near 0 everywhere and a region with another history hardly stands "
        f"out; a lower quality (e.g. {max(own_q - 15, 10)}) shows more"
    )


def ink_warning(space: str, own_q: int | None) -> str:
    """What ELA of a CMYK or YCCK JPEG measures besides its history.

    Its four ink channels were compressed, not the RGB the viewer decodes from them; the
    resave is a YCbCr JPEG of that RGB, so every pixel's error includes the CMYK -> RGB ->
    YCbCr conversion (a crop saved as CMYK at 80 read a mean error of 0.90 grey levels at ELA
    75, the same pixels saved as YCbCr at 80 read 0.38), and the quality its tables give is
    not a quality of this resave's kind: the blind warning's comparison does not hold. Ghost
    and DQ, which read the file's luminance grid, refuse such a file; ELA is a picture read by
    eye against its surroundings, which share the conversion, so it is shown with this."""
    tables = "" if own_q is None else f" (its tables read about {own_q})"
    return (
        f"a {space} JPEG: its ink channels were compressed, not RGB; the error includes the "
        f"{space} -> RGB -> YCbCr conversion everywhere, and the file's own quality{tables} "
        "cannot be compared with the resave's: read a region only against its surroundings"
    )


def _sampling_from(own: tuple[int, int] | None, rgb_coded: bool) -> str:
    """Where the resave's subsampling came from, for the extras."""
    if rgb_coded:
        return "the file" if own == (1, 1) else "the only one Pillow writes RGB-coded"
    return "the file" if own else "libjpeg's default"
