"""Metadata analysis, XMP read as an examiner needs it (version 11): arrays (rdf:Alt, rdf:Seq,
rdf:Bag) read as their values."""

from __future__ import annotations

from engine.analyses._xmp import XMP_ITEMS, xmp_array, xmp_fields

_XMP = (
    '<x:xmpmeta xmlns:x="adobe:ns:meta/"><rdf:RDF><rdf:Description>{}'
    "</rdf:Description></rdf:RDF></x:xmpmeta>"
)


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
