"""The metadata analysis's date findings: EXIF and XMP dates parsed as what they are, and
compared in UTC when their offsets say where they were written.

An EXIF date (``DateTime``, ``DateTimeOriginal``) is the camera's clock reading, without a zone;
EXIF 2.31 added its UTC offset as a tag of its own (``OffsetTime`` for ``DateTime``,
``OffsetTimeOriginal`` for ``DateTimeOriginal``). An XMP date (``xmp:CreateDate``) is ISO 8601
and may carry its offset (``+02:00``, ``Z``) or not. Two dates whose offsets are both known are
compared as the instants they name (a photograph taken at 11:00 +02:00 and saved at 10:30 +01:00
was saved half an hour later, not before); otherwise as clock readings, the same zone assumed,
and the finding says so. A date is never converted as if it were local time or UTC.
"""

from __future__ import annotations

import re
from datetime import UTC, datetime, timedelta, timezone

from engine.analyses.base import Finding, Level
from engine.exif import offset_text, parse_offset, trimmed

# XMP (ISO 16684-1, 8.2.1.1): YYYY-MM-DDThh:mm[:ss[.s+]][TZD]; a date without a time is not
# compared (its precision is a day)
_XMP_DATE = re.compile(r"(\d{4})-(\d\d)-(\d\d)T(\d\d):(\d\d)(?::(\d\d)(\.\d+)?)?(Z|[+-]\d\d:\d\d)?")


def parse_xmp_date(text: str) -> datetime | None:
    """An XMP date with a time: aware when it names its offset (``Z`` is UTC), else naive (a
    clock reading, zone unknown); None when it is not one or has no time of day."""
    m = _XMP_DATE.fullmatch(trimmed(text))
    if m is None:
        return None
    y, mo, d, h, mi, s, frac, zone = m.groups()
    tz = UTC if zone == "Z" else parse_offset(zone) if zone else None
    if zone and tz is None:
        return None
    try:
        t = datetime(int(y), int(mo), int(d), int(h), int(mi), int(s or 0), tzinfo=tz)
    except ValueError:
        return None
    return t + timedelta(seconds=float(frac)) if frac else t


def with_offset(t: datetime, offset: timezone | None) -> datetime:
    """A clock reading ``t`` placed in ``offset`` (None: left naive, zone unknown)."""
    return t if offset is None else t.replace(tzinfo=offset)


def seconds_between(t0: datetime, t1: datetime) -> tuple[float, bool]:
    """``t1 - t0`` in seconds, and whether they were compared as instants (both name their
    offset) rather than as clock readings in one assumed zone."""
    if t0.tzinfo is not None and t1.tzinfo is not None:
        return (t1 - t0).total_seconds(), True
    return (t1.replace(tzinfo=None) - t0.replace(tzinfo=None)).total_seconds(), False


def shown(raw: str, t: datetime) -> str:
    """A date as a finding prints it: as written, and the offset it was read with (from its
    OffsetTime tag for EXIF) or that none is known."""
    offset = t.utcoffset()
    if offset is None:
        return f"{raw} (zone unknown)"
    zone = offset_text(offset)
    return raw if raw.endswith(("Z", zone)) else f"{raw} ({zone})"  # XMP writes its own


def span(seconds: float) -> str:
    if seconds < 3600:
        return f"{seconds / 60:.0f} min"
    if seconds < 86400 * 2:
        return f"{seconds / 3600:.1f} h"
    return f"{seconds / 86400:.0f} days"


def _how(as_instants: bool) -> str:
    if as_instants:
        return "compared in UTC by their offsets"
    return "compared as clock readings: the UTC offset of one or both is not recorded"


def order_finding(
    key: str,
    later: tuple[str, datetime],
    earlier: tuple[str, datetime],
    tolerance_s: float,
    words: tuple[str, str, str],
) -> tuple[Finding | None, float, bool]:
    """The finding when ``later`` (the file's last change, as written and as read) is more
    than ``tolerance_s`` after or before ``earlier`` (its capture or creation); ``words``: the
    notes' "file changed", "capture" and why that matters (EXIF), or XMP's. Returns (finding or
    None, the seconds between, whether compared as instants)."""
    delta, as_instants = seconds_between(earlier[1], later[1])
    value = f"{shown(*later)} vs {shown(*earlier)}"
    changed, made, why = words
    if delta > tolerance_s:
        note = f"{changed} {span(delta)} after {made}{why}; {_how(as_instants)}"
    elif delta < -tolerance_s:
        note = (
            f"last change dated {span(-delta)} before the {made}: clock or metadata edited; "
            f"{_how(as_instants)}"
        )
    else:
        return None, delta, as_instants
    return Finding("dates", key, value, Level.NOTICE, note), delta, as_instants
