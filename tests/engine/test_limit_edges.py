"""The image-loading limits at their edges: a limit of exactly the image's pixels admits it and
one pixel fewer refuses it; a limit of 0 is refused as a setting; a JPEG one byte short of the
least any complete JPEG of its declared size needs is refused, and one that has exactly that
least is not (by that rule). The tests elsewhere stand far from every edge (a 100-megapixel
JPEG declared in 1.2 kB), so a bound moved by one, or by half, went unseen."""

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


def _grey_jpeg_declaring(width: int) -> bytes:
    """A baseline grey JPEG whose frame header declares ``width`` x 8 pixels (its coded data
    is of an 8 x 8 image): one component, so ``width / 8`` blocks of at least 2 bits each."""
    buf = io.BytesIO()
    rng = np.random.default_rng(0)
    Image.fromarray(rng.integers(0, 256, (8, 8), np.uint8)).save(buf, "JPEG", quality=90)
    data = bytearray(buf.getvalue())
    sof = data.index(b"\xff\xc0")
    assert data[sof + 9] == 1  # one component (grey)
    data[sof + 5 : sof + 9] = (8).to_bytes(2, "big") + width.to_bytes(2, "big")
    return bytes(data)


def test_a_jpeg_one_byte_short_of_its_least_size_is_refused(tmp_path: Path) -> None:
    size = len(_grey_jpeg_declaring(8))
    # 4 blocks of 2 bits a byte: (width / 8) / 4 bytes needed; one more than the file has
    short = tmp_path / "short.jpg"
    short.write_bytes(_grey_jpeg_declaring(32 * (size + 1)))
    with pytest.raises(CorruptImageError) as e:
        load_evidence(short)
    assert f"has {size:,} bytes of data, fewer than the {size + 1:,} {BOUND}" in str(e.value)
    assert str(short) in str(e.value) and "\n" not in str(e.value)
    # exactly the least: not refused by this rule (the decoder may still find it truncated)
    enough = tmp_path / "enough.jpg"
    enough.write_bytes(_grey_jpeg_declaring(32 * size))
    try:
        load_evidence(enough)
    except ForensicError as other:
        assert BOUND not in str(other)
