"""The pixel limit checked from an evidence file's header alone, before anything costly.

:func:`engine.io.load_evidence` refuses an image whose header declares more pixels than the
limit, but a command that loads its models first (about 10 s) only learns it after. Here the
same refusal, in the same words, from the header only: the file is opened read-only (a
regular file, never waiting on a pipe: :func:`engine.files.open_evidence`) and its format's
allowed opener reads the header; no pixel is decoded. Anything else wrong with the file is
left to :func:`~engine.io.load_evidence`, whose refusal it would be (this says nothing of a
file it cannot read, so a missing or damaged file is refused there in its own words).
"""

from __future__ import annotations

import os
from pathlib import Path

from PIL import Image

from engine.files import open_evidence
from engine.heif import heif_decoder_available
from engine.io import (
    _OPENERS,
    MAX_FILE_BYTES,
    pixel_limit,
    sniff_format,
    too_many_pixels,
)


def refuse_beyond_limit(path: str | Path, *, max_pixels: int | None = None) -> None:
    """Raise the :class:`~engine.errors.ImageTooLargeError` that
    :func:`~engine.io.load_evidence` would raise for ``path`` (same message: the file, its
    declared size and the limit) when its header declares more pixels than ``max_pixels``
    (None: :func:`~engine.io.pixel_limit`'s, the environment variable's or the default).
    Returns None for every other file, readable or not: those are load_evidence's to judge.
    """
    path = Path(path)
    limit = pixel_limit(max_pixels)
    try:
        with open_evidence(path) as f:
            size = os.fstat(f.fileno()).st_size
            fmt = sniff_format(f.read(64))
            if size > MAX_FILE_BYTES or fmt is None:  # load_evidence refuses these first
                return
            if fmt == "HEIF" and not heif_decoder_available():
                return
            f.seek(0)
            Image.MAX_IMAGE_PIXELS = limit  # as load_evidence opens it (Pillow's own guard)
            w, h = _OPENERS[fmt](f).size  # type: ignore[arg-type]
    except Exception:  # unreadable, damaged, not an image: load_evidence says which
        return
    if w > 0 and h > 0 and w * h > limit:
        raise too_many_pixels(path, w, h, limit)
