"""The metadata analysis's date findings: EXIF and XMP dates parsed as what they are, and
compared in UTC when their offsets say where they were written.

An EXIF date (``DateTime``, ``DateTimeOriginal``, ``DateTimeDigitized``) is the camera's clock
reading, without a zone; EXIF 2.31 added its UTC offset as a tag of its own (``OffsetTime``,
``OffsetTimeOriginal``, ``OffsetTimeDigitized``). An XMP date (``xmp:CreateDate``) is ISO 8601
and may carry its offset (``+02:00``, ``Z``) or not, or stop at its day, month or year
(``photoshop:DateCreated`` often reads ``2021-05-01``). Two dates whose offsets are both known
are compared as the instants they name (a photograph taken at 11:00 +02:00 and saved at 10:30
+01:00 was saved half an hour later, not before); otherwise as clock readings, the same zone
assumed; a date alone by the day (month, year) it names, the other's as written; and the
finding says which. A date is never converted as if it were local time or UTC. Which pairs are
compared and why: :func:`exif_date_findings`, :func:`xmp_date_findings`.
"""

from __future__ import annotations

import re
from collections.abc import Collection
from dataclasses import dataclass, replace
from datetime import UTC, datetime, time, timedelta, timezone
from typing import Literal

from engine.analyses.base import Finding, Level
from engine.exif import offset_text, parse_offset, trimmed
from engine.metatext import clean

# XMP (ISO 16684-1, 8.2.1.1): YYYY[-MM[-DD[Thh:mm[:ss[.s+]][TZD]]]]: a date may stop at its
# year, month or day, and is then compared by what it says
_XMP_DATE = re.compile(
    r"(\d{4})(?:-(\d\d)(?:-(\d\d)(?:T(\d\d):(\d\d)(?::(\d\d)(\.\d+)?)?(Z|[+-]\d\d:\d\d)?)?)?)?"
)
# Photoshop CS2 wrote XMP dates with their sub-seconds run into the seconds, no point between
# ("2007-02-08T15:00:2213Z": 15:00:22 and EXIF's SubSecTimeOriginal 13): read so when digits
# follow the two of the seconds, directly before the offset or the end, as many as EXIF's
# SubSecTime may hold ("15:00:221345Z": 22.1345 s; version 14 read 1 to 3, a fourth left the
# date "not a valid date"), as a dotted fraction's are
_UNDOTTED = re.compile(r"(\d{4}-\d\d-\d\dT(\d\d:\d\d:\d\d))(\d+)(Z|[+-]\d\d:\d\d)?")
UNDOTTED_NOTE = "written without the decimal point, as Photoshop CS2 did"

# EXIF dates that are a program's constant, not a clock reading: shown, never compared.
# Qualcomm's camera software for Android phones defines 2002:12:08 12:00:00 as the default of
# DateTimeOriginal and DateTimeDigitized, and many phones leave it in DateTimeDigitized (the
# unedited Moto G photograph of 2014 among the project's authentic camera photographs)
PLACEHOLDER_DATES = {
    "2002:12:08 12:00:00": "a fixed date Qualcomm's camera software for Android phones writes "
    "when it sets none: not a clock reading, not compared",
}

Precision = Literal["year", "month", "day", "time"]
_COARSE_FIRST: tuple[Precision, ...] = ("year", "month", "day", "time")


@dataclass(frozen=True)
class Dated:
    """A date as a finding shows it (``raw``, display text) and as read: ``t`` aware when it
    names its offset (XMP's own, EXIF's OffsetTime tags), else naive (a clock reading, zone
    unknown); a date written without a time of day as its first day, naive, its
    ``precision`` saying how much of it is written."""

    raw: str
    t: datetime
    precision: Precision = "time"
    of: int = 1  # the values its property holds that say other dates: this, the first, compared
    read: str = ""  # how it was read when not as written (a midnight taken as a date alone)


def parse_xmp_when(text: str) -> tuple[datetime, Precision] | None:
    """An XMP date and how much of it is written (``2021``, ``2021-05``, ``2021-05-01``: year,
    month, day; with a time of day: aware when it names its offset, ``Z`` being UTC, else
    naive); None when it is not one. Sub-seconds run into the seconds as Photoshop CS2 wrote
    them (:func:`undotted`) are read as seconds and fraction."""
    if (u := _UNDOTTED.fullmatch(trimmed(text))) is not None:
        text = f"{u[1]}.{u[3]}{u[4] or ''}"
    m = _XMP_DATE.fullmatch(trimmed(text))
    if m is None:
        return None
    y, mo, d, h, mi, s, frac, zone = m.groups()
    tz = UTC if zone == "Z" else parse_offset(zone) if zone else None
    if zone and tz is None:
        return None
    precision: Precision = "time" if h else "day" if d else "month" if mo else "year"
    try:
        t = datetime(int(y), int(mo or 1), int(d or 1), int(h or 0), int(mi or 0), int(s or 0))
    except ValueError:
        return None
    t = t.replace(tzinfo=tz)
    return (t + timedelta(seconds=float(frac)) if frac else t), precision


def undotted(text: str) -> tuple[str, str] | None:
    """An XMP date written without the point before its sub-seconds
    (``2007-02-08T15:00:2213Z``): its time of day as read (``15:00:22.13``) and the digits
    (``13``); None for any other text."""
    u = _UNDOTTED.fullmatch(trimmed(text))
    return None if u is None else (f"{u[2]}.{u[3]}", u[3])


def undotted_findings(values: dict[str, str], subsecs: dict[str, str]) -> list[Finding]:
    """An information row per XMP date (``values``: its first value by name) read as
    :func:`undotted`, saying so and whether its digits are the sub-seconds EXIF records
    (``subsecs``: SubSecTime, SubSecTimeOriginal, SubSecTimeDigitized as written); a date
    invalid anyway has its "not a valid date" row instead."""
    rows = []
    for name, raw in values.items():
        if (u := undotted(raw)) is None or parse_xmp_when(raw) is None:
            continue
        tags = [tag for tag, digits in subsecs.items() if digits == u[1]]
        whose = (
            f"its {u[1]} is EXIF {' and '.join(tags)}"
            if tags
            else "EXIF records no such sub-seconds"
        )
        note = f"{UNDOTTED_NOTE}: read as {u[0]} ({whose})"
        rows.append(Finding("dates", f"XMP {name}", clean(raw), Level.INFO, note))
    return rows


MIDNIGHT_NOTE = (
    "00:00:00, most often a date alone as Photoshop's File Info writes it: compared by the day"
)


def date_alone(d: Dated | None) -> Dated | None:
    """photoshop:DateCreated ``d`` at exactly 00:00:00, in any zone or none, as the date alone
    it most often is (the date field of Photoshop's File Info, written as that day's midnight,
    with the offset of the computer that wrote it or Z): compared by the day it writes, as a
    date written without a time is (that day, never converted to UTC); other dates as read.
    Compared to the hour, 2006-09-14T00:00:00Z read as 30 h before a capture at 05:59 the
    next day; version 14 read a midnight with another offset than Z (``+08:00``) so still."""
    if d is None or d.precision != "time" or d.t.time() != time(0):
        return d
    return replace(d, t=d.t.replace(tzinfo=None), precision="day", read=MIDNIGHT_NOTE)


def parse_xmp_date(text: str) -> datetime | None:
    """An XMP date with a time of day (:func:`parse_xmp_when`); None without one."""
    when = parse_xmp_when(text)
    return when[0] if when is not None and when[1] == "time" else None


def with_offset(t: datetime, offset: timezone | None) -> datetime:
    """A clock reading ``t`` placed in ``offset`` (None: left naive, zone unknown)."""
    return t if offset is None else t.replace(tzinfo=offset)


def seconds_between(t0: datetime, t1: datetime) -> tuple[float, bool]:
    """``t1 - t0`` in seconds, and whether they were compared as instants (both name their
    offset) rather than as clock readings in one assumed zone."""
    if t0.tzinfo is not None and t1.tzinfo is not None:
        return (t1 - t0).total_seconds(), True
    return (t1.replace(tzinfo=None) - t0.replace(tzinfo=None)).total_seconds(), False


def shown(d: Dated) -> str:
    """A date as a finding prints it: as written, and the offset it was read with (from its
    OffsetTime tag for EXIF) or that none is known; a date without a time of day as written;
    the first of several values of an XMP date said to be."""
    first = f" (the first of {d.of} values)" if d.of > 1 else ""
    if d.read:
        first = f" ({d.read}){first}"
    if (u := undotted(d.raw)) is not None:
        first = f" (no decimal point: read as {u[0]}){first}"
    if d.precision != "time":
        return d.raw + first
    offset = d.t.utcoffset()
    if offset is None:
        return f"{d.raw} (zone unknown){first}"
    zone = offset_text(offset)
    own = d.raw.endswith(("Z", zone))  # XMP writes its own
    return (d.raw if own else f"{d.raw} ({zone})") + first


def span(seconds: float) -> str:
    if seconds < 3600:
        return f"{seconds / 60:.0f} min"
    if seconds < 86400 * 2:
        return f"{seconds / 3600:.1f} h"
    return f"{seconds / 86400:.0f} days"


@dataclass(frozen=True)
class Gap:
    """How far one date is after another, by what both say: in seconds when both have a time
    of day, else in whole days, months or years of their clock readings as written."""

    amount: float  # later minus earlier, in ``unit``s; negative: before
    unit: Precision  # "time" (seconds), "day", "month" or "year"
    as_instants: bool  # compared in UTC, both offsets known

    def side(self, tolerance_s: float) -> int:
        """1: after by more than the tolerance, -1: before by more, 0: within it (a day, a
        month or a year apart is beyond it)."""
        limit = tolerance_s if self.unit == "time" else 0.0
        return (self.amount > limit) - (self.amount < -limit)

    def words(self) -> str:
        n = abs(self.amount)
        if self.unit == "time":
            return span(n)
        return f"{n:.0f} {self.unit}{'' if n == 1 else 's'}"

    def how(self) -> str:
        if self.as_instants:
            return "compared in UTC by their offsets"
        if self.unit != "time":
            return f"compared by the {self.unit} only: one names no time of day"
        return "compared as clock readings: the UTC offset of one or both is not recorded"


def gap(earlier: Dated, later: Dated) -> Gap:
    """``later`` after ``earlier`` (:class:`Gap`). A date without a time of day is compared by
    the day, month or year it names with the other's clock reading as written (its day is the
    one its own offset gives, never converted)."""
    unit = min(earlier.precision, later.precision, key=_COARSE_FIRST.index)
    if unit == "time":
        delta, as_instants = seconds_between(earlier.t, later.t)
        return Gap(delta, unit, as_instants)
    a, b = earlier.t, later.t
    if unit == "year":
        n = b.year - a.year
    elif unit == "month":
        n = 12 * (b.year - a.year) + b.month - a.month
    else:
        n = (b.date() - a.date()).days
    return Gap(float(n), unit, False)


def order_finding(
    key: str, later: Dated, earlier: Dated, tolerance_s: float, before: str, after: str | None
) -> tuple[Finding | None, Gap]:
    """The finding when ``later`` (the file's last change, say) is dated more than
    ``tolerance_s`` before ``earlier`` (its capture): the note ``before``; or after it, the
    note ``after`` (None: as it should be, no finding). Notes name the gap as ``{span}`` and
    end with how the dates were compared."""
    g = gap(earlier, later)
    note = {1: after, -1: before, 0: None}[g.side(tolerance_s)]
    if note is None:
        return None, g
    text = f"{note.format(span=g.words())}; {g.how()}"
    return Finding("dates", key, f"{shown(later)} vs {shown(earlier)}", Level.NOTICE, text), g


_EDITED = "clock or metadata edited"


def exif_date_findings(dates: dict[str, Dated], tolerance_s: float) -> tuple[list[Finding], dict]:
    """EXIF's three dates (EXIF 2.32, the tags relating to date and time):
    ``DateTimeOriginal``, when "the original image data was generated" (a camera: the picture
    taken); ``DateTimeDigitized``, when it "was stored as digital data", the same as the
    original for a camera that records the file as it shoots; ``DateTime``, when the file was
    last changed. A digitising dated after the capture is no finding: a scanned film
    photograph or print records the day it was shot as the original and the scan as
    digitised, years apart; one dated before the capture is stored before it existed, and a
    last change dated before the digitising changes a file before it was stored. The latter
    is compared only where DateTime against DateTimeOriginal says nothing of it (digitised
    after the capture, or no capture date): one inconsistency, one finding. A scan's last
    change the same as its digitising (within ``tolerance_s``: the scanner wrote the file as
    it scanned) is after the capture because the scan is, not because the file was changed:
    an information row that says so (version 12 called it a change after the capture, a
    notice). Returns (findings, facts)."""
    rows: list[Finding] = []
    facts: dict = {}
    original = dates.get("DateTimeOriginal")
    changed = dates.get("DateTime")
    digitized = dates.get("DateTimeDigitized")
    scanned = (
        original is not None
        and digitized is not None
        and gap(original, digitized).side(tolerance_s) > 0
    )
    if original is not None and changed is not None:
        row, g = order_finding(
            "EXIF DateTime vs DateTimeOriginal",
            changed,
            original,
            tolerance_s,
            f"last change dated {{span}} before the capture: {_EDITED}",
            "file changed {span} after capture (a camera writes both equal)",
        )
        facts["modified_after_capture_s"] = g.amount
        facts["dates_compared_in_utc"] = g.as_instants
        if row is not None and scanned and digitized is not None and g.side(tolerance_s) > 0:
            row = _scan_written(row, changed, digitized, g, tolerance_s)
            facts["changed_when_digitized"] = row.level == Level.INFO
        rows += [row] if row else []
    stored_later = True  # digitised after the capture, or no capture date to say otherwise
    if original is not None and digitized is not None:
        row, g = order_finding(
            "EXIF DateTimeDigitized vs DateTimeOriginal",
            digitized,
            original,
            tolerance_s,
            "stored as digital data {span} before the capture (EXIF dates the digitising "
            f"the same as or after the capture): {_EDITED}",
            None,  # a scan of a photograph taken earlier
        )
        facts["digitized_after_capture_s"] = g.amount
        stored_later = g.side(tolerance_s) > 0
        rows += [row] if row else []
    if changed is not None and digitized is not None and stored_later:
        row, _ = order_finding(
            "EXIF DateTime vs DateTimeDigitized",
            changed,
            digitized,
            tolerance_s,
            f"last change dated {{span}} before the file was stored as digital data: {_EDITED}",
            None,
        )
        rows += [row] if row else []
    return rows, facts


def _scan_written(
    row: Finding, changed: Dated, digitized: Dated, after_capture: Gap, tolerance_s: float
) -> Finding:
    """The row of a scan's last change after its capture (``row``, ``after_capture``), the
    digitising dated after the capture: information when the last change is the same as the
    digitising (the file written as it was scanned), else a notice that dates the change
    from the scan."""
    since_scan = gap(digitized, changed)
    if since_scan.side(tolerance_s) == 0:
        note = (
            f"file written {after_capture.words()} after the capture, when it was digitised "
            "(DateTime the same as DateTimeDigitized): a scan of an earlier photograph or print "
            f"explains it, not a later change; {after_capture.how()}"
        )
        return Finding(row.topic, row.key, row.value, Level.INFO, note)
    if since_scan.side(tolerance_s) < 0:  # the DateTime vs DateTimeDigitized row says it
        return row
    note = (
        f"file changed {since_scan.words()} after it was digitised (a scan, dated "
        f"{after_capture.words()} after the capture): a scanner writes both the same; "
        f"{since_scan.how()}"
    )
    return Finding(row.topic, row.key, row.value, Level.NOTICE, note)


XMP_DATES = ("xmp:CreateDate", "xmp:ModifyDate", "xmp:MetadataDate", "photoshop:DateCreated")


def xmp_date_findings(
    dates: dict[str, Dated], exif_original: Dated | None, tolerance_s: float
) -> list[Finding]:
    """XMP's dates (``XMP_DATES``, by name; each compared by what both of a pair say):

    - ``xmp:ModifyDate`` after ``xmp:CreateDate`` (as EXIF's DateTime after the capture), or
      before it;
    - ``photoshop:DateCreated``, when the content was made (EXIF's DateTimeOriginal, as the
      Metadata Working Group's guidelines map them; often a date alone, and at 00:00:00 taken
      for one: :func:`date_alone`), after ``ModifyDate``, unless ModifyDate before CreateDate
      said so already;
    - ``photoshop:DateCreated`` and EXIF ``DateTimeOriginal`` (``exif_original``): one date
      written twice, by software that copies one to the other; apart either way is a finding;
    - ``xmp:MetadataDate`` (the metadata's last change: XMP asks for the same as or later than
      ``ModifyDate``) before ``ModifyDate``;
    - ``xmp:CreateDate`` before ``photoshop:DateCreated``, unless DateCreated after ModifyDate
      said so already. XMP defines CreateDate as when the resource was created (for a file,
      close to when it was first written); the IPTC Photo Metadata standard, DateCreated as
      when the content of the image was created, as opposed to its digital representation;
      the Metadata Working Group maps them to EXIF's DateTimeDigitized and DateTimeOriginal.
      As for EXIF's pair, a file created before the content it holds is an inconsistency;
      created after it is none (a scan of an old print, a raw file developed days later).

    Dates with a time further apart than ``tolerance_s`` count; a day, month or year apart
    always does."""
    rows: list[Finding] = []
    created, modified = dates.get("xmp:CreateDate"), dates.get("xmp:ModifyDate")
    made, meta = date_alone(dates.get("photoshop:DateCreated")), dates.get("xmp:MetadataDate")
    modified_early = made_late = False
    if created is not None and modified is not None:
        row, g = order_finding(
            "XMP xmp:ModifyDate vs xmp:CreateDate",
            modified,
            created,
            tolerance_s,
            f"last change dated {{span}} before the creation: {_EDITED}",
            "modified {span} after creation",
        )
        modified_early = g.side(tolerance_s) < 0
        rows += [row] if row else []
    if made is not None and modified is not None and not modified_early:
        row, _ = order_finding(
            "XMP xmp:ModifyDate vs photoshop:DateCreated",
            modified,
            made,
            tolerance_s,
            f"last change dated {{span}} before the content was made (DateCreated): {_EDITED}",
            None,
        )
        made_late = row is not None
        rows += [row] if row else []
    if made is not None and created is not None and not made_late:
        row, _ = order_finding(
            "XMP xmp:CreateDate vs photoshop:DateCreated",
            created,
            made,
            tolerance_s,
            "file created {span} before the content it holds was made (XMP dates the file "
            f"the same as or after its content, DateCreated): {_EDITED}",
            None,  # a scan, or a raw file developed later
        )
        rows += [row] if row else []
    if made is not None and exif_original is not None:
        g = gap(exif_original, made)
        if side := g.side(tolerance_s):
            note = (
                f"XMP dates the capture {g.words()} {'after' if side > 0 else 'before'} EXIF "
                "(software that writes both copies one to the other): one of them was changed "
                f"or set apart from the other; {g.how()}"
            )
            value = f"{shown(made)} vs {shown(exif_original)}"
            key = "XMP photoshop:DateCreated vs EXIF DateTimeOriginal"
            rows.append(Finding("dates", key, value, Level.NOTICE, note))
    if meta is not None and modified is not None:
        row, _ = order_finding(
            "XMP xmp:MetadataDate vs xmp:ModifyDate",
            meta,
            modified,
            tolerance_s,
            "metadata dated as last changed {span} before the file (XMP writes MetadataDate "
            f"the same as or after ModifyDate): {_EDITED}",
            None,
        )
        rows += [row] if row else []
    return rows


# XMP's copies of EXIF's dates (the XMP specification's exif: and tiff: namespaces) and the
# EXIF dates they copy
XMP_COPIES = {
    "exif:DateTimeOriginal": "DateTimeOriginal",
    "exif:DateTimeDigitized": "DateTimeDigitized",
    "tiff:DateTime": "DateTime",
}

# XMP's own dates that hold EXIF's: the XMP specification (part 2, since 2008) deprecates
# exif:DateTimeDigitized and tiff:DateTime for xmp:CreateDate and xmp:ModifyDate, and the
# Metadata Working Group's guidelines map EXIF's DateTimeDigitized and DateTime to them, so
# current software copies EXIF's dates there (read with XMP_DATES)
XMP_HOLDS_EXIF = {
    "xmp:CreateDate": "DateTimeDigitized",
    "xmp:ModifyDate": "DateTime",
}


def copy_date_findings(
    xmp_dates: dict[str, Dated],
    exif_dates: dict[str, Dated],
    tolerance_s: float,
    exif_written: Collection[str],
) -> list[Finding]:
    """XMP's copies of EXIF's dates (``XMP_COPIES``, and ``XMP_HOLDS_EXIF``, where current
    software writes them) against EXIF's own: software that writes XMP copies EXIF's date
    into it (with the offset it knows, or none), so one apart from the other by more than
    ``tolerance_s`` either way (a day, month or year when one names no time of day) was
    changed or set without the other: EXIF edited and its XMP copy left, or the reverse.
    Compared by what both say, as every pair is (:func:`gap`). Version 11 compared only
    ``XMP_COPIES``, which current software no longer writes. Two clock readings apart by
    whole quarter hours, 14 h at most, with a zone unknown, may be one instant written in
    two zones (EXIF's in UTC, XMP's local): the note says so. A copy (``XMP_COPIES``) of an
    EXIF date the file does not write at all (not among ``exif_written``, the EXIF dates
    written, valid or not) is an information row: a claim XMP alone makes, its EXIF tag
    removed or never written, not a sign of manipulation (version 12 said nothing of it)."""
    rows: list[Finding] = []
    for name, key in {**XMP_COPIES, **XMP_HOLDS_EXIF}.items():
        copy, own = xmp_dates.get(name), exif_dates.get(key)
        if copy is not None and name in XMP_COPIES and key not in exif_written:
            rows.append(copy_alone("dates", shown(copy), name, key))
        if copy is None or own is None:
            continue
        g = gap(own, copy)
        if side := g.side(tolerance_s):
            what = (
                f"XMP's copy of EXIF {key}"
                if name in XMP_COPIES
                else f"XMP's {name}, where XMP keeps EXIF {key},"
            )
            note = (
                f"{what} is {g.words()} {'after' if side > 0 else 'before'} it (software that "
                "writes XMP copies the EXIF date): one of them was changed or set without the "
                f"other; {g.how()}"
            )
            if name == "xmp:CreateDate":  # XMP's meaning of it before 2008
                note += "; XMP writers before 2008 dated the file's own creation there"
            if _zone_apart(g):
                note += "; whole quarter hours apart: possibly one instant written in two zones"
            value = f"{shown(copy)} vs {shown(own)}"
            rows.append(Finding("dates", f"XMP {name} vs EXIF {key}", value, Level.NOTICE, note))
    return rows


def copy_alone(topic: str, value: str, name: str, key: str) -> Finding:
    """The information row of XMP's copy ``name`` of the EXIF field ``key`` the file does not
    write (``value``: the copy as shown), keyed as the comparison would be."""
    note = (
        f"XMP {name} given, EXIF has none: its EXIF tag was removed, or the XMP was written "
        "without it (software that writes XMP copies the EXIF field); a claim of XMP alone"
    )
    return Finding(topic, f"XMP {name} vs EXIF {key}", f"{value} vs none", Level.INFO, note)


def _zone_apart(g: Gap) -> bool:
    """Whether two clock readings, a zone unknown, are apart as two UTC offsets can be: by a
    whole number of quarter hours, 14 h at most (UTC-12 to UTC+14)."""
    seconds = abs(g.amount)
    return g.unit == "time" and not g.as_instants and seconds <= 14 * 3600 and seconds % 900 == 0
