"""Images the classic-analysis tests make for themselves: textured scenes, JPEGs, EXIF blocks."""

from __future__ import annotations

import io
import struct
from pathlib import Path

import cv2
import numpy as np
import pytest
from PIL import Image

from engine.io import load_evidence
from engine.types import Evidence


def natural(h: int, w: int, seed: int = 0) -> np.ndarray:
    """A photograph-like RGB scene: noise at several scales (texture), discs (edges), grain."""
    rng = np.random.default_rng(seed)
    img = np.zeros((h, w, 3), np.float32)
    for s, a in ((40, 60), (12, 30), (3, 14), (1, 6)):
        n = rng.normal(size=(h // s + 2, w // s + 2, 3)).astype(np.float32)
        img += a * cv2.resize(n, (w, h), interpolation=cv2.INTER_CUBIC)[:h, :w]
    for _ in range(12):
        colour = tuple(float(v) - 128.0 for v in rng.integers(0, 255, 3))
        centre = (int(rng.integers(0, w)), int(rng.integers(0, h)))
        cv2.circle(img, centre, int(rng.integers(5, h // 5)), colour, -1)
    img += rng.normal(0, 2, img.shape)
    return np.clip(img + 128, 0, 255).astype(np.uint8)


def jpeg_bytes(rgb: np.ndarray, quality: int, exif: bytes | None = None) -> bytes:
    buf = io.BytesIO()
    kw = {} if exif is None else {"exif": exif}
    Image.fromarray(rgb).save(buf, "JPEG", quality=quality, **kw)
    return buf.getvalue()


def png_bytes(rgb: np.ndarray) -> bytes:
    buf = io.BytesIO()
    Image.fromarray(rgb).save(buf, "PNG")
    return buf.getvalue()


def decode(data: bytes) -> np.ndarray:
    return np.asarray(Image.open(io.BytesIO(data)).convert("RGB"))


# --- a minimal EXIF writer (Pillow writes no IFD1 thumbnail) -------------------------------

ASCII, SHORT, LONG = 2, 3, 4


def _ifd(entries: list[tuple[int, int, bytes, int]], start: int, next_ifd: int) -> bytes:
    """One little-endian IFD at ``start``: (tag, type, payload, count) entries, data after it."""
    entries = sorted(entries)
    head = 2 + 12 * len(entries) + 4
    data = b""
    table = struct.pack("<H", len(entries))
    for tag, typ, payload, count in entries:
        if len(payload) <= 4:
            table += struct.pack("<HHI", tag, typ, count) + payload.ljust(4, b"\x00")
        else:
            table += struct.pack("<HHII", tag, typ, count, start + head + len(data))
            data += payload + (b"\x00" if len(payload) % 2 else b"")
    return table + struct.pack("<I", next_ifd) + data


def _ascii(tag: int, text: str | bytes) -> tuple[int, int, bytes, int]:
    raw = (text.encode("utf-8") if isinstance(text, str) else text) + b"\x00"
    return (tag, ASCII, raw, len(raw))


def make_exif(
    ifd0: dict[int, str | bytes] | None = None,
    exif_ifd: dict[int, str | bytes] | None = None,
    thumbnail: bytes | None = None,
    orientation: int | None = None,
) -> bytes:
    """An APP1 EXIF payload ("Exif\\0\\0" + TIFF) with ASCII tags and an optional thumbnail."""
    e0 = [_ascii(t, v) for t, v in (ifd0 or {}).items()]
    if orientation is not None:
        e0.append((0x0112, SHORT, struct.pack("<H", orientation), 1))
    sub = [_ascii(t, v) for t, v in (exif_ifd or {}).items()]
    # Sizes first (pointers are 4-byte inline values, so they do not change the sizes).
    n0 = len(e0) + (1 if sub else 0)
    size0 = len(_ifd([*e0, *([(0x8769, LONG, b"\x00" * 4, 1)] if sub else [])], 8, 0))
    sub_at = 8 + size0
    size_sub = len(_ifd(sub, sub_at, 0)) if sub else 0
    ifd1_at = sub_at + size_sub
    if sub:
        e0.append((0x8769, LONG, struct.pack("<I", sub_at), 1))
    assert len(e0) == n0
    body = _ifd(e0, 8, ifd1_at if thumbnail else 0)
    if sub:
        body += _ifd(sub, sub_at, 0)
    if thumbnail:
        thumb_at = ifd1_at + 2 + 12 * 2 + 4
        body += _ifd(
            [
                (0x0201, LONG, struct.pack("<I", thumb_at), 1),
                (0x0202, LONG, struct.pack("<I", len(thumbnail)), 1),
            ],
            ifd1_at,
            0,
        )
        body += thumbnail
    return b"Exif\x00\x00" + b"II*\x00" + struct.pack("<I", 8) + body


@pytest.fixture
def write_evidence(tmp_path: Path):
    """write_evidence(data, name) -> Evidence loaded from a file holding ``data``."""

    def write(data: bytes, name: str = "evidence.jpg") -> Evidence:
        path = tmp_path / name
        path.write_bytes(data)
        return load_evidence(path)

    return write
