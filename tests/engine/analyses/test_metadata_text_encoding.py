"""EXIF ASCII text in another encoding than UTF-8: Pillow reads every byte as Latin-1, so
older ACDSee's GBK "ACD Systems 数码成像" (26 of CASIA's authentic photographs) was shown
as "ACD Systems ÊýÂë³ÉÏñ" with nothing to say it is not what the file says. UTF-8 is decoded;
other bytes are shown as Latin-1 and said to be, their encoding never guessed."""

from __future__ import annotations

import io
from pathlib import Path

import pytest
from PIL import Image

from engine.analyses import Level, run_analysis
from engine.exif import NOT_UTF8, exif_text
from engine.io import load_evidence
from tests.engine.analyses.conftest import jpeg_bytes, make_exif, natural

GBK = "ACD Systems 数码成像".encode("gbk")
DATA_HEIF = Path(__file__).resolve().parents[2] / "data" / "heif"


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


# --- version 15: text decoded once, by its reader ------------------------------------------

_XMP = (
    '<x:xmpmeta xmlns:x="adobe:ns:meta/"><rdf:RDF><rdf:Description>{}'
    "</rdf:Description></rdf:RDF></x:xmpmeta>"
)


def _with_xmp(write_evidence, body: str, ifd0: dict, sub: dict | None = None):
    """A camera-like JPEG with EXIF ``ifd0`` (and ``sub``) and an XMP packet (UTF-8) holding
    ``body``: the evidence and its metadata analysis's findings by key."""
    data = jpeg_bytes(natural(120, 160, 1), 90, exif=make_exif(ifd0, sub))
    img = Image.open(io.BytesIO(data))
    buf = io.BytesIO()
    img.save(buf, "JPEG", quality=90, xmp=_XMP.format(body).encode(), exif=img.info["exif"])
    ev = write_evidence(buf.getvalue())
    return ev, {f.key: f for f in run_analysis("metadata", ev).findings}


def test_exif_text_that_reads_as_mojibake_is_shown_so_in_both_places(write_evidence) -> None:
    """EXIF Software whose UTF-8 bytes say "CafÃ©" (a writer that encoded twice): exif_text
    decodes it once, and engine.metatext.clean decoded it again ("Café") in the finding
    only, so the finding and the metadata table showed the one value differently."""
    ev = _evidence(write_evidence, {0x010F: "Canon", 0x0131: "CafÃ© 2.0".encode()})
    row = next(f for f in run_analysis("metadata", ev).findings if f.key == "EXIF Software")
    assert row.value == ev.metadata["EXIF:Software"] == "CafÃ© 2.0"


def test_xmp_text_is_shown_as_the_packet_says(write_evidence) -> None:
    """XMP is UTF-8 (decoded by engine.xmp); clean tried its values as Latin-1 bytes in UTF-8
    again, so a CreatorTool that says "CafÃ©" read "Café" in the finding and the table."""
    ev, rows = _with_xmp(write_evidence, "<xmp:CreatorTool>CafÃ© 1.0</xmp:CreatorTool>", {})
    assert rows["XMP xmp:CreatorTool"].value == "CafÃ© 1.0"
    assert ev.metadata["XMP xmp:CreatorTool"] == "CafÃ© 1.0"
    _, rows = _with_xmp(write_evidence, "<xmp:CreatorTool>数码 Café</xmp:CreatorTool>", {})
    assert rows["XMP xmp:CreatorTool"].value == "数码 Café"  # non-ASCII as written


def test_an_invalid_exif_date_is_decoded_as_exif_text(write_evidence) -> None:
    """An invalid EXIF date is quoted as written: UTF-8 bytes as their text, other bytes as
    Latin-1 and said to be (version 14 showed those unflagged, through clean's guess)."""
    utf8 = _evidence(write_evidence, {0x010F: "Canon", 0x0132: "2021年05月01日".encode()})
    row = next(f for f in run_analysis("metadata", utf8).findings if f.key == "EXIF DateTime")
    assert (row.value, row.note) == ('"2021年05月01日"', "not a valid date")
    gbk = _evidence(write_evidence, {0x010F: "Canon", 0x0132: "2021年".encode("gbk")})
    row = next(f for f in run_analysis("metadata", gbk).findings if f.key == "EXIF DateTime")
    assert row.value == f'"2021Äê" {NOT_UTF8}'


def test_an_xmp_copy_of_a_software_in_another_code_page_is_the_same_text(write_evidence) -> None:
    """EXIF's GBK Software beside XMP's "ACD Systems 数码成像": one text in two encodings,
    information naming the code page (version 14: "differs", a notice, by decoding alone).
    A copy that is not EXIF's bytes in any code page still differs."""
    body = "<tiff:Software>ACD Systems 数码成像</tiff:Software>"
    _, rows = _with_xmp(write_evidence, body, {0x0131: GBK})
    row = rows["XMP tiff:Software vs EXIF Software"]
    assert row.level == Level.INFO and row.topic == "software"
    assert row.value == f'"ACD Systems 数码成像" vs "ACD Systems ÊýÂë³ÉÏñ" {NOT_UTF8}'
    assert "EXIF's bytes are XMP's copy written in GBK" in row.note
    _, rows = _with_xmp(write_evidence, body, {0x0131: "ACD Systems 数码成像".encode()})
    assert "XMP tiff:Software vs EXIF Software" not in rows  # UTF-8: equal as decoded
    _, rows = _with_xmp(write_evidence, "<tiff:Software>ACDSee 10</tiff:Software>", {0x0131: GBK})
    row = rows["XMP tiff:Software vs EXIF Software"]
    assert row.level == Level.NOTICE and "differs from it" in row.note
    assert row.value == f'"ACDSee 10" vs "ACD Systems ÊýÂë³ÉÏñ" {NOT_UTF8}'


def test_a_heif_auxiliary_type_is_read_as_utf_8(tmp_path) -> None:
    """ISO/IEC 23008-12 writes auxC's type as UTF-8; it was read as Latin-1, and only clean's
    guess showed it right. The gain map's type of depth.heic, one letter made "é" (as many
    bytes: the boxes keep their sizes)."""
    data = (DATA_HEIF / "depth.heic").read_bytes()
    old, new = b"urn:com:apple:photo:", "urn:com:apple:foté:".encode()
    assert data.count(old) == 1 and len(new) == len(old)
    path = tmp_path / "accented.heic"
    path.write_bytes(data.replace(old, new))
    r = run_analysis("metadata", load_evidence(path))
    row = next(f for f in r.findings if f.key == "HEIF auxiliary image")
    assert row.value.startswith("urn:com:apple:foté:2020:aux:hdrgainmap")


LEICA = Path("/work/shared/data/camera-photos/Leica_T__Typ_701_.jpg")


def test_exif_nul_padding_is_dropped_once_so_findings_and_table_agree(write_evidence) -> None:
    """A Leica T pads its Make and Software with NULs to their declared counts: the findings
    showed "LEICA CAMERA AG\\u0000\\u0000... LEICA T (Typ 701)" and "v7H1-74e\\u0000...", the
    metadata table "LEICA CAMERA AG" (it drops every NUL). A NUL inside the text stays, escaped
    in a finding."""
    ifd0 = {
        0x010F: b"LEICA CAMERA AG" + b"\0" * 8,
        0x0110: "LEICA T (Typ 701)",
        0x0131: b"v7H1-74e" + b"\0" * 23,
        0x013C: b"host\0name\0\0",
    }
    ev = _evidence(write_evidence, ifd0)
    found = {f.key: f.value for f in run_analysis("metadata", ev).findings}
    assert found["Make/Model"] == "LEICA CAMERA AG LEICA T (Typ 701)"
    assert found["EXIF Software"] == "v7H1-74e" == ev.metadata["EXIF:Software"]
    assert found["EXIF HostComputer"] == "host\\u0000name"  # inside: the file's, escaped
    assert exif_text("ab\x00\x00") == "ab" and exif_text("\x00") == ""


@pytest.mark.skipif(not LEICA.is_file(), reason="the shared camera photographs are not here")
def test_the_leica_ts_padded_make_reads_as_its_table_row() -> None:
    ev = load_evidence(LEICA)
    found = {f.key: f.value for f in run_analysis("metadata", ev).findings}
    assert found["Make/Model"] == f"{ev.metadata['EXIF:Make']} {ev.metadata['EXIF:Model']}"
    assert "\\u0000" not in " ".join(found.values())
