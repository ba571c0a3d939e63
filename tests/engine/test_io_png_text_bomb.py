"""A PNG whose metadata decompresses beyond Pillow's limits: refused in the product's words.

The refusal protects memory and stays; a security walk-through found it worded in Pillow's
("PNG header cannot be decoded (ValueError: Decompressed data too large for
PngImagePlugin.MAX_TEXT_CHUNK)"), read as damage and naming Pillow's internals.
"""

from __future__ import annotations

import struct
import zlib
from pathlib import Path

import pytest
from PIL import Image, PngImagePlugin

from engine.errors import ImageTooLargeError
from engine.io import load_evidence

LIMIT = 4096  # bytes: Pillow's MAX_TEXT_CHUNK for these tests (1 MiB by default)
BOMB = "refused (a decompression bomb in metadata)"


def _chunk(kind: bytes, data: bytes) -> bytes:
    return struct.pack(">I", len(data)) + kind + data + struct.pack(">I", zlib.crc32(kind + data))


def _ztxt(text: bytes, key: bytes = b"Comment") -> bytes:
    return _chunk(b"zTXt", key + b"\0\0" + zlib.compress(text))


@pytest.fixture
def small_limit(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(PngImagePlugin, "MAX_TEXT_CHUNK", LIMIT)
    monkeypatch.setattr(PngImagePlugin, "MAX_TEXT_MEMORY", 4 * LIMIT)


def _png(tmp_path: Path, before: bytes = b"", after: bytes = b"") -> Path:
    """An 8 x 8 PNG with ``before`` inserted after IHDR and ``after`` before IEND."""
    p = tmp_path / "bomb.png"
    Image.new("RGB", (8, 8), (10, 200, 30)).save(p)
    data = p.read_bytes()
    ihdr_end = 8 + 25  # signature, then IHDR's 13 bytes with length, type and CRC
    iend = data.rindex(b"IEND") - 4
    p.write_bytes(data[:ihdr_end] + before + data[ihdr_end:iend] + after + data[iend:])
    return p


@pytest.mark.usefixtures("small_limit")
def test_a_ztxt_chunk_beyond_the_limit_before_the_image_data_is_refused_in_our_words(
    tmp_path: Path,
) -> None:
    p = _png(tmp_path, before=_ztxt(b"A" * (LIMIT + 1)))
    with pytest.raises(ImageTooLargeError) as caught:
        load_evidence(p)
    said = str(caught.value)
    assert said == (
        f"{p}: a PNG text or colour-profile chunk decompresses beyond {LIMIT:,} bytes: {BOMB}"
    )
    assert "MAX_TEXT_CHUNK" not in said and "ValueError" not in said


@pytest.mark.usefixtures("small_limit")
def test_one_after_the_image_data_too(tmp_path: Path) -> None:
    # Pillow reads it as the pixels are decoded (a PNG's eXIf may follow them): the file was
    # analysed, its metadata "EXIF block could not be parsed" and the text gone
    p = _png(tmp_path, after=_ztxt(b"A" * (LIMIT + 1)))
    with pytest.raises(ImageTooLargeError, match="chunk decompresses beyond 4,096 bytes"):
        load_evidence(p)


@pytest.mark.usefixtures("small_limit")
def test_text_chunks_beyond_the_limit_in_all_are_refused_too(tmp_path: Path) -> None:
    chunks = b"".join(_ztxt(b"B" * (LIMIT - 100)) for _ in range(5))  # each under the limit
    p = _png(tmp_path, before=chunks)
    with pytest.raises(ImageTooLargeError) as caught:
        load_evidence(p)
    assert str(caught.value) == (
        f"{p}: the PNG's text chunks come to more than {4 * LIMIT:,} bytes: {BOMB}"
    )


@pytest.mark.usefixtures("small_limit")
def test_text_under_the_limit_is_read(tmp_path: Path) -> None:
    p = _png(tmp_path, before=_ztxt(b"C" * 900), after=_ztxt(b"D" * 900, b"Title"))
    meta = load_evidence(p).metadata
    assert meta["info:Comment"] == "C" * 900 and meta["info:Title"] == "D" * 900
