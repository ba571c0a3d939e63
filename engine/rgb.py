"""Decoded Pillow images to the evidence pixels: [H, W, 3] uint8 RGB, converted in row bands.

The only whole-image arrays are Pillow's decoded raster and the RGB result: every temporary is
one band of about ``BAND_PIXELS`` pixels. The policy (``engine.io``'s docstring, "Modes to
RGB"): 8-bit modes convert with Pillow; alpha (or a PNG's tRNS colour) is dropped, colours kept,
and a warning says in how many pixels it was below opaque (or that it was opaque in all);
unsigned 16-bit data maps linearly from its full range (0..65535), or from the range of its
significant bits when a PNG's sBIT chunk declares fewer and the values are held in the low bits
(``_wide_to_rgb``); float data in [0, 1] scales by 255; 32-bit and signed integer data (whose full range would leave any photograph black) and
float data outside [0, 1] are min-max rescaled from their own values, and the warning names the
depth and sample format the file declares (nothing is silently clipped); such data of one value
has no range of its own and maps from the range it declares (float: [0, 1], clipped), with a
warning (min-max made it black); CMYK converts with Pillow's formula, with a warning. An
embedded colour profile is never applied; one that is not sRGB is warned of (``engine.icc``).
"""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import numpy as np
from numpy.typing import NDArray
from PIL import Image

from engine.errors import InvalidImageError
from engine.icc import profile_warning

BAND_PIXELS = 1 << 18  # pixels per band when converting to RGB: bounds every temporary array
WIDE_MODES = ("I;16", "I;16B", "I;16L", "I;16N", "I", "F")  # more than 8 bits per sample
_ALPHA_MODES = ("RGBA", "LA", "PA", "RGBa", "La")


def _bands(img: Image.Image) -> Iterator[tuple[int, int, Image.Image]]:
    """Row bands of ``img`` of about ``BAND_PIXELS`` pixels: (first row, end row, band)."""
    w, h = img.size
    rows = max(1, BAND_PIXELS // w)
    for y0 in range(0, h, rows):
        y1 = min(h, y0 + rows)
        yield y0, y1, img.crop((0, y0, w, y1))


def to_rgb(
    path: Path, img: Image.Image, warns: list[str], significant: tuple[int, ...] = ()
) -> NDArray[np.uint8]:
    """[H, W, 3] uint8 RGB from ``img``, converted band by band. significant: a PNG's sBIT
    chunk, the bits of each channel its source held (``containers.PngLayout``)."""
    mode = img.mode
    key = img.info.get("transparency")  # a palette's alphas, or the one transparent colour
    if mode != "CMYK" and (icc := profile_warning(img.info.get("icc_profile"))) is not None:
        warns.append(icc)  # the pixels stay as stored: engine/icc.py says why
    if mode in WIDE_MODES:
        bits = significant[0] if len(significant) == 1 and 0 < significant[0] < 16 else 16
        return _wide_to_rgb(img, warns, key if isinstance(key, int) else None, bits)
    via = None
    if mode in ("P", "L", "RGB", "1") and key is not None:
        via = "RGBA"
    alpha = via is not None or mode in _ALPHA_MODES
    if mode == "CMYK":
        warns.append("CMYK converted to RGB without colour management")
    w, h = img.size
    out = np.empty((h, w, 3), np.uint8)  # H, W, 3
    clear = 0  # pixels whose alpha is below 255
    for y0, y1, band in _bands(img):
        try:
            if via:
                band = band.convert(via)
            if alpha:  # the last band of every alpha mode is the alpha
                clear += int(
                    np.count_nonzero(np.asarray(band.getchannel(band.getbands()[-1])) < 255)
                )
            if band.mode != "RGB":
                band = band.convert("RGB")
        except ValueError as e:
            raise InvalidImageError(path, f"pixel mode {mode} cannot be converted to RGB") from e
        out[y0:y1] = np.asarray(band)
    if alpha and clear:
        warns.append(_transparent_words(clear, w * h))
    elif alpha:
        warns.append("an alpha channel, opaque in every pixel: discarded")
    return out


def _transparent_words(clear: int, total: int) -> str:
    return (
        f"transparency present in {clear:,} of {total:,} pixels: alpha discarded, colour "
        "values kept as stored"
    )


def integer_format(img: Image.Image) -> tuple[int, bool]:
    """(bits, signed) of the samples of ``img``, an integer mode of ``WIDE_MODES``, as the
    file declares them: a TIFF's BitsPerSample and SampleFormat tags (Pillow decodes signed
    16-bit and every 32-bit TIFF to mode ``I``), a PNG's 16 unsigned bits (its only wide gray),
    else the mode's own (``I;16*``: 16 unsigned, ``I``: Pillow's 32 signed)."""
    if img.mode.startswith("I;16"):
        return 16, False
    tags = getattr(img, "tag_v2", None)
    if tags is not None:
        bits, fmt = tags.get(258, (32,)), tags.get(339, (1,))  # fmt 1: unsigned, 2: signed
        bits = bits[0] if isinstance(bits, tuple) and bits else bits
        fmt = fmt[0] if isinstance(fmt, tuple) and fmt else fmt
        if isinstance(bits, int) and bits > 0:
            return bits, fmt == 2
    if img.format == "PNG":
        return 16, False
    return 32, True


def declared_range(bits: int, signed: bool) -> tuple[int, int]:
    """(lowest, highest) value integer samples of ``bits`` can hold, signed or not."""
    return (-(1 << (bits - 1)), (1 << (bits - 1)) - 1) if signed else (0, (1 << bits) - 1)


def _depth_words(img: Image.Image) -> str:
    if img.mode == "F":
        return "float"
    bits, signed = integer_format(img)
    return f"{'signed ' if signed else ''}{bits}-bit integer"


def _wide_to_rgb(
    img: Image.Image, warns: list[str], key: int | None, significant: int = 16
) -> NDArray[np.uint8]:
    """Map 16/32-bit integer or float data to 8-bit gray RGB in two passes over row bands:
    the range first, then the mapping, each band in float64 (exact for 32-bit integers).
    Only unsigned 16-bit data has a range a photograph fills (0..65535); a 32-bit or signed
    one does not (0..255 held in 32 bits mapped from 0..4294967295, or even from 0..65535,
    is black), so such data is min-max rescaled from its own values, as float data outside
    [0, 1] is; data of one value, which has no range to rescale, maps from the declared one
    (``declared_range``; float: [0, 1]), e.g. a uniform unsigned 32-bit 2**31 to 128.
    key: the gray value a PNG's tRNS chunk makes transparent (counted).

    significant: the bits a 16-bit PNG's sBIT chunk says its source held (16 without one).
    The PNG standard stores fewer bits scaled up to 16 (a 12-bit 4095 as 65520: the low bits
    zero or copies of the high ones), but cameras and scientific tools often store them as
    they are, in the low bits, where 0..65535 makes them nearly black. Data whose every value
    lies within the significant range (0..4095 for 12 bits) and whose low bits are not all zero
    (as even a dark image scaled up has them) maps from that range; other data as 16 bits."""
    w, h = img.size
    is_float = img.mode == "F"
    # Pillow decodes unsigned 32-bit samples to its signed mode I, bit for bit: 2**32 - 1 is -1
    declared = None if is_float else integer_format(img)  # (bits, signed)
    samples = np.uint32 if declared == (32, False) else None
    lo, hi, nonfinite = np.inf, -np.inf, False
    clear = ors = 0  # ors: every value's bits ORed (16-bit data only)
    for _, _, band in _bands(img):
        a = np.asarray(band) if samples is None else np.asarray(band).view(samples)
        if key is not None:
            clear += int(np.count_nonzero(a == key))
        if significant < 16 and a.size:
            ors |= int(np.bitwise_or.reduce(a, axis=None))
        if is_float:
            finite = np.isfinite(a)
            if not finite.all():
                nonfinite = True
                a = a[finite]
        if a.size:
            lo, hi = min(lo, float(a.min())), max(hi, float(a.max()))
    if clear:
        warns.append(_transparent_words(clear, w * h))
    if nonfinite:
        warns.append("float image holds NaN/inf: those pixels set to 0")
        lo, hi = min(lo, 0.0), max(hi, 0.0)  # they count as 0 in the range, as before
    linear16 = declared == (16, False) and lo >= 0 and hi <= 65535
    if is_float and lo >= 0.0 and hi <= 1.0:
        offset, scale = 0.0, 255.0
    elif linear16 and hi <= (top := (1 << significant) - 1) and ors & (65535 >> significant):
        offset, scale = 0.0, 255.0 / top
        warns.append(
            f"16-bit data of {significant} significant bits (PNG sBIT) held as they are, in the "
            f"low bits (every value within 0..{top}): mapped linearly 0..{top} -> 0..255"
        )
    elif linear16:
        offset, scale = 0.0, 255.0 / 65535.0
        stored = f" ({significant} significant bits (PNG sBIT), stored scaled up to 16)"
        warns.append("16-bit data mapped linearly 0..65535 -> 0..255" + stored * (significant < 16))
    elif hi > lo:
        shown = f"[{lo:.4g}, {hi:.4g}]" if is_float else f"[{int(lo)}, {int(hi)}]"
        warns.append(f"{_depth_words(img)} data in {shown} min-max rescaled to 0..255")
        offset, scale = lo, 255.0 / (hi - lo)
    else:  # one value: no range of its own to rescale (min-max made it black, unsaid)
        bottom, top = (0, 1) if declared is None else declared_range(*declared)
        value = f"{lo:.4g}" if is_float else f"{int(lo)}"
        clipped = " (clipped)" if not bottom <= lo <= top else ""
        warns.append(
            f"{_depth_words(img)} data, every pixel {value}: no range of its own to rescale, "
            f"mapped from the declared range {bottom}..{top} -> 0..255{clipped}"
        )
        offset, scale = bottom, 255.0 / (top - bottom)
    # Integers in 0..65535 map through a table of the same formula (one lookup per pixel).
    table = not is_float and lo >= 0 and hi <= 65535
    lut = _to_uint8((np.arange(65536, dtype=np.float64) - offset) * scale) if table else None
    out = np.empty((h, w, 3), np.uint8)  # H, W, 3
    for y0, y1, band in _bands(img):
        a = np.asarray(band) if samples is None else np.asarray(band).view(samples)
        if lut is not None:
            gray = np.take(lut, a)
        else:
            a = a.astype(np.float64)
            if nonfinite:
                a[~np.isfinite(a)] = 0.0
            a -= offset
            a *= scale
            gray = _to_uint8(a)
        for c in range(3):  # channel by channel: several times faster than broadcasting
            out[y0:y1, :, c] = gray
    return out


def _to_uint8(a: NDArray[np.float64]) -> NDArray[np.uint8]:
    """Round to the nearest integer and clip to 0..255, in place in ``a``."""
    return np.clip(np.rint(a, out=a), 0, 255, out=a).astype(np.uint8)
