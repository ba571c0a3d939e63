"""A file's metadata as a report prints it: binary values summarised, never dumped as hex.

``engine.io`` records a binary EXIF value longer than ``METADATA_BINARY_SHOWN`` bytes (a
camera's MakerNote) at load as its size, SHA-256 and, for a MakerNote, the maker the file names
(:func:`engine.io.binary_value_text`); rows, the viewer's metadata panel and the reports show
that text as recorded. Rows written before recorded such a value as hex (``0x0102…``) cut at
``METADATA_VALUE_CAP`` characters: here it is summarised the same way when its hex is whole,
and as "at least N bytes" when it was cut off (the evidence file is never read again for it).
"""

from __future__ import annotations

import hashlib
from collections.abc import Mapping
from typing import Any

from engine.io import MAKER_SHOWN, METADATA_BINARY_SHOWN, METADATA_VALUE_CAP, binary_value_text

MAKER_NOTE = "EXIF:MakerNote"


def recorded_bytes(text: str) -> bytes | None:
    """The bytes of a value recorded as hex (``0x…``); None for any other text."""
    digits = text[2 : 2 + (len(text) - 2) // 2 * 2]
    if not text.startswith("0x") or not digits:
        return None
    try:
        return bytes.fromhex(digits)
    except ValueError:
        return None


def earlier_binary_text(data: bytes, whole: bool, maker: str = "") -> str:
    """A binary value that a row written before recorded as hex, in the words of
    :func:`engine.io.binary_value_text`; ``whole`` False when ``data`` is only the start that
    was recorded, so size and SHA-256 are unknown."""
    if whole:
        return binary_value_text(len(data), hashlib.sha256(data).hexdigest(), maker)
    kind = f"{maker} binary data" if maker else "binary data"
    return (
        f"at least {len(data):,} bytes of {kind} (not decoded; cut off when recorded by an "
        "earlier version: size and SHA-256 unknown)"
    )


def metadata_values(meta: Mapping[str, Any]) -> list[tuple[str, str]]:
    """``meta`` (``Evidence.metadata``, or a row's ``evidence.metadata``) as (key, text) rows:
    as recorded, but a hex value longer than ``METADATA_BINARY_SHOWN`` bytes (a row written
    before binary values were summarised at load) summarised."""
    make = " ".join(str(meta.get("EXIF:Make") or "").split())[:MAKER_SHOWN]  # untrusted text
    rows = []
    for k, v in meta.items():
        key, text = str(k), str(v)
        data = recorded_bytes(text)
        if data is None or len(data) <= METADATA_BINARY_SHOWN:
            rows.append((key, text))
            continue
        whole = len(text) < METADATA_VALUE_CAP
        rows.append((key, earlier_binary_text(data, whole, make if key == MAKER_NOTE else "")))
    return rows
