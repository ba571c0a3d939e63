"""Safe decoding of untrusted evidence files.

Policy, applied to every file the same way (the limits and how to raise them: docs/LIMITS.md):

- **Read-only, hashed.** The file is opened for reading only and read once; the SHA-256 is of
  exactly those bytes, and the pixels are decoded from the same bytes (no second read that
  could see a different file). Only regular files are read (never a device or a pipe, which
  could stream forever), up to ``MAX_FILE_BYTES`` (``engine.reading``). Its file-system times
  are taken from the opened file before the first read (``Evidence.fs_times``, and an error's
  header's: ``engine.fstimes``); a file whose size, modification or status-change time moved
  while it was read is refused.
- **Format by content, from an allow-list.** JPEG, PNG, TIFF, WebP, BMP, GIF and HEIF,
  recognised by their magic bytes whatever the file name says; only those Pillow plugins are
  ever called, so a PostScript/EPS file (which would run Ghostscript) is never handed to Pillow.
  A file whose image suffix claims another format (a JPEG named ``.png``) is analysed by its
  content and a warning says what the name claimed; a refused file's content is named when it
  is recognised (PDF, PostScript, AVIF, other ISO media such as video, a Windows icon or
  cursor, text: ``containers.describe_unknown``).
- **HEIF/HEIC** (the photographs of iPhones since 2017 and of many other phones: HEVC images in
  the ISO media container) is decoded by pi-heif (libheif with libde265, a decoder only; LGPL
  libraries in the wheel, no encoder), imported at first use; without it the file is refused in
  one line saying what to install. Its primary image is analysed (a warning counts the others);
  libheif applies the file's own rotation and mirroring (``irot``/``imir``), as phones show the
  photograph, so the evidence's orientation is 1 (nothing left to apply, and every map lines up
  with the pixels as decoded); the EXIF orientation tag, which iPhones write to match, keeps its
  value in the metadata and a warning says it was not applied again; 10- or 12-bit samples are
  reduced to 8 (a warning says so). Thumbnails, depth maps and auxiliary images are not decoded.
  Every HEIF evidence carries a warning that the verdicts' figures were not measured on HEVC
  coding and came out worse when they were (``engine.heif.HEIF_VERDICT_NOTE``).
- **Any failure is a clear error.** Everything from the header parse to the RGB array runs in
  one guarded step: whatever Pillow or numpy raises (``OSError``, ``SyntaxError``,
  ``struct.error``, ``KeyError``, ``ZeroDivisionError``, ...) becomes a
  :class:`~engine.errors.CorruptImageError` naming the file, the exception type and a short
  message; ``MemoryError`` becomes :class:`~engine.errors.NotEnoughMemoryError`.
  ``KeyboardInterrupt`` and ``SystemExit`` pass through. A TIFF whose intact header declares a
  sample layout Pillow has no mode for (32-bit float or integer RGB, 64-bit float) is no damage:
  an :class:`~engine.errors.InvalidImageError` names the layout (``containers.tiff_layout``).
- **Limits before any pixel is decoded** (decompression-bomb guards, in ``engine.bomb_guards``;
  beyond them a clear error, never a warning):

  - *pixels*: the declared width x height against ``max_pixels`` (else
    ``$FORENSIC_VIEWER_MAX_PIXELS``, else ``DEFAULT_MAX_PIXELS``);
  - *bytes*: the memory the decode will take, estimated from the header (decoded raster +
    decoder working buffers + the RGB result, see
    :func:`engine.bomb_guards.decode_bytes_estimate`), against ``max_bytes`` (else
    ``$FORENSIC_VIEWER_MAX_DECODE_BYTES``, else ``DEFAULT_MAX_DECODE_BYTES``);
  - *impossible compression*: a format whose coding has a ceiling on its compression ratio
    cannot hold more pixels than its bytes allow. A PNG's image data inflates at most 1032:1
    (deflate's limit), and a baseline/extended JPEG spends at least 2 bits on every 8x8 block
    (a Huffman code for the DC difference and one for end-of-block; a progressive one at least
    1 bit, its DC scans), so a file declaring more pixels than that is truncated or a bomb, and
    is refused before its raster is allocated. A one-scan sequential JPEG is held to more: its
    scan's bytes against the shortest DC and AC codes of its own tables for every block. Arithmetic-coded JPEG, TIFF, WebP, BMP and GIF
    have no such ceiling (arithmetic and fax coding, run lengths and frame offsets can describe
    any area in a few bytes): for them the byte limit alone applies;
  - *scans*: a JPEG of more than ``containers.MAX_JPEG_SCANS`` (each a pass over the image);
  - *metadata*: a PNG text or colour-profile chunk beyond Pillow's limits, refused in words
    naming it (``containers.png_text_bomb``), not Pillow's.
- **Orientation.** The EXIF orientation tag is applied to the pixels (as cameras and viewers
  show the photograph), once (Pillow itself turns a TIFF as it loads it), so heatmaps, masks and
  layers computed on those pixels line up with what the analyst sees. The tag found and the fact
  that it was applied are recorded; an EXIF block that cannot be parsed leaves the pixels as
  stored, with a warning.
- **Modes to RGB**, in row bands by ``engine.rgb`` (the only whole-image arrays are the decoded
  raster and the RGB result). 8-bit modes convert with Pillow. Alpha (or a PNG's transparent
  colour) is dropped, colours kept (a warning says transparency was present). Unsigned 16-bit
  data maps linearly from its full range (0..65535 -> 0..255), or from its significant bits'
  when a PNG's sBIT chunk declares fewer and the values lie in their low bits (the warning says
  which); float data in [0, 1] scales by 255; 32-bit or signed integer data (the depth the file
  declares, not the values' range) and float data outside [0, 1] are min-max rescaled, a
  warning naming the depth: nothing is silently clipped; such data of one value (no range to
  rescale) maps from the range its format declares (float: [0, 1]), with a warning. 16-bit colour (RGB, RGBA, gray + alpha) Pillow decodes to 8 bits per
  channel, the high byte of each sample: a warning says so (and what a PNG's sBIT declares).
  CMYK converts with Pillow's formula (a warning notes it ignores colour profiles).
- **Bytes after the image** (a JPEG's EOI, a PNG's IEND: a trailer, a file appended, hidden
  data), which decoders ignore: a warning gives their size and first bytes (not for zeros).
  So do bytes inside a JPEG's header that no segment holds, its segment running past its
  declared length (decoders skip them): a warning names the segment (EXIF, XMP, ...), where it
  starts and how many bytes follow it (``containers.jpeg_overrun``); the image is analysed,
  and the limits above walk past those bytes as the decoders do.
- **Frames.** Multi-frame files (GIF, TIFF, WebP, APNG: its default image, said when the
  animation does not show it): the first frame is analysed; the
  frame count is recorded, counted up to ``MAX_FRAMES`` (TIFF and GIF by walking their
  structure, never by decoding frames). When a later frame's header is damaged, or the count
  cannot be read, the file is still analysed: ``frames`` is the number of frames found before
  the damage (at least 1) and a warning says why counting stopped. A TIFF whose first page is
  marked a reduced-resolution copy (NewSubfileType: a raw file's preview) gets a warning.
- **Metadata** (EXIF and text chunks) is kept as untrusted text, each value capped at
  ``METADATA_VALUE_CAP`` characters (a cut value ends with how long it was,
  ``engine.exif.cut_mark``) and the whole at ``METADATA_TOTAL_CAP`` (the fields left out
  counted in one last row, ``engine.exif.METADATA_LEFT_OUT``). A binary value over
  ``METADATA_BINARY_SHOWN`` bytes (a MakerNote) is kept as the size and SHA-256 of the
  whole value and, for a MakerNote, the file's Make (:func:`binary_value_text`), not as hex.
  A rational is kept as the fraction the file holds (``1/60``; ``0/0`` too, never ``nan``)
  (:func:`exif_number_text`).
"""

from __future__ import annotations

import dataclasses
import hashlib
import io
import re
import traceback
from collections.abc import Callable
from pathlib import Path

import numpy as np
from PIL import (
    BmpImagePlugin,
    GifImagePlugin,
    Image,
    JpegImagePlugin,
    PngImagePlugin,
    TiffImagePlugin,
    WebPImagePlugin,
)

from engine import containers
from engine.bomb_guards import (
    MAX_PIXELS_ENV,
    as_int,
    check_compression,
    decode_byte_limit,
    decode_bytes_estimate,
    pixel_limit,
    tag_int,
    too_many_pixels,
    too_much_memory,
)
from engine.errors import (
    CorruptImageError,
    EvidenceError,
    ImageHeader,
    ImageTooLargeError,
    InvalidImageError,
    NotEnoughMemoryError,
    UnsupportedFormatError,
)
from engine.exif import MAKER_SHOWN as MAKER_SHOWN
from engine.exif import METADATA_BINARY_SHOWN as METADATA_BINARY_SHOWN
from engine.exif import METADATA_TOTAL_CAP as METADATA_TOTAL_CAP
from engine.exif import METADATA_VALUE_CAP as METADATA_VALUE_CAP
from engine.exif import binary_value_text as binary_value_text
from engine.exif import exif_bytes_text as exif_bytes_text
from engine.exif import exif_number_text as exif_number_text
from engine.exif import read_metadata as _metadata
from engine.fstimes import FileTimes
from engine.heif import (
    HEIF_DECODER,
    HEIF_VERDICT_NOTE,
    heif_decoder_available,
    heif_orientation,
    is_heif,
    open_heif,
)
from engine.orientation import apply_orientation, exif_orientation
from engine.reading import MAX_FILE_BYTES as MAX_FILE_BYTES
from engine.reading import read_evidence_bytes
from engine.reading import too_many_bytes as too_many_bytes
from engine.rgb import WIDE_MODES
from engine.rgb import to_rgb as _to_rgb
from engine.types import Evidence

MAX_FRAMES = 100_000  # frames counted; beyond, the count stops (with a warning)
IMAGE_SUFFIXES = (".jpg", ".jpeg", ".png", ".tif", ".tiff", ".webp", ".bmp", ".gif")
IMAGE_SUFFIXES += (".heic", ".heif", ".hif")
# The format each image suffix claims: a file whose content is another is noted.
_SUFFIX_FORMAT = {".jpg": "JPEG", ".jpeg": "JPEG", ".png": "PNG", ".tif": "TIFF", ".tiff": "TIFF"}
_SUFFIX_FORMAT |= {".webp": "WEBP", ".bmp": "BMP", ".gif": "GIF"}
_SUFFIX_FORMAT |= {".heic": "HEIF", ".heif": "HEIF", ".hif": "HEIF"}

# The allow-list: format name -> the Pillow opener used for it, and nothing else.
_OPENERS: dict[str, Callable[[io.BytesIO], Image.Image]] = {
    "JPEG": JpegImagePlugin.jpeg_factory,
    "PNG": PngImagePlugin.PngImageFile,
    "TIFF": TiffImagePlugin.TiffImageFile,
    "WEBP": WebPImagePlugin.WebPImageFile,
    "BMP": BmpImagePlugin.BmpImageFile,
    "GIF": GifImagePlugin.GifImageFile,
    "HEIF": open_heif,
}
ALLOWED_FORMATS = tuple(_OPENERS)


def not_allowed_reason(head: bytes) -> str:
    """Why a file whose first bytes are ``head`` (512 of them) is refused when it is of no
    allowed format: the formats allowed and what it looks like (``containers.describe_unknown``:
    plain text, a PDF, ...), the loader's words and the trainer's for a mask alike."""
    return (
        f"not an image of an allowed format ({', '.join(ALLOWED_FORMATS)}): "
        f"{containers.describe_unknown(head[:512])}"
    )


def sniff_format(head: bytes) -> str | None:
    """The allowed format whose magic bytes start ``head``, or None."""
    if head.startswith(b"\xff\xd8\xff"):
        return "JPEG"
    if head.startswith(b"\x89PNG\r\n\x1a\n"):
        return "PNG"
    if head[:4] in (b"II*\x00", b"MM\x00*"):
        return "TIFF"
    if head[:4] == b"RIFF" and head[8:12] == b"WEBP":
        return "WEBP"
    if head[:2] == b"BM":
        return "BMP"
    if head[:6] in (b"GIF87a", b"GIF89a"):
        return "GIF"
    if is_heif(head):
        return "HEIF"
    return None


def load_evidence(
    path: str | Path,
    *,
    max_pixels: int | None = None,
    max_bytes: int | None = None,
    native: Callable[[Image.Image], None] | None = None,
) -> Evidence:
    """Decode the evidence file at ``path`` by the policy in the module docstring.

    max_pixels: refuse a declared width x height beyond this (None: the environment variable
        ``FORENSIC_VIEWER_MAX_PIXELS``, else ``DEFAULT_MAX_PIXELS``).
    max_bytes: refuse a decode estimated to need more memory than this (None: the environment
        variable ``FORENSIC_VIEWER_MAX_DECODE_BYTES``, else ``DEFAULT_MAX_DECODE_BYTES``).
    native: called once with the decoded Pillow image (loaded, before it is reduced to the
        RGB pixels and before the orientation is applied), for a reader that needs what the
        evidence pixels drop: a ground-truth mask's alpha or 16-bit samples
        (:func:`engine.masks.read_mask`), so the file is decoded once. What it raises becomes
        the decode's error.

    Raises a subclass of :class:`engine.errors.EvidenceError` naming the file and the reason,
    whatever the file holds, with its ``header`` (:class:`~engine.errors.ImageHeader`: SHA-256,
    format, declared size) once the bytes were read; for a bad limit, what
    :func:`decode_byte_limit` or :func:`pixel_limit` raises.
    """
    path = Path(path)
    byte_limit = decode_byte_limit(max_bytes)
    max_pixels = pixel_limit(max_pixels)
    data, times = read_evidence_bytes(path)  # times: as found before the read
    sha256 = hashlib.sha256(data).hexdigest()
    fmt = sniff_format(data[:64])
    failure: EvidenceError
    if fmt is None:
        failure = UnsupportedFormatError(path, not_allowed_reason(data[:512]))
        failure.header = ImageHeader(sha256, len(data), fs_times=times)
        raise failure
    if fmt == "HEIF" and not heif_decoder_available():
        failure = UnsupportedFormatError(
            path,
            f"a HEIF/HEIC image (as phones save photographs), but its decoder is not installed "
            f"(pip install {HEIF_DECODER})",
        )
        failure.header = ImageHeader(sha256, len(data), fmt, fs_times=times)
        raise failure
    declared: list[tuple[int, int]] = []  # the header's width and height, once read
    try:
        ev = _decode(path, data, fmt, sha256, max_pixels, byte_limit, native, declared)
        return dataclasses.replace(ev, fs_times=times)
    except EvidenceError as e:
        e.header = _header(sha256, data, fmt, declared, times)
        raise
    except Exception as e:
        # The frames of the failed decode may hold large buffers (a partly decoded raster):
        # release them now, keeping the traceback's lines for whoever logs the cause.
        traceback.clear_frames(e.__traceback__)
        if isinstance(e, MemoryError):
            failure = NotEnoughMemoryError(
                path, f"not enough memory to decode this {fmt} image ({_short(e)})"
            )
        elif isinstance(e, Image.DecompressionBombError):
            failure = beyond_pillow_guard(path, fmt, e)
        elif (bomb := _metadata_bomb(path, e)) is not None:  # found after the image data
            failure = bomb
        elif isinstance(e, containers.StructureError):
            failure = CorruptImageError(path, f"damaged {fmt} data ({_short(e)})")
        elif _ends_early(e):  # Pillow's words alone read as a little missing, however much is
            failure = CorruptImageError(
                path,
                f"damaged {fmt} data: the file ends after {len(data):,} bytes, before its image "
                f"data does ({type(e).__name__}: {_short(e)})",
            )
        else:
            failure = CorruptImageError(
                path, f"damaged {fmt} data ({type(e).__name__}: {_short(e)})"
            )
        failure.__cause__ = e
    failure.header = _header(sha256, data, fmt, declared, times)
    raise failure


def _header(
    sha256: str, data: bytes, fmt: str, declared: list[tuple[int, int]], times: FileTimes
) -> ImageHeader:
    w, h = declared[0] if declared else (None, None)
    return ImageHeader(sha256, len(data), fmt, w, h, times)


def _decode(
    path: Path,
    data: bytes,
    fmt: str,
    sha256: str,
    max_pixels: int,
    byte_limit: int,
    native: Callable[[Image.Image], None] | None = None,
    declared: list[tuple[int, int]] | None = None,
) -> Evidence:
    """The guarded step of :func:`load_evidence`: header, limits, frames, pixels, metadata.
    declared: given the header's (width, height) as soon as it is read, for the error."""
    png = containers.png_layout(data) if fmt == "PNG" else None
    img = _open(path, data, fmt, max_pixels, declared)
    try:
        eoi = check_compression(path, data, fmt, img, png)  # a one-scan JPEG's end, walked
        need = decode_bytes_estimate(img, fmt, len(data))
        if need > byte_limit:
            raise too_much_memory(path, *img.size, img.mode, fmt, need, byte_limit)
        warns = _name_warnings(path, fmt)
        frames = _count_frames(data, fmt, img, warns)
        if (after := _after_end(data, fmt, png, frames, eoi)) is not None:  # JPEG: scans counted
            warns.append(after)
        if fmt == "JPEG" and (overrun := containers.jpeg_overrun(data)) is not None:
            warns.append(overrun)
        mode = img.mode
        if (reduced := _reduced_depth(fmt, img, png)) is not None:
            warns.append(f"{reduced}: finer tonal steps are not analysed")
        if fmt == "TIFF" and _is_preview(getattr(img, "tag_v2", {})):
            warns.append(
                "the first page is marked a reduced-resolution copy of another image (TIFF "
                "NewSubfileType), such as a raw file's preview: that preview is analysed"
            )
        metadata = _metadata(img, png.modified if png is not None else None)
        if fmt == "HEIF":  # turned by libheif already: nothing left to apply (engine.heif)
            orientation = heif_orientation(img, metadata, warns)
            warns.append(HEIF_VERDICT_NOTE)
        else:
            orientation = exif_orientation(img, warns)
        img.load()
        # Pillow turns a TIFF by its Orientation tag as it loads it, and drops the tag.
        turned = fmt == "TIFF" and 0x0112 not in getattr(img, "tag_v2", {})
        if native is not None:
            native(img)
        rgb = _to_rgb(path, img, warns, png.significant_bits if png is not None else ())
    finally:
        img.close()  # frees the decoded raster before the orientation copy
    if orientation != 1 and not turned:
        rgb = apply_orientation(rgb, orientation)
    h, w = rgb.shape[:2]
    rgb.setflags(write=False)  # evidence pixels are never modified, in memory either
    return Evidence(
        path=str(path),
        sha256=sha256,
        file_size=len(data),
        format=fmt,
        width=w,
        height=h,
        mode=mode,
        frames=frames,
        orientation=orientation,
        orientation_applied=orientation != 1,
        metadata=metadata,
        warnings=warns,
        pixels=rgb,
    )


def open_allowed(data: bytes, fmt: str) -> Image.Image:
    """``data`` opened (header only) by the allow-list's opener of ``fmt``, a format
    :func:`sniff_format` named: for readers of the evidence bytes after :func:`load_evidence`
    (e.g. the classic analyses' stored pixels), never another Pillow plugin."""
    return _OPENERS[fmt](io.BytesIO(data))


def _name_warnings(path: Path, fmt: str) -> list[str]:
    """A warning when the file's suffix claims another allowed format than its content."""
    claimed = _SUFFIX_FORMAT.get(path.suffix.lower())
    if claimed is None or claimed == fmt:
        return []
    return [f"named {path.suffix} but holds {fmt} data: analysed as {fmt}"]


def _reduced_depth(fmt: str, img: Image.Image, png: containers.PngLayout | None) -> str | None:
    """What the decoder reduced ``img``'s samples from, or None: Pillow decodes 16-bit colour
    (or gray + alpha) to 8 bits, its high byte (it keeps 16 bits for one-channel gray only,
    modes ``I;16``, converted by ``_wide_to_rgb``); pi-heif scales a HEIF's 10 or 12 bits."""
    high = "16 bits per channel reduced to 8 by the decoder (the high byte of each sample)"
    if img.mode in WIDE_MODES:
        return None
    if fmt == "PNG" and png is not None and png.bit_depth == 16:
        if (bits := max(png.significant_bits, default=16)) < 16:  # its sBIT, for colour too
            return high[:-1] + (
                f"; the PNG's sBIT declares {bits} significant bits, which come out nearly black "
                "when held in the low bits, as some cameras store them)"
            )
        return high
    if fmt == "PNG":
        return None
    if fmt == "TIFF":
        bps = getattr(img, "tag_v2", {}).get(258, ())
        return high if 16 in (bps if isinstance(bps, tuple) else (bps,)) else None
    if fmt == "HEIF" and (bits := as_int(img.info.get("bit_depth"), 8)) > 8:
        return f"{bits} bits per channel reduced to 8 by the decoder"
    return None


def _after_end(
    data: bytes, fmt: str, png: containers.PngLayout | None, frames: int, eoi: int | None = None
) -> str | None:
    """A warning when bytes follow the image's end (a one-frame JPEG's EOI, a PNG's IEND),
    which decoders ignore; None when nothing does, or only zeros (cameras pad files to a size).
    An MPO's later frames follow its first image's EOI: the count speaks of them. ``eoi``: a
    JPEG's end when already found (its one scan walked by the compression check), else walked
    here: scan data is the bulk of the file, so it is walked once per load."""
    if fmt == "JPEG":  # raises beyond containers.MAX_JPEG_SCANS, before any pixel is decoded
        end = eoi if eoi is not None else containers.jpeg_end(data)
        what = "the JPEG's end-of-image marker"
        end = end if frames == 1 else None
    elif fmt == "PNG" and png is not None:
        end, what = png.end, "the PNG's IEND chunk"
    else:
        return None
    if end is None or not np.frombuffer(data, np.uint8, offset=end).any():
        return None
    return (
        f"{len(data) - end:,} bytes follow {what} (starting {containers.printable(data[end : end + 8])})"
        ": not part of the image, not analysed (a camera's preview or padding, a phone's trailer "
        "or motion-photo video, another file appended, or hidden content)"
    )


def _is_preview(tags: object) -> bool:
    """Whether TIFF ``tags`` mark their image a reduced-resolution copy: NewSubfileType bit 0,
    or OldSubfileType 2 (as raw files mark the preview in their first page)."""
    return bool(tag_int(tags, 254, 0) & 1) or tag_int(tags, 255, 1) == 2


# Pillow's messages when the file's bytes run out before the decoder has its image data:
# "image file is truncated (103 bytes not processed)" counts the bytes Pillow held unused, not
# those missing, and was all a JPEG cut in half said
_TRUNCATED = ("image file is truncated", "truncated file read", "truncated png file")


def _ends_early(e: BaseException) -> bool:
    """Whether ``e`` is Pillow saying the file ended before its image data did."""
    return isinstance(e, OSError) and str(e).casefold().startswith(_TRUNCATED)


def _short(e: BaseException) -> str:
    """A decoder's message as one short line of plain text.

    Bytes reprs (``b'IHDR'``) lose their quotes, control characters become ``\\xNN``.
    """
    text = " ".join(str(e).split())
    text = re.sub(r"""\bb(['"])(.*?)\1""", r"\2", text)
    text = "".join(c if c.isprintable() else f"\\x{ord(c):02x}" for c in text[:400])
    return text[:160] or type(e).__name__


def _open(
    path: Path,
    data: bytes,
    fmt: str,
    max_pixels: int,
    declared: list[tuple[int, int]] | None = None,
) -> Image.Image:
    # Pillow's own guard (in the TIFF and GIF plugins) stays on, at our limit.
    Image.MAX_IMAGE_PIXELS = max_pixels
    try:
        img = open_allowed(data, fmt)
    except (MemoryError, Image.DecompressionBombError):
        raise  # the guard in load_evidence words these
    except Exception as e:  # the plugin refused the header: say so, not which parser step
        if (bomb := _metadata_bomb(path, e)) is not None:
            raise bomb from e
        if fmt == "TIFF" and "pixel mode" in str(e) and (kind := containers.tiff_layout(data)):
            unsupported = f"{kind}: a layout the decoder does not support"
            raise InvalidImageError(path, unsupported) from e
        raise CorruptImageError(
            path, f"{fmt} header cannot be decoded ({type(e).__name__}: {_short(e)})"
        ) from e
    w, h = img.size
    if declared is not None and w > 0 and h > 0:
        declared.append((w, h))
    if w <= 0 or h <= 0:
        raise InvalidImageError(path, f"image has zero width or height ({w}x{h})")
    if w * h > max_pixels:
        raise too_many_pixels(path, w, h, max_pixels)
    return img


def _metadata_bomb(path: Path, e: BaseException) -> ImageTooLargeError | None:
    """The refusal of a PNG whose text or colour-profile chunk Pillow stopped decompressing
    (``e``, Pillow's error, in the words of ``containers.png_text_bomb``), wherever the chunk
    stands: before the image data (:func:`_open`) or after it (:func:`load_evidence`); None
    for any other error."""
    bomb = containers.png_text_bomb(str(e))
    return None if bomb is None else ImageTooLargeError(path, bomb)


def beyond_pillow_guard(
    path: Path, fmt: str, e: Image.DecompressionBombError
) -> ImageTooLargeError:
    """The refusal of a header Pillow's own guard stopped as it opened it (over twice the
    limit: WebP's), also :func:`engine.precheck.refuse_beyond_limit`'s, in the same words."""
    return ImageTooLargeError(
        path, f"{fmt} frame beyond the pixel limit ({_short(e)}; raise it with {MAX_PIXELS_ENV})"
    )


def _count_frames(data: bytes, fmt: str, img: Image.Image, warns: list[str]) -> int:
    """The number of frames, by the frames policy in the module docstring."""
    note: str | None = None
    if fmt == "TIFF":
        frames, note = containers.tiff_frame_count(data, MAX_FRAMES)
    elif fmt == "GIF":
        frames, note = containers.gif_frame_count(data, MAX_FRAMES)
    else:
        # WebP, APNG and MPO (multi-picture JPEG) know their count from the header: reading it
        # seeks nowhere, so the frame about to be decoded stays as it is.
        try:
            frames = int(getattr(img, "n_frames", 1))
        except Exception as e:
            frames, note = 1, f"frame count cannot be read ({type(e).__name__}: {_short(e)})"
        if frames > MAX_FRAMES:
            frames, note = MAX_FRAMES, f"declares {frames} frames: counted as {MAX_FRAMES}"
    frames = max(frames, 1)
    which = "the primary one" if fmt == "HEIF" else "the first"  # HEIF: its primary item
    if img.info.get("default_image"):  # an APNG's IDAT outside its animation: Pillow's frame 0
        which += " (the PNG's default image, not a frame of its animation: APNG viewers hide it)"
    if note is not None:
        warns.append(f"{note}; {frames} frame(s) counted, only {which} is analysed")
    elif frames > 1:
        warns.append(f"{frames} frames: only {which} is analysed")
    return frames


def is_image_name(path: str | Path) -> bool:
    """Whether a file name has one of the image suffixes a folder scan picks up."""
    return Path(path).suffix.lower() in IMAGE_SUFFIXES
