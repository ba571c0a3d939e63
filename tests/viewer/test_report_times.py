"""Times as reports and the viewer show them: an EXIF date is the camera's clock reading,
labelled with the UTC offset its OffsetTime tag records or as of an unknown zone, never
converted; the GPS date and time are UTC; a date that is not one is quoted as written."""

from __future__ import annotations

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
