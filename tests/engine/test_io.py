"""Evidence decoding: every bad-input category gets its typed error and a one-line message."""

from __future__ import annotations

import hashlib
import io
import os
import struct
import tracemalloc
import zlib
from pathlib import Path

import numpy as np
import pytest
from PIL import Image, ImageOps

import engine.io as engine_io
import engine.rgb as engine_rgb
from engine.bomb_guards import DEFAULT_MAX_DECODE_BYTES, MAX_DECODE_BYTES_ENV, decode_byte_limit
from engine.errors import (
    CorruptImageError,
    EmptyFileError,
    EvidenceError,
    ForensicError,
    ImageTooLargeError,
    InvalidImageError,
    NotEnoughMemoryError,
    UnsupportedFormatError,
)
from engine.io import load_evidence
from engine.types import Evidence
from tests.conftest import write_rgb


def _one_line(e: Exception, path: Path) -> str:
    msg = str(e)
    assert "\n" not in msg
    assert str(path) in msg
    return msg


def test_sha256_is_of_the_bytes_on_disk_and_file_is_untouched(tmp_path: Path) -> None:
    p = write_rgb(tmp_path / "a.png")
    before = p.read_bytes()
    mtime = os.stat(p).st_mtime_ns
    ev = load_evidence(p)
    assert ev.sha256 == hashlib.sha256(before).hexdigest()
    assert p.read_bytes() == before and os.stat(p).st_mtime_ns == mtime
    assert ev.pixels.shape == (80, 96, 3) and ev.pixels.dtype == np.uint8
    assert not ev.pixels.flags.writeable
    assert ev.format == "PNG" and (ev.width, ev.height) == (96, 80)


def test_pixels_equal_the_file(tmp_path: Path) -> None:
    rng = np.random.default_rng(3)
    arr = rng.integers(0, 256, size=(20, 30, 3), dtype=np.uint8)
    p = tmp_path / "x.png"
    Image.fromarray(arr).save(p)
    assert np.array_equal(load_evidence(p).pixels, arr)


NOT_IMAGES = {  # name of the test case: file name, its bytes, the error, words of its line
    "empty_file": ("empty.jpg", b"", EmptyFileError, "empty"),
    "random_bytes_named_jpg": (
        "noise.jpg",
        np.random.default_rng(1).integers(0, 256, 4096, dtype=np.uint8).tobytes(),
        UnsupportedFormatError,
        "not an image of an allowed format",
    ),
    "text_file_named_jpg": (
        "notes.jpg",
        b"just some notes\nnot an image\n",
        UnsupportedFormatError,
        "plain text",
    ),
    "postscript_named_png_is_never_decoded": (
        "evil.png",
        b"%!PS-Adobe-3.0 EPSF-3.0\n%%BoundingBox: 0 0 10 10\nshowpage\n",
        UnsupportedFormatError,
        "PostScript",
    ),
}


@pytest.mark.parametrize(("name", "content", "error", "words"), NOT_IMAGES.values(), ids=NOT_IMAGES)
def test_bytes_that_are_no_image_get_their_typed_error_in_one_line(
    tmp_path: Path, name: str, content: bytes, error: type[Exception], words: str
) -> None:
    p = tmp_path / name
    p.write_bytes(content)
    with pytest.raises(error) as e:
        load_evidence(p)
    assert words in _one_line(e.value, p)


def test_truncated_jpeg(tmp_path: Path) -> None:
    full = write_rgb(tmp_path / "full.jpg", 200, 200, fmt="JPEG").read_bytes()
    p = tmp_path / "cut.jpg"
    p.write_bytes(full[: len(full) // 2])
    with pytest.raises(CorruptImageError) as e:
        load_evidence(p)
    line = _one_line(e.value, p)
    assert "damaged JPEG" in line
    # Pillow's "(N bytes not processed)" alone read as a few bytes lost, with half the file
    # gone (analyst walk-through, 2026-12-05): the file's end is said, and its size
    assert f"the file ends after {len(full) // 2:,} bytes, before its image data does" in line
    assert "(OSError: image file is truncated" in line  # Pillow's detail kept


def test_png_with_broken_checksum(tmp_path: Path) -> None:
    data = bytearray(write_rgb(tmp_path / "ok.png", 16, 16).read_bytes())
    # Corrupt one byte inside the first IDAT chunk's data (after its length and type).
    idat = data.index(b"IDAT")
    data[idat + 6] ^= 0xFF
    p = tmp_path / "crc.png"
    p.write_bytes(bytes(data))
    with pytest.raises(CorruptImageError) as e:
        load_evidence(p)
    _one_line(e.value, p)


def _png_header_only(w: int, h: int) -> bytes:
    def chunk(kind: bytes, body: bytes) -> bytes:
        return (
            struct.pack(">I", len(body)) + kind + body + struct.pack(">I", zlib.crc32(kind + body))
        )

    ihdr = struct.pack(">IIBBBBB", w, h, 8, 2, 0, 0, 0)
    return b"\x89PNG\r\n\x1a\n" + chunk(b"IHDR", ihdr) + chunk(b"IEND", b"")


def test_declared_size_beyond_the_limit(tmp_path: Path) -> None:
    p = tmp_path / "bomb.png"
    p.write_bytes(_png_header_only(100_000, 100_000))
    with pytest.raises(ImageTooLargeError) as e:
        load_evidence(p)
    assert "limit" in _one_line(e.value, p)


def test_configurable_pixel_limit(tmp_path: Path) -> None:
    p = write_rgb(tmp_path / "a.png", 50, 50)
    with pytest.raises(ImageTooLargeError):
        load_evidence(p, max_pixels=2000)
    assert load_evidence(p, max_pixels=2500).width == 50


def test_zero_width(tmp_path: Path) -> None:
    p = tmp_path / "zero.png"
    p.write_bytes(_png_header_only(0, 10))
    with pytest.raises((InvalidImageError, CorruptImageError)) as e:
        load_evidence(p)
    _one_line(e.value, p)


def test_zero_height_bmp(tmp_path: Path) -> None:
    # A BMP header that declares 10 x 0 pixels.
    header = b"BM" + struct.pack("<IHHI", 54, 0, 0, 54)
    info = struct.pack("<IiiHHIIiiII", 40, 10, 0, 1, 24, 0, 0, 2835, 2835, 0, 0)
    p = tmp_path / "zero.bmp"
    p.write_bytes(header + info)
    with pytest.raises((InvalidImageError, CorruptImageError)) as e:
        load_evidence(p)
    _one_line(e.value, p)


@pytest.mark.parametrize("name", ["ünïcødé 証拠.png", "a" * 200 + ".png", "&<>\"'.png"])
def test_awkward_file_names(tmp_path: Path, name: str) -> None:
    p = write_rgb(tmp_path / name, 10, 12)
    ev = load_evidence(p)
    assert ev.path == str(p) and ev.width == 12


def test_awkward_name_in_error_message(tmp_path: Path) -> None:
    p = tmp_path / "&<>\"' ü.jpg"
    p.write_bytes(b"")
    with pytest.raises(EmptyFileError) as e:
        load_evidence(p)
    _one_line(e.value, p)


def test_extreme_aspect_ratio_and_tiny_image(tmp_path: Path) -> None:
    assert load_evidence(write_rgb(tmp_path / "tall.png", 4097, 127)).pixels.shape == (4097, 127, 3)
    assert load_evidence(write_rgb(tmp_path / "dot.png", 1, 1)).pixels.shape == (1, 1, 3)


def test_folder_and_missing_file(tmp_path: Path) -> None:
    d = tmp_path / "looks.jpg"
    d.mkdir()
    with pytest.raises(EvidenceError, match="folder"):
        load_evidence(d)
    with pytest.raises(EvidenceError, match="no such file"):
        load_evidence(tmp_path / "missing.jpg")


def test_format_by_content_not_name(tmp_path: Path) -> None:
    p = tmp_path / "really_png.jpg"
    Image.fromarray(np.zeros((5, 5, 3), np.uint8)).save(p, format="PNG")
    assert load_evidence(p).format == "PNG"


def test_exif_orientation_applied_and_recorded(tmp_path: Path) -> None:
    arr = np.zeros((20, 40, 3), np.uint8)
    arr[:, :10] = 255  # white band on the left
    img = Image.fromarray(arr)
    exif = Image.Exif()
    exif[0x0112] = 6  # rotate 90° clockwise to display
    p = tmp_path / "rot.jpg"
    img.save(p, exif=exif.tobytes(), quality=95)
    ev = load_evidence(p)
    assert ev.orientation == 6 and ev.orientation_applied
    assert (ev.width, ev.height) == (20, 40)
    assert ev.pixels[:10].mean() > 200  # the band is now at the top
    assert ev.pixels[-10:].mean() < 50


def test_sixteen_bit_maps_full_range_without_clipping(tmp_path: Path) -> None:
    arr = np.array([[0, 257, 65535, 30000]], dtype=np.uint16)
    p = tmp_path / "g16.png"
    Image.fromarray(arr).save(p)
    ev = load_evidence(p)
    assert ev.pixels[0, :, 0].tolist() == [0, 1, 255, round(30000 * 255 / 65535)]
    assert any("16-bit" in w for w in ev.warnings)


def test_float_tiff_out_of_range_rescaled_with_warning(tmp_path: Path) -> None:
    arr = np.array([[-2.0, 0.0, 2.0]], dtype=np.float32)
    p = tmp_path / "f.tif"
    Image.fromarray(arr, mode="F").save(p)
    ev = load_evidence(p)
    assert ev.pixels[0, :, 0].tolist() == [0, 128, 255]
    assert any("rescaled" in w for w in ev.warnings)


@pytest.mark.parametrize("mode", ["CMYK", "LA", "RGBA", "1", "L", "P"])
def test_modes_convert_to_rgb(tmp_path: Path, mode: str) -> None:
    img = Image.fromarray(np.random.default_rng(0).integers(0, 256, (8, 9, 3), np.uint8)).convert(
        mode
    )
    p = tmp_path / f"m.{'tif' if mode == 'CMYK' else 'png'}"
    img.save(p)
    ev = load_evidence(p)
    assert ev.pixels.shape == (8, 9, 3) and ev.mode == mode


def test_palette_with_transparency(tmp_path: Path) -> None:
    img = Image.new("P", (4, 4), 0)
    img.putpalette([255, 0, 0, 0, 255, 0] + [0] * 762)
    p = tmp_path / "t.png"
    img.save(p, transparency=0)
    ev = load_evidence(p)
    assert ev.pixels[0, 0].tolist() == [255, 0, 0]
    assert any("transparency" in w for w in ev.warnings)


def test_multi_frame_first_frame_and_count(tmp_path: Path) -> None:
    frames = [Image.new("RGB", (6, 6), c) for c in ((255, 0, 0), (0, 0, 255), (0, 255, 0))]
    p = tmp_path / "anim.gif"
    frames[0].save(p, save_all=True, append_images=frames[1:])
    ev = load_evidence(p)
    assert ev.frames == 3
    assert ev.pixels[0, 0, 0] > 200 and ev.pixels[0, 0, 2] < 50


def test_metadata_is_capped_untrusted_text(tmp_path: Path) -> None:
    exif = Image.Exif()
    exif[0x010E] = "<script>alert(1)</script>" + "x" * 5000  # ImageDescription
    p = tmp_path / "m.jpg"
    Image.new("RGB", (8, 8)).save(p, exif=exif.tobytes())
    ev = load_evidence(p)
    desc = ev.metadata["EXIF:ImageDescription"]
    whole = "<script>alert(1)</script>" + "x" * 5000
    assert desc == whole[:1000] + " … [cut: 5,025 characters]"  # cut, and saying so


def test_exif_values_read_as_text_a_person_can_read(tmp_path: Path) -> None:
    """Short binary EXIF values as hex, never control characters; UserComment by its character
    code; the pointers to the Exif and GPS IFDs are structure, not values, and left out (the
    tags they point to are listed)."""
    exif = Image.Exif()
    exif[0x010F] = "Camera Maker"  # Make
    sub = exif.get_ifd(0x8769)
    sub[0x9101] = b"\x01\x02\x03\x00"  # ComponentsConfiguration: four codes
    sub[0x9286] = b"ASCII\0\0\0holiday at the lake"  # UserComment
    sub[0x9003] = "2020:01:02 03:04:05"  # DateTimeOriginal
    p = tmp_path / "e.jpg"
    Image.new("RGB", (8, 8)).save(p, exif=exif.tobytes())
    meta = load_evidence(p).metadata
    assert meta["EXIF:Make"] == "Camera Maker"
    assert meta["EXIF:ComponentsConfiguration"] == "0x01020300"
    assert meta["EXIF:UserComment"] == "holiday at the lake"
    assert meta["EXIF:DateTimeOriginal"] == "2020:01:02 03:04:05"
    assert "EXIF:ExifOffset" not in meta and "EXIF:GPSInfo" not in meta


def test_a_rational_with_a_zero_denominator_reads_as_its_fraction_not_nan(tmp_path: Path) -> None:
    """EXIF writes 0/0 for "unknown" or "not used" (a Casio's DigitalZoomRatio): the report
    printed its float, 'nan', where a court reads the file's values."""
    from PIL.TiffImagePlugin import IFDRational

    exif = Image.Exif()
    sub = exif.get_ifd(0x8769)
    sub[0xA404] = IFDRational(0, 0)  # DigitalZoomRatio
    sub[0x829A] = IFDRational(1, 4)  # ExposureTime
    gps = exif.get_ifd(0x8825)
    gps[2] = (IFDRational(51, 1), IFDRational(30, 1), IFDRational(0, 0))  # GPSLatitude
    p = tmp_path / "zoom.jpg"
    Image.new("RGB", (8, 8)).save(p, exif=exif.tobytes())
    meta = load_evidence(p).metadata
    assert meta["EXIF:DigitalZoomRatio"] == "0/0 (no number: a zero denominator)"
    assert meta["EXIF:GPSLatitude"] == "(51/1, 30/1, 0/0 (no number: a zero denominator))"
    assert meta["EXIF:ExposureTime"] == "1/4"  # the fraction the file holds, exactly
    assert not any("nan" in v for v in meta.values())


def test_a_long_binary_value_is_recorded_as_its_size_and_sha256(tmp_path: Path) -> None:
    """A binary value over 64 bytes (a MakerNote: kilobytes, proprietary) is recorded at load
    as its whole size and SHA-256, the MakerNote with the maker the file names (one line,
    capped): never as hex cut at the value cap, which left size and hash unknown."""
    maker_note = bytes(range(256)) * 12  # 3,072 bytes, beyond what 1,000 hex characters hold
    exif = Image.Exif()
    exif[0x010F] = " Nikon\nCorporation " + "Z" * 60  # Make: untrusted, two lines, long
    exif[0xC4A5] = bytes(range(65))  # PrintImageMatching: one byte over the line
    sub = exif.get_ifd(0x8769)
    sub[0x927C] = maker_note
    sub[0xA40B] = bytes(range(64))  # DeviceSettingDescription: at the line, still hex
    p = tmp_path / "camera.jpg"
    Image.new("RGB", (8, 8)).save(p, exif=exif.tobytes())
    meta = load_evidence(p).metadata
    sha = hashlib.sha256(maker_note).hexdigest()
    maker = ("Nikon Corporation " + "Z" * 60)[:40]
    assert meta["EXIF:MakerNote"] == (
        f"3,072 bytes of {maker} binary data (not decoded), SHA-256 {sha}"
    )
    sha = hashlib.sha256(bytes(range(65))).hexdigest()
    assert (
        meta["EXIF:PrintImageMatching"] == f"65 bytes of binary data (not decoded), SHA-256 {sha}"
    )
    assert meta["EXIF:DeviceSettingDescription"] == "0x" + bytes(range(64)).hex()


@pytest.mark.parametrize("order", ["utf-16-le", "utf-16-be"])
def test_a_unicode_user_comment_reads_in_either_byte_order(order: str) -> None:
    from engine.io import exif_bytes_text

    value = b"UNICODE\0" + "Küste 2020".encode(order)
    assert exif_bytes_text(value, 0x9286) == "Küste 2020"
    assert exif_bytes_text("two\nlines ü".encode()) == "two\nlines ü"  # text, not hex


def test_webp_and_bmp_and_tiff(tmp_path: Path) -> None:
    buf = io.BytesIO()
    Image.new("RGB", (5, 7), (10, 20, 30)).save(buf, format="WEBP", lossless=True)
    (tmp_path / "w.webp").write_bytes(buf.getvalue())
    assert load_evidence(tmp_path / "w.webp").pixels[0, 0].tolist() == [10, 20, 30]
    for fmt, ext in (("BMP", "bmp"), ("TIFF", "tif")):
        p = tmp_path / f"x.{ext}"
        Image.new("RGB", (5, 7), (1, 2, 3)).save(p, format=fmt)
        assert load_evidence(p).format == fmt


# --- any file becomes a clear error (issue 16) -------------------------------------------------


def _three_frames() -> list[Image.Image]:
    return [Image.new("RGB", (6, 6), c) for c in ((255, 0, 0), (0, 0, 255), (0, 255, 0))]


def _tiff_pages() -> bytearray:
    buf = io.BytesIO()
    frames = _three_frames()
    frames[0].save(buf, "TIFF", save_all=True, append_images=frames[1:])
    return bytearray(buf.getvalue())


def _ifds(d: bytes) -> list[tuple[int, int]]:
    """(offset, entry count) of each directory of a little-endian TIFF."""
    out, offset = [], struct.unpack_from("<I", d, 4)[0]
    while offset:
        n = struct.unpack_from("<H", d, offset)[0]
        out.append((offset, n))
        offset = struct.unpack_from("<I", d, offset + 2 + 12 * n)[0]
    return out


def _set_entry(
    d: bytearray,
    ifd: tuple[int, int],
    tag: int,
    *,
    typ: int | None = None,
    value: int | None = None,
) -> None:
    offset, n = ifd
    for i in range(n):
        e = offset + 2 + 12 * i
        if struct.unpack_from("<H", d, e)[0] == tag:
            if typ is not None:
                struct.pack_into("<H", d, e + 2, typ)
            if value is not None:
                struct.pack_into("<I", d, e + 8, value)
            return
    raise AssertionError(f"tag {tag} not in the directory")


def test_tiff_whose_later_directory_is_damaged_is_analysed(tmp_path: Path) -> None:
    # Pillow's frame count raised TypeError/SyntaxError here, outside any error handling.
    d = _tiff_pages()
    _set_entry(d, _ifds(d)[2], 256, typ=0x99)  # frame 3's width of an unknown type
    _set_entry(d, _ifds(d)[1], 262, value=77)  # frame 2's photometric interpretation
    p = tmp_path / "pages.tif"
    p.write_bytes(bytes(d))
    ev = load_evidence(p)
    assert ev.frames == 3 and ev.pixels[0, 0].tolist() == [255, 0, 0]


def test_tiff_whose_directory_chain_breaks_counts_the_frames_before(tmp_path: Path) -> None:
    d = _tiff_pages()
    offset, n = _ifds(d)[1]
    struct.pack_into("<I", d, offset + 2 + 12 * n, len(d) + 1000)  # frame 3 beyond the end
    p = tmp_path / "broken_chain.tif"
    p.write_bytes(bytes(d))
    ev = load_evidence(p)
    assert ev.frames == 2 and ev.pixels[0, 0].tolist() == [255, 0, 0]
    assert any("frame 3" in w and "beyond the end" in w for w in ev.warnings)


def test_gif_whose_last_frame_is_cut_counts_the_frames_before(tmp_path: Path) -> None:
    buf = io.BytesIO()
    frames = _three_frames()
    frames[0].save(buf, "GIF", save_all=True, append_images=frames[1:])
    d = buf.getvalue()
    last = d.rindex(b"\x2c\x00\x00\x00\x00")  # the third image descriptor
    p = tmp_path / "cut.gif"
    p.write_bytes(d[: last + 5])  # was struct.error from Pillow's frame count
    ev = load_evidence(p)
    assert ev.frames == 2 and ev.pixels[0, 0, 0] > 200
    assert any("frame 3" in w and "truncated" in w for w in ev.warnings)


def test_frame_count_stops_at_the_cap(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(engine_io, "MAX_FRAMES", 2)
    p = tmp_path / "pages.tif"
    p.write_bytes(bytes(_tiff_pages()))
    ev = load_evidence(p)
    assert ev.frames == 2 and any("more than 2 frames" in w for w in ev.warnings)


def _png_chunk(kind: bytes, body: bytes) -> bytes:
    return struct.pack(">I", len(body)) + kind + body + struct.pack(">I", zlib.crc32(kind + body))


def test_png_chunk_errors_name_the_chunk_as_text(tmp_path: Path) -> None:
    png = write_rgb(tmp_path / "ok.png", 8, 8).read_bytes()
    after_ihdr = 8 + 25
    # A chunk type that is not four letters, with a valid CRC: Pillow says "chunk b'AB\\x00D'".
    p = tmp_path / "bad_name.png"
    p.write_bytes(png[:after_ihdr] + _png_chunk(b"AB\x00D", b"x") + png[after_ihdr:])
    with pytest.raises(CorruptImageError) as e:
        load_evidence(p)
    msg = _one_line(e.value, p)
    assert "chunk AB\\x00D" in msg and "b'" not in msg and 'b"' not in msg
    # A truncated chunk whose name is not text: shown escaped, never as a bytes repr.
    p = tmp_path / "cut.png"
    p.write_bytes(png[:after_ihdr] + struct.pack(">I", 1000) + b"\x00\x01AB" + b"x" * 8)
    with pytest.raises(CorruptImageError) as e:
        load_evidence(p)
    msg = _one_line(e.value, p)
    assert "chunk \\x00\\x01AB is truncated" in msg and "b'" not in msg


def _tiny_jpeg_declaring(w: int, h: int, *, progressive: bool = False) -> bytes:
    buf = io.BytesIO()
    Image.new("RGB", (16, 16), (90, 120, 200)).save(buf, "JPEG", progressive=progressive)
    d = bytearray(buf.getvalue())
    sof = d.index(b"\xff\xc2" if progressive else b"\xff\xc0")
    struct.pack_into(">HH", d, sof + 5, h, w)
    return bytes(d)


@pytest.fixture
def decodes(monkeypatch: pytest.MonkeyPatch) -> list[str]:
    """Records every pixel decode Pillow starts (to prove a refusal came before it)."""
    from PIL import ImageFile, TiffImagePlugin

    calls: list[str] = []
    for cls in (ImageFile.ImageFile, TiffImagePlugin.TiffImageFile):
        original = cls.load

        def spy(self: Image.Image, _original=original) -> object:  # type: ignore[no-untyped-def]
            calls.append(type(self).__name__)
            return _original(self)

        monkeypatch.setattr(cls, "load", spy)
    return calls


@pytest.mark.parametrize("progressive", [False, True])
def test_tiny_jpeg_declaring_100_mp_is_refused_before_decoding(
    tmp_path: Path, decodes: list[str], progressive: bool
) -> None:
    # 10000 x 10000 is within the pixel limit; the old code decoded it (1.3 GB peak RSS).
    p = tmp_path / "bomb.jpg"
    p.write_bytes(_tiny_jpeg_declaring(10000, 10000, progressive=progressive))
    assert p.stat().st_size < 1200
    tracemalloc.start()
    try:
        with pytest.raises(CorruptImageError) as e:
            load_evidence(p)
        peak = tracemalloc.get_traced_memory()[1]
    finally:
        tracemalloc.stop()
    msg = _one_line(e.value, p)
    assert "10000x10000" in msg and "decompression bomb" in msg
    assert decodes == [] and peak < 1_000_000


def _gif_screen(w: int, h: int) -> bytes:
    """A valid GIF: a w x h logical screen holding one 1 x 1 frame (about 40 bytes)."""
    screen = b"GIF89a" + struct.pack("<HHBBB", w, h, 0x80, 0, 0) + b"\x00\x00\x00\xff\xff\xff"
    frame = b"\x2c" + struct.pack("<HHHHB", 0, 0, 1, 1, 0) + b"\x02\x02\x44\x01\x00"
    return screen + frame + b"\x3b"


def test_byte_limit_refuses_before_decoding(tmp_path: Path, decodes: list[str]) -> None:
    # No compression ceiling helps here: a GIF frame may be far smaller than its screen.
    small = tmp_path / "small.gif"
    small.write_bytes(_gif_screen(100, 80))
    assert load_evidence(small).pixels.shape == (80, 100, 3)  # a valid file
    decodes.clear()
    p = tmp_path / "screen.gif"
    p.write_bytes(_gif_screen(10000, 10000))
    with pytest.raises(ImageTooLargeError) as e:
        load_evidence(p, max_bytes=500_000_000)
    msg = _one_line(e.value, p)
    assert "10000x10000" in msg and "500 MB limit" in msg and MAX_DECODE_BYTES_ENV in msg
    assert decodes == []


def test_byte_limit_from_argument_and_environment(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    p = write_rgb(tmp_path / "a.png", 64, 64)  # needs 7 bytes per pixel: 28,672
    monkeypatch.delenv(MAX_DECODE_BYTES_ENV, raising=False)
    assert decode_byte_limit() == DEFAULT_MAX_DECODE_BYTES
    with pytest.raises(ImageTooLargeError):
        load_evidence(p, max_bytes=28_000)
    assert load_evidence(p, max_bytes=29_000).width == 64
    monkeypatch.setenv(MAX_DECODE_BYTES_ENV, "28000")
    with pytest.raises(ImageTooLargeError):
        load_evidence(p)
    monkeypatch.setenv(MAX_DECODE_BYTES_ENV, "4G")
    assert decode_byte_limit() == 4 << 30
    assert load_evidence(p).width == 64
    with pytest.raises(ImageTooLargeError):  # the argument wins over the environment
        load_evidence(p, max_bytes=28_000)
    monkeypatch.setenv(MAX_DECODE_BYTES_ENV, "lots\nof bytes")
    with pytest.raises(ForensicError) as e:
        load_evidence(p)
    assert MAX_DECODE_BYTES_ENV in str(e.value) and "\n" not in str(e.value)
    with pytest.raises(ValueError, match="max_bytes"):
        load_evidence(p, max_bytes=0)


def _peak_bytes(path: Path) -> tuple[int, Evidence]:
    tracemalloc.start()
    try:
        ev = load_evidence(path)
        return tracemalloc.get_traced_memory()[1], ev
    finally:
        tracemalloc.stop()


@pytest.mark.parametrize("kind", ["uint16", "float32"])
def test_wide_tiff_decodes_in_bounded_memory(tmp_path: Path, kind: str) -> None:
    # The old conversion held float64 copies of the whole image: 12x the RGB result.
    h, w = 1500, 2000
    yy, xx = np.mgrid[0:h, 0:w]
    if kind == "uint16":
        img = Image.fromarray((xx * 7 + yy * 11).astype(np.uint16))
    else:
        img = Image.fromarray((xx * 0.001 + yy * 0.002 - 1).astype(np.float32), mode="F")
    p = tmp_path / f"{kind}.tif"
    img.save(p, compression="tiff_adobe_deflate")
    peak, ev = _peak_bytes(p)
    out = ev.pixels.nbytes
    assert ev.pixels.shape == (h, w, 3)
    assert peak < 2 * out + p.stat().st_size, f"peak {peak / 1e6:.1f} MB for {out / 1e6:.0f} MB"


def test_wide_conversion_is_unchanged_by_bands(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    rng = np.random.default_rng(5)
    arr = rng.normal(0.5, 0.3, (37, 23)).astype(np.float32)
    arr[3, 4], arr[10, 0] = np.nan, np.inf
    p = tmp_path / "f.tif"
    Image.fromarray(arr, mode="F").save(p)
    monkeypatch.setattr(engine_rgb, "BAND_PIXELS", 50)  # bands of 2 rows
    ev = load_evidence(p)
    a = np.nan_to_num(arr.astype(np.float64), nan=0.0, posinf=0.0, neginf=0.0)
    lo, hi = a.min(), a.max()
    want = np.clip(np.rint((a - lo) * (255.0 / (hi - lo))), 0, 255).astype(np.uint8)
    assert np.array_equal(ev.pixels[..., 0], want) and np.array_equal(ev.pixels[..., 2], want)
    assert any("NaN" in w for w in ev.warnings) and any("rescaled" in w for w in ev.warnings)


def test_32_bit_integers_beyond_16_bits_are_rescaled(tmp_path: Path) -> None:
    arr = np.array([[0, 50_000, 100_000, 7]], dtype=np.int32)  # from 0: no 16-bit table
    p = tmp_path / "i32.tif"
    Image.fromarray(arr, mode="I").save(p)
    ev = load_evidence(p)
    assert ev.pixels[0, :, 0].tolist() == [0, 128, 255, 0]  # v * 255 / 100000, rounded
    assert any("[0, 100000] min-max rescaled" in w for w in ev.warnings)


@pytest.mark.parametrize("orientation", range(1, 9))
def test_orientation_matches_pillow(tmp_path: Path, orientation: int) -> None:
    arr = np.random.default_rng(orientation).integers(0, 256, (5, 7, 3), np.uint8)
    exif = Image.Exif()
    exif[0x0112] = orientation
    p = tmp_path / "o.png"
    Image.fromarray(arr).save(p, exif=exif.tobytes())
    want = np.asarray(ImageOps.exif_transpose(Image.open(p)).convert("RGB"))
    ev = load_evidence(p)
    assert ev.orientation == orientation and np.array_equal(ev.pixels, want)


@pytest.mark.parametrize(
    ("exc", "expected"),
    [
        (ZeroDivisionError("division by zero"), CorruptImageError),
        (KeyError(("MM", 2)), CorruptImageError),
        (MemoryError(), NotEnoughMemoryError),
    ],
)
def test_any_exception_while_decoding_becomes_an_evidence_error(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, exc: Exception, expected: type
) -> None:
    def boom(*args: object) -> None:
        raise exc

    monkeypatch.setattr(engine_io, "_to_rgb", boom)
    p = write_rgb(tmp_path / "a.png", 8, 8)
    with pytest.raises(expected) as e:
        load_evidence(p)
    msg = _one_line(e.value, p)
    assert type(exc).__name__ in msg or "not enough memory" in msg
    assert e.value.__cause__ is exc


@pytest.mark.parametrize("exc", [KeyboardInterrupt, SystemExit])
def test_interrupts_are_never_swallowed(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, exc: type[BaseException]
) -> None:
    def boom(*args: object) -> None:
        raise exc

    monkeypatch.setattr(engine_io, "_metadata", boom)
    with pytest.raises(exc):
        load_evidence(write_rgb(tmp_path / "a.png", 8, 8))


@pytest.mark.skipif(not hasattr(os, "mkfifo"), reason="named pipes are POSIX")
def test_pipes_and_devices_are_refused_not_read(tmp_path: Path) -> None:
    fifo = tmp_path / "pipe.jpg"
    os.mkfifo(fifo)  # opening it would wait for a writer; reading it could stream forever
    with pytest.raises(EvidenceError, match="not a regular file"):
        load_evidence(fifo)
    link = tmp_path / "zero.jpg"
    link.symlink_to("/dev/zero")
    with pytest.raises(EvidenceError, match="not a regular file"):
        load_evidence(link)
