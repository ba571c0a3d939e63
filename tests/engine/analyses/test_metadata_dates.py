"""Metadata dates: EXIF and XMP dates compared in UTC when both name their offset, as clock
readings otherwise (and the finding says which); invalid dates shown as written."""

from __future__ import annotations

import io
from datetime import UTC, datetime, timedelta, timezone

import pytest
from PIL import Image

from engine.analyses import Level, run_analysis
from engine.analyses._dates import parse_xmp_date, parse_xmp_when
from engine.exif import parse_exif_date, parse_offset
from tests.engine.analyses.conftest import jpeg_bytes, make_exif, natural

CAMERA = {0x010F: "Canon", 0x0110: "EOS"}


def _dates(write_evidence, ifd0: dict, sub: dict, xmp: str | None = None):
    data = jpeg_bytes(natural(120, 160, 1), 90, exif=make_exif({**CAMERA, **ifd0}, sub))
    if xmp is not None:
        buf = io.BytesIO()
        img = Image.open(io.BytesIO(data))
        img.save(buf, "JPEG", quality=90, xmp=xmp.encode(), exif=img.info["exif"])
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
    assert [row.key for row in rows] == ["XMP xmp:ModifyDate vs xmp:CreateDate"]
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
    assert parse_xmp_when("2021-05-01") == (datetime(2021, 5, 1), "day")
    assert parse_xmp_when("2021-05") == (datetime(2021, 5, 1), "month")
    assert parse_xmp_when("2021") == (datetime(2021, 1, 1), "year")
    for not_a_date in ("2021-5-01", "2021-05-01T", "2021-02-30", "2021-05-01Z", "21-05-01"):
        assert parse_xmp_when(not_a_date) is None, not_a_date


# --- EXIF DateTimeDigitized ------------------------------------------------------------------


@pytest.mark.parametrize(
    ("digitized", "offsets", "note"),
    [
        ("2021:05:01 09:00:00", {}, "stored as digital data 2.0 h before the capture"),
        # 10:00 +01:00 is 11:00 +02:00: the same instant, no finding
        ("2021:05:01 10:00:00", {0x9011: "+02:00", 0x9012: "+01:00"}, None),
        # 11:30 +02:00 is 09:30 UTC, before 11:00 +01:00 (10:00 UTC)
        ("2021:05:01 11:30:00", {0x9011: "+01:00", 0x9012: "+02:00"}, "30 min before the cap"),
        ("2021:05:01 11:00:30", {}, None),  # within the tolerance
    ],
)
def test_digitised_before_the_capture_is_a_notice(write_evidence, digitized, offsets, note) -> None:
    """EXIF stores the picture as digital data (DateTimeDigitized) when or after the original
    image data was made (DateTimeOriginal); stored before it, it was stored before it
    existed. Compared by the offsets as the other dates are. It was not compared at all."""
    r, rows = _dates(
        write_evidence,
        {0x0132: "2021:05:01 11:00:00"},
        {0x9003: "2021:05:01 11:00:00", 0x9004: digitized, **offsets},
    )
    keys = [row.key for row in rows if "Digitized" in row.key]
    if note is None:
        assert keys == []
        return
    assert keys == ["EXIF DateTimeDigitized vs DateTimeOriginal"]
    row = next(row for row in rows if row.key == keys[0])
    assert row.level == Level.NOTICE and note in row.note and "clock or metadata edited" in row.note
    assert row.value.startswith(digitized)
    assert r.extras["digitized_after_capture_s"] < 0


def test_a_scan_digitised_years_after_the_capture_is_no_digitising_finding(write_evidence) -> None:
    """A film photograph shot in 1994 and scanned in 2021: EXIF's original is the shot, its
    digitising the scan. Legitimate: no finding of the digitising (the change after the
    capture is noted as ever); a last change dated before the scan is one."""
    sub = {0x9003: "1994:07:14 15:00:00", 0x9004: "2021:05:01 10:00:00"}
    r, rows = _dates(write_evidence, {0x0132: "2021:05:01 10:05:00"}, sub)
    assert [row.key for row in rows] == ["EXIF DateTime vs DateTimeOriginal"]
    assert r.extras["digitized_after_capture_s"] > 26 * 365 * 86400
    _, rows = _dates(write_evidence, {0x0132: "2021:05:01 09:00:00"}, sub)
    row = next(row for row in rows if row.key == "EXIF DateTime vs DateTimeDigitized")
    assert "1.0 h before the file was stored as digital data" in row.note
    assert row.value == "2021:05:01 09:00:00 (zone unknown) vs 2021:05:01 10:00:00 (zone unknown)"


@pytest.mark.parametrize(
    ("changed", "level", "found"),
    [
        ("2021:05:01 10:00:00", Level.INFO, "when it was digitised"),  # written as scanned
        ("2021:05:01 10:00:40", Level.INFO, "when it was digitised"),  # within the tolerance
        ("2021:05:01 10:05:00", Level.NOTICE, "file changed 5 min after it was digitised"),
    ],
)
def test_a_scans_last_change_at_its_digitising_is_explained(
    write_evidence, changed, level, found
) -> None:
    """A film photograph of 1994 scanned in 2021: DateTime after DateTimeOriginal is the scan's
    doing when it is the digitising's date (the scanner wrote the file as it scanned), an
    information row that says so; a change after the scan is one, dated from the scan (version
    12 said "file changed 9788 days after capture", a notice, either way)."""
    sub = {0x9003: "1994:07:14 15:00:00", 0x9004: "2021:05:01 10:00:00"}
    r, rows = _dates(write_evidence, {0x0132: changed}, sub)
    assert [(row.key, row.level) for row in rows] == [("EXIF DateTime vs DateTimeOriginal", level)]
    assert found in rows[0].note
    assert "a scan" in rows[0].note
    assert r.extras["changed_when_digitized"] is (level == Level.INFO)


def test_a_last_change_before_a_camera_digitising_is_one_finding(write_evidence) -> None:
    """A camera writes the original and the digitising equal: a last change dated before
    both is one inconsistency, reported once (DateTime vs DateTimeOriginal); without the
    original, against the digitising."""
    _, rows = _dates(
        write_evidence,
        {0x0132: "2021:05:01 10:00:00"},
        {0x9003: "2021:05:01 11:00:00", 0x9004: "2021:05:01 11:00:00"},
    )
    assert [row.key for row in rows] == ["EXIF DateTime vs DateTimeOriginal"]
    _, rows = _dates(write_evidence, {0x0132: "2021:05:01 10:00:00"}, {0x9004: "2021:05:01 11:00"})
    assert [(row.key, row.value) for row in rows] == [
        ("EXIF DateTimeDigitized", '"2021:05:01 11:00"'),  # not a valid date: not compared
    ]
    _, rows = _dates(
        write_evidence, {0x0132: "2021:05:01 10:00:00"}, {0x9004: "2021:05:01 11:00:00"}
    )
    assert [row.key for row in rows] == ["EXIF DateTime vs DateTimeDigitized"]


# --- XMP photoshop:DateCreated and xmp:MetadataDate ----------------------------------------

_XMP = (
    '<x:xmpmeta xmlns:x="adobe:ns:meta/"><rdf:RDF><rdf:Description>{}'
    "</rdf:Description></rdf:RDF></x:xmpmeta>"
)


def _xmp_dates(write_evidence, fields: dict[str, str], exif_sub: dict | None = None):
    body = "".join(f"<{name}>{value}</{name}>" for name, value in fields.items())
    return _dates(write_evidence, {}, exif_sub or {}, _XMP.format(body))[1]


@pytest.mark.parametrize(
    ("made", "found"),
    [
        ("2021-05-03", "2 days before the content was made (DateCreated)"),
        ("<![CDATA[2021-05-03]]>", "2 days before the content was made"),  # as written
        ("2021-06", "1 month before the content was made"),
        ("2021-05-01T10:30:00+02:00", "30 min before the content was made"),
        ("2021-05-01", None),  # the same day: a date alone says no more
        ("2021-05-01T09:00:00+01:00", None),  # the same instant
        ("2021", None),
    ],
)
def test_photoshop_date_created_after_the_last_change(write_evidence, made, found) -> None:
    """photoshop:DateCreated (when the content was made, often a date alone) later than
    xmp:ModifyDate; compared by what both say: by the day (month, year) when one names no
    time of day, as instants when both name their offset. It was not read."""
    fields = {"photoshop:DateCreated": made, "xmp:ModifyDate": "2021-05-01T10:00:00+02:00"}
    rows = _xmp_dates(write_evidence, fields)
    if found is None:
        assert rows == []
        return
    assert [row.key for row in rows] == ["XMP xmp:ModifyDate vs photoshop:DateCreated"]
    assert found in rows[0].note and rows[0].level == Level.NOTICE
    how = "in UTC" if ":" in made else "by the"
    assert how in rows[0].note
    assert rows[0].value.startswith("2021-05-01T10:00:00+02:00 vs 2021-0")


@pytest.mark.parametrize(
    ("made", "found"),
    [
        ("2021-05-01T11:00:00", None),  # EXIF's clock reading, zone left out: the same
        ("2021-05-01T10:00:00+01:00", None),  # 09:00 UTC, as EXIF's 11:00 +02:00
        ("2021-05-01", None),
        ("2021-05", None),
        ("2021-05-01T11:00:00+01:00", "XMP dates the capture 1.0 h after EXIF"),
        ("2021-05-01T11:30:00", "XMP dates the capture 30 min after EXIF"),
        ("2021-04-30", "XMP dates the capture 1 day before EXIF"),
        ("2020", "XMP dates the capture 1 year before EXIF"),
    ],
)
def test_photoshop_date_created_against_exif_date_time_original(
    write_evidence, made, found
) -> None:
    """One date written twice (software that writes both copies one to the other): XMP's
    photoshop:DateCreated and EXIF's DateTimeOriginal apart by more than the tolerance, by
    what both say, is a notice either way."""
    exif = {0x9003: "2021:05:01 11:00:00", 0x9011: "+02:00"}
    rows = _xmp_dates(write_evidence, {"photoshop:DateCreated": made}, exif)
    if found is None:
        assert rows == []
        return
    assert [row.key for row in rows] == ["XMP photoshop:DateCreated vs EXIF DateTimeOriginal"]
    assert rows[0].note.startswith(found) and rows[0].level == Level.NOTICE
    assert rows[0].value.startswith(made)
    assert rows[0].value.endswith(" vs 2021:05:01 11:00:00 (+02:00)")


def test_metadata_date_before_the_last_change_and_date_only_xmp_dates(write_evidence) -> None:
    """XMP asks for xmp:MetadataDate (the metadata's last change) the same as or after
    xmp:ModifyDate: before it is a notice, unless only a day is written and it is the same.
    ModifyDate and CreateDate written as dates alone are compared by the day (they were not
    compared)."""
    modified = "2021-05-01T10:00:00Z"
    rows = _xmp_dates(
        write_evidence, {"xmp:ModifyDate": modified, "xmp:MetadataDate": "2021-05-01T09:00:00Z"}
    )
    assert [row.key for row in rows] == ["XMP xmp:MetadataDate vs xmp:ModifyDate"]
    assert "1.0 h before the file" in rows[0].note and "in UTC" in rows[0].note
    for same in ("2021-05-01", modified, "2021-05-01T12:00:00+02:00"):
        fields = {"xmp:ModifyDate": modified, "xmp:MetadataDate": same}
        assert _xmp_dates(write_evidence, fields) == [], same
    rows = _xmp_dates(
        write_evidence, {"xmp:CreateDate": "2021-05-02", "xmp:ModifyDate": "2021-05-01"}
    )
    assert [row.key for row in rows] == ["XMP xmp:ModifyDate vs xmp:CreateDate"]
    assert "1 day before the creation" in rows[0].note and "by the day only" in rows[0].note


def test_a_phone_firmwares_fixed_date_is_shown_not_compared(write_evidence) -> None:
    """Qualcomm's camera software for Android writes 2002:12:08 12:00:00 where it sets no
    date, and phones leave it in DateTimeDigitized (an unedited Moto G photograph of 2014):
    not a clock reading, so information, never "stored 4296 days before the capture"."""
    r, rows = _dates(
        write_evidence,
        {0x010F: "Motorola", 0x0110: "XT1068", 0x0132: "2014:09:12 17:20:30"},
        {0x9003: "2014:09:12 17:20:30", 0x9004: "2002:12:08 12:00:00"},
    )
    assert [(row.key, row.value, row.level) for row in rows] == [
        ("EXIF DateTimeDigitized", '"2002:12:08 12:00:00"', Level.INFO)
    ]
    assert "Qualcomm" in rows[0].note and "not compared" in rows[0].note
    assert "digitized_after_capture_s" not in r.extras
    assert r.extras["modified_after_capture_s"] == 0.0
