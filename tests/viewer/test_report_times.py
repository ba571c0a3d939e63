"""Times as reports and the viewer show them: an EXIF date is the camera's clock reading,
labelled with the UTC offset its OffsetTime tag records or as of an unknown zone, never
converted; the GPS date and time are UTC; a date that is not one is quoted as written."""

from __future__ import annotations

import io
import re
import struct
import time
import zlib
from pathlib import Path

import pytest
from PIL import Image
from PIL.TiffImagePlugin import IFDRational

from engine.io import load_evidence
from forensic_viewer.report.metadata import metadata_values


def _camera_file(tmp_path: Path, ifd0: dict, sub: dict, gps: dict | None = None) -> dict:
    """A real JPEG holding these EXIF tags (Pillow's writer), loaded as the viewer loads one:
    its metadata as reports and the panel print it."""
    exif = Image.Exif()
    exif.update(ifd0)
    exif.get_ifd(0x8769).update(sub)
    if gps:
        exif.get_ifd(0x8825).update(gps)
    p = tmp_path / "camera.jpg"
    Image.new("RGB", (8, 8)).save(p, exif=exif.tobytes())
    return dict(metadata_values(load_evidence(p).metadata))


def test_an_exif_date_is_labelled_with_its_offset_or_as_of_an_unknown_zone(
    tmp_path: Path,
) -> None:
    """Reports printed ``2021:05:01 11:00:00`` alone, a reader free to take it as local time
    or UTC: it is the camera's clock, in the zone its OffsetTime tag names, if any."""
    shown = _camera_file(
        tmp_path,
        {0x0132: "2021:05:02 08:00:00"},  # DateTime: no OffsetTime
        {
            0x9003: "2021:05:01 11:00:00",  # DateTimeOriginal
            0x9011: "+02:00",  # OffsetTimeOriginal
            0x9291: "050",  # SubsecTimeOriginal
            0x9004: "2021:05:01 11:00:00",  # DateTimeDigitized
            0x9012: "-03:30",  # OffsetTimeDigitized
        },
        {
            29: "2021:05:01",  # GPSDateStamp
            7: (IFDRational(9, 1), IFDRational(0, 1), IFDRational(5, 1)),  # GPSTimeStamp
        },
    )
    assert shown["EXIF:DateTimeOriginal"] == (
        "2021:05:01 11:00:00 (UTC+02:00, OffsetTimeOriginal; sub-second .050)"
    )
    assert shown["EXIF:DateTimeDigitized"] == (
        "2021:05:01 11:00:00 (UTC-03:30, OffsetTimeDigitized)"
    )
    assert shown["EXIF:DateTime"] == "2021:05:02 08:00:00 (camera local time, zone unknown)"
    assert shown["EXIF:GPSDateStamp"] == "2021:05:01 (UTC)"
    assert shown["EXIF:GPSTimeStamp"] == "09:00:05 UTC"


@pytest.mark.parametrize(
    ("raw", "why"),
    [
        ("0000:00:00 00:00:00", "clock not set"),
        ("    :  :     ", "clock not set"),
        ("2021:13:45 25:00:00", "not a valid date"),
    ],
)
def test_a_date_that_is_not_one_is_quoted_as_written(tmp_path: Path, raw: str, why: str) -> None:
    shown = _camera_file(tmp_path, {}, {0x9003: raw, 0x9011: "+25:00"})
    assert shown["EXIF:DateTimeOriginal"] == f'"{raw}" ({why}, as written)'


def test_an_invalid_offset_leaves_the_zone_unknown(tmp_path: Path) -> None:
    shown = _camera_file(tmp_path, {}, {0x9003: "2021:05:01 11:00:00", 0x9011: "+25:00"})
    assert shown["EXIF:DateTimeOriginal"] == (
        '2021:05:01 11:00:00 (camera local time, zone unknown; OffsetTimeOriginal "+25:00" '
        "not a UTC offset)"
    )


@pytest.mark.gui
def test_the_viewers_metadata_panel_labels_dates_as_the_report_does(qtbot) -> None:
    import dataclasses

    import numpy as np

    from forensic_viewer.gui.metadata_panel import MetadataPanel
    from tests.conftest import memory_evidence

    meta = {"EXIF:DateTimeOriginal": "2021:05:01 11:00:00", "EXIF:OffsetTimeOriginal": "+02:00"}
    ev = dataclasses.replace(memory_evidence(np.zeros((4, 4, 3), np.uint8)), metadata=meta)
    panel = MetadataPanel()
    qtbot.addWidget(panel)
    panel.set_evidence(ev)
    assert panel.value("EXIF:DateTimeOriginal") == (
        "2021:05:01 11:00:00 (UTC+02:00, OffsetTimeOriginal)"
    )


def _png_with_time(path: Path, fields: tuple[int, ...]) -> Path:
    """A real PNG with a tIME chunk (year, month, day, hour, minute, second) after IHDR."""
    buf = io.BytesIO()
    Image.new("RGB", (8, 8)).save(buf, "PNG")
    data = buf.getvalue()
    body = b"tIME" + struct.pack(">HBBBBB", *fields)
    chunk = struct.pack(">I", 7) + body + struct.pack(">I", zlib.crc32(body))
    path.write_bytes(data[:33] + chunk + data[33:])  # 8-byte signature + 25-byte IHDR
    return path


def test_a_pngs_time_is_recorded_and_shown_as_utc(tmp_path: Path) -> None:
    """A PNG's tIME (its last modification, UTC by the specification) was dropped: Pillow
    does not read it, and the metadata said nothing of when the file was last changed."""
    meta = load_evidence(_png_with_time(tmp_path / "t.png", (2021, 5, 1, 9, 0, 5))).metadata
    assert meta["PNG:tIME"] == "2021-05-01T09:00:05Z"
    assert dict(metadata_values(meta))["PNG:tIME"] == (
        "2021-05-01T09:00:05Z (UTC: the image's last modification, the PNG's tIME)"
    )
    bad = load_evidence(_png_with_time(tmp_path / "b.png", (2021, 13, 1, 9, 0, 5))).metadata
    assert bad["PNG:tIME"] == "2021-13-01T09:00:05Z (not a valid date)"
    assert dict(metadata_values(bad))["PNG:tIME"] == bad["PNG:tIME"]


# --- the product's own times ---------------------------------------------------------------

RFC3339 = re.compile(r"\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d(\.\d{3})?[+-]\d\d:\d\d")


@pytest.fixture
def kathmandu(monkeypatch):
    """Local time at UTC+05:45 (no daylight saving), so an offset is written, and how."""
    monkeypatch.setenv("TZ", "Asia/Kathmandu")
    time.tzset()
    yield
    monkeypatch.undo()
    time.tzset()


def test_the_products_own_times_are_iso_8601_with_their_offset(tmp_path: Path, kathmandu) -> None:
    """scan.json's run and environment times, the report's integrity check, locks, logs and
    checkpoints wrote ``time.strftime("%z")``: ``2026-12-05T17:47:09+0545``, the basic offset
    beside an extended date and time, which ISO 8601 does not allow and RFC 3339 parsers
    (Python before 3.11's ``fromisoformat`` among them) refuse. Now ``+05:45``."""
    import logging

    from engine.lock import FolderLock, read_holder
    from forensic_viewer.environment import environment
    from forensic_viewer.gui.app import LogFormatter
    from forensic_viewer.report.integrity import verify_integrity
    from forensic_viewer.scan.settings import now_text

    evidence = tmp_path / "e.bin"
    evidence.write_bytes(b"x")
    with FolderLock(tmp_path / "out", command="test") as lock:
        started = read_holder(lock.path)["started"]
    record = logging.LogRecord("t", logging.INFO, __file__, 1, "m", None, None)
    stamps = [
        now_text(),
        environment()["time"],
        verify_integrity(evidence, "0" * 64).checked_at,
        started,
        LogFormatter("%(asctime)s").format(record),
    ]
    for stamp in stamps:
        assert RFC3339.fullmatch(stamp), stamp
        assert stamp.endswith("+05:45"), stamp
