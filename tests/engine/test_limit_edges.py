"""The image-loading limits at their edges: a limit of exactly the image's pixels admits it and
one pixel fewer refuses it; a limit of 0 is refused as a setting; a JPEG one byte short of the
least any complete JPEG of its declared size needs is refused, and one that has exactly that
least is not (by that rule: the whole file, for a progressive JPEG; the scan's bytes against its
own Huffman tables, for a one-scan baseline JPEG). The tests elsewhere stand far from every
edge (a 100-megapixel JPEG declared in 1.2 kB), so a bound moved by one, or by half, went
unseen."""

from __future__ import annotations

import io
from pathlib import Path

import numpy as np
import pytest
from PIL import Image

from engine.bomb_guards import pixel_limit
from engine.errors import CorruptImageError, ForensicError, ImageTooLargeError
from engine.io import load_evidence
from tests.conftest import write_rgb

BOUND = "any complete JPEG of that size needs"


def test_a_limit_of_exactly_the_images_pixels_admits_it(tmp_path: Path) -> None:
    p = write_rgb(tmp_path / "a.png", 50, 50)  # 2,500 pixels
    assert load_evidence(p, max_pixels=2500).width == 50
    with pytest.raises(ImageTooLargeError, match="beyond the 2,499-pixel limit"):
        load_evidence(p, max_pixels=2499)


@pytest.mark.parametrize("bad", [0, -1])
def test_a_limit_of_no_pixels_is_refused_as_a_setting(bad: int) -> None:
    with pytest.raises(ValueError, match=f"max_pixels must be a positive number.*got {bad}"):
        pixel_limit(bad)
    assert pixel_limit(1) == 1


def _grey_jpeg_declaring(width: int, progressive: bool = False) -> bytes:
    """A grey JPEG whose frame header declares ``width`` x 8 pixels (its coded data is of an
    8 x 8 image, with its end-of-image marker): one component, so ``width / 8`` blocks. Coded
    with the standard tables (ITU T.81 Annex K), whose shortest DC and AC codes are 2 bits."""
    buf = io.BytesIO()
    rng = np.random.default_rng(0)
    img = Image.fromarray(rng.integers(0, 256, (8, 8), np.uint8))
    img.save(buf, "JPEG", quality=90, progressive=progressive)
    data = bytearray(buf.getvalue())
    sof = data.index(b"\xff\xc2" if progressive else b"\xff\xc0")
    assert data[sof + 9] == 1  # one component (grey)
    data[sof + 5 : sof + 9] = (8).to_bytes(2, "big") + width.to_bytes(2, "big")
    return bytes(data)


def _scan_bytes(data: bytes) -> int:
    """The entropy-coded bytes of a one-scan JPEG: from its SOS header's end to the EOI."""
    sos = data.index(b"\xff\xda")
    return data.rindex(b"\xff\xd9") - (sos + 2 + int.from_bytes(data[sos + 2 : sos + 4], "big"))


def test_a_jpeg_one_byte_short_of_its_least_size_is_refused(tmp_path: Path) -> None:
    # progressive: at least 1 bit a block over the whole file, so width / 64 bytes needed
    size = len(_grey_jpeg_declaring(8, progressive=True))
    short = tmp_path / "short.jpg"
    short.write_bytes(_grey_jpeg_declaring(64 * (size + 1), progressive=True))
    with pytest.raises(CorruptImageError) as e:
        load_evidence(short)
    assert f"has {size:,} bytes of data, fewer than the {size + 1:,} {BOUND}" in str(e.value)
    assert str(short) in str(e.value) and "\n" not in str(e.value)
    # exactly the least: not refused by this rule (the decoder may still find it truncated)
    enough = tmp_path / "enough.jpg"
    enough.write_bytes(_grey_jpeg_declaring(64 * size, progressive=True))
    try:
        load_evidence(enough)
    except ForensicError as other:
        assert BOUND not in str(other)


SCAN_BOUND = "a complete baseline JPEG with these Huffman tables needs"


def test_a_baseline_scan_one_byte_short_of_its_blocks_is_refused(tmp_path: Path) -> None:
    # One 8x8 block coded under a header declaring ~12000 x 8, its EOI present: the whole
    # file passed the 2-bits-a-block rule and libjpeg padded the rest, with no warning.
    # Standard tables: at least 2 + 2 bits a block, so width / 16 bytes of scan needed.
    have = _scan_bytes(_grey_jpeg_declaring(8))
    short = tmp_path / "short.jpg"
    short.write_bytes(_grey_jpeg_declaring(16 * (have + 1)))
    with pytest.raises(CorruptImageError) as e:
        load_evidence(short)
    msg = str(e.value)
    assert f"scan holds {have:,} bytes, fewer than the {have + 1:,} {SCAN_BOUND}" in msg
    assert msg.startswith(str(short)) and "\n" not in msg
    enough = tmp_path / "enough.jpg"  # exactly the least: not refused by this rule
    enough.write_bytes(_grey_jpeg_declaring(16 * have))
    try:
        load_evidence(enough)
    except ForensicError as other:
        assert SCAN_BOUND not in str(other)


def test_a_complete_jpeg_coded_at_exactly_its_floor_loads_and_one_byte_less_is_refused(
    tmp_path: Path,
) -> None:
    # A flat grey image with optimised tables: a 1-bit code for DC "no change" and one for
    # end-of-block, so its 4,800 blocks take exactly 1,200 bytes: the bound is met, not passed.
    buf = io.BytesIO()
    Image.new("L", (640, 480), 128).save(buf, "JPEG", quality=1, optimize=True)
    data = buf.getvalue()
    assert _scan_bytes(data) == 1200
    whole = tmp_path / "flat.jpg"
    whole.write_bytes(data)
    ev = load_evidence(whole)
    assert (ev.width, ev.height) == (640, 480) and ev.warnings == []
    cut = tmp_path / "cut.jpg"
    cut.write_bytes(data[:-3] + data[-2:])  # one byte of the scan gone, the EOI kept
    with pytest.raises(
        CorruptImageError, match=f"scan holds 1,199 bytes, fewer than the 1,200 {SCAN_BOUND}"
    ):
        load_evidence(cut)
