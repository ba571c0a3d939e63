"""Unusual but legitimate evidence files: decoded, and what was unusual about them is said."""

from __future__ import annotations

import io
import struct
import zlib
from pathlib import Path

import numpy as np
import pytest
from PIL import Image, TiffImagePlugin

from engine.bomb_guards import MAX_PIXELS_ENV, pixel_limit
from engine.errors import (
    CorruptImageError,
    ForensicError,
    ImageTooLargeError,
)
from engine.io import load_evidence


def _chunk(kind: bytes, data: bytes) -> bytes:
    return struct.pack(">I", len(data)) + kind + data + struct.pack(">I", zlib.crc32(kind + data))


def _png16(path: Path, samples: np.ndarray, colour: int) -> Path:
    """A 16-bit PNG of ``samples`` [H, W, C] uint16 (colour type 2: RGB, 4: LA, 6: RGBA)."""
    h, w = samples.shape[:2]
    rows = b"".join(b"\x00" + samples[y].astype(">u2").tobytes() for y in range(h))
    ihdr = struct.pack(">IIBBBBB", w, h, 16, colour, 0, 0, 0)
    path.write_bytes(
        b"\x89PNG\r\n\x1a\n"
        + _chunk(b"IHDR", ihdr)
        + _chunk(b"IDAT", zlib.compress(rows))
        + _chunk(b"IEND", b"")
    )
    return path


@pytest.mark.parametrize(("colour", "channels"), [(2, 3), (6, 4), (4, 2)])
def test_a_16_bit_colour_png_says_its_samples_were_reduced_to_8_bits(
    tmp_path: Path, colour: int, channels: int
) -> None:
    # Pillow decodes 16-bit RGB, RGBA and gray+alpha PNGs to 8 bits per channel itself, so
    # such a file read as a plain 'RGB' image: nothing told the analyst it held 16-bit data.
    samples = np.full((3, 4, channels), 0x8000, np.uint16)
    samples[0, 0, 0] = 0xFFFF
    ev = load_evidence(_png16(tmp_path / "deep.png", samples, colour))
    assert ev.pixels[0, 0, 0] == 255 and ev.pixels[1, 1, 0] == 128
    assert any("16 bits per channel" in w and "8" in w for w in ev.warnings), ev.warnings


def test_a_16_bit_rgb_tiff_says_its_samples_were_reduced_to_8_bits(tmp_path: Path) -> None:
    p = tmp_path / "deep.tif"
    # A minimal uncompressed little-endian 2x1 RGB TIFF with 16 bits per sample.
    pixels = np.array([[[65535, 0, 32768], [0, 65535, 0]]], "<u2").tobytes()
    entries = [
        (256, 3, 1, 2),  # ImageWidth
        (257, 3, 1, 1),  # ImageLength
        (258, 3, 3, 0),  # BitsPerSample -> offset below
        (259, 3, 1, 1),  # no compression
        (262, 3, 1, 2),  # RGB
        (273, 4, 1, 0),  # StripOffsets -> below
        (277, 3, 1, 3),  # SamplesPerPixel
        (278, 3, 1, 1),  # RowsPerStrip
        (279, 4, 1, len(pixels)),  # StripByteCounts
    ]
    ifd_at = 8
    extra_at = ifd_at + 2 + 12 * len(entries) + 4
    bps_at, strip_at = extra_at, extra_at + 6
    body = b""
    for tag, kind, count, value in entries:
        value = {258: bps_at, 273: strip_at}.get(tag, value)
        packed = struct.pack("<HI", value, 0)[:4] if kind == 3 else struct.pack("<I", value)
        body += struct.pack("<HHI", tag, kind, count) + packed
    data = b"II*\x00" + struct.pack("<I", ifd_at) + struct.pack("<H", len(entries)) + body
    data += b"\x00\x00\x00\x00" + struct.pack("<HHH", 16, 16, 16) + pixels
    p.write_bytes(data)
    ev = load_evidence(p)
    assert ev.pixels[0, 0].tolist() == [255, 0, 128]
    assert any("16 bits per channel" in w for w in ev.warnings), ev.warnings


def test_8_bit_files_carry_no_bit_depth_warning(tmp_path: Path) -> None:
    p = tmp_path / "plain.png"
    Image.fromarray(np.zeros((4, 4, 3), np.uint8)).save(p)
    assert not any("bits per channel" in w for w in load_evidence(p).warnings)


@pytest.mark.parametrize(
    ("name", "fmt", "said"),
    [("photo.png", "JPEG", ".png"), ("scan.jpg", "PNG", ".jpg"), ("x.TIF", "GIF", ".TIF")],
)
def test_a_file_whose_name_claims_another_format_is_analysed_and_says_so(
    tmp_path: Path, name: str, fmt: str, said: str
) -> None:
    # Decoded by content, as before; but a JPEG renamed to .png is itself worth noting
    # (a conversion or a renaming the analyst should know about), and it was never said.
    p = tmp_path / name
    Image.fromarray(np.zeros((6, 6, 3), np.uint8)).save(p, format=fmt)
    ev = load_evidence(p)
    assert ev.format == fmt
    (warning,) = [w for w in ev.warnings if "named" in w]
    assert said in warning and fmt in warning


@pytest.mark.parametrize("name", ["photo.jpeg", "photo.JPG", "evidence", "photo.jfif"])
def test_a_name_that_agrees_or_claims_nothing_carries_no_warning(tmp_path: Path, name: str) -> None:
    p = tmp_path / name
    Image.fromarray(np.zeros((6, 6, 3), np.uint8)).save(p, format="JPEG")
    assert not any("named" in w for w in load_evidence(p).warnings)


def test_a_heic_header_without_its_image_is_named_as_heif_when_refused(tmp_path: Path) -> None:
    # An iPhone photograph (HEIF) was refused as "unrecognised bytes"; HEIF is decoded now
    # (tests/engine/test_io_heif.py), and a file that only starts like one is a damaged HEIF.
    p = tmp_path / "IMG_0001.HEIC"
    p.write_bytes(struct.pack(">I", 24) + b"ftypheic" + b"\x00\x00\x00\x00mif1heic" + bytes(64))
    with pytest.raises(CorruptImageError) as e:
        load_evidence(p)
    msg = str(e.value)
    assert "\n" not in msg and str(p) in msg and "HEIF" in msg


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


def _oriented(path: Path, stored: np.ndarray, orientation: int, fmt: str) -> Path:
    exif = Image.Exif()
    exif[0x0112] = orientation
    Image.fromarray(stored).save(path, format=fmt, exif=exif.tobytes())
    return path


@pytest.mark.parametrize("orientation", range(2, 9))
def test_a_tiff_is_turned_by_its_orientation_once(tmp_path: Path, orientation: int) -> None:
    # Pillow turns a TIFF by its Orientation tag itself when it loads the pixels; the loader
    # turned it again: orientation 6 or 8 showed the photograph upside down (and said
    # 'applied'), 3 showed it as stored. A PNG with the same tag is turned once, as viewers do.
    stored = np.random.default_rng(orientation).integers(0, 256, (5, 7, 3), np.uint8)
    want = load_evidence(_oriented(tmp_path / "o.png", stored, orientation, "PNG")).pixels
    ev = load_evidence(_oriented(tmp_path / "o.tif", stored, orientation, "TIFF"))
    assert ev.orientation == orientation and ev.orientation_applied
    np.testing.assert_array_equal(ev.pixels, want)
    assert (ev.height, ev.width) == want.shape[:2]


@pytest.mark.parametrize("fmt", ["PNG", "WEBP"])
def test_an_alpha_channel_that_is_all_opaque_is_not_called_transparency(
    tmp_path: Path, fmt: str
) -> None:
    # Screenshots and many exports carry an alpha channel that is 255 everywhere, and Pillow
    # decodes every animated WebP as RGBA; the warning 'transparency present' told the analyst
    # of transparency that was not there.
    rgb = np.random.default_rng(1).integers(0, 256, (30, 40, 3), np.uint8)
    rgb[:10, :20] = 255
    p = tmp_path / f"opaque.{fmt.lower()}"
    if fmt == "PNG":
        Image.fromarray(rgb).convert("RGBA").save(p)
    else:  # an animated WebP, which Pillow decodes to RGBA
        frames = [Image.fromarray(np.roll(rgb, i * 5, 1)) for i in range(3)]
        frames[0].save(p, lossless=True, save_all=True, append_images=frames[1:])
    assert Image.open(p).mode == "RGBA"
    ev = load_evidence(p)
    assert not any("transparency" in w for w in ev.warnings), ev.warnings
    assert any("alpha" in w and "opaque" in w for w in ev.warnings), ev.warnings


def test_transparency_says_how_many_pixels_it_covers(tmp_path: Path) -> None:
    rgba = np.full((10, 10, 4), 255, np.uint8)
    rgba[:2, :, 3] = 0  # 20 of 100 pixels see-through
    p = tmp_path / "cut.png"
    Image.fromarray(rgba, "RGBA").save(p)
    (warning,) = [w for w in load_evidence(p).warnings if "transparency" in w]
    assert "20 of 100 pixels" in warning and "colour values kept as stored" in warning


def test_a_palette_transparency_no_pixel_uses_is_not_called_transparency(tmp_path: Path) -> None:
    img = Image.new("P", (4, 4), 1)
    img.putpalette([255, 0, 0, 0, 255, 0] + [0] * 762)
    p = tmp_path / "p.png"
    img.save(p, transparency=0)  # index 0 is transparent, but every pixel is index 1
    ev = load_evidence(p)
    assert ev.pixels[0, 0].tolist() == [0, 255, 0]
    assert not any("transparency present" in w for w in ev.warnings), ev.warnings


@pytest.mark.parametrize(
    ("mode", "key"), [("L", 0), ("RGB", (0, 0, 0)), ("I;16", 0)], ids=["gray", "rgb", "gray16"]
)
def test_a_png_transparent_colour_says_how_many_pixels_it_covers(
    tmp_path: Path, mode: str, key: object
) -> None:
    # A gray or RGB PNG's tRNS chunk names one colour that viewers draw see-through; its
    # pixels were analysed as the colour they hold without a word (only palettes were counted).
    gray = np.full((10, 10), 200, np.uint8)
    gray[:3] = 0  # 30 of 100 pixels of the transparent colour
    arr = {"L": gray, "RGB": np.dstack([gray] * 3), "I;16": gray.astype(np.uint16) * 257}[mode]
    p = tmp_path / "keyed.png"
    Image.fromarray(arr).save(p, transparency=key)
    assert Image.open(p).mode == mode and "transparency" in Image.open(p).info
    ev = load_evidence(p)
    (warning,) = [w for w in ev.warnings if "transparency" in w]
    assert "30 of 100 pixels" in warning and "colour values kept as stored" in warning
    assert ev.pixels[0, 0].tolist() == [0, 0, 0]


@pytest.mark.parametrize("hidden", [True, False])
def test_an_apng_whose_default_image_is_not_animated_says_that_is_what_is_analysed(
    tmp_path: Path, hidden: bool
) -> None:
    # An animated PNG may keep its IDAT image out of the animation: browsers show only the
    # animation's frames, Pillow's frame 0 is the default image. That image, which no animated
    # viewer shows, was analysed under the same words as an ordinary first frame.
    red, green, blue = (Image.new("RGB", (8, 8), c) for c in ("red", "lime", "blue"))
    p = tmp_path / "a.png"
    red.save(p, save_all=True, append_images=[green, blue], default_image=hidden)
    ev = load_evidence(p)
    assert ev.pixels[0, 0].tolist() == [255, 0, 0]
    (frames,) = [w for w in ev.warnings if "frames" in w]
    assert ("default image" in frames and "hide" in frames) is hidden, frames


def test_a_tiff_whose_first_page_is_a_preview_says_the_preview_is_analysed(tmp_path: Path) -> None:
    # Raw files built on TIFF (DNG, NEF) and multi-resolution scans start with a small preview
    # marked NewSubfileType 1; the 16 x 12 preview was analysed as if it were the photograph.
    preview = Image.fromarray(np.zeros((12, 16, 3), np.uint8))
    full = Image.fromarray(np.full((120, 160, 3), 200, np.uint8))
    ifd = TiffImagePlugin.ImageFileDirectory_v2()
    ifd[254] = 1  # NewSubfileType: reduced-resolution version of another image
    p = tmp_path / "raw.tif"
    preview.save(p, tiffinfo=ifd, save_all=True, append_images=[full])
    ev = load_evidence(p)
    assert (ev.width, ev.height) == (16, 12)
    assert any("reduced-resolution" in w and "preview" in w for w in ev.warnings), ev.warnings
    plain = tmp_path / "plain.tif"
    full.save(plain)
    assert not any("reduced-resolution" in w for w in load_evidence(plain).warnings)
