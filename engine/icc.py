"""An embedded ICC colour profile: its description, and the loader's warning when it is not
sRGB.

The evidence pixels are the values the file stores, never colour-managed: the networks and
the classic analyses read them so, as their training and measurement images were read (a
colour-managed copy would be another image to them). A file whose profile is sRGB, or like it,
shows as its author saw it; one converted to a wide-gamut profile (Adobe RGB, ProPhoto, Display
P3) shows desaturated, by 6.6 (Adobe RGB) to 11.4 (ProPhoto) grey levels on average in a
walk-through (2026-12-06), which the analyst and a report's reader are told
(:func:`profile_warning`, ``engine.rgb.to_rgb``), naming the profile by its 'desc' tag. A
CMYK file has its own warning (``engine.rgb``), and a broken profile is said, never a failure.
"""

from __future__ import annotations

import io
import re

from PIL import ImageCms

from engine.formatting import plain

DESCRIPTION_SHOWN = 120  # characters of a profile's description a warning or metadata row shows
# sRGB by another name: "sRGB IEC61966-2.1" (HP/Microsoft's, Apple's, Google's), "sRGB",
# "sRGB built-in" (Pillow's), "sRGB Profile", "Apple sRGB", "sRGB2014", "sRGB v4 ...";
# and sGray (its tone curve, grey); scRGB (IEC 61966-2-2, linear and wide) is not one
_SRGB = re.compile(r"(^|\s)s(rgb|gray)|61966-2[.-]1", re.IGNORECASE)


class ProfileUnreadable(ValueError):
    """An embedded profile that littleCMS cannot read; its message, the reason in one line."""


def profile_description(icc: bytes) -> str:
    """The description ('desc' tag) of the ICC profile ``icc``, one line of at most
    :data:`DESCRIPTION_SHOWN` characters (untrusted text: :func:`~engine.formatting.plain`),
    "" when it has none. Raises :class:`ProfileUnreadable` when the profile cannot be read."""
    try:
        profile = ImageCms.ImageCmsProfile(io.BytesIO(icc))
        text = ImageCms.getProfileDescription(profile)
    except Exception as e:  # littleCMS's PyCMSError, OSError, TypeError of a damaged profile
        raise ProfileUnreadable(plain(str(e).strip() or type(e).__name__, 200)) from e
    return plain(" ".join(str(text).split()), DESCRIPTION_SHOWN)


def icc_text(icc: bytes) -> str:
    """The metadata row of an embedded profile: its size and description ('desc'), or that
    it cannot be read: ``3144 bytes: 'Adobe RGB (1998)'``."""
    try:
        description = profile_description(icc)
    except ProfileUnreadable as e:
        return f"{len(icc)} bytes: cannot be read ({e})"
    return f"{len(icc)} bytes: '{description}'" if description else f"{len(icc)} bytes"


def is_srgb(description: str) -> bool:
    """Whether a profile's ``description`` names sRGB (a file shown as its author saw it)."""
    return _SRGB.search(description) is not None


def profile_warning(icc: bytes | None) -> str | None:
    """The loader's warning for an image whose embedded profile ``icc`` is not sRGB: it is not
    applied, the colours are shown and analysed as stored; None without a profile or with an
    sRGB one. A profile that cannot be read is said so, never a refusal of the file."""
    if not icc:
        return None
    try:
        description = profile_description(icc)
    except ProfileUnreadable as e:
        return (
            f"embedded colour profile of {len(icc):,} bytes cannot be read ({e}): not applied, "
            "colours shown and analysed as stored"
        )
    if is_srgb(description):
        return None
    named = f"'{description}'" if description else f"of {len(icc):,} bytes, without a description,"
    return (
        f"embedded colour profile {named} not applied: colours shown and analysed as stored "
        "(as the networks' training images were read); a viewer that applies it shows other "
        "colours"
    )
