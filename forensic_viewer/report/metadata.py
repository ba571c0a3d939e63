"""A file's metadata as a report prints it: binary values summarised, never dumped as hex;
EXIF numbers as a camera's display reads them (:func:`readable_value`).

``engine.io`` records a binary EXIF value longer than ``METADATA_BINARY_SHOWN`` bytes (a
camera's MakerNote) at load as its size, SHA-256 and, for a MakerNote, the maker the file names
(:func:`engine.io.binary_value_text`); rows, the viewer's metadata panel and the reports show
that text as recorded (the panel through :func:`metadata_values`, as reports do), and a longer
value that reads ``0x…`` is text the file holds (a hostile Software or CreatorTool written so
is shown, never taken for bytes). Rows written before (those without
``evidence.metadata_format``) recorded such a binary value as hex (``0x0102…``) cut at
``METADATA_VALUE_CAP`` characters: there it is summarised the same way when its hex is whole,
and as "at least N bytes" when it was cut off (the evidence file is never read again for it);
in those rows text written as hex cannot be told from it.
An XMP packet is recorded at load as its size and SHA-256, its fields the metadata analysis
reads following as rows of their own (``XMP xmp:CreatorTool``: :func:`engine.xmp.xmp_rows`),
shown as recorded; a row recorded before holds only the packet ("binary data (not decoded)").
"""

from __future__ import annotations

import hashlib
import re
from collections.abc import Mapping, Sequence
from fractions import Fraction
from typing import Any

from PIL import ExifTags

from engine.exif import EXIF_OFFSET_OF, PNG_TIME, offset_text, parse_exif_date, parse_offset
from engine.io import MAKER_SHOWN, METADATA_BINARY_SHOWN, METADATA_VALUE_CAP, binary_value_text

MAKER_NOTE = "EXIF:MakerNote"


def recorded_bytes(text: str) -> bytes | None:
    """The bytes of a value recorded as hex (``0x…``); None for any other text."""
    digits = text[2 : 2 + (len(text) - 2) // 2 * 2]
    if not text.startswith("0x") or not digits:
        return None
    try:
        return bytes.fromhex(digits)
    except ValueError:
        return None


def earlier_binary_text(data: bytes, whole: bool, maker: str = "") -> str:
    """A binary value that a row written before recorded as hex, in the words of
    :func:`engine.io.binary_value_text`; ``whole`` False when ``data`` is only the start that
    was recorded, so size and SHA-256 are unknown."""
    if whole:
        return binary_value_text(len(data), hashlib.sha256(data).hexdigest(), maker)
    kind = f"{maker} binary data" if maker else "binary data"
    return (
        f"at least {len(data):,} bytes of {kind} (not decoded; cut off when recorded by an "
        "earlier version: size and SHA-256 unknown)"
    )


def metadata_values(meta: Mapping[str, Any], hex_bytes: bool = False) -> list[tuple[str, str]]:
    """``meta`` (``Evidence.metadata``, or a row's ``evidence.metadata``) as (key, text) rows:
    as recorded, but EXIF numbers readable (:func:`readable_value`; the JSON keeps them as
    recorded); with ``hex_bytes`` (a row written before binary values were summarised at
    load, :func:`hex_may_be_bytes`) a hex value longer than ``METADATA_BINARY_SHOWN`` bytes
    summarised. Without it such a value is text (the loader records no longer bytes as hex):
    before, any value that looked so was summarised, hiding a Software or CreatorTool
    written as hex."""
    make = " ".join(str(meta.get("EXIF:Make") or "").split())[:MAKER_SHOWN]  # untrusted text
    rows = []
    for k, v in meta.items():
        key, text = str(k), str(v)
        data = recorded_bytes(text) if hex_bytes else None
        if data is None or len(data) <= METADATA_BINARY_SHOWN:
            rows.append((key, readable_value(key, text, meta)))
            continue
        whole = len(text) < METADATA_VALUE_CAP
        rows.append((key, earlier_binary_text(data, whole, make if key == MAKER_NOTE else "")))
    return rows


def hex_may_be_bytes(evidence: Mapping[str, Any]) -> bool:
    """Whether a record's ``evidence`` (a row's, or ``Evidence.to_dict``) may hold a binary
    value as long hex: written before ``metadata_format`` was recorded
    (:data:`engine.types.METADATA_FORMAT`; binary values were summarised at load from
    2026-12-04)."""
    return evidence.get("metadata_format") is None


# An EXIF number as recorded: the fraction the file holds (engine.exif.exif_number_text), or in
# rows written before 2026-12-04 the float a rational read as; an integer; or a tuple of them.
_NUMBER = re.compile(r"-?\d+/\d+|-?\d+(?:\.\d+)?(?:e-?\d+)?")
_TUPLE = re.compile(r"\((.*)\)")
_FLOAT_DIGITS = 8  # a float of more decimals than this is a rational's float: rounded to 6
_EXPOSURE, _FNUMBER, _FOCAL = "EXIF:ExposureTime", "EXIF:FNumber", "EXIF:FocalLength"
_ALTITUDE, _ALTITUDE_REF = "EXIF:GPSAltitude", "EXIF:GPSAltitudeRef"
# GPSAltitudeRef, a byte (recorded as 0x00 / 0x01, or as the number): which side of sea level
_ALTITUDE_SIDES = {
    "0": "above sea level",
    "0x00": "above sea level",
    "1": "below sea level",
    "0x01": "below sea level",
}
_GPS_ANGLES = {
    "EXIF:GPSLatitude": "EXIF:GPSLatitudeRef",
    "EXIF:GPSLongitude": "EXIF:GPSLongitudeRef",
    "EXIF:GPSDestLatitude": "EXIF:GPSDestLatitudeRef",
    "EXIF:GPSDestLongitude": "EXIF:GPSDestLongitudeRef",
}


def _as_written(part: str) -> bool:
    """Whether ``part`` is a number as :func:`engine.exif.exif_number_text` writes one (Python's
    ``str`` of an int or a float, a fraction of two ints), not text that only looks like one:
    ExifVersion ``0221``, SubSecTime ``050`` or a serial number ``0012345`` lose their leading
    zeros as numbers, a version ``1.10`` its last digit."""
    if "/" in part:
        return all(_as_written(n) for n in part.split("/"))
    if "." in part or "e" in part:
        return repr(float(part)) == part
    return str(int(part)) == part


def _numbers(text: str) -> list[Fraction | float] | None:
    """The numbers of a recorded EXIF number or tuple; None for anything else (text, text that
    reads as a number only without its leading zeros, a zero denominator: those are printed as
    recorded)."""
    m = _TUPLE.fullmatch(text)
    parts = m.group(1).split(", ") if m else [text]
    out: list[Fraction | float] = []
    for part in parts:
        if not _NUMBER.fullmatch(part) or not _as_written(part):
            return None
        if "/" in part:
            n, d = part.split("/")
            if int(d) == 0:
                return None
            out.append(Fraction(int(n), int(d)))
        elif "." in part or "e" in part:
            out.append(float(part))
        else:
            out.append(Fraction(int(part)))
    return out


def _plain(v: Fraction | float) -> str:
    """A number shortly and without loss where it can be: ``72``, ``2.8``; a fraction that no
    short decimal writes as itself with its value (``-1/3 (≈ -0.3333)``); a float an earlier
    row recorded as recorded, but to 6 significant figures when longer (``4.97085``)."""
    if isinstance(v, float):  # as recorded, unless a long float of a rational
        digits = str(v).split(".")[-1]
        return f"{v:.6g}" if len(digits) > _FLOAT_DIGITS else str(v)
    if v.denominator == 1:
        return str(v.numerator)
    if 10**6 % v.denominator == 0:  # an exact decimal of at most 6 places
        return f"{float(v):.6f}".rstrip("0")
    return f"{v.numerator}/{v.denominator} (≈ {float(v):.4g})"


def _exposure(v: Fraction | float) -> str:
    """``1/60 s`` as a camera shows it (a float of an earlier row back to its fraction when
    it is one: 0.016666666666666666 is 1/60)."""
    if isinstance(v, float) and 0 < v < 1 and abs(1 / v - round(1 / v)) < 1e-6 * (1 / v):
        v = Fraction(1, round(1 / v))
    if isinstance(v, Fraction) and 0 < v < 1:
        return f"{v.numerator}/{v.denominator} s"
    return f"{_plain(v)} s"


def _angle(values: Sequence[Fraction | float], ref: str) -> str | None:
    """Degrees, minutes, seconds and the hemisphere, and the signed decimal degrees:
    ``52° 31′ 12.34″ N (52.520094°)``."""
    if len(values) != 3:
        return None
    d, m, s = values
    decimal = float(d) + float(m) / 60 + float(s) / 3600
    ref = ref.strip().upper()
    sign = -1 if ref in ("S", "W") else 1
    where = f" {ref}" if ref in ("N", "S", "E", "W") else ""
    return f"{_plain(d)}° {_plain(m)}′ {_plain(s)}″{where} ({sign * decimal:.6f}°)"


def readable_value(key: str, text: str, meta: Mapping[str, Any]) -> str:
    """A recorded metadata value as a report prints it: exposure ``1/60 s``, aperture
    ``f/2.8``, focal length ``50 mm``, GPS altitude ``12 m above sea level``, GPS angles in degrees, minutes and seconds with their
    hemisphere (``meta``'s reference tags) and in decimal degrees, the GPS time ``14:05:09
    UTC``, dates labelled with their zone (:func:`date_value`), other numbers short and exact where they can be (:func:`_plain`), tuples joined
    by commas; text, and numbers with a zero denominator, as recorded."""
    if (dated := date_value(key, text, meta)) is not None:
        return dated
    values = _numbers(text) if key.startswith("EXIF:") else None
    if not values:
        return text
    if len(values) == 1 and key == _EXPOSURE:
        return _exposure(values[0])
    if len(values) == 1 and key == _FNUMBER:
        return f"f/{float(values[0]):.3g}"
    if len(values) == 1 and key == _FOCAL:
        return f"{_plain(values[0])} mm"
    if len(values) == 1 and key == _ALTITUDE:  # metres, on the side its reference tag says
        side = _ALTITUDE_SIDES.get(str(meta.get(_ALTITUDE_REF) or "").strip().lower())
        return f"{_plain(values[0])} m" + (f" {side}" if side else "")
    if key in _GPS_ANGLES:
        angle = _angle(values, str(meta.get(_GPS_ANGLES[key]) or ""))
        if angle:
            return angle
    if key == "EXIF:GPSTimeStamp" and len(values) == 3:
        h, m, s = (float(v) for v in values)
        return (
            f"{int(h):02d}:{int(m):02d}:{s:02.0f} UTC"
            if s == int(s)
            else (f"{int(h):02d}:{int(m):02d}:{s:06.3f} UTC")
        )
    return ", ".join(_plain(v) for v in values)


_SUBSEC_OF = {"DateTime": "SubsecTime", "DateTimeOriginal": "SubsecTimeOriginal"}
_SUBSEC_OF["DateTimeDigitized"] = "SubsecTimeDigitized"


def date_value(key: str, text: str, meta: Mapping[str, Any]) -> str | None:
    """An EXIF date as written and what it is, never converted: the camera's clock reading
    with its UTC offset from the OffsetTime tag that goes with it (``2021:05:01 11:00:00
    (UTC+02:00, OffsetTimeOriginal)``), else ``(camera local time, zone unknown)``; its
    SubsecTime tag's fraction named; a date that is not one quoted as written with why; the
    GPS date and a PNG's tIME as UTC, which they are by definition. None for any other key."""
    if key == PNG_TIME and text.endswith("Z"):
        return f"{text} (UTC: the image's last modification, the PNG's tIME)"
    if key == "EXIF:GPSDateStamp":
        return f"{text} (UTC)" if parse_exif_date(f"{text} 00:00:00") else f'"{text}" (not a date)'
    name = key.removeprefix("EXIF:")
    if not key.startswith("EXIF:") or name not in EXIF_OFFSET_OF:
        return None
    if parse_exif_date(text) is None:
        blank = set(text.strip("\x00")) <= set("0: ")
        return f'"{text}" ({"clock not set" if blank else "not a valid date"}, as written)'
    parts = []
    sub = str(meta.get(f"EXIF:{_SUBSEC_OF[name]}") or "").strip()
    if sub.isdigit():
        parts.append(f"sub-second .{sub}")
    offset_tag = ExifTags.TAGS[EXIF_OFFSET_OF[name]]
    raw = str(meta.get(f"EXIF:{offset_tag}") or "")
    offset = parse_offset(raw)
    if offset is not None:
        parts.insert(0, f"UTC{offset_text(offset.utcoffset(None))}, {offset_tag}")
    else:
        parts.insert(0, "camera local time, zone unknown")
        if raw.strip(" :\x00"):
            parts.insert(1, f'{offset_tag} "{raw}" not a UTC offset')
    return f"{text} ({'; '.join(parts)})"
