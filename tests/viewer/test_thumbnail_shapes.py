"""Thumbnails of images of extreme shape (panoramas, scanned strips, tiny icons) show pixels of
the picture: never a line one pixel thin, never enlarged."""

from __future__ import annotations

import numpy as np
import pytest

from forensic_viewer.scan.maps import THUMB_MIN_SIDE, THUMB_SIDE, thumbnail


def _columns(h: int, w: int) -> np.ndarray:
    """Each column holds its own index (mod 256) in every channel, so a crop says where it was."""
    x = (np.arange(w) % 256).astype(np.uint8)
    return np.ascontiguousarray(np.broadcast_to(x[None, :, None], (h, w, 3)))


def test_a_strip_keeps_its_short_side_and_shows_its_middle() -> None:
    img = _columns(16, 4000)  # fitted whole into 160 px it was 1 x 160
    t = thumbnail(img)
    assert t.shape == (16, THUMB_SIDE, 3)
    np.testing.assert_array_equal(t, img[:, 1920:2080])  # the middle, at full scale
    tall = thumbnail(np.ascontiguousarray(img.transpose(1, 0, 2)))
    assert tall.shape == (THUMB_SIDE, 16, 3)


def test_a_longer_strip_is_reduced_to_the_least_short_side_first() -> None:
    t = thumbnail(_columns(40, 4000))  # reduced by 0.4 to 16 x 1600, its middle kept
    assert t.shape == (THUMB_MIN_SIDE, THUMB_SIDE, 3)


@pytest.mark.parametrize(
    ("shape", "expected"),
    [
        ((3000, 4000), (120, 160)),  # photographs: fitted whole, as before
        ((300, 2000), (24, 160)),  # a panorama up to 10:1: whole
        ((1, 4000), (1, 160)),  # a strip 1 px high keeps its one row
        ((15, 15), (15, 15)),  # icons are never enlarged
        ((1, 1), (1, 1)),
    ],
)
def test_other_shapes(shape: tuple[int, int], expected: tuple[int, int]) -> None:
    assert thumbnail(_columns(*shape)).shape[:2] == expected
