"""The limits an evidence file is held to before any pixel is decoded (decompression-bomb
guards), for :func:`engine.io.load_evidence`, whose docstring states the policy ("Limits before
any pixel is decoded"; docs/LIMITS.md how to raise them).

- the pixel limit (:func:`pixel_limit`) and the decode-memory limit (:func:`decode_byte_limit`),
  each an argument, else its environment variable, else the default;
- the memory a decode will take, estimated from the header alone
  (:func:`decode_bytes_estimate`);
- the impossible compression: a PNG or JPEG declaring more pixels than its bytes could code
  (:func:`check_compression`);
- the refusal of a header beyond the pixel limit (:func:`too_many_pixels`, also
  :mod:`engine.precheck`'s).

Apart from ``engine/io.py`` (which had grown to the 700-line limit with them) as the part that
decides how much a file may take before it is decoded; ``io.py`` keeps the decode itself, its
warnings and its errors. Torch-free and Qt-free, as the loader is.
"""

from __future__ import annotations

import os
from pathlib import Path

from PIL import Image

from engine import containers
from engine.environ import parse_limit
from engine.errors import CorruptImageError, ForensicError, ImageTooLargeError
from engine.rgb import BAND_PIXELS

# 105 MP: above the 102 MP medium-format cameras (Fujifilm GFX100: 11648 x 8736; Hasselblad
# X2D: 11656 x 8742), far below a bomb; a 150 MP back or a stitched panorama needs the variable.
DEFAULT_MAX_PIXELS = 105_000_000
MAX_PIXELS_ENV = "FORENSIC_VIEWER_MAX_PIXELS"
# 1.5 GiB: the layouts the default pixel limit admits fit, a 105 MP progressive CMYK JPEG
# (raster 4 + coefficients 8 + RGB 3 bytes per pixel = 1.58 GB), a 16-bit RGB TIFF in one
# uncompressed strip (file 6 + raster 4 + RGB 3 = 1.37 GB); a 105 MP baseline RGB JPEG or
# 8-bit PNG needs 0.74 GB. docs/LIMITS.md names the few beyond it (a turned 16-bit RGBA TIFF,
# a compressed TIFF in one strip that compression hardly shrank, a HEIF above 8 bits).
DEFAULT_MAX_DECODE_BYTES = 3 << 29
MAX_DECODE_BYTES_ENV = "FORENSIC_VIEWER_MAX_DECODE_BYTES"

_PNG_MAX_INFLATION = 1032  # deflate: at most 258 bytes per 2 bits (RFC 1951)


def decode_byte_limit(max_bytes: int | None = None) -> int:
    """The decode-memory limit in bytes: ``max_bytes`` when given, else the environment
    variable ``FORENSIC_VIEWER_MAX_DECODE_BYTES`` (bytes, or a number with a K/M/G/T suffix in
    powers of 1024, optionally followed by B or iB, e.g. ``4G``, ``4GiB``), else
    ``DEFAULT_MAX_DECODE_BYTES``.

    Raises ``ValueError`` for a bad ``max_bytes`` (a programming error) and
    :class:`~engine.errors.ForensicError` for a bad environment value (the user's to fix).
    """
    if max_bytes is not None:
        if max_bytes <= 0:
            raise ValueError(f"max_bytes must be a positive number of bytes, got {max_bytes}")
        return int(max_bytes)
    return _env_limit(
        MAX_DECODE_BYTES_ENV, DEFAULT_MAX_DECODE_BYTES, 1024, "size in bytes", "4000000000, 4G"
    )


def pixel_limit(max_pixels: int | None = None) -> int:
    """The pixel limit (declared width x height): ``max_pixels`` when given, else the
    environment variable ``FORENSIC_VIEWER_MAX_PIXELS`` (a count, or a number with a k/M/G
    suffix in powers of 1000, e.g. ``200M``; a byte unit, ``200MB``, is refused), else
    ``DEFAULT_MAX_PIXELS``.

    Raises ``ValueError`` for a bad ``max_pixels`` and :class:`~engine.errors.ForensicError`
    for a bad environment value, as :func:`decode_byte_limit` does.
    """
    if max_pixels is not None:
        if max_pixels <= 0:
            raise ValueError(f"max_pixels must be a positive number of pixels, got {max_pixels}")
        return int(max_pixels)
    return _env_limit(
        MAX_PIXELS_ENV, DEFAULT_MAX_PIXELS, 1000, "number of pixels", "200000000, 200M"
    )


def _env_limit(name: str, default: int, base: int, what: str, examples: str) -> int:
    """The positive integer in environment variable ``name`` (:func:`engine.environ.parse_limit`:
    optionally with a K/M/G/T suffix in powers of ``base``, and B or iB only for bytes, base
    1024), ``default`` when it is unset or blank."""
    raw = os.environ.get(name, "").strip()
    if not raw:
        return default
    value = parse_limit(raw, base)
    if value is None:
        raise ForensicError(
            None,
            f"{name}={containers.printable(raw[:40].encode())} is not a positive {what} "
            f"(examples: {examples})",
        )
    return value


def too_many_pixels(path: Path, w: int, h: int, max_pixels: int) -> ImageTooLargeError:
    """The refusal of a header declaring ``w`` x ``h`` beyond ``max_pixels`` (also
    :func:`engine.precheck.refuse_beyond_limit`'s, in the same words)."""
    return ImageTooLargeError(
        path,
        f"declared size {w}x{h} ({w * h:,} pixels) is beyond the {max_pixels:,}-pixel limit "
        f"(raise it with {MAX_PIXELS_ENV})",
    )


def too_much_memory(
    path: Path, w: int, h: int, mode: str, fmt: str, need: int, limit: int
) -> ImageTooLargeError:
    """The refusal of a ``w`` x ``h`` image of Pillow mode ``mode`` whose decode
    :func:`decode_bytes_estimate` puts at ``need`` bytes, beyond ``limit`` (also
    :func:`engine.precheck.refuse_beyond_limit`'s, in the same words)."""
    return ImageTooLargeError(
        path,
        f"decoding this {w}x{h} {mode} {fmt} would take about {_mb(need)} of memory, beyond "
        f"the {_mb(limit)} limit (raise it with {MAX_DECODE_BYTES_ENV})",
    )


def _mb(n: int) -> str:
    return f"{n / 1e6:,.0f} MB" if n >= 10**7 else f"{n / 1e6:.1f} MB"


def check_compression(
    path: Path, data: bytes, fmt: str, img: Image.Image, png: containers.PngLayout | None
) -> int | None:
    """Refuse a file that declares more pixels than its format could code in its bytes.

    Returns the offset just past a one-scan sequential JPEG's EOI, which its walk found
    (:attr:`engine.containers.JpegScan.end`), so the loader does not walk the scan again to
    look for bytes after the image; None for any other file."""
    w, h = img.size
    if fmt == "PNG" and png is not None and png.channels and (png.width, png.height) == (w, h):
        need = containers.ceil_div(png.raw_bytes, _PNG_MAX_INFLATION)
        have, what = png.idat_bytes, "image data"
        rule = "deflate inflates at most 1032:1"
    elif fmt == "JPEG":
        frame = containers.jpeg_frame(data)
        bits = 0 if frame is None else containers.HUFFMAN_BITS_PER_BLOCK.get(frame.marker, 0)
        if (
            frame is None
            or not bits
            or (frame.width, frame.height) != (w, h)
            or not all(1 <= f <= 4 for pair in frame.sampling for f in pair)
        ):
            return None
        if frame.marker in (0xC0, 0xC1) and (scan := containers.jpeg_sequential_scan(data)):
            _check_sequential_scan(path, w, h, frame, scan)
            return scan.end
        need = containers.jpeg_blocks(w, h, frame.sampling) * bits // 8
        have, what = len(data), "data"
        style = "baseline" if bits == 2 else "progressive"
        rule = f"a {style} JPEG spends at least {bits} bit{'s' * (bits > 1)} on every 8x8 block"
    else:
        return None
    if have < need:
        raise CorruptImageError(
            path,
            f"declares {w}x{h} pixels but has {have:,} bytes of {what}, fewer than the "
            f"{need:,} any complete {fmt} of that size needs ({rule}): truncated, or a "
            "decompression bomb",
        )
    return None


def _check_sequential_scan(
    path: Path, w: int, h: int, frame: containers.JpegFrame, scan: containers.JpegScan
) -> None:
    """Refuse a sequential JPEG whose one scan holds fewer bits than its blocks take at the
    least its own Huffman tables allow (:class:`engine.containers.JpegScan`). Tighter than the
    2-bits-a-block rule, which counts the whole file: a scan of one block under a header of a
    thousand, its EOI present, passed that rule and libjpeg padded the rest without a word."""
    blocks = containers.jpeg_component_blocks(w, h, frame.sampling)
    need = containers.ceil_div(sum(b * n for b, n in zip(scan.block_bits, blocks, strict=True)), 8)
    if scan.coded_bytes < need:
        style = "baseline" if frame.marker == 0xC0 else "extended sequential"
        raise CorruptImageError(
            path,
            f"declares {w}x{h} pixels but its scan holds {scan.coded_bytes:,} bytes, fewer "
            f"than the {need:,} a complete {style} JPEG with these Huffman tables needs: "
            "damaged or truncated, or a decompression bomb",
        )


def as_int(value: object, default: int) -> int:
    """A TIFF tag value as a positive int (the first of a tuple), else ``default``."""
    if isinstance(value, tuple):
        value = value[0] if value else default
    try:
        n = int(value)  # type: ignore[call-overload]
    except (TypeError, ValueError, OverflowError, ZeroDivisionError):
        return default
    return n if n > 0 else default


def tag_int(tags: object, key: int, default: int) -> int:
    return as_int(tags.get(key, default), default)  # type: ignore[attr-defined]


def _storage_bytes(mode: str) -> int:
    """Bytes per pixel of Pillow's raster for ``mode``."""
    if mode in ("1", "L", "P"):
        return 1
    return 2 if mode.startswith("I;16") else 4


def decode_bytes_estimate(img: Image.Image, fmt: str, file_size: int) -> int:
    """Bytes :func:`engine.io.load_evidence` will hold at its peak, from ``img``'s header alone.

    raster (Pillow's: 1, 2 or 4 bytes per pixel by mode) + the decoder's working buffers +
    the RGB result (3 bytes per pixel); or twice the RGB result when that is more (the
    orientation copy, made after the raster is freed). A TIFF is counted apart
    (:func:`_tiff_bytes`): the file's bytes, which the loader holds throughout, + the raster
    + the most of the strip buffer, Pillow's turned raster and the RGB result, which are
    never held at once. Working buffers of the other formats:

    - JPEG, progressive: libjpeg keeps every DCT coefficient (2 bytes per sample of each
      component at its sampling);
    - WebP: libwebp's decoded frame (4 bytes per pixel);
    - BMP with run-length coding: Pillow's Python decoder builds the pixels twice (2 bytes per
      pixel);
    - HEIF: libheif's decoded planes (up to 3 bytes per pixel; 6 above 8 bits) and pi-heif's
      interleaved copy that Pillow copies again (3 bytes per pixel; 6 above 8 bits);
    - PNG, GIF, baseline JPEG, plain BMP: rows only (none counted).
    """
    w, h = img.size
    n = w * h
    work = 0
    if fmt == "JPEG" and img.info.get("progressive"):
        layers = getattr(img, "layer", None) or [(0, 1, 1, 0)] * len(img.getbands())
        sampling = tuple((max(int(lay[1]), 1), max(int(lay[2]), 1)) for lay in layers)
        work = containers.jpeg_blocks(w, h, sampling) * 64 * 2  # one 16-bit coefficient per sample
    elif fmt == "TIFF":
        return _tiff_bytes(img, file_size)
    elif fmt == "WEBP":
        work = 4 * n
    elif fmt == "BMP" and img.info.get("compression") in (1, 2):
        work = 2 * n
    elif fmt == "HEIF":
        work = (12 if as_int(img.info.get("bit_depth"), 8) > 8 else 6) * n
    return max(n * _storage_bytes(img.mode) + work + 3 * n, 6 * n)


def _tiff_bytes(img: Image.Image, file_size: int) -> int:
    """:func:`decode_bytes_estimate` of a TIFF: the file's bytes (held by the loader
    throughout) + Pillow's raster + the most of what comes and goes beside them, one at a time:

    - a compressed file's strip or tile buffer (libtiff's decode of one strip or tile: at
      least 4 bytes per pixel of it, a tiny file declaring 65520 x 65520 tiles asking for
      gigabytes), freed when the decode ends. An uncompressed file has none: Pillow's own
      decoder reads it 64 KiB at a time (measured on 11648 x 8736 16-bit RGB: one strip of
      611 MB added 1,326 MB to the process, the file + raster + RGB result; zlib-compressed
      in one strip of 214 MB, 1,232 MB, the file + strip + raster);
    - with an Orientation tag, the turned raster Pillow makes as it loads, after the decode;
    - the RGB result (3 bytes per pixel), made after both, band by band from the raster;

    and the conversion's temporaries of one band (``BAND_PIXELS`` pixels, at most 32 bytes
    each: 8 MiB): the measures above exceeded the sum of the rest by 0-3 MB, and the estimate
    is an upper bound.
    """
    w, h = img.size
    n = w * h
    tags = getattr(img, "tag_v2", {})
    strip = 0
    if tag_int(tags, 259, 1) != 1:  # compressed: libtiff decodes into a strip or tile buffer
        bps = tags.get(258, (1,))
        bps = bps if isinstance(bps, tuple) else (bps,)
        spp = tag_int(tags, 277, 1)
        bits = sum(as_int(b, 1) for b in bps) if len(bps) > 1 else as_int(bps[0], 1) * spp
        if 322 in tags and 323 in tags:  # tiled: TileWidth x TileLength
            unit = tag_int(tags, 322, w) * tag_int(tags, 323, h)
        else:  # stripped: RowsPerStrip rows
            unit = w * min(tag_int(tags, 278, h), h)
        strip = unit * max(containers.ceil_div(bits, 8), 4)
    raster = n * _storage_bytes(img.mode)
    turned = raster if tag_int(tags, 274, 1) != 1 else 0  # Pillow turns the raster as it loads
    return file_size + raster + max(strip, turned, 3 * n) + BAND_PIXELS * 32
