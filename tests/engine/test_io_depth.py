"""Samples wider than 8 bits mapped by the depth and format the file declares (engine.rgb)."""

from __future__ import annotations

import struct
import zlib
from pathlib import Path

import numpy as np
import pytest
from PIL import Image

from engine.errors import InvalidImageError
from engine.io import load_evidence


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


def test_an_unsigned_32_bit_tiff_is_read_as_unsigned(tmp_path: Path) -> None:
    # Pillow hands unsigned 32-bit samples over as signed (4294967295 as -1): the brightest
    # pixels came out black and the warning gave a range of negative values the file never held.
    arr = np.array([[0, 2**31 + 5, 2**32 - 1, 7]], np.uint32)
    ev = load_evidence(_tiff(tmp_path / "u32.tif", arr))
    assert ev.pixels[0, :, 0].tolist() == [0, 128, 255, 0]
    assert "32-bit integer data in [0, 4294967295] min-max rescaled to 0..255" in ev.warnings


@pytest.mark.parametrize(
    ("samples", "grey", "said"),
    [
        (np.full((3, 4), 2**31, np.uint32), 128, "32-bit integer data, every pixel 2147483648"),
        (np.full((3, 4), 2**32 - 1, np.uint32), 255, "range 0..4294967295 -> 0..255"),
        (np.zeros((3, 4), np.int32), 128, "range -2147483648..2147483647 -> 0..255"),
        (np.full((3, 4), -7, np.int16), 127, "signed 16-bit integer data, every pixel -7"),
        (np.full((3, 4), 0.25, np.float32) * 8, 255, "range 0..1 -> 0..255 (clipped)"),
    ],
)
def test_a_uniform_image_of_min_max_data_maps_from_its_declared_range(
    tmp_path: Path, samples: np.ndarray, grey: int, said: str
) -> None:
    # One value has no range to min-max rescale: the scale was 0 and every such image came
    # out black, without a word.
    ev = load_evidence(_tiff(tmp_path / "flat.tif", samples))
    assert (ev.pixels == grey).all(), ev.pixels[0, 0]
    flat = [w for w in ev.warnings if "no range of its own to rescale" in w]
    assert len(flat) == 1 and said in flat[0], ev.warnings
    assert not any("min-max rescaled" in w for w in ev.warnings)


def _chunk(kind: bytes, data: bytes) -> bytes:
    return struct.pack(">I", len(data)) + kind + data + struct.pack(">I", zlib.crc32(kind + data))


def _png16(path: Path, samples: np.ndarray, sbit: int | None) -> Path:
    """A 16-bit PNG of ``samples`` [H, W] (gray) or [H, W, 3] (RGB), with an sBIT chunk of
    ``sbit`` bits in each channel, or none."""
    h, w = samples.shape[:2]
    channels = 1 if samples.ndim == 2 else samples.shape[2]
    rows = b"".join(b"\x00" + samples[y].astype(">u2").tobytes() for y in range(h))
    ihdr = struct.pack(">IIBBBBB", w, h, 16, 0 if channels == 1 else 2, 0, 0, 0)
    extra = _chunk(b"sBIT", bytes([sbit] * channels)) if sbit is not None else b""
    path.write_bytes(
        b"\x89PNG\r\n\x1a\n"
        + _chunk(b"IHDR", ihdr)
        + extra
        + _chunk(b"IDAT", zlib.compress(rows))
        + _chunk(b"IEND", b"")
    )
    return path


@pytest.mark.parametrize("bits", [12, 10])
def test_a_16_bit_png_of_fewer_significant_bits_in_its_low_bits_maps_from_them(
    tmp_path: Path, bits: int
) -> None:
    # A camera's 12-bit (or 10-bit) samples stored as they are in a 16-bit PNG, sBIT saying
    # so: mapped from 0..65535 they came out at most 16 (or 4) of 255, nearly black.
    top = (1 << bits) - 1
    samples = np.array([[0, 1001, top // 2, top]], np.uint16)
    ev = load_evidence(_png16(tmp_path / "deep.png", samples, bits))
    want = np.rint(samples[0] * (255 / top)).astype(int).tolist()
    assert ev.pixels[0, :, 0].tolist() == want and want[-1] == 255
    assert any(f"{bits} significant bits (PNG sBIT)" in w and f"0..{top}" in w for w in ev.warnings)


def test_a_16_bit_png_scaled_up_as_the_standard_asks_keeps_the_16_bit_mapping(
    tmp_path: Path,
) -> None:
    # The PNG standard's way: 12-bit values shifted up to 16 bits, sBIT 12. Bright or dark
    # (every value within 0..4095, but the low 4 bits all zero), they map from 0..65535.
    for name, samples in [("bright", [0, 4095 << 4, 100 << 4]), ("dark", [0, 255 << 4, 16])]:
        arr = np.array([samples], np.uint16)
        ev = load_evidence(_png16(tmp_path / f"{name}.png", arr, 12))
        want = np.rint(arr[0] * (255 / 65535)).astype(int).tolist()
        assert ev.pixels[0, :, 0].tolist() == want, name
        assert any("0..65535" in w and "12 significant bits" in w for w in ev.warnings), name


def test_a_16_bit_colour_png_with_sbit_says_what_its_reduction_to_8_bits_costs(
    tmp_path: Path,
) -> None:
    # Pillow keeps the high byte of 16-bit colour: 12 bits held in the low bits come out at
    # most 15 of 255, and the warning spoke of the high byte alone.
    samples = np.full((2, 3, 3), 4095, np.uint16)
    ev = load_evidence(_png16(tmp_path / "rgb.png", samples, 12))
    assert ev.pixels.max() == 15
    said = [w for w in ev.warnings if "16 bits per channel reduced to 8" in w]
    assert len(said) == 1 and "sBIT declares 12 significant bits" in said[0], ev.warnings
    assert "nearly black when held in the low bits" in said[0]


def test_without_sbit_a_16_bit_png_maps_from_its_full_range(tmp_path: Path) -> None:
    samples = np.array([[0, 1001, 4095]], np.uint16)
    ev = load_evidence(_png16(tmp_path / "plain.png", samples, None))
    assert ev.pixels[0, :, 0].tolist() == [0, 4, 16]
    assert "16-bit data mapped linearly 0..65535 -> 0..255" in ev.warnings


@pytest.mark.parametrize(
    ("dtype", "words"),
    [("float32", "32-bit floating-point RGB"), ("int32", "32-bit signed integer RGB")],
)
def test_an_rgb_tiff_of_a_layout_the_decoder_lacks_is_refused_as_that_not_as_damage(
    tmp_path: Path, dtype: str, words: str
) -> None:
    # Pillow has no mode for these: the refusal read "TIFF header cannot be decoded
    # (SyntaxError: unknown pixel mode)", as if the file were damaged.
    p = _tiff(tmp_path / "wide.tif", np.full((2, 3, 3), 0.5).astype(dtype))
    with pytest.raises(InvalidImageError) as caught:
        load_evidence(p)
    said = str(caught.value)
    assert said == f"{p}: {words} TIFF: a layout the decoder does not support"
    assert "\n" not in said
