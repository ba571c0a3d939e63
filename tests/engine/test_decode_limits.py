"""Which decoding warnings limit what was analysed: files of each kind loaded by the real
loader, so a warning reworded in ``engine.io`` or ``engine.rgb`` is caught here."""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path

import cv2
import numpy as np
import pytest
from PIL import Image

from engine.decode_limits import analysis_limits
from engine.heif import HEIF_VERDICT_NOTE
from engine.io import load_evidence
from tests.engine.test_io_profile_orientation import icc_profile

GREY = (np.indices((24, 32)).sum(0) * 4 % 256).astype(np.uint8)  # H, W
RGB = np.stack([GREY, GREY[::-1], 255 - GREY], -1)  # H, W, 3


def _gif(p: Path) -> None:
    frames = [Image.fromarray(RGB + i) for i in range(3)]
    frames[0].save(p, save_all=True, append_images=frames[1:])


def _nan_tiff(p: Path) -> None:
    f = GREY.astype(np.float32) / 255
    f[0, 0] = np.nan
    Image.fromarray(f, "F").save(p)


def _orientation(value: int) -> bytes:
    exif = Image.Exif()
    exif[0x0112] = value
    return exif.tobytes()


LIMITING: dict[str, tuple[Callable[[Path], object], str]] = {
    "anim.gif": (_gif, "3 frames: only the first is analysed"),
    "rgb16.png": (
        lambda p: cv2.imwrite(str(p), RGB.astype(np.uint16) * 257),
        "16 bits per channel reduced to 8",
    ),
    "grey16.png": (
        lambda p: Image.fromarray(GREY.astype(np.uint16) * 257).save(p),
        "-> 0..255",
    ),
    "hole.png": (
        lambda p: Image.fromarray(
            np.dstack([RGB, np.where(GREY > 100, 255, 0).astype(np.uint8)]), "RGBA"
        ).save(p),
        "alpha discarded",
    ),
    "cmyk.jpg": (
        lambda p: Image.fromarray(RGB).convert("CMYK").save(p),
        "CMYK converted to RGB without colour management",
    ),
    "nan.tif": (_nan_tiff, "those pixels set to 0"),
    "preview.tif": (
        lambda p: Image.fromarray(RGB).save(p, tiffinfo={254: 1}),
        "that preview is analysed",
    ),
}

NOT_LIMITING: dict[str, Callable[[Path], object]] = {
    "opaque.png": lambda p: Image.fromarray(np.dstack([RGB, np.full_like(GREY, 255)]), "RGBA").save(
        p
    ),
    "jpeg.png": lambda p: Image.fromarray(RGB).save(p, format="JPEG"),
    # the stored values are what the networks learned from: shown unmanaged, nothing less
    "adobe.png": lambda p: Image.fromarray(RGB).save(p, icc_profile=icc_profile("Adobe RGB")),
    "orient9.png": lambda p: Image.fromarray(RGB).save(p, exif=_orientation(9)),
}


@pytest.mark.parametrize("name", sorted(LIMITING))
def test_a_warning_that_limits_what_was_analysed_is_picked_in_its_words(
    tmp_path: Path, name: str
) -> None:
    write, words = LIMITING[name]
    write(tmp_path / name)
    warnings = load_evidence(tmp_path / name).warnings
    limits = analysis_limits(warnings)
    assert limits and limits == [w for w in warnings if words in w]  # as written, not reworded


@pytest.mark.parametrize("name", sorted(NOT_LIMITING))
def test_a_warning_that_changes_nothing_analysed_is_not_a_limit(tmp_path: Path, name: str) -> None:
    NOT_LIMITING[name](tmp_path / name)
    warnings = load_evidence(tmp_path / name).warnings
    assert warnings  # the loader said something, and it is no limit
    assert analysis_limits(warnings) == []


def test_heif_s_note_and_the_order_kept() -> None:
    warnings = ["named .jpg but holds PNG data: analysed as PNG", HEIF_VERDICT_NOTE, "x"]
    warnings.insert(0, "CMYK converted to RGB without colour management")
    assert analysis_limits(warnings) == [warnings[0], HEIF_VERDICT_NOTE]
