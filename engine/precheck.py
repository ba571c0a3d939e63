"""The file-size, pixel and decode-memory limits checked from an evidence file's header alone,
before anything costly.

:func:`engine.io.load_evidence` refuses a file over :data:`~engine.io.MAX_FILE_BYTES`, an
image whose header declares more pixels than the limit and one whose decode it estimates
beyond the decode-memory limit (:func:`engine.bomb_guards.decode_bytes_estimate`, from the
header and the file's size), but a command that loads its models first (about 10 s) only
learns it after. Here the same refusals, in the same words, from the file's size and header
only: the file is opened read-only (a regular file, never waiting on a pipe:
:func:`engine.files.open_evidence`), its size read from the open file and its format's allowed
opener reads the header; no pixel is decoded. Anything else wrong with the file is left to
:func:`~engine.io.load_evidence`, whose refusal it would be (this says nothing of a file it
cannot read, so a missing or damaged file is refused there in its own words; nor of a JPEG or
PNG over the decode limit that declares more pixels than its bytes could code, which
load_evidence refuses as incomplete first).
"""

from __future__ import annotations

import os
from pathlib import Path
from typing import BinaryIO

from PIL import Image

from engine import containers
from engine.bomb_guards import (
    check_compression,
    decode_byte_limit,
    decode_bytes_estimate,
    pixel_limit,
    too_many_pixels,
    too_much_memory,
)
from engine.errors import CorruptImageError
from engine.files import open_evidence
from engine.heif import heif_decoder_available
from engine.io import (
    _OPENERS,
    MAX_FILE_BYTES,
    beyond_pillow_guard,
    sniff_format,
    too_many_bytes,
)


def refuse_beyond_limit(
    path: str | Path, *, max_pixels: int | None = None, max_bytes: int | None = None
) -> None:
    """Raise the :class:`~engine.errors.ImageTooLargeError` that
    :func:`~engine.io.load_evidence` would raise for ``path`` (same message) when the file is
    larger than :data:`~engine.io.MAX_FILE_BYTES` (checked first, as load_evidence does:
    whatever the file holds), its header declares more pixels than ``max_pixels`` (None:
    :func:`~engine.bomb_guards.pixel_limit`'s, the environment variable's or the default) or
    its decode is estimated beyond ``max_bytes`` (None: :func:`~engine.bomb_guards.
    decode_byte_limit`'s). Returns None for every other file, readable or not: those are
    load_evidence's to judge.
    """
    path = Path(path)
    limit = pixel_limit(max_pixels)
    byte_limit = decode_byte_limit(max_bytes)
    fmt: list[str] = []  # the format sniffed, once read
    try:
        with open_evidence(path) as f:
            size = os.fstat(f.fileno()).st_size
            header = (
                _header(path, f, size, limit, byte_limit, fmt) if size <= MAX_FILE_BYTES else None
            )
    except Image.DecompressionBombError as e:  # Pillow's guard, at twice the limit (WebP)
        raise beyond_pillow_guard(path, fmt[0], e) from e
    except Exception:  # unreadable, damaged, not an image: load_evidence says which
        return
    if size > MAX_FILE_BYTES:  # load_evidence's first refusal, whatever the file holds
        raise too_many_bytes(path, size)
    if header is None:
        return
    w, h, mode, need = header
    if w > 0 and h > 0 and w * h > limit:
        raise too_many_pixels(path, w, h, limit)
    if w > 0 and h > 0 and need > byte_limit:  # as load_evidence: after the pixel limit
        raise too_much_memory(path, w, h, mode, fmt[0], need, byte_limit)


def _header(
    path: Path, f: BinaryIO, size: int, limit: int, byte_limit: int, sniffed: list[str]
) -> tuple[int, int, str, int] | None:
    """The width, height and Pillow mode the header of the open file ``f`` (of ``size``
    bytes) declares, read by its allowed format's opener (no pixel decoded; the format
    appended to ``sniffed``), and the bytes its decode would take; None when it is of no
    format load_evidence reads here. The bytes are 0 for a JPEG or PNG over ``byte_limit``
    that load_evidence would refuse first as incomplete (:func:`~engine.bomb_guards.
    check_compression`, the file read whole for it: it is about to be refused either way).
    Pillow's guard raises :class:`~PIL.Image.DecompressionBombError` for a header it refuses
    itself."""
    fmt = sniff_format(f.read(64))
    if fmt is None or (fmt == "HEIF" and not heif_decoder_available()):
        return None
    sniffed.append(fmt)
    f.seek(0)
    was, Image.MAX_IMAGE_PIXELS = Image.MAX_IMAGE_PIXELS, limit  # as load_evidence opens it
    try:
        img = _OPENERS[fmt](f)  # type: ignore[arg-type]
        w, h = img.size
        if w <= 0 or h <= 0 or w * h > limit:
            return w, h, img.mode, 0
        need = decode_bytes_estimate(img, fmt, size)
        if need > byte_limit and fmt in ("JPEG", "PNG"):
            f.seek(0)
            data = f.read()
            png = containers.png_layout(data) if fmt == "PNG" else None
            try:
                check_compression(path, data, fmt, img, png)
            except CorruptImageError:
                need = 0  # load_evidence's refusal, in its words
        return w, h, img.mode, need
    finally:  # a header check leaves Pillow's process-wide guard as it found it
        Image.MAX_IMAGE_PIXELS = was
