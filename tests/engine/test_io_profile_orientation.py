"""What the loader says of an embedded colour profile it does not apply, and of an EXIF
orientation outside 1-8.

A walk-through (2026-12-06) found both silent: an Adobe RGB or ProPhoto photograph was shown
and analysed as stored (6.6 and 11.4 grey levels from its colour-managed rendering on
average) with only "3144 bytes" in the Metadata tab, and an orientation of 0, 9 or 65535 was
taken as 1 without a word. The pixels stay as stored (the networks' training images were read
so); the warnings name the profile and the value.
"""

from __future__ import annotations

import struct
from pathlib import Path

import numpy as np
import pytest
from PIL import Image, ImageCms

from engine.io import load_evidence

PIXELS = np.random.default_rng(7).integers(0, 256, (12, 16, 3), np.uint8)  # H, W, 3
D50 = struct.pack(">iii", 63190, 65536, 54061)  # the PCS illuminant, s15Fixed16


def icc_profile(description: str) -> bytes:
    """A small ICC v2 RGB display profile whose 'desc' tag says ``description`` (a white
    point beside it): enough for littleCMS to open and name, as a camera's profile is."""
    text = description.encode("ascii") + b"\x00"
    desc = b"desc" + bytes(4) + struct.pack(">I", len(text)) + text + bytes(8 + 3 + 67)
    desc += bytes(-len(desc) % 4)
    tags = [(b"desc", desc), (b"wtpt", b"XYZ " + bytes(4) + D50)]
    start = 128 + 4 + 12 * len(tags)
    table, data = struct.pack(">I", len(tags)), b""
    for sig, body in tags:
        table += sig + struct.pack(">II", start + len(data), len(body))
        data += body
    header = (
        struct.pack(">I", start + len(data))
        + b"lcms"
        + bytes([2, 0x10, 0, 0])
        + b"mntrRGB XYZ "
        + bytes(12)
        + b"acsp"
        + bytes(28)
        + D50
        + bytes(48)
    )
    return header + table + data


def saved(path: Path, icc: bytes | None = None, exif: bytes | None = None) -> Path:
    """:data:`PIXELS` saved at ``path`` (its suffix the format; JPEG at quality 100)."""
    extra: dict[str, object] = {} if icc is None else {"icc_profile": icc}
    if exif is not None:
        extra["exif"] = exif
    if path.suffix == ".jpg":
        extra["quality"] = 100
    Image.fromarray(PIXELS).save(path, **extra)
    return path


def profile_warnings(warnings: list[str]) -> list[str]:
    return [w for w in warnings if "colour profile" in w]


@pytest.mark.parametrize("suffix", [".png", ".jpg", ".tif", ".webp"])
@pytest.mark.parametrize("name", ["Adobe RGB (1998)", "ProPhoto RGB", "Display P3"])
def test_a_profile_other_than_srgb_is_named_once_and_not_applied(
    tmp_path: Path, name: str, suffix: str
) -> None:
    path = saved(tmp_path / f"x{suffix}", icc_profile(name))
    ev = load_evidence(path)
    assert profile_warnings(ev.warnings) == [
        f"embedded colour profile '{name}' not applied: colours shown and analysed as stored "
        "(as the networks' training images were read); a viewer that applies it shows other "
        "colours"
    ]
    with Image.open(path) as img:  # the stored values, as Pillow decodes them unmanaged
        assert np.array_equal(ev.pixels, np.asarray(img.convert("RGB")))
    assert ev.metadata["info:icc_profile"].endswith(f"bytes: '{name}'")


@pytest.mark.parametrize(
    "icc",
    [
        icc_profile("sRGB IEC61966-2.1"),
        icc_profile("sRGB"),
        icc_profile("sRGB Profile"),  # Apple's
        icc_profile("Apple sRGB"),
        ImageCms.ImageCmsProfile(ImageCms.createProfile("sRGB")).tobytes(),  # "sRGB built-in"
    ],
)
def test_an_srgb_profile_is_silent(tmp_path: Path, icc: bytes) -> None:
    ev = load_evidence(saved(tmp_path / "x.jpg", icc))
    assert profile_warnings(ev.warnings) == []
    assert "sRGB" in ev.metadata["info:icc_profile"]


def test_a_broken_profile_is_said_and_the_file_still_analysed(tmp_path: Path) -> None:
    broken = icc_profile("Adobe RGB (1998)")[:100]  # cut inside its tag table
    ev = load_evidence(saved(tmp_path / "x.png", broken))
    assert profile_warnings(ev.warnings) == [
        "embedded colour profile of 100 bytes cannot be read (cannot open profile from "
        "string): not applied, colours shown and analysed as stored"
    ]
    assert ev.metadata["info:icc_profile"].startswith("100 bytes: cannot be read (")
    assert ev.pixels.shape == PIXELS.shape


def test_cmyk_keeps_its_one_warning(tmp_path: Path) -> None:
    path = tmp_path / "c.jpg"
    Image.fromarray(PIXELS).convert("CMYK").save(path, icc_profile=icc_profile("U.S. Web Coated"))
    assert load_evidence(path).warnings == ["CMYK converted to RGB without colour management"]


def _exif(orientation: int) -> bytes:
    exif = Image.Exif()
    exif[0x0112] = orientation
    return exif.tobytes()


@pytest.mark.parametrize("value", [0, 9, 65535])
def test_an_orientation_outside_1_to_8_is_warned_of_naming_it(tmp_path: Path, value: int) -> None:
    ev = load_evidence(saved(tmp_path / "o.jpg", exif=_exif(value)))
    assert ev.orientation == 1
    assert ev.warnings == [f"EXIF orientation {value} is not a valid value (1-8): pixels as stored"]


@pytest.mark.parametrize("value", range(1, 9))
def test_a_valid_orientation_is_silent(tmp_path: Path, value: int) -> None:
    ev = load_evidence(saved(tmp_path / "o.png", exif=_exif(value)))
    assert ev.orientation == value and ev.warnings == []


def test_the_profile_description_is_one_capped_line() -> None:
    """A description is untrusted text: an escape sequence shown, never obeyed; capped."""
    from engine.icc import DESCRIPTION_SHOWN, profile_description

    said = profile_description(icc_profile("Wide\x1b[31m\n " + "g" * 400))
    assert said == "Wide\\x1b[31m " + "g" * (DESCRIPTION_SHOWN - 10) + "…"
