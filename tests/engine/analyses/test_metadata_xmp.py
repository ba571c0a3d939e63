"""Metadata analysis, XMP read as an examiner needs it (versions 11 and 12): arrays (rdf:Alt,
rdf:Seq, rdf:Bag) read as their values, XMP's copies of EXIF fields (and xmp:CreateDate and
ModifyDate, which hold EXIF's DateTimeDigitized and DateTime) compared with EXIF's own,
CreateDate against DateCreated, and XMP dates that are not dates shown as EXIF's are."""

from __future__ import annotations

import io

import pytest
from PIL import Image

from engine.analyses import Level, run_analysis
from engine.xmp import XMP_ITEMS, xmp_array, xmp_fields, xmp_has
from tests.engine.analyses.conftest import jpeg_bytes, make_exif, natural

CAMERA = {0x010F: "Canon", 0x0110: "Canon EOS 5D"}
_XMP = (
    '<x:xmpmeta xmlns:x="adobe:ns:meta/"><rdf:RDF><rdf:Description>{}'
    "</rdf:Description></rdf:RDF></x:xmpmeta>"
)


def _run(write_evidence, body: str, ifd0: dict | None = None, sub: dict | None = None):
    """The metadata analysis of a camera-like JPEG with EXIF (``CAMERA`` and ``ifd0``, ``sub``)
    and the XMP packet holding ``body``: its findings by key."""
    data = jpeg_bytes(natural(120, 160, 1), 90, exif=make_exif({**CAMERA, **(ifd0 or {})}, sub))
    img = Image.open(io.BytesIO(data))
    buf = io.BytesIO()
    img.save(buf, "JPEG", quality=90, xmp=_XMP.format(body).encode(), exif=img.info["exif"])
    r = run_analysis("metadata", write_evidence(buf.getvalue()))
    return {f.key: f for f in r.findings}


def _elements(fields: dict[str, str]) -> str:
    return "".join(f"<{name}>{value}</{name}>" for name, value in fields.items())


TITLE = (
    "<dc:title>\n <rdf:Alt>\n"
    '  <rdf:li xml:lang="de-DE">Hafen am Abend</rdf:li>\n'
    '  <rdf:li xml:lang="x-default">Harbour &amp; boats</rdf:li>\n'
    "  <rdf:li xml:lang='fr'><![CDATA[Le port <soir>]]></rdf:li>\n"
    " </rdf:Alt>\n</dc:title>"
)
CREATOR = (
    "<dc:creator><rdf:Seq><rdf:li>Ann Smith</rdf:li><rdf:li>Bo Li</rdf:li></rdf:Seq></dc:creator>"
)
HISTORY = (
    "<xmpMM:History><rdf:Seq>"
    '<rdf:li rdf:parseType="Resource"><stEvt:action>saved</stEvt:action>'
    "<stEvt:softwareAgent>Adobe Photoshop CC</stEvt:softwareAgent></rdf:li>"
    "</rdf:Seq></xmpMM:History>"
)


def test_xmp_arrays_are_read_as_their_values() -> None:
    """A value holding child elements was dropped: a language alternative reads its x-default
    item (the others' languages kept), an ordered or unordered list its items in order. An
    array of structures (xmpMM:History) is no text array: its fields are read by their names."""
    xmp = _XMP.format(TITLE + CREATOR + HISTORY)
    assert xmp_fields(xmp, "dc:title") == ["Harbour & boats"]
    title = xmp_array(xmp, "dc:title")
    assert title is not None and title.kind == "Alt" and title.count == 3
    assert title.items == ("Hafen am Abend", "Harbour & boats", "Le port <soir>")
    assert title.other_languages == ("de-DE", "fr")
    assert xmp_fields(xmp, "dc:creator") == ["Ann Smith", "Bo Li"]
    assert xmp_array(xmp, "xmpMM:History") is None
    assert xmp_fields(xmp, "stEvt:action") == ["saved"]
    alt = "<dc:rights><rdf:Alt><rdf:li xml:lang='en'>(c) A</rdf:li></rdf:Alt></dc:rights>"
    assert xmp_fields(_XMP.format(alt), "dc:rights") == ["(c) A"]  # no x-default: the first


def test_a_crafted_array_is_read_to_a_bound() -> None:
    """An array of 50,000 items keeps its first ``XMP_ITEMS`` and counts the rest; an item
    longer than a value's 2,000 characters ends it; unclosed arrays repeated over the packet
    read as nothing (each is matched where the last stopped: linear in the packet)."""
    many = "<dc:subject><rdf:Bag>" + "<rdf:li>k</rdf:li>" * 50_000 + "</rdf:Bag></dc:subject>"
    array = xmp_array(many, "dc:subject")
    assert array is not None and array.count == 50_000 and len(array.items) == XMP_ITEMS
    long = f"<dc:subject><rdf:Bag><rdf:li>a</rdf:li><rdf:li>{'x' * 2001}</rdf:li></rdf:Bag>"
    array = xmp_array(long, "dc:subject")
    assert array is not None and array.items == ("a",) and array.count == 1
    assert xmp_fields("<dc:subject><rdf:Bag><rdf:li>" * 20_000, "dc:subject") == []


def test_the_files_own_claims_are_shown(write_evidence) -> None:
    """dc:title, dc:creator, dc:subject and photoshop:DocumentAncestors were never shown (their
    arrays were not read): information rows, ancestors with what they list."""
    subjects = "".join(f"<rdf:li>k{i}</rdf:li>" for i in range(XMP_ITEMS + 5))
    ancestors = "<rdf:li>xmp.did:A1</rdf:li><rdf:li>adobe:docid:photoshop:B2</rdf:li>"
    rows = _run(
        write_evidence,
        TITLE
        + CREATOR
        + '<dc:rights><rdf:Alt><rdf:li xml:lang="x-default"> </rdf:li></rdf:Alt></dc:rights>'
        + f"<dc:subject><rdf:Bag>{subjects}</rdf:Bag></dc:subject>"
        + f"<photoshop:DocumentAncestors><rdf:Bag>{ancestors}</rdf:Bag></photoshop:DocumentAncestors>",
    )
    title = rows["XMP dc:title"]
    assert (title.value, title.level) == ("Harbour & boats", Level.INFO)
    assert title.note.endswith("also in 2 other language(s): de-DE, fr")
    assert rows["XMP dc:creator"].value == "Ann Smith; Bo Li"
    subject = rows["XMP dc:subject"]
    assert subject.value.startswith("k0; k1;") and subject.value.endswith(f"k{XMP_ITEMS - 1}")
    assert f"{XMP_ITEMS + 5} items, the first {XMP_ITEMS} shown" in subject.note
    assert "XMP dc:rights" not in rows  # an empty one is left out
    found = rows["XMP photoshop:DocumentAncestors"]
    assert found.value == "2 listed: xmp.did:A1; adobe:docid:photoshop:B2"
    assert found.level == Level.NOTICE


@pytest.mark.parametrize(
    ("name", "copy", "found"),
    [
        ("exif:DateTimeOriginal", "2021-05-01T11:00:00+02:00", None),
        ("exif:DateTimeOriginal", "2021-05-01T10:00:00+01:00", None),  # the same instant
        ("exif:DateTimeOriginal", "2021-05-01T11:00:30.25", None),  # within the tolerance
        ("exif:DateTimeOriginal", "2021-04-29T11:00:00+02:00", "is 2 days before it"),
        ("exif:DateTimeOriginal", "2021-05-01T12:00:00", "is 1.0 h after it"),
        ("exif:DateTimeDigitized", "2021-05-01T11:00:00", None),
        ("exif:DateTimeDigitized", "2021-05-02", "is 1 day after it"),
        ("tiff:DateTime", "2021-05-01T12:00:00", None),
        ("tiff:DateTime", "2021-05-01T11:00:00", "is 1.0 h before it"),
    ],
)
def test_xmp_copies_of_exif_dates_are_compared_with_exif(write_evidence, name, copy, found):
    """XMP's exif:/tiff: copies of EXIF's dates against EXIF's own, by the rules every pair
    follows (in UTC when both name their offset, else as clock readings, by the day when one
    is a date alone): apart either way is a notice; they were never compared."""
    rows = _run(
        write_evidence,
        _elements({name: copy}),
        {0x0132: "2021:05:01 12:00:00"},
        {0x9003: "2021:05:01 11:00:00", 0x9004: "2021:05:01 11:00:00", 0x9011: "+02:00"},
    )
    key = f"XMP {name} vs EXIF {name.split(':')[1]}"
    pairs = [k for k in rows if k.startswith("XMP ") and " vs EXIF " in k]
    if found is None:
        assert pairs == []
        return
    assert pairs == [key]
    assert found in rows[key].note and rows[key].level == Level.NOTICE
    assert "changed or set without the other" in rows[key].note
    assert "manipulated" not in rows[key].note
    assert rows[key].value.startswith(copy)


def test_xmp_copies_of_make_model_and_software_are_compared(write_evidence) -> None:
    """tiff:Make, tiff:Model and tiff:Software against EXIF's, trimmed: a model edited in
    EXIF with its XMP copy left (or the reverse) is a notice; padding is no difference."""
    fields = {"tiff:Make": " Canon ", "tiff:Model": "Canon EOS 5D Mark II", "tiff:Software": "1.0"}
    rows = _run(write_evidence, _elements(fields), {0x0131: "1.0\x00"})
    model = rows["XMP tiff:Model vs EXIF Model"]
    assert model.value == '"Canon EOS 5D Mark II" vs "Canon EOS 5D"'
    assert model.level == Level.NOTICE and model.topic == "camera"
    assert "XMP tiff:Make vs EXIF Make" not in rows
    assert "XMP tiff:Software vs EXIF Software" not in rows


@pytest.mark.parametrize(
    ("fields", "found"),
    [
        ({"xmp:CreateDate": "2021-05-01T09:00:00+02:00"}, "2.0 h before the content"),
        ({"xmp:CreateDate": "2021-04-30"}, "1 day before the content"),
        ({"xmp:CreateDate": "2021-05-01T12:00:00+02:00"}, None),  # at once
        ({"xmp:CreateDate": "2023-01-09T12:00:00+01:00"}, None),  # a scan, years later
        # DateCreated after the last change says it: one finding, not two
        (
            {
                "xmp:CreateDate": "2021-05-01T09:00:00+02:00",
                "xmp:ModifyDate": "2021-05-01T10:00:00+02:00",
            },
            "ModifyDate",
        ),
    ],
)
def test_a_file_created_before_its_content_was_made(write_evidence, fields, found) -> None:
    """xmp:CreateDate (the file's creation) before photoshop:DateCreated (the content's),
    XMP's analogue of EXIF's Digitized before Original, is a notice; after it is none."""
    fields = {**fields, "photoshop:DateCreated": "2021-05-01T11:00:00+02:00"}
    rows = _run(write_evidence, _elements(fields))
    # (ModifyDate after CreateDate, a file changed after its creation, is a row of its own)
    dates = [k for k, f in rows.items() if f.topic == "dates" and "vs xmp:CreateDate" not in k]
    if found is None:
        assert dates == []
    elif found == "ModifyDate":
        assert dates == ["XMP xmp:ModifyDate vs photoshop:DateCreated"]
    else:
        assert dates == ["XMP xmp:CreateDate vs photoshop:DateCreated"]
        assert found in rows[dates[0]].note and rows[dates[0]].level == Level.NOTICE


def test_xmp_dates_that_are_not_dates_are_shown(write_evidence) -> None:
    """An XMP date that is not one was skipped silently where an EXIF one reads "not a valid
    date": the same row now (a blank or all-zero one: none written, information)."""
    fields = {
        # an hour of one digit (digits run into the seconds are read: Photoshop CS2's)
        "xmp:CreateDate": "2007-10-04T8:48:29Z",
        "xmp:ModifyDate": "2021:05:01 10:00:00",  # EXIF's form
        "exif:DateTimeOriginal": "0000-00-00T00:00:00",
    }
    rows = _run(write_evidence, _elements(fields), sub={0x9003: "2021:05:01 11:00:00"})
    assert rows["XMP xmp:CreateDate"].value == '"2007-10-04T8:48:29Z"'
    assert rows["XMP xmp:CreateDate"].note == "not a valid date"
    assert rows["XMP xmp:CreateDate"].level == Level.NOTICE
    assert rows["XMP xmp:ModifyDate"].note == "not a valid date"
    zeros = rows["XMP exif:DateTimeOriginal"]
    assert (zeros.level, zeros.note) == (Level.INFO, "no date written")
    assert not [k for k in rows if " vs " in k]  # none compared


def test_properties_are_read_under_the_prefix_the_packet_declares(write_evidence) -> None:
    """XML leaves the prefix to the packet: Adobe's toolkits before version 4 (Photoshop CS2,
    every CASIA photograph with XMP) wrote ``xap:`` and ``xapMM:`` for the namespaces the
    specification writes ``xmp:`` and ``xmpMM:``, and none of their XMP was read. A prefix
    declared for another namespace, or not declared, is not read as one of ours."""
    body = (
        '<rdf:Description xmlns:xap="http://ns.adobe.com/xap/1.0/" '
        'xmlns:xapMM="http://ns.adobe.com/xap/1.0/mm/" xmlns:pdf="http://ns.adobe.com/pdf/1.3/">'
        "<xap:CreatorTool>Adobe Photoshop CS2 Windows</xap:CreatorTool>"
        "<xap:CreateDate>2008-12-27T02:19:24+08:00</xap:CreateDate>"
        "<xap:ModifyDate>2008-12-26T02:19:24+08:00</xap:ModifyDate>"
        "<xapMM:DerivedFrom><stRef:documentID>uuid:1</stRef:documentID></xapMM:DerivedFrom>"
        "<pdf:Producer>GIMP</pdf:Producer><foo:CreatorTool>GIMP</foo:CreatorTool>"
        "</rdf:Description>"
    )
    rows = _run(write_evidence, body)
    tool = rows["XMP xmp:CreatorTool"]
    assert (tool.value, tool.level) == ("Adobe Photoshop CS2 Windows", Level.NOTICE)
    assert [f.value for f in rows.values() if f.key == "XMP xmp:CreatorTool"] == [tool.value]
    assert "24.0 h before the creation" in rows["XMP xmp:ModifyDate vs xmp:CreateDate"].note
    assert rows["XMP xmpMM:DerivedFrom"].value == "stRef:documentID uuid:1"


@pytest.mark.parametrize(
    ("name", "value", "found"),
    [
        ("xmp:CreateDate", "2021-05-01T11:00:00", None),
        ("xmp:CreateDate", "2021-05-01T11:00:20+02:00", None),  # EXIF's zone unknown: clocks
        ("xmp:CreateDate", "2020-12-28T11:00:00+05:30", "is 124 days before it"),
        ("xmp:ModifyDate", "2021-05-01T12:00:00+02:00", None),
        ("xmp:ModifyDate", "2021-05-01T17:41:35-08:00", "is 5.7 h after it"),
        ("xmp:ModifyDate", "2021-05-01T20:00:00+08:00", "is 8.0 h after it"),  # EXIF's in UTC?
    ],
)
def test_xmp_create_and_modify_dates_are_compared_with_exif(write_evidence, name, value, found):
    """xmp:CreateDate and xmp:ModifyDate are where XMP keeps EXIF's DateTimeDigitized and
    DateTime (XMP specification part 2, the Metadata Working Group's guidelines; exif:
    DateTimeDigitized and tiff:DateTime are their deprecated older names): software that
    writes XMP copies them there, so apart from EXIF's is a notice as any copy's is. Version
    11 compared only the older names, which no current writer uses: a camera-trap photograph
    (Issue_308 of the camera photographs) whose XMP dates its creation five months before
    every EXIF date showed no row of it."""
    rows = _run(
        write_evidence,
        _elements({name: value}),
        {0x0132: "2021:05:01 12:00:00"},
        {0x9003: "2021:05:01 11:00:00", 0x9004: "2021:05:01 11:00:00", 0x9011: "+02:00"},
    )
    exif_key = {"xmp:CreateDate": "DateTimeDigitized", "xmp:ModifyDate": "DateTime"}[name]
    key = f"XMP {name} vs EXIF {exif_key}"
    pairs = [k for k in rows if k.startswith("XMP ") and " vs EXIF " in k]
    if found is None:
        assert pairs == []
        return
    assert pairs == [key]
    assert found in rows[key].note and rows[key].level == Level.NOTICE
    assert "changed or set without the other" in rows[key].note
    # whole hours apart, EXIF's zone unknown: the note says it may be one instant in two zones
    assert ("possibly one instant written in two zones" in rows[key].note) == ("8.0 h" in found)
    assert ("before 2008" in rows[key].note) == (name == "xmp:CreateDate")
    hour = "12" if exif_key == "DateTime" else "11"
    assert rows[key].value == f"{value} vs 2021:05:01 {hour}:00:00 (zone unknown)"


def test_a_name_is_read_whole_not_inside_a_longer_one(write_evidence) -> None:
    """A field is found by its whole name: ``myxmp:CreatorTool`` (a prefix declared for
    another namespace) is not ``xmp:CreatorTool``, ``xmpMM:DerivedFromX`` not
    ``xmpMM:DerivedFrom``, ``myxmlns:xap`` no declaration of the ``xap:`` prefix (each was,
    before version 13), ``photoshop:DateCreatedUTC`` not ``photoshop:DateCreated``."""
    body = (
        '<rdf:Description xmlns:myxmp="http://example.com/other/" '
        'myxmlns:xap="http://ns.adobe.com/xap/1.0/" '
        'myxmp:CreatorTool="Adobe Photoshop CS6" xap:CreateDate="2021-05-01T09:00:00" '
        'xmpMM:DerivedFromX="uuid:1" photoshop:DateCreatedUTC="2030-01-01" '
        'xmp:CreatorTool="Camera firmware 1.0"/>'
    )
    xmp = _XMP.format(body)
    assert xmp_fields(xmp, "xmp:CreatorTool") == ["Camera firmware 1.0"]
    assert xmp_fields(xmp, "xmp:CreateDate") == []
    assert xmp_fields(xmp, "photoshop:DateCreated") == []
    assert not xmp_has(xmp, "xmpMM:DerivedFrom")
    rows = _run(write_evidence, body)
    assert rows["XMP xmp:CreatorTool"].level == Level.INFO
    assert "XMP xmpMM:DerivedFrom" not in rows


def test_an_xmp_copy_of_an_exif_field_the_file_lacks_is_information(write_evidence) -> None:
    """XMP's copy of an EXIF date or name whose EXIF tag the file does not write is a claim of
    XMP alone: an information row, never a notice (version 12 said nothing of it); a tag
    EXIF writes, even one that is not a date, is no absence."""
    fields = {
        "exif:DateTimeOriginal": "2021-05-01T11:00:00",
        "exif:DateTimeDigitized": "2021-05-01T11:00:00",
        "tiff:DateTime": "2021-05-01T11:00:00",
        "tiff:Software": "Adobe Photoshop CS6",
    }
    rows = _run(write_evidence, _elements(fields), {0x0132: "    :  :     "})
    original = rows["XMP exif:DateTimeOriginal vs EXIF DateTimeOriginal"]
    assert (original.level, original.topic) == (Level.INFO, "dates")
    assert original.value == "2021-05-01T11:00:00 (zone unknown) vs none"
    assert original.note.startswith("XMP exif:DateTimeOriginal given, EXIF has none")
    assert rows["XMP exif:DateTimeDigitized vs EXIF DateTimeDigitized"].level == Level.INFO
    assert "XMP tiff:DateTime vs EXIF DateTime" not in rows  # EXIF's unset DateTime is written
    software = rows["XMP tiff:Software vs EXIF Software"]
    assert (software.level, software.topic) == (Level.INFO, "software")
    assert software.value == '"Adobe Photoshop CS6" vs none'
    assert "XMP tiff:Model vs EXIF Model" not in rows  # no copy given


def test_an_xmp_date_of_several_values_says_so(write_evidence) -> None:
    """A date XMP writes once, held twice (under xap: and xmp:, or as an array) and saying
    different dates: the first compared, the comparison saying it is the first of N, and a
    notice listing every value (before version 13 the others were never read or shown). The
    same instant written twice is one value."""
    body = (
        '<rdf:Description xmlns:xap="http://ns.adobe.com/xap/1.0/">'
        "<xmp:CreateDate><rdf:Seq><rdf:li>2021-05-01T10:00:00</rdf:li>"
        "<rdf:li>2019-01-01T00:00:00</rdf:li></rdf:Seq></xmp:CreateDate>"
        "<xmp:ModifyDate>2021-05-01T08:00:00Z</xmp:ModifyDate>"
        "<xap:ModifyDate>2021-05-01T10:00:00+02:00</xap:ModifyDate>"
        "</rdf:Description>"
    )
    rows = _run(write_evidence, body)
    several = rows["XMP xmp:CreateDate values"]
    assert several.level == Level.NOTICE
    assert several.value == "2021-05-01T10:00:00; 2019-01-01T00:00:00"
    assert several.note.startswith("2 values of a date XMP writes once")
    pair = rows["XMP xmp:ModifyDate vs xmp:CreateDate"]  # 08:00 UTC against 10:00, zone unknown
    assert pair.value.endswith("vs 2021-05-01T10:00:00 (zone unknown) (the first of 2 values)")
    assert "XMP xmp:ModifyDate values" not in rows  # one instant, written twice
