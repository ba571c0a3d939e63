"""Safe decoding of untrusted evidence files.

Policy, applied to every file the same way:

- **Read-only, hashed.** The file is opened for reading only and read once; the SHA-256 is of
  exactly those bytes, and the pixels are decoded from the same bytes (no second read that
  could see a different file). Only regular files are read (never a device or a pipe, which
  could stream forever), up to ``MAX_FILE_BYTES``.
- **Format by content, from an allow-list.** JPEG, PNG, TIFF, WebP, BMP, GIF, recognised by
  their magic bytes whatever the file name says; Pillow is restricted to those decoders, so a
  PostScript/EPS file (which would run Ghostscript) is never handed to it.
- **Pixel limit.** The declared width x height is checked against ``max_pixels`` before any
  pixel is decoded (a decompression-bomb guard); beyond it a clear error, never a warning.
- **Orientation.** The EXIF orientation tag is applied to the pixels (as cameras and viewers
  show the photograph), so heatmaps, masks and layers computed on those pixels line up with
  what the analyst sees. The tag found and the fact that it was applied are recorded.
- **Modes to RGB**, in row bands (the only whole-image arrays are the decoded raster and the
  RGB result). 8-bit modes convert with Pillow. Alpha is dropped with the colour values
  kept as stored (a warning says transparency was present). 16-bit and 32-bit integer data
  map linearly from their full range (0..65535 -> 0..255); float data in [0, 1] scale by 255;
  data outside those ranges is min-max rescaled and a warning says so: nothing is silently
  clipped. CMYK converts with Pillow's formula (a warning notes it ignores colour profiles).
- **Frames.** Multi-frame files (GIF, TIFF, WebP): the first frame is analysed; the frame count
  is recorded.
- **Metadata** (EXIF and text chunks) is kept as untrusted text, each value capped at 1,000
  characters and the whole at 64 KiB.
"""

from __future__ import annotations

import hashlib
import io
import os
import stat
import warnings
import zlib
from collections.abc import Iterator
from pathlib import Path

import numpy as np
from numpy.typing import NDArray
from PIL import ExifTags, Image, UnidentifiedImageError

from engine.errors import (
    CorruptImageError,
    EmptyFileError,
    EvidenceError,
    ImageTooLargeError,
    InvalidImageError,
    NotEnoughMemoryError,
    UnsupportedFormatError,
)
from engine.types import Evidence

DEFAULT_MAX_PIXELS = 100_000_000  # 100 MP: above any current camera's still, far below a bomb
MAX_FILE_BYTES = 2 << 30
METADATA_VALUE_CAP = 1000
METADATA_TOTAL_CAP = 64 * 1024
IMAGE_SUFFIXES = (".jpg", ".jpeg", ".png", ".tif", ".tiff", ".webp", ".bmp", ".gif")
BAND_PIXELS = 1 << 18  # pixels per band when converting to RGB: bounds every temporary array

# Pillow format names of the allow-list (what Image.open(formats=...) accepts).
ALLOWED_FORMATS = ("JPEG", "PNG", "TIFF", "WEBP", "BMP", "GIF")

_WIDE_MODES = ("I;16", "I;16B", "I;16L", "I;16N", "I", "F")
_ALPHA_MODES = ("RGBA", "LA", "PA", "RGBa", "La")


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
    return None


def _describe_unknown(head: bytes) -> str:
    if head.startswith(b"%!PS") or head.startswith(b"\xc5\xd0\xd3\xc6"):
        return "PostScript/EPS content, which is never decoded"
    if head.startswith(b"%PDF"):
        return "a PDF document"
    try:
        head[:512].decode("utf-8")
        if all(32 <= b < 127 or b in (9, 10, 13) for b in head[:512]):
            return "plain text"
    except UnicodeDecodeError:
        pass
    return "unrecognised bytes"


def load_evidence(path: str | Path, *, max_pixels: int = DEFAULT_MAX_PIXELS) -> Evidence:
    """Decode the evidence file at ``path`` by the policy in the module docstring.

    Raises a subclass of :class:`engine.errors.EvidenceError` naming the file and the reason.
    """
    path = Path(path)
    data = _read_bytes(path)
    sha256 = hashlib.sha256(data).hexdigest()
    fmt = sniff_format(data[:16])
    if fmt is None:
        raise UnsupportedFormatError(
            path,
            f"not an image of an allowed format ({', '.join(ALLOWED_FORMATS)}): "
            f"{_describe_unknown(data[:512])}",
        )
    if fmt == "PNG":
        _check_png_chunks(path, data)
    img = _open(path, data, fmt, max_pixels)
    frames = int(getattr(img, "n_frames", 1) or 1)
    warns: list[str] = []
    if frames > 1:
        warns.append(f"{frames} frames: only the first is analysed")
    mode = img.mode
    metadata = _metadata(img)
    orientation = _orientation(img)
    try:
        img.seek(0)
        img.load()
        rgb = _to_rgb(path, img, warns)
        img.close()  # frees the decoded raster before the orientation copy
        if orientation != 1:
            rgb = _apply_orientation(rgb, orientation)
    except EvidenceError:
        raise
    except (OSError, SyntaxError, ValueError, EOFError, Image.DecompressionBombError) as e:
        raise CorruptImageError(path, f"damaged {fmt} data ({_short(e)})") from e
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


def _read_bytes(path: Path) -> bytes:
    try:
        if path.is_dir():
            raise EvidenceError(path, "is a folder, not an image file")
        # O_RDONLY: the evidence is never opened for writing. O_NONBLOCK: opening a named pipe
        # must not wait for a writer (it is refused below, like any file that is not regular).
        flags = os.O_RDONLY | getattr(os, "O_BINARY", 0) | getattr(os, "O_NONBLOCK", 0)
        fd = os.open(path, flags)
        with os.fdopen(fd, "rb") as f:
            st = os.fstat(fd)
            if stat.S_ISDIR(st.st_mode):
                raise EvidenceError(path, "is a folder, not an image file")
            if not stat.S_ISREG(st.st_mode):
                raise EvidenceError(path, "is not a regular file (a device, pipe or socket)")
            if st.st_size > MAX_FILE_BYTES:
                raise ImageTooLargeError(
                    path, f"file is {st.st_size} bytes, beyond the {MAX_FILE_BYTES} limit"
                )
            data = f.read(st.st_size)
            if f.read(1):  # bounded even if the file grows meanwhile
                raise EvidenceError(path, "file grew while being read (still being written?)")
    except EvidenceError:
        raise
    except MemoryError:
        raise NotEnoughMemoryError(path, "not enough memory to read the file") from None
    except FileNotFoundError as e:
        raise EvidenceError(path, "no such file") from e
    except PermissionError as e:
        raise EvidenceError(path, "permission denied") from e
    except OSError as e:
        raise EvidenceError(path, f"cannot be read ({e.strerror or e})") from e
    except ValueError as e:  # e.g. a NUL byte in the name
        raise EvidenceError(path, f"is not a usable file name ({_short(e)})") from e
    if not data:
        raise EmptyFileError(path, "file is empty (0 bytes)")
    return data


def _check_png_chunks(path: Path, data: bytes) -> None:
    """Verify every PNG chunk's CRC (Pillow skips the CRC of image data chunks)."""
    pos, n = 8, len(data)
    while pos + 8 <= n:
        length = int.from_bytes(data[pos : pos + 4], "big")
        kind = data[pos + 4 : pos + 8]
        end = pos + 8 + length
        if end + 4 > n:
            raise CorruptImageError(path, f"damaged PNG data (chunk {kind!r} is truncated)")
        crc = int.from_bytes(data[end : end + 4], "big")
        if zlib.crc32(data[pos + 4 : end]) != crc:
            name = kind.decode("latin-1", errors="replace")
            raise CorruptImageError(path, f"damaged PNG data (chunk {name} fails its CRC check)")
        if kind == b"IEND":
            return
        pos = end + 4


def _short(e: BaseException) -> str:
    text = " ".join(str(e).split()) or type(e).__name__
    return text[:160]


def _open(path: Path, data: bytes, fmt: str, max_pixels: int) -> Image.Image:
    Image.MAX_IMAGE_PIXELS = max_pixels  # Pillow's own guard stays on, at our limit
    try:
        with warnings.catch_warnings():
            warnings.simplefilter("error", Image.DecompressionBombWarning)
            img = Image.open(io.BytesIO(data), formats=[fmt])
    except (Image.DecompressionBombError, Image.DecompressionBombWarning) as e:
        raise ImageTooLargeError(
            path, f"declared size is beyond the {max_pixels}-pixel limit"
        ) from e
    except UnidentifiedImageError as e:
        raise CorruptImageError(path, f"{fmt} header cannot be decoded") from e
    except (OSError, SyntaxError, ValueError, EOFError) as e:
        raise CorruptImageError(path, f"damaged {fmt} data ({_short(e)})") from e
    w, h = img.size
    if w <= 0 or h <= 0:
        raise InvalidImageError(path, f"image has zero width or height ({w}x{h})")
    if w * h > max_pixels:
        raise ImageTooLargeError(
            path, f"declared size {w}x{h} is beyond the {max_pixels}-pixel limit"
        )
    return img


def _bands(img: Image.Image) -> Iterator[tuple[int, int, Image.Image]]:
    """Row bands of ``img`` of about ``BAND_PIXELS`` pixels: (first row, end row, band)."""
    w, h = img.size
    rows = max(1, BAND_PIXELS // w)
    for y0 in range(0, h, rows):
        y1 = min(h, y0 + rows)
        yield y0, y1, img.crop((0, y0, w, y1))


def _to_rgb(path: Path, img: Image.Image, warns: list[str]) -> NDArray[np.uint8]:
    """[H, W, 3] uint8 RGB from ``img``, converted band by band."""
    mode = img.mode
    if mode in _WIDE_MODES:
        return _wide_to_rgb(img, warns)
    via = None
    if mode == "P" and "transparency" in img.info:
        via = "RGBA"
    if via or mode in _ALPHA_MODES:
        warns.append("transparency present: alpha discarded, colour values kept as stored")
    if mode == "CMYK":
        warns.append("CMYK converted to RGB without colour management")
    w, h = img.size
    out = np.empty((h, w, 3), np.uint8)  # H, W, 3
    for y0, y1, band in _bands(img):
        try:
            if via:
                band = band.convert(via)
            if band.mode != "RGB":
                band = band.convert("RGB")
        except ValueError as e:
            raise InvalidImageError(path, f"pixel mode {mode} cannot be converted to RGB") from e
        out[y0:y1] = np.asarray(band)
    return out


def _wide_to_rgb(img: Image.Image, warns: list[str]) -> NDArray[np.uint8]:
    """Map 16/32-bit integer or float data to 8-bit gray RGB in two passes over row bands:
    the range first, then the mapping, each band in float64 (exact for 32-bit integers)."""
    w, h = img.size
    is_float = img.mode == "F"
    lo, hi, nonfinite = np.inf, -np.inf, False
    for _, _, band in _bands(img):
        a = np.asarray(band)
        if is_float:
            finite = np.isfinite(a)
            if not finite.all():
                nonfinite = True
                a = a[finite]
        if a.size:
            lo, hi = min(lo, float(a.min())), max(hi, float(a.max()))
    if nonfinite:
        warns.append("float image holds NaN/inf: those pixels set to 0")
        lo, hi = min(lo, 0.0), max(hi, 0.0)  # they count as 0 in the range, as before
    linear16 = not is_float and lo >= 0 and hi <= 65535
    if is_float:
        if lo >= 0.0 and hi <= 1.0:
            offset, scale = 0.0, 255.0
        else:
            warns.append(f"float data in [{lo:.4g}, {hi:.4g}] min-max rescaled to 0..255")
            offset, scale = lo, (255.0 / (hi - lo) if hi > lo else 0.0)
    elif linear16:
        offset, scale = 0.0, 255.0 / 65535.0
        warns.append("16-bit data mapped linearly 0..65535 -> 0..255")
    else:
        warns.append(f"integer data in [{int(lo)}, {int(hi)}] min-max rescaled to 0..255")
        offset, scale = lo, (255.0 / (hi - lo) if hi > lo else 0.0)
    # Integers in 0..65535 map through a table of the same formula (one lookup per pixel).
    lut = _to_uint8(np.arange(65536, dtype=np.float64) * scale) if linear16 else None
    out = np.empty((h, w, 3), np.uint8)  # H, W, 3
    for y0, y1, band in _bands(img):
        a = np.asarray(band)
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


def _orientation(img: Image.Image) -> int:
    try:
        value = int(img.getexif().get(0x0112, 1))
    except Exception:
        return 1
    return value if 1 <= value <= 8 else 1


def _apply_orientation(rgb: NDArray[np.uint8], orientation: int) -> NDArray[np.uint8]:
    """Rotate/flip ``rgb`` [H, W, 3] as EXIF ``orientation`` says (Pillow's exif_transpose)."""
    t = rgb.transpose(1, 0, 2)  # W, H, 3
    view = {
        2: rgb[:, ::-1],  # mirror left-right
        3: rgb[::-1, ::-1],  # rotate 180
        4: rgb[::-1],  # mirror top-bottom
        5: t,  # transpose
        6: t[:, ::-1],  # rotate 90 clockwise
        7: t[::-1, ::-1],  # transverse
        8: t[::-1],  # rotate 90 counter-clockwise
    }[orientation]
    return np.ascontiguousarray(view)


def _metadata(img: Image.Image) -> dict[str, str]:
    out: dict[str, str] = {}
    total = 0

    def put(key: str, value: object) -> None:
        nonlocal total
        if isinstance(value, bytes):
            text = value[:METADATA_VALUE_CAP].decode("utf-8", errors="replace")
        else:
            text = str(value)
        text = text.replace("\x00", "")[:METADATA_VALUE_CAP]
        if total + len(key) + len(text) > METADATA_TOTAL_CAP:
            return
        out[key] = text
        total += len(key) + len(text)

    try:
        exif = img.getexif()
        for tag, value in exif.items():
            put(f"EXIF:{ExifTags.TAGS.get(tag, hex(tag))}", value)
        for ifd_id in (ExifTags.IFD.Exif, ExifTags.IFD.GPSInfo):
            for tag, value in exif.get_ifd(ifd_id).items():
                names = ExifTags.GPSTAGS if ifd_id == ExifTags.IFD.GPSInfo else ExifTags.TAGS
                put(f"EXIF:{names.get(tag, hex(tag))}", value)
    except Exception:
        out["EXIF:error"] = "EXIF block could not be parsed"
    for key, value in img.info.items():
        if key in ("exif", "icc_profile", "transparency", "dpi", "duration", "loop"):
            continue
        if isinstance(value, str | bytes | int | float):
            put(f"info:{key}", value)
    if "icc_profile" in img.info:
        out["info:icc_profile"] = f"{len(img.info['icc_profile'])} bytes"
    return out


def is_image_name(path: str | Path) -> bool:
    """Whether a file name has one of the image suffixes a folder scan picks up."""
    return Path(path).suffix.lower() in IMAGE_SUFFIXES
