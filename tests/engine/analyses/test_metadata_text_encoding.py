"""EXIF ASCII text in another encoding than UTF-8: Pillow reads every byte as Latin-1, so
older ACDSee's GBK "ACD Systems 数码成像" (three of CASIA's authentic photographs) was shown
as "ACD Systems ÊýÂë³ÉÏñ" with nothing to say it is not what the file says. UTF-8 is decoded;
other bytes are shown as Latin-1 and said to be, their encoding never guessed."""

from __future__ import annotations

import pytest

from engine.analyses import Level, run_analysis
from engine.exif import NOT_UTF8, exif_text
from tests.engine.analyses.conftest import jpeg_bytes, make_exif, natural

GBK = "ACD Systems 数码成像".encode("gbk")


def _evidence(write_evidence, ifd0: dict):
    return write_evidence(jpeg_bytes(natural(120, 160, 1), 90, exif=make_exif(ifd0)))


@pytest.mark.parametrize(
    ("written", "shown"),
    [
        (GBK, f"ACD Systems ÊýÂë³ÉÏñ {NOT_UTF8}"),
        ("ACD Systems 数码成像".encode(), "ACD Systems 数码成像"),
        ("Café 1.0".encode("cp1252"), f"Café 1.0 {NOT_UTF8}"),
        (b"Ver.1.0", "Ver.1.0"),
    ],
)
def test_exif_text_is_utf_8_or_said_to_be_of_an_unknown_encoding(
    write_evidence, written: bytes, shown: str
) -> None:
    ev = _evidence(write_evidence, {0x010F: "Canon", 0x0131: written})
    assert ev.metadata["EXIF:Software"] == shown  # the metadata panel's and reports' row
    r = run_analysis("metadata", ev)
    row = next(f for f in r.findings if f.key == "EXIF Software")
    assert row.value == shown


def test_a_gbk_acd_systems_software_still_names_the_editor(write_evidence) -> None:
    r = run_analysis("metadata", _evidence(write_evidence, {0x0131: GBK}))
    row = next(f for f in r.findings if f.key == "EXIF Software")
    assert (row.level, row.note) == (Level.NOTICE, "names editing software (acd systems)")


def test_make_and_model_are_read_the_same_way(write_evidence) -> None:
    ev = _evidence(write_evidence, {0x010F: "数码".encode("gbk"), 0x0110: "Cámara".encode()})
    row = next(f for f in run_analysis("metadata", ev).findings if f.key == "Make/Model")
    assert row.value == f"ÊýÂë {NOT_UTF8} Cámara"
    assert ev.metadata["EXIF:Model"] == "Cámara"


def test_text_not_read_from_bytes_is_left_as_it_is() -> None:
    assert exif_text("数码") == "数码"  # made in memory, not Latin-1 bytes
    assert exif_text(7) == 7
