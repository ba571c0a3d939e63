"""engine.precheck refuses what load_evidence would refuse for its size, in its words."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pytest
from PIL import Image

from engine.errors import ImageTooLargeError
from engine.io import load_evidence
from engine.precheck import refuse_beyond_limit


def test_a_webp_over_twice_the_pixel_limit_is_refused_from_its_header(tmp_path: Path) -> None:
    """Pillow's WebP opener refuses a header over twice the limit itself (its guard, raised as
    it opens): the pre-check took that for a damaged file and let it through, so the command
    loaded its models (about 10 s) before load_evidence refused it."""
    path = tmp_path / "big.webp"
    Image.fromarray(np.zeros((40, 50, 3), np.uint8)).save(path, "WEBP")  # 2,000 pixels
    with pytest.raises(ImageTooLargeError) as loaded:
        load_evidence(path, max_pixels=500)
    with pytest.raises(ImageTooLargeError) as refused:
        refuse_beyond_limit(path, max_pixels=500)
    assert str(refused.value) == str(loaded.value)
    assert str(path) in str(refused.value) and "pixel limit" in str(refused.value)


def test_a_webp_within_the_limit_passes(tmp_path: Path) -> None:
    path = tmp_path / "fine.webp"
    Image.fromarray(np.zeros((40, 50, 3), np.uint8)).save(path, "WEBP")
    assert refuse_beyond_limit(path, max_pixels=2_000) is None
    assert load_evidence(path, max_pixels=2_000).width == 50


def test_the_header_check_leaves_pillows_guard_as_it_found_it(tmp_path: Path) -> None:
    """Pillow's guard is process-wide: a header checked at a small limit set it for every
    later ``Image.open`` of the process (the viewer's thumbnails, the probe's copies)."""
    path = tmp_path / "fine.webp"
    Image.fromarray(np.zeros((40, 50, 3), np.uint8)).save(path, "WEBP")
    before = Image.MAX_IMAGE_PIXELS
    refuse_beyond_limit(path, max_pixels=2_000)
    assert Image.MAX_IMAGE_PIXELS == before
