"""XMP dates as Photoshop wrote them: CS2's sub-seconds run into the seconds without their
point (CASIA Au_ani_0099: "2007-02-08T15:00:2213Z", three "not a valid date" notices a
file), and photoshop:DateCreated's date alone written as midnight (CASIA Au_cha_0093:
"2006-09-14T00:00:00Z" read as 30 h before a capture at 05:59 the next day)."""

from __future__ import annotations

import io
from datetime import UTC, datetime

import pytest
from PIL import Image

from engine.analyses import Level, run_analysis
from engine.analyses._dates import parse_xmp_when
from tests.engine.analyses.conftest import jpeg_bytes, make_exif, natural

CAMERA = {0x010F: "Canon", 0x0110: "EOS"}
PACKET = '<x:xmpmeta xmlns:x="adobe:ns:meta/"><rdf:Description {}/></x:xmpmeta>'


def _rows(write_evidence, sub: dict, props: dict[str, str]):
    data = jpeg_bytes(natural(120, 160, 1), 90, exif=make_exif(CAMERA, sub))
    attrs = " ".join(f'{k}="{v}"' for k, v in props.items())
    buf = io.BytesIO()
    img = Image.open(io.BytesIO(data))
    img.save(buf, "JPEG", quality=90, xmp=PACKET.format(attrs).encode(), exif=img.info["exif"])
    r = run_analysis("metadata", write_evidence(buf.getvalue()))
    return [f for f in r.findings if f.topic == "dates"]


def test_sub_seconds_without_their_point_are_read_as_a_fraction() -> None:
    assert parse_xmp_when("2007-02-08T15:00:2213Z") == (
        datetime(2007, 2, 8, 15, 0, 22, 130000, tzinfo=UTC),
        "time",
    )
    assert parse_xmp_when("2007-04-13T02:16:160Z")[0] == datetime(
        2007, 4, 13, 2, 16, 16, tzinfo=UTC
    )
    assert parse_xmp_when("2007-02-08T15:00:221")[0] == datetime(2007, 2, 8, 15, 0, 22, 100000)
    assert parse_xmp_when("2007-02-08T15:00:2213+02:00")[0].utcoffset().total_seconds() == 7200


def test_four_or_more_run_together_digits_are_read_as_a_fraction_too(write_evidence) -> None:
    """Version 15: sub-seconds of 4 digits and more run into the seconds are read as 1 to 3
    are (version 14 left "15:00:221345Z" "not a valid date"), and the row says so."""
    assert parse_xmp_when("2007-02-08T15:00:221345Z") == (
        datetime(2007, 2, 8, 15, 0, 22, 134500, tzinfo=UTC),
        "time",
    )
    assert parse_xmp_when("2007-02-08T15:00:22123456")[0].microsecond == 123456
    rows = _rows(
        write_evidence,
        {0x9003: "2007:02:08 15:00:22", 0x9291: "1345"},
        {"exif:DateTimeOriginal": "2007-02-08T15:00:221345Z"},
    )
    assert [(r.key, r.level) for r in rows] == [("XMP exif:DateTimeOriginal", Level.INFO)]
    assert "written without the decimal point" in rows[0].note
    assert "read as 15:00:22.1345 (its 1345 is EXIF SubSecTimeOriginal)" in rows[0].note


@pytest.mark.parametrize(
    "not_a_date",
    [
        "2007-02-08T15:00:2213.5Z",  # a point after them
        "2007-02-08T15:00:2213x",
        "2007-02-08T15:0013Z",  # no seconds
        "2007-02-30T15:00:2213Z",  # no such day
        "2007-02-08T15:00:9913Z",
    ],
)
def test_other_run_together_digits_stay_invalid(not_a_date: str) -> None:
    assert parse_xmp_when(not_a_date) is None


def test_a_photoshop_cs2_date_is_compared_and_its_row_says_how_it_was_read(
    write_evidence,
) -> None:
    """Au_ani_0099's dates: EXIF 15:00:22, SubSecTimeOriginal 13, XMP's copy 15:00:2213Z.
    Read as 15:00:22.13 it agrees with EXIF (no notice); the row says it was read so."""
    rows = _rows(
        write_evidence,
        {0x9003: "2007:02:08 15:00:22", 0x9291: "13"},
        {"exif:DateTimeOriginal": "2007-02-08T15:00:2213Z"},
    )
    assert [(r.key, r.level) for r in rows] == [("XMP exif:DateTimeOriginal", Level.INFO)]
    assert "written without the decimal point, as Photoshop CS2 did" in rows[0].note
    assert "read as 15:00:22.13" in rows[0].note and "EXIF SubSecTimeOriginal" in rows[0].note


def test_a_run_together_date_apart_from_exif_is_still_a_finding(write_evidence) -> None:
    rows = _rows(
        write_evidence,
        {0x9003: "2007:02:08 15:00:22", 0x9291: "13"},
        {"exif:DateTimeOriginal": "2007-02-09T15:00:2213Z"},
    )
    notices = [r for r in rows if r.level == Level.NOTICE]
    assert [r.key for r in notices] == ["XMP exif:DateTimeOriginal vs EXIF DateTimeOriginal"]
    assert "read as 15:00:22.13" in notices[0].value
    info = [r for r in rows if r.level == Level.INFO]
    assert "EXIF records no such sub-seconds" not in info[0].note  # 13 is EXIF's


def test_digits_that_are_not_exifs_sub_seconds_are_said_not_to_be(write_evidence) -> None:
    rows = _rows(write_evidence, {}, {"xmp:ModifyDate": "2007-04-13T02:16:160Z"})
    assert [(r.key, r.level) for r in rows] == [("XMP xmp:ModifyDate", Level.INFO)]
    assert "EXIF records no such sub-seconds" in rows[0].note


@pytest.mark.parametrize(
    "midnight",
    [
        "2006-09-14T00:00:00Z",
        "2006-09-14T00:00:00",
        "2006-09-14T00:00:00+08:00",  # version 15: with any offset (it kept its time)
        "2006-09-14T00:00:00-05:00",
    ],
)
def test_date_created_at_midnight_is_compared_by_the_day(write_evidence, midnight) -> None:
    """Au_cha_0093: DateCreated 2006-09-14T00:00:00Z, EXIF's capture 2006:09:15 05:59:00: a
    day apart (still a notice), not "30.0 h before"; the row says it was taken as a date.
    File Info writes the computer's offset as often as Z: the day is the one written."""
    rows = _rows(
        write_evidence,
        {0x9003: "2006:09:15 05:59:00"},
        {"photoshop:DateCreated": midnight},
    )
    assert [r.key for r in rows] == ["XMP photoshop:DateCreated vs EXIF DateTimeOriginal"]
    assert "1 day before EXIF" in rows[0].note and "by the day only" in rows[0].note
    assert "most often a date alone" in rows[0].value
    same_day = _rows(
        write_evidence,
        {0x9003: "2006:09:14 05:59:00"},
        {"photoshop:DateCreated": midnight},
    )
    assert same_day == []


def test_only_date_created_at_midnight_is_taken_as_a_date(write_evidence) -> None:
    """Another date's midnight, or DateCreated at another time, keeps its time of day."""
    rows = _rows(
        write_evidence,
        {0x9003: "2006:09:14 05:59:00"},
        {"photoshop:DateCreated": "2006-09-14T00:00:01Z"},
    )
    assert len(rows) == 1 and "6.0 h before EXIF" in rows[0].note
    rows = _rows(
        write_evidence,
        {},
        {"xmp:CreateDate": "2006-09-14T05:00:00Z", "xmp:ModifyDate": "2006-09-14T00:00:00Z"},
    )
    assert len(rows) == 1 and "5.0 h before the creation" in rows[0].note
