"""Unusual but legitimate evidence files: decoded, and what was unusual about them is said."""

from __future__ import annotations

import io
import struct
import zlib
from pathlib import Path

import numpy as np
import pytest
from PIL import Image

from engine.errors import ForensicError, ImageTooLargeError
from engine.io import MAX_PIXELS_ENV, load_evidence, pixel_limit


def _chunk(kind: bytes, data: bytes) -> bytes:
    return struct.pack(">I", len(data)) + kind + data + struct.pack(">I", zlib.crc32(kind + data))


def _big_png(path: Path, w: int, h: int) -> Path:
    """A gray PNG declaring w x h whose data is complete (rows of zeros, well compressed)."""
    co = zlib.compressobj(9)
    row = b"\x00" * (w + 1)
    idat = b"".join(co.compress(row) for _ in range(h)) + co.flush()
    ihdr = struct.pack(">IIBBBBB", w, h, 8, 0, 0, 0, 0)
    path.write_bytes(
        b"\x89PNG\r\n\x1a\n" + _chunk(b"IHDR", ihdr) + _chunk(b"IDAT", idat) + _chunk(b"IEND", b"")
    )
    return path


def test_the_pixel_limit_says_how_to_raise_it_and_the_environment_raises_it(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    # A 102 MP medium-format photograph (Fujifilm GFX100: 11648 x 8736) was refused with no
    # way to analyse it but editing the code: the message named no setting.
    monkeypatch.delenv(MAX_PIXELS_ENV, raising=False)
    p = _big_png(tmp_path / "pano.png", 300, 200)
    monkeypatch.setenv(MAX_PIXELS_ENV, "50000")
    with pytest.raises(ImageTooLargeError) as e:
        load_evidence(p)
    msg = str(e.value)
    assert "\n" not in msg and str(p) in msg and MAX_PIXELS_ENV in msg and "50,000" in msg
    monkeypatch.setenv(MAX_PIXELS_ENV, "60k")
    assert pixel_limit() == 60_000 and load_evidence(p).width == 300
    assert load_evidence(p, max_pixels=70_000).width == 300  # the argument wins
    with pytest.raises(ImageTooLargeError):
        load_evidence(p, max_pixels=50_000)
    monkeypatch.setenv(MAX_PIXELS_ENV, "many")
    with pytest.raises(ForensicError) as e:
        load_evidence(p)
    assert MAX_PIXELS_ENV in str(e.value) and "\n" not in str(e.value)


def test_the_default_pixel_limit_admits_a_102_megapixel_camera(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    monkeypatch.delenv(MAX_PIXELS_ENV, raising=False)
    assert pixel_limit() >= 11648 * 8736


def test_a_png_within_the_pixel_limit_is_not_refused_by_pillows_own_guard(
    tmp_path: Path,
) -> None:
    buf = io.BytesIO()
    Image.fromarray(np.zeros((2, 3, 3), np.uint8)).save(buf, "PNG")
    p = tmp_path / "small.png"
    p.write_bytes(buf.getvalue())
    assert load_evidence(p, max_pixels=6).width == 3
