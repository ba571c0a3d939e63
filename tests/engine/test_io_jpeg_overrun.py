"""A JPEG header segment whose content runs past the length it declares (a camera-trap file
of the data set: its XMP segment two bytes longer than declared): decoders skip the bytes left
between it and the next marker without a word, so the file loaded as whole. The evidence now
says which segment, where, and how many bytes; the image is still analysed. The container
walks stopped at such bytes, where the decoders go on: one stray byte turned off the scan cap
and the compression bounds; they now skip them too."""

from __future__ import annotations

import io
from pathlib import Path

import numpy as np
import pytest
from PIL import Image

from engine import containers
from engine.decode_limits import analysis_limits
from engine.errors import CorruptImageError
from engine.io import load_evidence

RUNS_PAST = "runs past the"


def _jpeg_with_exif(extra: bytes = b"") -> bytes:
    """A 40 x 56 JPEG whose EXIF segment (Make "Camera") ends with ``extra`` bytes."""
    rng = np.random.default_rng(0)
    exif = Image.Exif()
    exif[0x010F] = "Camera"
    buf = io.BytesIO()
    Image.fromarray(rng.integers(0, 256, (40, 56, 3), dtype=np.uint8)).save(
        buf, "JPEG", exif=exif.tobytes() + extra
    )
    return buf.getvalue()


def _overrun(data: bytes, by: int) -> tuple[bytes, int]:
    """``data`` with its EXIF segment's length ``by`` bytes short of its content, and where the
    segment starts: its last ``by`` bytes now stand between it and the next marker."""
    app1 = data.index(b"\xff\xe1")
    length = int.from_bytes(data[app1 + 2 : app1 + 4], "big")
    cut = (length - by).to_bytes(2, "big")
    return data[: app1 + 2] + cut + data[app1 + 4 :], app1


@pytest.mark.parametrize(
    ("by", "words"), [(2, "2 bytes (starting AB)"), (1, "1 byte (starting A)")]
)
def test_an_exif_segment_running_past_its_length_is_a_warning(
    tmp_path: Path, by: int, words: str
) -> None:
    clean = _jpeg_with_exif(b"AB"[:by])
    whole = tmp_path / "whole.jpg"
    whole.write_bytes(clean)
    plain = load_evidence(whole)
    assert not [w for w in plain.warnings if RUNS_PAST in w]
    data, app1 = _overrun(clean, by)
    path = tmp_path / "overrun.jpg"
    path.write_bytes(data)
    ev = load_evidence(path)
    length = int.from_bytes(data[app1 + 2 : app1 + 4], "big")
    (warning,) = [w for w in ev.warnings if RUNS_PAST in w]
    assert warning.startswith(
        f"the JPEG's EXIF segment (APP1) at byte {app1:,} runs past the {length:,} bytes its "
        f"length declares: {words} follow it before the next marker"
    )
    assert "\n" not in warning and analysis_limits(ev.warnings) == []  # the pixels are whole
    assert np.array_equal(ev.pixels, plain.pixels)  # still analysed, the same image
    assert ev.metadata["EXIF:Make"] == "Camera"


def test_segments_that_follow_one_another_say_nothing() -> None:
    data = _jpeg_with_exif()
    assert containers.jpeg_overrun(data) is None
    assert containers.jpeg_overrun(data[:-2]) is None  # the scan's end is no header's business
    # a fill byte before a marker is allowed (T.81 B.1.1.2): no byte is skipped
    app1 = data.index(b"\xff\xe1")
    assert containers.jpeg_overrun(data[:app1] + b"\xff" + data[app1:]) is None


def _stray_after_app0(data: bytes, stray: bytes = b"\x00") -> bytes:
    """``data`` with ``stray`` bytes between its APP0 (JFIF) segment and the next marker."""
    app0 = data.index(b"\xff\xe0")
    end = app0 + 2 + int.from_bytes(data[app0 + 2 : app0 + 4], "big")
    return data[:end] + stray + data[end:]


def test_a_stray_byte_in_the_header_does_not_turn_the_scan_cap_off(tmp_path: Path) -> None:
    # The walks stopped at the first byte outside a segment, which the decoders skip: one such
    # byte and a JPEG of more scans than the cap decoded, each scan a pass over the image.
    from tests.engine.test_io_after_end import _many_scans

    bomb = tmp_path / "bomb.jpg"
    bomb.write_bytes(_stray_after_app0(_many_scans(containers.MAX_JPEG_SCANS)))
    with pytest.raises(CorruptImageError, match=f"more than {containers.MAX_JPEG_SCANS} scans"):
        load_evidence(bomb)


def test_a_stray_byte_in_the_header_does_not_turn_the_compression_bound_off(
    tmp_path: Path,
) -> None:
    from tests.engine.test_limit_edges import SCAN_BOUND, _grey_jpeg_declaring, _scan_bytes

    have = _scan_bytes(_grey_jpeg_declaring(8))
    short = tmp_path / "short.jpg"  # one block coded under a header of ~have * 16 blocks
    short.write_bytes(_stray_after_app0(_grey_jpeg_declaring(16 * (have + 1)), b"\x01\xff\x00"))
    with pytest.raises(CorruptImageError, match=SCAN_BOUND) as e:
        load_evidence(short)
    assert "\n" not in str(e.value)


def test_bytes_after_the_image_are_found_past_stray_header_bytes(tmp_path: Path) -> None:
    data = _stray_after_app0(_jpeg_with_exif(), b"?>")  # as the camera-trap file's XMP left
    assert containers.jpeg_end(data) == len(data)
    path = tmp_path / "trailer.jpg"
    path.write_bytes(data + b"PK\x03\x04")
    warnings = load_evidence(path).warnings
    assert any(w.startswith("4 bytes follow the JPEG's end-of-image marker") for w in warnings)
    (said,) = [w for w in warnings if RUNS_PAST in w]
    assert said.startswith("the JPEG's JFIF segment (APP0) at byte 2 runs past")
    assert "2 bytes (starting ?>)" in said
