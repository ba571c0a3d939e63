"""Bytes after the image's end (a JPEG's EOI, a PNG's IEND) are not decoded by anyone: another
file appended, hidden data, a phone's trailer. They were ignored without a word; the evidence
now says how many there are and how they start, unless they are only a camera's zero padding."""

from __future__ import annotations

import io
from pathlib import Path

import numpy as np
import pytest
from PIL import Image

from engine import containers
from engine.errors import CorruptImageError
from engine.io import load_evidence


def _image_bytes(fmt: str, **save: object) -> bytes:
    rng = np.random.default_rng(0)
    img = Image.fromarray(rng.integers(0, 256, (40, 56, 3), dtype=np.uint8))
    buf = io.BytesIO()
    img.save(buf, format=fmt, **save)
    return buf.getvalue()


def _after(ev_warnings: list[str]) -> list[str]:
    return [w for w in ev_warnings if "bytes follow" in w]


@pytest.mark.parametrize(
    ("fmt", "save", "end"),
    [
        ("JPEG", {}, "end-of-image marker"),
        ("JPEG", {"progressive": True}, "end-of-image marker"),
        ("PNG", {}, "IEND chunk"),
    ],
)
def test_appended_bytes_are_counted_and_named(
    tmp_path: Path, fmt: str, save: dict, end: str
) -> None:
    clean = _image_bytes(fmt, **save)
    plain = tmp_path / "plain.img"
    plain.write_bytes(clean)
    assert _after(load_evidence(plain).warnings) == []
    appended = tmp_path / "appended.img"
    appended.write_bytes(clean + b"PK\x03\x04" + bytes(range(1, 200)))
    ev = load_evidence(appended)
    (warning,) = _after(ev.warnings)
    assert warning.startswith(f"203 bytes follow the {fmt}'s {end} (starting PK\\x03\\x04\\x01")
    assert np.array_equal(ev.pixels, load_evidence(plain).pixels)  # the pixels are the image's


def test_a_second_jpeg_appended_is_found_past_the_first_ones_exif_thumbnail(
    tmp_path: Path,
) -> None:
    exif = Image.Exif()
    exif[0x010F] = "Camera"
    thumb = _image_bytes("JPEG")  # a JPEG inside APP1: its EOI is not the image's
    first = _image_bytes("JPEG", exif=exif.tobytes() + thumb)
    assert containers.jpeg_end(first) == len(first)
    path = tmp_path / "two.jpg"
    path.write_bytes(first + thumb)
    (warning,) = _after(load_evidence(path).warnings)
    assert warning.startswith(f"{len(thumb):,} bytes follow the JPEG's end-of-image marker")


def test_zero_padding_is_not_worth_a_warning(tmp_path: Path) -> None:
    path = tmp_path / "padded.jpg"
    path.write_bytes(_image_bytes("JPEG") + bytes(4096))  # as old cameras fill a cluster
    assert _after(load_evidence(path).warnings) == []


def test_the_jpeg_walk_steps_over_stuffed_bytes_and_restart_markers() -> None:
    data = _image_bytes("JPEG", restart_marker_blocks=1)
    assert data.count(b"\xff\x00") and any(data.count(bytes([0xFF, m])) for m in range(0xD0, 0xD8))
    assert containers.jpeg_end(data) == len(data)
    assert containers.jpeg_end(data[:-2]) is None  # no EOI: nothing said to follow it


def _many_scans(scans: int) -> bytes:
    """A valid progressive JPEG of one flat gray band followed by ``scans`` more AC scans, each
    covering every block with one end-of-band run in 3 bytes: the decoder passes over the whole
    image once per scan, so such files take time in proportion to scans x pixels."""
    base = io.BytesIO()
    Image.new("L", (64, 64), 128).save(base, "JPEG", progressive=True)
    data = base.getvalue()
    # an AC table (class 1, id 3) whose one code, "0", is EOBRUN 2^14 + 14 extra bits
    dht = b"\xff\xc4\x00\x14\x13" + bytes([1] + [0] * 15) + b"\xe0"
    sos = b"\xff\xda\x00\x08\x01\x01\x03\x01\x3f\x00"  # component 1, AC 1..63, first pass
    coded = bytes([0b00000000, 0b00000000, 0b01111111])  # "0" + 14 zero bits: a run of 16384
    return data[:-2] + dht + (sos + coded) * scans + b"\xff\xd9"


def test_a_jpeg_of_more_scans_than_any_encoder_writes_is_refused_before_decoding(
    tmp_path: Path,
) -> None:
    ok = tmp_path / "ok.jpg"
    ok.write_bytes(_many_scans(containers.MAX_JPEG_SCANS - 20))  # the base has 6 to 10 scans
    assert load_evidence(ok).pixels.shape == (64, 64, 3)  # decodable: the bytes are valid
    bomb = tmp_path / "bomb.jpg"
    bomb.write_bytes(_many_scans(containers.MAX_JPEG_SCANS))
    with pytest.raises(CorruptImageError) as e:
        load_evidence(bomb)
    assert str(e.value).startswith(f"{bomb}: damaged JPEG data (more than ")
    assert f"{containers.MAX_JPEG_SCANS} scans" in str(e.value)


def _baseline_variants() -> list[bytes]:
    """One-scan baseline JPEGs whose end a walk must find: plain, with restart markers and
    stuffed bytes, with an EXIF thumbnail (its own EOI inside APP1), grey, bytes appended."""
    exif = Image.Exif()
    exif[0x010F] = "Camera"
    plain = _image_bytes("JPEG")
    grey = io.BytesIO()
    Image.new("L", (24, 16), 90).save(grey, "JPEG")
    return [
        plain,
        _image_bytes("JPEG", restart_marker_blocks=1),
        _image_bytes("JPEG", exif=exif.tobytes() + plain),
        grey.getvalue(),
        plain + b"trailer" + bytes(3),
    ]


@pytest.mark.parametrize("data", _baseline_variants())
def test_the_one_scan_walk_finds_the_end_jpeg_end_finds(data: bytes) -> None:
    scan = containers.jpeg_sequential_scan(data)
    assert scan is not None and scan.end == containers.jpeg_end(data)


def test_a_baseline_jpeg_s_scan_is_walked_once_per_load(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    # The compression check walks the one scan to its EOI; the bytes-after-the-image check
    # walked it again (~14 ms of a 12 MP file's ~100 ms load): it takes the end found.
    walks: list[int] = []
    walk = containers._scan_data_end

    def counted(data: bytes, pos: int) -> int | None:
        walks.append(pos)
        return walk(data, pos)

    monkeypatch.setattr(containers, "_scan_data_end", counted)
    clean = _image_bytes("JPEG")
    path = tmp_path / "appended.jpg"
    path.write_bytes(clean + b"PK\x03\x04")
    (warning,) = _after(load_evidence(path).warnings)  # the end carried over is the right one
    assert warning.startswith("4 bytes follow the JPEG's end-of-image marker (starting PK")
    assert len(walks) == 1
