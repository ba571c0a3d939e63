"""Metadata analysis, version 14: XMP written in the forms XML allows (single-quoted
attributes, elements with attributes), an empty xmpMM:DerivedFrom said to name no document,
and xmpMM:History read entry by entry, each step's date compared with the file's dates;
version 15: the last save's instance ID compared with the document's, the dates read once."""

from __future__ import annotations

import io

from PIL import Image

from engine.analyses import Level, run_analysis
from engine.xmp import xmp_fields
from tests.engine.analyses.conftest import jpeg_bytes, make_exif, natural

CAMERA = {0x010F: "Canon", 0x0110: "Canon EOS 5D"}
_XMP = (
    '<x:xmpmeta xmlns:x="adobe:ns:meta/"><rdf:RDF><rdf:Description rdf:about="" '
    "xmlns:xapMM='http://ns.adobe.com/xap/1.0/mm/' {}</rdf:Description></rdf:RDF></x:xmpmeta>"
)


def _run(write_evidence, body: str, sub: dict | None = None):
    """The metadata analysis of a camera-like JPEG (EXIF ``CAMERA`` and ``sub``) whose XMP
    packet holds ``body`` (the rest of rdf:Description's opening tag, then its content): its
    findings by key."""
    data = jpeg_bytes(natural(120, 160, 1), 90, exif=make_exif(CAMERA, sub))
    img = Image.open(io.BytesIO(data))
    buf = io.BytesIO()
    img.save(buf, "JPEG", quality=90, xmp=_XMP.format(body).encode(), exif=img.info["exif"])
    r = run_analysis("metadata", write_evidence(buf.getvalue()))
    return {f.key: f for f in r.findings}


def test_single_quotes_and_elements_with_attributes_are_read(write_evidence) -> None:
    """A CreatorTool in single quotes named no editor, a ModifyDate carrying rdf:datatype
    was never compared: both forms are valid XML, and were skipped."""
    body = (
        "xmp:CreatorTool='Adobe Photoshop 22.0'>"
        '<xmp:CreateDate xml:lang="x-default">2021-05-01T10:00:00Z</xmp:CreateDate>'
        '<xmp:ModifyDate rdf:datatype="http://www.w3.org/2001/XMLSchema#dateTime">'
        "2021-04-30T10:00:00Z</xmp:ModifyDate>"
    )
    rows = _run(write_evidence, body)
    tool = rows["XMP xmp:CreatorTool"]
    assert (tool.value, tool.level) == ("Adobe Photoshop 22.0", Level.NOTICE)
    order = rows["XMP xmp:ModifyDate vs xmp:CreateDate"]
    assert order.level == Level.NOTICE and "before the creation" in order.note


def test_an_empty_derived_from_names_no_document(write_evidence) -> None:
    """Photoshop CS3 left ``<xapMM:DerivedFrom rdf:parseType="Resource"/>`` in 50 of CASIA's
    photographs: it names no document, yet was the notice "the file says it was derived
    from another document". One naming a document is that notice, its references listed."""
    empty = _run(write_evidence, '><xapMM:DerivedFrom rdf:parseType="Resource"/>')
    row = empty["XMP xmpMM:DerivedFrom"]
    assert (row.value, row.level) == ("empty", Level.INFO)
    assert "naming no document" in row.note
    named = _run(
        write_evidence,
        "><xapMM:DerivedFrom rdf:parseType='Resource'>"
        "<stRef:instanceID>xmp.iid:7</stRef:instanceID>"
        "<stRef:documentID>xmp.did:6</stRef:documentID></xapMM:DerivedFrom>",
    )
    row = named["XMP xmpMM:DerivedFrom"]
    assert row.level == Level.NOTICE and "derived from another document" in row.note
    assert row.value == "stRef:instanceID xmp.iid:7; stRef:documentID xmp.did:6"


def _history(*steps: tuple[str, str, str]) -> str:
    """An xmpMM:History of ``steps`` (action, when, changed), as current Adobe software
    writes it (attributes of each rdf:li)."""
    items = "".join(
        f'<rdf:li stEvt:action="{a}" stEvt:when="{w}" stEvt:changed="{c}" '
        'stEvt:softwareAgent="Adobe Photoshop 22.0 (Windows)"/>'
        for a, w, c in steps
    )
    return f"<xapMM:History><rdf:Seq>{items}</rdf:Seq></xapMM:History>"


CAPTURED = {0x9003: "2021:05:01 10:00:00", 0x9011: "+00:00"}  # DateTimeOriginal, its offset


def test_history_steps_are_listed_with_their_dates(write_evidence) -> None:
    """The history's row listed actions and agents paired by their order, without when."""
    body = ">" + _history(
        ("created", "2021-05-01T11:00:00Z", ""), ("saved", "2021-05-01T12:00:00Z", "/")
    )
    rows = _run(write_evidence, body, CAPTURED)
    row = rows["XMP xmpMM:History"]
    assert row.value == (
        "created 2021-05-01T11:00:00Z (Adobe Photoshop 22.0 (Windows)); "
        "saved 2021-05-01T12:00:00Z (Adobe Photoshop 22.0 (Windows))"
    )
    assert row.note == "2 recorded step(s) of an editing history"
    assert not [k for k in rows if k.startswith("XMP xmpMM:History stEvt:when")]


def test_a_step_before_the_capture_is_a_notice(write_evidence) -> None:
    """A step dated before the photograph was taken (EXIF DateTimeOriginal) was not read."""
    body = ">" + _history(
        ("created", "2021-04-29T10:00:00Z", ""),
        ("saved", "2021-05-01T12:00:00Z", "/"),
        ("saved", "2021-04-30T10:00:00Z", "/"),
    )
    rows = _run(write_evidence, body, CAPTURED)
    row = rows["XMP xmpMM:History stEvt:when vs EXIF DateTimeOriginal"]
    assert row.level == Level.NOTICE
    assert row.value == (
        "[1] 2021-04-29T10:00:00Z; [3] 2021-04-30T10:00:00Z vs 2021:05:01 10:00:00 (+00:00)"
    )
    assert row.note.startswith("2 history step(s) dated 2 days before the capture")
    assert "compared in UTC" in row.note


def test_a_step_after_the_last_modification_is_a_notice(write_evidence) -> None:
    """A step dated after xmp:ModifyDate: the date set back, or the history written by
    another program. A step that changed the metadata alone is held against MetadataDate,
    which such a step moves, not ModifyDate."""
    body = (
        'xmp:ModifyDate="2021-05-01T12:00:00Z" xmp:MetadataDate="2021-05-03T12:00:00Z">'
        + _history(
            ("saved", "2021-05-01T12:00:00Z", "/"),
            ("saved", "2021-05-03T12:00:00Z", "/metadata"),
            ("saved", "2021-05-02T15:00:00Z", "/"),
        )
    )
    rows = _run(write_evidence, body, CAPTURED)
    row = rows["XMP xmpMM:History stEvt:when vs xmp:ModifyDate"]
    assert row.value == "[3] 2021-05-02T15:00:00Z vs 2021-05-01T12:00:00Z"
    assert "27.0 h after the file's last modification" in row.note
    assert "XMP xmpMM:History stEvt:when vs xmp:MetadataDate" not in rows
    late = body.replace(
        'xmp:MetadataDate="2021-05-03T12:00:00Z"', 'xmp:MetadataDate="2021-05-02T12:00:00Z"'
    )
    rows = _run(write_evidence, late, CAPTURED)
    row = rows["XMP xmpMM:History stEvt:when vs xmp:MetadataDate"]
    assert row.value == "[2] 2021-05-03T12:00:00Z vs 2021-05-02T12:00:00Z"
    assert "changing the metadata alone" in row.note


def test_the_furthest_step_is_named_whatever_its_unit(write_evidence) -> None:
    """Steps dated with and without a time of day: the note names the furthest gap (3 days),
    not the largest number (10,800 s read against 3)."""
    body = ">" + _history(("created", "2021-04-28", ""), ("saved", "2021-05-01T07:00:00Z", "/"))
    rows = _run(write_evidence, body, CAPTURED)
    row = rows["XMP xmpMM:History stEvt:when vs EXIF DateTimeOriginal"]
    assert row.note.startswith("2 history step(s) dated 3 days before the capture")


def _saves(document: str | None, *instances: str) -> str:
    """A description whose xmpMM:InstanceID is ``document`` (None: not written) and whose
    history records a save per instance ID in ``instances`` (after a creation without one)."""
    head = f'xapMM:InstanceID="{document}">' if document is not None else ">"
    items = '<rdf:li stEvt:action="created" stEvt:instanceID="xmp.iid:0"/>' + "".join(
        f'<rdf:li stEvt:action="saved" stEvt:instanceID="{i}" stEvt:changed="/"/>'
        for i in instances
    )
    return head + f"<xapMM:History><rdf:Seq>{items}</rdf:Seq></xapMM:History>"


INSTANCE = "XMP xmpMM:History stEvt:instanceID vs xmpMM:InstanceID"


def test_the_last_saves_instance_is_compared_with_the_documents(write_evidence) -> None:
    """Version 15: the history's instance IDs were shown, never compared. The last save's
    normally is the document's InstanceID (Adobe's software writes both as it saves); apart,
    a program that keeps no history most likely wrote the file since: information."""
    assert INSTANCE not in _run(write_evidence, _saves("xmp.iid:B", "xmp.iid:A", "xmp.iid:B"))
    assert INSTANCE not in _run(write_evidence, _saves("XMP.IID:b", "xmp.iid:B"))  # case
    rows = _run(write_evidence, _saves("xmp.iid:C", "xmp.iid:A", "xmp.iid:B"))
    row = rows[INSTANCE]
    assert (row.level, row.topic) == (Level.INFO, "xmp")
    assert row.value == "[3] xmp.iid:B vs xmp.iid:C"
    assert "a program that keeps no history" in row.note
    assert "not in itself a sign that the picture was changed" in row.note
    assert "step [" not in row.note
    earlier = _run(write_evidence, _saves("xmp.iid:A", "xmp.iid:A", "xmp.iid:B"))[INSTANCE]
    assert "it is step [2]'s: the history records saves after the file's own" in earlier.note


def test_no_instance_row_without_both_ids(write_evidence) -> None:
    """Photoshop CS2's steps name no instance; a packet may have no InstanceID."""
    assert INSTANCE not in _run(write_evidence, _saves(None, "xmp.iid:A"))
    assert INSTANCE not in _run(write_evidence, _saves("xmp.iid:C", ""))
    assert INSTANCE not in _run(write_evidence, ">" + _history(("saved", "2021-05-01", "/")))


def test_the_xmp_dates_are_read_once(write_evidence, monkeypatch) -> None:
    """Version 14 looked each XMP date up twice per file (the undotted sub-seconds rows, then
    the comparisons); now once, the rows and comparisons the same."""
    import engine.analyses._xmpfields as xmpfields
    import engine.analyses.metadata as metadata
    from engine.analyses._dates import XMP_COPIES, XMP_DATES

    asked: list[str] = []

    def counted(xmp: str, name: str) -> list[str]:
        asked.append(name)
        return xmp_fields(xmp, name)

    for module in (xmpfields, metadata):
        monkeypatch.setattr(module, "xmp_fields", counted, raising=False)
    body = 'xmp:ModifyDate="2007-02-08T15:00:2213Z" xmp:CreateDate="2007-02-08T15:00:22Z">'
    rows = _run(write_evidence, body, {0x9290: "13"})
    dates = (*XMP_DATES, *XMP_COPIES)
    assert {n: asked.count(n) for n in dates} == dict.fromkeys(dates, 1)
    assert "its 13 is EXIF SubSecTime" in rows["XMP xmp:ModifyDate"].note
