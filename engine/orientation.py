"""EXIF orientation: read from a decoded Pillow image and applied to evidence pixels (and to
a mask drawn on the pixels as stored, :mod:`engine.masks`). HEIF carries its own
(:func:`engine.heif.heif_orientation`)."""

from __future__ import annotations

import numpy as np
from numpy.typing import NDArray
from PIL import Image


def exif_orientation(img: Image.Image, warns: list[str]) -> int:
    """The EXIF orientation (1-8) of a Pillow image; 1 (pixels as stored) when it has none or an
    invalid one, and when its EXIF cannot be parsed. ``warns`` is told of the last two: a tag
    outside 1-8 (0, 9, 65535) was edited or damaged, which is itself a finding, and other
    viewers may show such a file turned where this one shows it as stored."""
    try:
        value = int(img.getexif().get(0x0112, 1))
    except Exception as e:
        warns.append(
            f"EXIF cannot be parsed ({type(e).__name__}): orientation unknown, pixels as stored"
        )
        return 1
    if not 1 <= value <= 8:
        warns.append(f"EXIF orientation {value} is not a valid value (1-8): pixels as stored")
        return 1
    return value


def apply_orientation(rgb: NDArray[np.uint8], orientation: int) -> NDArray[np.uint8]:
    """Rotate/flip ``rgb`` [H, W, 3] as EXIF ``orientation`` says (Pillow's exif_transpose)."""
    t = rgb.transpose(1, 0, 2)  # W, H, 3
    view = {
        2: rgb[:, ::-1],  # mirror left-right
        3: rgb[::-1, ::-1],  # rotate 180
        4: rgb[::-1],  # mirror top-bottom
        5: t,  # transpose
        6: t[:, ::-1],  # rotate 90 clockwise
        7: t[::-1, ::-1],  # transverse
        8: t[::-1],  # rotate 90 counter-clockwise
    }[orientation]
    return np.ascontiguousarray(view)
