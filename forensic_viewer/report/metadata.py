"""A file's metadata as a report prints it: binary values summarised, never dumped as hex.

``engine.io`` records an EXIF value that is neither text nor numbers as hex (``0x0102…``),
capped at ``METADATA_VALUE_CAP`` characters. A camera's MakerNote (proprietary, kilobytes
long) then filled the metadata table with hundreds of hex digits that say nothing to a reader
and were cut off besides. A binary value longer than :data:`BINARY_SHOWN` bytes is printed as
its size, the start of its SHA-256 and, for a MakerNote, the maker the file names. When the
recorded hex was cut off, the whole value is read again from the evidence file, provided its
bytes still hash to the SHA-256 recorded at load; otherwise the report says what it knows
("at least N bytes").
"""

from __future__ import annotations

import hashlib
from collections.abc import Mapping
from functools import lru_cache
from typing import Any

from PIL import ExifTags, Image

from engine.io import METADATA_VALUE_CAP

BINARY_SHOWN = 64  # bytes: a longer binary value is summarised, never printed
SHA_SHOWN = 16  # hex digits of a summarised value's SHA-256
MAKER_NOTE = "EXIF:MakerNote"
_POINTERS = frozenset({0x8769, 0x8825, 0xA005, 0x014A})  # as engine.io: IFDs, not values


def recorded_bytes(text: str) -> bytes | None:
    """The bytes of a value ``engine.io`` recorded as hex (``0x…``); None for any other text."""
    digits = text[2 : 2 + (len(text) - 2) // 2 * 2]
    if not text.startswith("0x") or not digits:
        return None
    try:
        return bytes.fromhex(digits)
    except ValueError:
        return None


@lru_cache(maxsize=4)  # the HTML and the PDF writer ask for the same file in turn
def file_binary_values(path: str, sha256: str) -> dict[str, bytes]:
    """Each binary EXIF value of the evidence file ``path``, whole, named as ``engine.io``
    names them (``EXIF:MakerNote``); {} when the file's bytes no longer hash to ``sha256`` or
    its EXIF cannot be read (the report then says only what was recorded)."""
    exif_ifds = ((ExifTags.IFD.Exif, ExifTags.TAGS), (ExifTags.IFD.GPSInfo, ExifTags.GPSTAGS))
    try:
        with open(path, "rb") as f:
            if hashlib.file_digest(f, "sha256").hexdigest() != sha256:
                return {}
            f.seek(0)
            with Image.open(f) as img:
                exif = img.getexif()
                tags = [(t, v, ExifTags.TAGS) for t, v in exif.items() if t not in _POINTERS]
                for ifd, names in exif_ifds:
                    tags += [(t, v, names) for t, v in exif.get_ifd(ifd).items()]
    except Exception:  # an unreadable or hostile file: what was recorded is all there is
        return {}
    return {f"EXIF:{names.get(t, hex(t))}": v for t, v, names in tags if isinstance(v, bytes)}


def binary_text(key: str, data: bytes, whole: bool, maker: str = "") -> str:
    """A binary value in words: ``whole`` False when ``data`` is only the recorded start."""
    size = f"{len(data):,} bytes" if whole else f"at least {len(data):,} bytes"
    kind = f"{maker} binary data" if key == MAKER_NOTE and maker else "binary data"
    if not whole:
        return f"{size} of {kind} (not decoded; cut off when recorded: size and SHA-256 unknown)"
    digest = hashlib.sha256(data).hexdigest()[:SHA_SHOWN]
    return f"{size} of {kind} (not decoded), SHA-256 {digest}…"


def metadata_values(
    meta: Mapping[str, Any], path: str | None, sha256: str | None, readable: bool
) -> list[tuple[str, str]]:
    """``meta`` (``Evidence.metadata``) as (key, text) rows with each binary value longer than
    :data:`BINARY_SHOWN` bytes summarised. readable: the evidence file may be read again (its
    SHA-256 matched at export)."""
    maker = str(meta.get("EXIF:Make") or "").strip()[:40]  # untrusted text: kept short
    rows = []
    for k, v in meta.items():
        key, text = str(k), str(v)
        data = recorded_bytes(text)
        if data is None or len(data) <= BINARY_SHOWN:
            rows.append((key, text))
            continue
        whole = len(text) < METADATA_VALUE_CAP
        if not whole and readable and path and sha256:
            full = file_binary_values(path, sha256).get(key)
            whole = full is not None
            data = full if full is not None else data
        rows.append((key, binary_text(key, data, whole, maker)))
    return rows
