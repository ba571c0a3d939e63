"""The file-size and pixel limits checked from an evidence file's header alone, before anything
costly.

:func:`engine.io.load_evidence` refuses a file over :data:`~engine.io.MAX_FILE_BYTES` and an
image whose header declares more pixels than the limit, but a command that loads its models
first (about 10 s) only learns it after. Here the same refusals, in the same words, from the
file's size and header only: the file is opened read-only (a regular file, never waiting on a
pipe: :func:`engine.files.open_evidence`), its size read from the open file and its format's
allowed opener reads the header; no pixel is decoded. Anything else wrong with the file is
left to :func:`~engine.io.load_evidence`, whose refusal it would be (this says nothing of a
file it cannot read, so a missing or damaged file is refused there in its own words).
"""

from __future__ import annotations

import os
from pathlib import Path
from typing import BinaryIO

from PIL import Image

from engine.bomb_guards import pixel_limit, too_many_pixels
from engine.files import open_evidence
from engine.heif import heif_decoder_available
from engine.io import (
    _OPENERS,
    MAX_FILE_BYTES,
    beyond_pillow_guard,
    sniff_format,
    too_many_bytes,
)


def refuse_beyond_limit(path: str | Path, *, max_pixels: int | None = None) -> None:
    """Raise the :class:`~engine.errors.ImageTooLargeError` that
    :func:`~engine.io.load_evidence` would raise for ``path`` (same message) when the file is
    larger than :data:`~engine.io.MAX_FILE_BYTES` (checked first, as load_evidence does:
    whatever the file holds) or its header declares more pixels than ``max_pixels`` (None:
    :func:`~engine.bomb_guards.pixel_limit`'s, the environment variable's or the default).
    Returns None for every other file, readable or not: those are load_evidence's to judge.
    """
    path = Path(path)
    limit = pixel_limit(max_pixels)
    fmt: list[str] = []  # the format sniffed, once read
    try:
        with open_evidence(path) as f:
            size = os.fstat(f.fileno()).st_size
            declared = _declared_size(f, limit, fmt) if size <= MAX_FILE_BYTES else None
    except Image.DecompressionBombError as e:  # Pillow's guard, at twice the limit (WebP)
        raise beyond_pillow_guard(path, fmt[0], e) from e
    except Exception:  # unreadable, damaged, not an image: load_evidence says which
        return
    if size > MAX_FILE_BYTES:  # load_evidence's first refusal, whatever the file holds
        raise too_many_bytes(path, size)
    if declared is None:
        return
    w, h = declared
    if w > 0 and h > 0 and w * h > limit:
        raise too_many_pixels(path, w, h, limit)


def _declared_size(f: BinaryIO, limit: int, sniffed: list[str]) -> tuple[int, int] | None:
    """The width and height the header of the open file ``f`` declares, read by its allowed
    format's opener (no pixel decoded; the format appended to ``sniffed``); None when it is of
    no format load_evidence reads here. Pillow's guard raises
    :class:`~PIL.Image.DecompressionBombError` for a header it refuses itself."""
    fmt = sniff_format(f.read(64))
    if fmt is None or (fmt == "HEIF" and not heif_decoder_available()):
        return None
    sniffed.append(fmt)
    f.seek(0)
    was, Image.MAX_IMAGE_PIXELS = Image.MAX_IMAGE_PIXELS, limit  # as load_evidence opens it
    try:
        return _OPENERS[fmt](f).size  # type: ignore[arg-type]
    finally:  # a header check leaves Pillow's process-wide guard as it found it
        Image.MAX_IMAGE_PIXELS = was
