"""Untrusted metadata as display text: values escaped and capped (:func:`clean`), for the
metadata analysis (``engine.analyses.metadata`` and its helpers) and the XMP rows recorded at
load (``engine.xmp.xmp_rows``); the editing programs a value may name (:func:`editor_in`).
Below ``engine.analyses`` so that the loader (``engine.exif``) uses the same rules without
importing the analyses."""

from __future__ import annotations

import unicodedata

VALUE_CAP = 200  # characters kept of one metadata value

# Substrings (lower case) of editing programs' names, as they write them in Software or
# CreatorTool. Raw converters and editors alike: either way the file is not the camera's.
EDITORS = (
    "photoshop",
    "lightroom",
    "adobe",
    "gimp",
    "paint.net",
    "paintshop",
    "paint shop",
    "pixelmator",
    "affinity",
    "snapseed",
    "picasa",
    "acdsee",
    "acd systems",  # ACDSee's maker, as its older versions write Software
    "corel",
    "photoscape",
    "fotor",
    "picsart",
    "facetune",
    "luminar",
    "capture one",
    "darktable",
    "rawtherapee",
    "digikam",
    "irfanview",
    "xnview",
    "photo editor",
    "photopea",
    "canva",
    "krita",
    "imagemagick",
    "graphicsmagick",
    "gd-jpeg",
    "lead technologies",
)


def clean(value: object, cap: int = VALUE_CAP, strip: bool = True) -> str:
    """Untrusted metadata as safe display text: escaped, one line, capped at ``cap`` chars;
    leading and trailing blanks dropped unless ``strip`` is False.

    Text is shown as it arrives: decoding is the job of the one reader that knows the bytes
    (EXIF text: :func:`engine.exif.exif_text`; XMP, UTF-8 by its specification:
    :func:`engine.xmp.packet_text`). Before version 15 of the metadata analysis, every str
    was also tried as Latin-1 bytes in UTF-8, so a value decoded already was decoded twice:
    XMP's "Ã©" read "é", and EXIF text flagged as not UTF-8 could read otherwise in a finding
    than in the metadata table. Bytes (a JPEG comment) are read as UTF-8, what cannot be
    shown as U+FFFD."""
    if isinstance(value, bytes):
        text = value[: cap * 4].decode("utf-8", errors="replace")
    elif isinstance(value, tuple | list):
        text = ", ".join(str(v) for v in value[:16])
    else:
        text = str(value)
    n = len(text)
    out = []
    for ch in text[: cap * 2]:
        cat = unicodedata.category(ch)
        if ch in "\t\n\r":
            out.append(" ")
        elif cat[0] == "C" or cat in ("Zl", "Zp"):
            out.append(f"\\u{ord(ch):04x}")
        else:
            out.append(ch)
    safe = "".join(out).strip() if strip else "".join(out)
    if len(safe) > cap or n > cap * 2:
        safe = safe[:cap] + f"… [{n} characters, cut]"
    return safe


def editor_in(text: str) -> str | None:
    low = text.lower()
    return next((e for e in EDITORS if e in low), None)
