"""Metadata dates: EXIF and XMP dates compared in UTC when both name their offset, as clock
readings otherwise (and the finding says which); invalid dates shown as written."""

from __future__ import annotations

import io
from datetime import UTC, datetime, timedelta, timezone

import pytest
from PIL import Image

from engine.analyses import Level, run_analysis
from engine.analyses._dates import parse_xmp_date
from engine.exif import parse_exif_date, parse_offset
from tests.engine.analyses.conftest import jpeg_bytes, make_exif, natural

CAMERA = {0x010F: "Canon", 0x0110: "EOS"}


def _dates(write_evidence, ifd0: dict, sub: dict, xmp: str | None = None):
    data = jpeg_bytes(natural(120, 160, 1), 90, exif=make_exif({**CAMERA, **ifd0}, sub))
    if xmp is not None:
        buf = io.BytesIO()
        Image.open(io.BytesIO(data)).save(buf, "JPEG", quality=90, xmp=xmp.encode())
        data = buf.getvalue()
    r = run_analysis("metadata", write_evidence(data))
    return r, [f for f in r.findings if f.topic == "dates"]


def test_exif_dates_with_different_offsets_are_compared_in_utc(write_evidence) -> None:
    """Taken at 11:00 +02:00 (09:00 UTC), saved at 10:30 +01:00 (09:30 UTC): saved half an
    hour later. Compared as clock readings it read as saved before it was taken."""
    r, rows = _dates(
        write_evidence,
        {0x0132: "2021:05:01 10:30:00"},
        {0x9003: "2021:05:01 11:00:00", 0x9010: "+01:00", 0x9011: "+02:00"},
    )
    assert [row.key for row in rows] == ["EXIF DateTime vs DateTimeOriginal"]
    assert rows[0].level == Level.NOTICE
    assert "30 min after capture" in rows[0].note and "in UTC" in rows[0].note
    assert "(+01:00)" in rows[0].value and "(+02:00)" in rows[0].value
    assert r.extras["modified_after_capture_s"] == 1800.0
    assert r.extras["dates_compared_in_utc"] is True


def test_one_instant_written_in_two_offsets_is_no_finding(write_evidence) -> None:
    r, rows = _dates(
        write_evidence,
        {0x0132: "2021:05:01 12:00:00"},
        {0x9003: "2021:05:01 13:00:00", 0x9010: "+00:00", 0x9011: "+01:00"},
    )
    assert rows == []
    assert r.extras["modified_after_capture_s"] == 0.0


def test_a_date_without_its_offset_is_compared_as_a_clock_reading(write_evidence) -> None:
    """Only DateTime's offset known: nothing says DateTimeOriginal's zone, so the two are
    compared as the clock readings they are, and the finding says the zone was assumed."""
    r, rows = _dates(
        write_evidence,
        {0x0132: "2021:05:01 10:30:00"},
        {0x9003: "2021:05:01 11:00:00", 0x9010: "+01:00"},
    )
    assert len(rows) == 1 and "before the capture" in rows[0].note
    assert "clock readings" in rows[0].note and "zone unknown" in rows[0].value
    assert r.extras["dates_compared_in_utc"] is False


def test_xmp_dates_are_compared_by_their_offsets(write_evidence) -> None:
    """Created 11:00 +02:00 (09:00 UTC), modified 10:00Z: an hour later, which the clock
    readings hid; and the reverse, modified before its creation, is flagged as EXIF's is."""
    packet = (
        '<x:xmpmeta xmlns:x="adobe:ns:meta/"><rdf:Description xmp:CreateDate="{c}" '
        'xmp:ModifyDate="{m}"/></x:xmpmeta>'
    )
    _, rows = _dates(
        write_evidence,
        {},
        {},
        packet.format(c="2021-05-01T11:00:00+02:00", m="2021-05-01T10:00:00Z"),
    )
    assert [row.key for row in rows] == ["XMP ModifyDate vs CreateDate"]
    assert "modified 1.0 h after creation" in rows[0].note
    assert rows[0].value == "2021-05-01T10:00:00Z vs 2021-05-01T11:00:00+02:00"
    _, rows = _dates(
        write_evidence,
        {},
        {},
        packet.format(c="2021-05-01T10:30:00.25Z", m="2021-05-01T12:00:00+02:00"),
    )
    assert len(rows) == 1 and "30 min before the creation" in rows[0].note


@pytest.mark.parametrize(
    ("raw", "level", "note"),
    [
        ("    :  :     ", Level.INFO, "clock not set"),
        ("0000:00:00 00:00:00", Level.INFO, "clock not set"),
        ("2021:13:45 25:00:00", Level.NOTICE, "not a valid date"),
        ("2021:02:30 10:00:00", Level.NOTICE, "not a valid date"),
        ("2021:05:01 13:00:00xyz", Level.NOTICE, "not a valid date"),
    ],
)
def test_an_invalid_date_is_shown_as_written(write_evidence, raw, level, note) -> None:
    _, rows = _dates(write_evidence, {}, {0x9003: raw})
    assert [(row.key, row.value, row.level, row.note) for row in rows] == [
        ("EXIF DateTimeOriginal", f'"{raw}"', level, note)
    ]


def test_an_invalid_offset_is_a_notice_and_its_date_a_clock_reading(write_evidence) -> None:
    r, rows = _dates(
        write_evidence,
        {0x0132: "2021:05:01 11:00:00"},
        {0x9003: "2021:05:01 11:00:00", 0x9010: "+25:00", 0x9011: "+02:00"},
    )
    assert [(row.key, row.value, row.note) for row in rows] == [
        ("EXIF OffsetTime", '"+25:00"', "not a valid UTC offset")
    ]
    assert r.extras["dates_compared_in_utc"] is False


def test_parsers_read_what_the_standards_write() -> None:
    assert parse_exif_date("2021:05:01 11:00:00\x00") == datetime(2021, 5, 1, 11, 0, 0)
    assert parse_exif_date("2021:05:01 11:00") is None
    assert parse_offset("-03:30") == timezone(-timedelta(hours=3, minutes=30))
    assert parse_offset("   :  ") is None
    assert parse_xmp_date("2021-05-01T11:00+02:00") == datetime(2021, 5, 1, 9, 0, tzinfo=UTC)
    assert parse_xmp_date("2021-05-01T11:00:00").tzinfo is None  # zone unknown, kept so
    assert parse_xmp_date("2021-05-01") is None  # a day: not compared
