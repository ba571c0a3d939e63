"""Samples wider than 8 bits mapped by the depth and format the file declares (engine.rgb)."""

from __future__ import annotations

import struct
from pathlib import Path

import numpy as np
from PIL import Image

from engine.io import load_evidence
from engine.masks import read_mask


def _tiff(path: Path, samples: np.ndarray) -> Path:
    """A minimal uncompressed little-endian TIFF of ``samples`` [H, W] (gray) or [H, W, 3]
    (RGB), its BitsPerSample and SampleFormat (1 unsigned, 2 signed, 3 float) from the dtype."""
    h, w = samples.shape[:2]
    spp = 1 if samples.ndim == 2 else samples.shape[2]
    pixels = samples.astype(samples.dtype.newbyteorder("<")).tobytes()
    bits, fmt = samples.dtype.itemsize * 8, {"u": 1, "i": 2, "f": 3}[samples.dtype.kind]
    entries = [  # tag, type (3 SHORT, 4 LONG), values
        (256, 4, [w]),  # ImageWidth
        (257, 4, [h]),  # ImageLength
        (258, 3, [bits] * spp),  # BitsPerSample
        (259, 3, [1]),  # no compression
        (262, 3, [1 if spp == 1 else 2]),  # gray (black is 0) or RGB
        (273, 4, [0]),  # StripOffsets: patched below
        (277, 3, [spp]),  # SamplesPerPixel
        (278, 4, [h]),  # RowsPerStrip
        (279, 4, [len(pixels)]),  # StripByteCounts
        (339, 3, [fmt] * spp),  # SampleFormat
    ]
    extra_at = 8 + 2 + 12 * len(entries) + 4
    extra = b""
    strip_at = extra_at + sum(2 * len(v) for _, k, v in entries if k == 3 and len(v) > 2)
    body = b""
    for tag, kind, values in entries:
        values = [strip_at] if tag == 273 else values
        packed = struct.pack(f"<{len(values)}{'H' if kind == 3 else 'I'}", *values)
        if len(packed) > 4:  # stored after the directory, the entry holding its offset
            packed, extra = struct.pack("<I", extra_at + len(extra)), extra + packed
        body += struct.pack("<HHI", tag, kind, len(values)) + packed.ljust(4, b"\x00")
    head = b"II*\x00" + struct.pack("<IH", 8, len(entries))
    path.write_bytes(head + body + b"\x00" * 4 + extra + pixels)
    return path


def test_a_32_bit_tiff_holding_8_bit_values_is_not_mapped_as_16_bit(tmp_path: Path) -> None:
    # 0..255 in 32 bits was mapped as if 16-bit (0..65535 -> 0..255): all but black, and the
    # warning spoke of 16-bit data the file never declared.
    arr = np.array([[0, 64, 128, 255]], dtype=np.int32)
    p = tmp_path / "i32.tif"
    Image.fromarray(arr, mode="I").save(p)
    ev = load_evidence(p)
    assert ev.pixels[0, :, 0].tolist() == [0, 64, 128, 255]
    assert any("signed 32-bit integer data in [0, 255] min-max" in w for w in ev.warnings)
    assert not any("16-bit" in w for w in ev.warnings), ev.warnings


def test_a_signed_16_bit_tiff_is_rescaled_from_its_values(tmp_path: Path) -> None:
    # Pillow decodes a signed 16-bit TIFF to mode I; 0..32767 was mapped as unsigned 0..65535
    # (half the brightness) under the words "16-bit data".
    p = _tiff(tmp_path / "s16.tif", np.array([[0, 16000, 32000]], np.int16))
    assert Image.open(p).mode == "I"
    ev = load_evidence(p)
    assert ev.pixels[0, :, 0].tolist() == [0, 128, 255]  # v * 255 / 32000, rounded
    assert any("signed 16-bit integer data in [0, 32000]" in w for w in ev.warnings)


def test_a_32_bit_mask_of_0_and_1_marks_its_ones(tmp_path: Path) -> None:
    # The mask reader goes by the pixels load_evidence maps: its 1s are the top of the range.
    m = np.zeros((4, 6), np.int32)
    m[1:3, 2:5] = 1
    p = tmp_path / "m32.tif"
    Image.fromarray(m, mode="I").save(p)
    got = read_mask(p, (4, 6))
    assert (got.mask == (m == 1)).all() and not got.warnings
