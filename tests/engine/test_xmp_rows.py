"""The XMP packet in a file's recorded metadata: its size and SHA-256, and the fields the
metadata analysis reads as rows of their own, in the packet's order, named by the
specification's prefix, escaped, capped and bounded in number (they were one row, "N bytes
of binary data (not decoded)", and showed only through the analysis's findings)."""

from __future__ import annotations

import hashlib
import io

import numpy as np
from PIL import Image, PngImagePlugin

from engine.io import load_evidence
from engine.metatext import VALUE_CAP
from engine.xmp import HISTORY_READ, XMP_ROWS, derived_from, xmp_history, xmp_rows

# as Photoshop CS2 wrote it (CASIA's tampered photographs): a byte-order mark in the xpacket
# header, the xap: and xapMM: prefixes, DerivedFrom as a structure, a history
PACKET = (
    '<?xpacket begin="\ufeff" id="W5M0MpCehiHzreSzNTczkc9d"?>'
    '<x:xmpmeta xmlns:x="adobe:ns:meta/"><rdf:RDF '
    'xmlns:rdf="http://www.w3.org/1999/02/22-rdf-syntax-ns#">'
    '<rdf:Description rdf:about="" xmlns:xapMM="http://ns.adobe.com/xap/1.0/mm/" '
    'xmlns:stRef="http://ns.adobe.com/xap/1.0/sType/ResourceRef#" '
    'xmlns:stEvt="http://ns.adobe.com/xap/1.0/sType/ResourceEvent#">'
    "<xapMM:DocumentID>uuid:C84D</xapMM:DocumentID>"
    '<xapMM:DerivedFrom rdf:parseType="Resource">'
    "<stRef:instanceID>uuid:5CCE</stRef:instanceID></xapMM:DerivedFrom>"
    "<xapMM:History><rdf:Seq>"
    '<rdf:li stEvt:action="created" stEvt:softwareAgent="Adobe Photoshop CS2"/>'
    '<rdf:li stEvt:action="saved" stEvt:softwareAgent="GIMP &amp; friends\x1b[31m"/>'
    "</rdf:Seq></xapMM:History></rdf:Description>"
    '<rdf:Description rdf:about="" xmlns:xap="http://ns.adobe.com/xap/1.0/" '
    'xmlns:dc="http://purl.org/dc/elements/1.1/">'
    "<xap:CreateDate>2008-11-16T22:19:13+08:00</xap:CreateDate>"
    "<xap:CreatorTool>Adobe Photoshop CS2 Windows</xap:CreatorTool>"
    "<dc:subject><rdf:Bag><rdf:li>cat</rdf:li><rdf:li>dog</rdf:li></rdf:Bag></dc:subject>"
    "<dc:format>image/jpeg</dc:format>"
    '<dc:title><rdf:Alt><rdf:li xml:lang="x-default"> </rdf:li></rdf:Alt></dc:title>'  # blank
    "</rdf:Description></rdf:RDF></x:xmpmeta>"
    '<?xpacket end="w"?>'
)


def jpeg_with_xmp(xmp: bytes) -> bytes:
    buf = io.BytesIO()
    Image.fromarray(np.full((16, 16, 3), 128, np.uint8)).save(buf, "JPEG", xmp=xmp)
    return buf.getvalue()


def test_the_fields_the_analysis_reads_are_rows_in_the_packets_order(tmp_path) -> None:
    path = tmp_path / "x.jpg"
    packet = PACKET.encode()
    path.write_bytes(jpeg_with_xmp(packet))
    meta = load_evidence(path).metadata
    assert meta["info:xmp"] == (
        f"{len(packet):,} bytes of XMP, SHA-256 {hashlib.sha256(packet).hexdigest()}; its "
        "fields the metadata analysis reads follow as XMP rows"
    )
    rows = [(k, v) for k, v in meta.items() if k.startswith("XMP ")]
    assert rows == [
        ("XMP xmpMM:DocumentID", "uuid:C84D"),
        ("XMP xmpMM:DerivedFrom/stRef:instanceID", "uuid:5CCE"),
        ("XMP xmpMM:History [1]", "action: created; software: Adobe Photoshop CS2"),
        ("XMP xmpMM:History [2]", "action: saved; software: GIMP & friends\\u001b[31m"),
        ("XMP xmp:CreateDate", "2008-11-16T22:19:13+08:00"),
        ("XMP xmp:CreatorTool", "Adobe Photoshop CS2 Windows"),
        ("XMP dc:subject", "cat; dog"),
    ]
    assert list(meta).index("info:xmp") + 1 == list(meta).index(rows[0][0])  # after the packet


def test_a_png_packet_and_one_without_those_fields(tmp_path) -> None:
    """A PNG's iTXt packet (text, not bytes) is read the same; a packet without a field the
    analysis reads says so and adds no row."""
    info = PngImagePlugin.PngInfo()
    info.add_itxt("XML:com.adobe.xmp", '<x:xmpmeta><rdf:Description xmp:Rating="5"/></x:xmpmeta>')
    path = tmp_path / "x.png"
    Image.new("RGB", (8, 8)).save(path, "PNG", pnginfo=info)
    meta = load_evidence(path).metadata
    assert meta["info:XML:com.adobe.xmp"].endswith("none of the fields the metadata analysis reads")
    assert not [k for k in meta if k.startswith("XMP ")]


def test_rows_are_capped_and_bounded() -> None:
    """A value is capped as every metadata value is; a history of 100 steps lists the first
    ``XMP_ROWS`` values and says how many were left out."""
    steps = "".join(f'<rdf:li stEvt:action="saved {i}"/>' for i in range(100))
    history = f"<xmpMM:History><rdf:Seq>{steps}</rdf:Seq></xmpMM:History>"
    rows = xmp_rows(f'<x xmp:CreatorTool="{"A" * 1000}"/>{history}')
    assert rows[0][0] == "XMP xmp:CreatorTool"
    assert rows[0][1] == "A" * VALUE_CAP + "… [1000 characters, cut]"
    assert rows[1] == ("XMP xmpMM:History [1]", "action: saved 0")
    assert len(rows) == XMP_ROWS + 1
    left = 101 - XMP_ROWS
    assert rows[-1] == ("XMP values not shown", f"{left} more, after the first 60 in the packet")


def test_single_quoted_attributes_and_elements_with_attributes_are_read() -> None:
    """XML lets an attribute's value stand in single quotes and an element carry attributes
    (``xml:lang``, ``rdf:datatype``): both forms were not read, so a CreatorTool or a date
    written so was neither a row nor compared. A self-closing element holds no text."""
    packet = (
        "<rdf:Description xmlns:xap='http://ns.adobe.com/xap/1.0/' "
        "xap:CreatorTool='GIMP 2.10 &amp; more'>"
        '<xmp:ModifyDate rdf:datatype="http://www.w3.org/2001/XMLSchema#dateTime">'
        "2020-01-01T10:00:00Z</xmp:ModifyDate>"
        '<xmp:CreateDate\n  xml:lang="x-default">2019-12-31</xmp:CreateDate>'
        '<xmp:MetadataDate rdf:resource="x"/>'
        "<dc:creator rdf:parseType='Literal'><rdf:Seq><rdf:li>Ann</rdf:li></rdf:Seq></dc:creator>"
        "</rdf:Description>"
    )
    assert xmp_rows(packet) == [
        ("XMP xmp:CreatorTool", "GIMP 2.10 & more"),
        ("XMP xmp:ModifyDate", "2020-01-01T10:00:00Z"),
        ("XMP xmp:CreateDate", "2019-12-31"),
        ("XMP dc:creator", "Ann"),
    ]


def test_each_history_entry_is_one_row_numbered_by_entry() -> None:
    """A history's steps were rows per field (``stEvt:action [2]``, ``stEvt:softwareAgent
    [1]``: a step missing a field shifted the numbers of the others, and when, changed and
    the instance ID were not shown): each entry is one row, numbered by entry, in both of the
    forms Adobe writes (attributes; ``rdf:parseType="Resource"`` elements)."""
    packet = (
        '<x:xmpmeta xmlns:xmpMM="http://ns.adobe.com/xap/1.0/mm/"><xmpMM:History><rdf:Seq>'
        '<rdf:li stEvt:action="created" stEvt:instanceID="xmp.iid:01" '
        'stEvt:when="2020-05-01T10:00:00+02:00" stEvt:softwareAgent="Adobe Photoshop 21.0"/>'
        '<rdf:li stEvt:action="converted" stEvt:parameters="from image/png to image/jpeg"/>'
        '<rdf:li rdf:parseType="Resource"><stEvt:action>saved</stEvt:action>'
        "<stEvt:when>2020-05-02T09:00:00+02:00</stEvt:when>"
        "<stEvt:softwareAgent>Adobe Photoshop 21.0</stEvt:softwareAgent>"
        "<stEvt:changed>/</stEvt:changed></rdf:li>"
        "</rdf:Seq></xmpMM:History></x:xmpmeta>"
    )
    assert xmp_rows(packet) == [
        (
            "XMP xmpMM:History [1]",
            "action: created; when: 2020-05-01T10:00:00+02:00; software: Adobe Photoshop 21.0; "
            "instance: xmp.iid:01",
        ),
        ("XMP xmpMM:History [2]", "action: converted; parameters: from image/png to image/jpeg"),
        (
            "XMP xmpMM:History [3]",
            "action: saved; when: 2020-05-02T09:00:00+02:00; software: Adobe Photoshop 21.0; "
            "changed: /",
        ),
    ]
    many = "".join(f'<rdf:li stEvt:action="saved {i}"/>' for i in range(HISTORY_READ + 5))
    rows = xmp_history(f"<xmpMM:History><rdf:Seq>{many}</rdf:Seq></xmpMM:History>")
    assert len(rows[0]) == HISTORY_READ and rows[1] == HISTORY_READ + 5


def test_derived_from_empty_named_or_unread() -> None:
    """An empty DerivedFrom (Photoshop CS3's ``rdf:parseType="Resource"/>``) names no
    document; one with references lists them; one holding something else is no empty one."""
    assert derived_from('<x xmpMM:InstanceID="a"/>') is None
    empty = '<xapMM:DerivedFrom rdf:parseType="Resource"/>'
    ns = '<x xmlns:xapMM="http://ns.adobe.com/xap/1.0/mm/">{}</x>'
    assert derived_from(ns.format(empty)) == ([], True)
    assert derived_from(ns.format("<xapMM:DerivedFrom>\n </xapMM:DerivedFrom>")) == ([], True)
    named = (
        "<xapMM:DerivedFrom rdf:parseType='Resource'><stRef:documentID>uuid:1</stRef:documentID>"
        "<stRef:filePath>C:/a.psd</stRef:filePath></xapMM:DerivedFrom>"
    )
    assert derived_from(ns.format(named)) == (
        [("stRef:documentID", "uuid:1"), ("stRef:filePath", "C:/a.psd")],
        False,
    )
    other = '<xapMM:DerivedFrom stRef:versionID="3"/>'
    assert derived_from(ns.format(other)) == ([], False)
