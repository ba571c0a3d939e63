"""XMP text for the metadata analysis and the loader: the packet as text and a field's values,
found by pattern (no XML parser: nothing of the packet is interpreted but the references
below), with XML's references decoded once, so ``&lt;img&gt;`` reads ``<img>`` as every XMP
reader shows it, an element's CDATA sections read as the text they hold, and an array's items
(``rdf:Alt``, ``rdf:Seq``, ``rdf:Bag``) read as its values (:func:`xmp_array`). A property is
asked for by the prefix the XMP specification uses (``xmp:CreatorTool``) and read under any
other the packet declares for its namespace (``xap:CreatorTool``, :func:`written_names`).

:func:`xmp_rows`: the fields the metadata analysis reads as rows of their own (``XMP
xmp:CreatorTool``), in the packet's order, for the file's metadata as ``engine.exif`` records
it at load (the metadata panel and the reports' metadata table list them).
"""

from __future__ import annotations

import re
from collections import Counter
from dataclasses import dataclass
from typing import Literal

from PIL import Image

from engine.metatext import clean

XMP_CAP = 256 * 1024  # bytes of an XMP packet searched
# values kept of one XMP array (dc:creator, dc:subject...), as the metadata analysis lists 20
# history steps (MAX_HISTORY); the items after them are counted, not kept
XMP_ITEMS = 20

# the namespaces of the properties the metadata analysis reads, by the prefixes the XMP
# specification uses for them. XML leaves a prefix to the packet: Adobe's XMP toolkits before
# version 4 wrote "xap:" and "xapMM:" (the namespace names still say xap), as Photoshop CS2 did
# in every CASIA photograph that carries XMP
NAMESPACES = {
    "xmp": "http://ns.adobe.com/xap/1.0/",
    "xmpMM": "http://ns.adobe.com/xap/1.0/mm/",
    "stEvt": "http://ns.adobe.com/xap/1.0/sType/ResourceEvent#",
    "photoshop": "http://ns.adobe.com/photoshop/1.0/",
    "exif": "http://ns.adobe.com/exif/1.0/",
    "tiff": "http://ns.adobe.com/tiff/1.0/",
    "dc": "http://purl.org/dc/elements/1.1/",
    "stRef": "http://ns.adobe.com/xap/1.0/sType/ResourceRef#",
}


def xmp_text(img: Image.Image) -> str | None:
    """The XMP packet of ``img`` (a PNG's iTXt, a JPEG's APP1, a TIFF's tag 700) as text, its
    first ``XMP_CAP`` bytes decoded leniently; None without one."""
    raw = img.info.get("xmp") or img.info.get("XML:com.adobe.xmp")
    if raw is None and img.format == "TIFF":
        raw = img.getexif().get(700)
    return None if raw is None else packet_text(raw)


def packet_text(raw: str | bytes) -> str:
    """An XMP packet as the text searched: its first ``XMP_CAP`` bytes decoded leniently."""
    if isinstance(raw, str):
        raw = raw.encode("utf-8", errors="replace")
    return bytes(raw[:XMP_CAP]).decode("utf-8", errors="replace")


# the references XML itself defines: its five predefined entities and character references
# (decimal, hexadecimal); a DOCTYPE a packet might hold is never read, its entities never expanded
_XML_REFERENCE = re.compile(r"&(?:(lt|gt|amp|quot|apos)|#([0-9]{1,7})|#x([0-9a-fA-F]{1,6}));")
_XML_ENTITIES = {"lt": "<", "gt": ">", "amp": "&", "quot": '"', "apos": "'"}


def xml_unescaped(text: str) -> str:
    """``text`` of an XMP value with its references decoded, once: ``&lt;img&gt;`` reads
    ``<img>``, ``&#233;`` reads ``é``, ``&amp;lt;`` reads ``&lt;``. Any other ``&name;`` (no
    entity is defined, none is fetched) and a reference to no character (0, a surrogate,
    past U+10FFFF) stay as written; control characters it yields are escaped by
    :func:`engine.metatext.clean` as any value's."""

    def decoded(m: re.Match[str]) -> str:
        name, dec, hexa = m.groups()
        if name:
            return _XML_ENTITIES[name]
        cp = int(dec) if dec else int(hexa, 16)
        return chr(cp) if 0 < cp <= 0x10FFFF and not 0xD800 <= cp <= 0xDFFF else m.group()

    return _XML_REFERENCE.sub(decoded, text)


# a CDATA section (XML 1.0, 2.7): text taken as written, to its first "]]>", references and
# markup in it not decoded; at most 2000 characters, as a value's plain text
_CDATA = r"<!\[CDATA\[(?>(?:(?!\]\]>)[\s\S]){0,2000})\]\]>"
_CDATA_SECTION = re.compile(r"<!\[CDATA\[([\s\S]*?)\]\]>")


def _element_text(content: str) -> str:
    """An element's text: its CDATA sections as written, the text around them decoded
    (:func:`xml_unescaped`)."""
    out, at = [], 0
    for m in _CDATA_SECTION.finditer(content):
        out += [xml_unescaped(content[at : m.start()]), m.group(1)]
        at = m.end()
    return "".join(out) + xml_unescaped(content[at:])


# where an XML name starts: not after a character a name holds, so that ``myxmp:CreateDate``
# is not read as ``xmp:CreateDate`` nor ``xmpMM:DerivedFromX`` found as ``xmpMM:DerivedFrom``
_START = r"(?<![\w.:-])"


def written_names(xmp: str, name: str) -> list[str]:
    """``name`` (``xmp:CreatorTool``) and the same property under each other prefix ``xmp``
    declares for its namespace (``xmlns:xap="http://ns.adobe.com/xap/1.0/"``: ``xap:CreatorTool``);
    ``name`` alone when its prefix is not one of ``NAMESPACES``."""
    prefix, _, local = name.partition(":")
    uri = NAMESPACES.get(prefix)
    if uri is None:
        return [name]
    declared = re.findall(
        rf"{_START}xmlns:([A-Za-z_][\w.-]{{0,40}})\s*=\s*[\"']{re.escape(uri)}[\"']", xmp
    )
    return [name] + [f"{p}:{local}" for p in dict.fromkeys(declared) if p != prefix]


def _located(xmp: str, name: str, pos: int = 0, endpos: int | None = None) -> list[tuple[int, str]]:
    """Where in ``xmp`` (between ``pos`` and ``endpos``) ``name`` is written as attribute or
    element with a text value, and the value (:func:`xmp_fields`), under each of its prefixes:
    the specification's first, each's attributes before its elements."""
    end = len(xmp) if endpos is None else endpos
    found: list[tuple[int, str]] = []
    for written in written_names(xmp, name):
        esc = re.escape(written)
        attribute = re.compile(rf'{_START}{esc}\s*=\s*"([^"]{{0,2000}})"')
        element = re.compile(rf"<{esc}>((?>(?:[^<]|{_CDATA}){{0,2000}}))</{esc}>")
        found += [(m.start(), xml_unescaped(m.group(1))) for m in attribute.finditer(xmp, pos, end)]
        found += [(m.start(), _element_text(m.group(1))) for m in element.finditer(xmp, pos, end)]
    return found


def xmp_fields(xmp: str, name: str) -> list[str]:
    """Values of ``name`` (e.g. ``xmp:CreatorTool``) as attribute or element, in order, their
    references decoded (:func:`xml_unescaped`): the text the packet holds, not its markup. An
    element's CDATA sections (``<![CDATA[Adobe <Photoshop>]]>``) are read as the text they
    hold, as written (version 9 and earlier dropped an element holding one). An array's values
    follow (:func:`xmp_array`): a language alternative's default, a list's first
    ``XMP_ITEMS`` items (version 10 and earlier dropped them all). Under each prefix the
    packet declares for the property's namespace (:func:`written_names`), the specification's
    first."""
    found = [value for _, value in _located(xmp, name)]
    array = xmp_array(xmp, name)
    if array is not None:
        found += [array.default] if array.kind == "Alt" else list(array.items)
    return found


def xmp_has(xmp: str, name: str) -> bool:
    """Whether ``name`` is written in ``xmp`` under any of its prefixes (a structure such as
    ``xmpMM:DerivedFrom`` included)."""
    names = "|".join(re.escape(written) for written in written_names(xmp, name))
    return re.search(rf"{_START}(?:{names})(?![\w.:-])", xmp) is not None


@dataclass(frozen=True)
class XmpArray:
    """An XMP array property's text items (ISO 16684-1, 8.2.2.4): an ``rdf:Alt`` of language
    alternatives (dc:title, dc:rights, dc:description), an ordered ``rdf:Seq`` (dc:creator)
    or an unordered ``rdf:Bag`` (dc:subject, photoshop:DocumentAncestors)."""

    kind: Literal["Alt", "Seq", "Bag"]
    items: tuple[str, ...]  # the first XMP_ITEMS items' text, references decoded, in order
    count: int  # the items the array holds
    languages: tuple[str, ...]  # the first XMP_ITEMS items' xml:lang ("" without one)

    @property
    def default(self) -> str:
        """A language alternative's default: its ``x-default`` item, else its first (XMP
        readers fall back to it)."""
        return next(
            (v for v, g in zip(self.items, self.languages, strict=True) if g == "x-default"),
            self.items[0],
        )

    @property
    def other_languages(self) -> tuple[str, ...]:
        """The languages of an ``rdf:Alt``'s items besides ``x-default`` (those kept)."""
        return tuple(g or "no language" for g in self.languages if g != "x-default")


_ARRAY_OPEN = re.compile(r"\s*<rdf:(Alt|Seq|Bag)\s*>")
# a text item: <rdf:li> or <rdf:li xml:lang="..."> holding at most 2000 characters of text or
# CDATA (a value's cap); an item of another form (a structure, as xmpMM:History's) ends the
# reading: its fields are found by their own names
_ITEM = re.compile(
    r"\s*<rdf:li(?:\s+xml:lang\s*=\s*[\"']([^\"'<>]{0,64})[\"'])?\s*>"
    rf"((?>(?:[^<]|{_CDATA}){{0,2000}}))</rdf:li>"
)


def xmp_array(xmp: str, name: str) -> XmpArray | None:
    """The first array ``name`` holds as an element (``<dc:creator><rdf:Seq><rdf:li>...``)
    whose items are text, read by pattern as its values are; None without one. Linear in the
    packet: each item is matched where the last ended, the search goes on where a reading
    stopped, and an item longer than a value's 2000 characters ends the array. Under any
    prefix of the property's namespace (:func:`written_names`)."""
    found = _array_at(xmp, name)
    return None if found is None else found[1]


def _array_at(xmp: str, name: str) -> tuple[int, XmpArray] | None:
    """:func:`xmp_array` and where its element starts in ``xmp``."""
    names = "|".join(re.escape(written) for written in written_names(xmp, name))
    opening = re.compile(rf"<(?:{names})\s*>")
    at = 0
    while (m := opening.search(xmp, at)) is not None:
        at = m.end()
        if (opened := _ARRAY_OPEN.match(xmp, at)) is None:
            continue
        at = opened.end()
        items: list[str] = []
        languages: list[str] = []
        count = 0
        while (item := _ITEM.match(xmp, at)) is not None:
            at, count = item.end(), count + 1
            if count <= XMP_ITEMS:
                items.append(_element_text(item.group(2)))
                languages.append(item.group(1) or "")
        if items:
            kind: Literal["Alt", "Seq", "Bag"] = opened.group(1)  # as the pattern allows
            return m.start(), XmpArray(kind, tuple(items), count, tuple(languages))
    return None


# --- the fields as rows of the file's metadata --------------------------------------------

# the fields listed as rows of their own where the file's metadata is shown: those the
# metadata analysis reads (editing software and history, dates, XMP's copies of EXIF's fields,
# the file's dc: claims) and the document IDs that tie the file to the documents it came from
SHOWN_FIELDS = (
    "xmp:CreatorTool",
    "xmp:CreateDate",
    "xmp:ModifyDate",
    "xmp:MetadataDate",
    "photoshop:DateCreated",
    "xmpMM:DocumentID",
    "xmpMM:InstanceID",
    "xmpMM:OriginalDocumentID",
    "stEvt:action",
    "stEvt:softwareAgent",
    "photoshop:DocumentAncestors",
    "dc:creator",
    "dc:rights",
    "dc:title",
    "dc:description",
    "dc:subject",
    "exif:DateTimeOriginal",
    "exif:DateTimeDigitized",
    "tiff:DateTime",
    "tiff:Make",
    "tiff:Model",
    "tiff:Software",
)
# the document xmpMM:DerivedFrom names, a structure: its fields read within it, shown by their
# XMP path (xmpMM:DerivedFrom/stRef:documentID)
DERIVED_FROM = "xmpMM:DerivedFrom"
REFERENCE_FIELDS = ("stRef:documentID", "stRef:instanceID", "stRef:originalDocumentID")
STRUCT_CAP = 8000  # characters of a structure searched for its fields
XMP_ROWS = 60  # rows listed of one packet; the rest counted in a last row
XMP_ROW = "XMP "  # how the name of each row begins


def _structures(xmp: str, name: str) -> list[tuple[int, int]]:
    """Where the first ``XMP_ITEMS`` structures ``name`` holds are written, start and end: an
    element's attributes (``<xmpMM:DerivedFrom stRef:documentID="..."/>``) and content to its
    closing tag, at most ``STRUCT_CAP`` characters of it."""
    spans: list[tuple[int, int]] = []
    for written in written_names(xmp, name):
        opening = re.compile(rf"<{re.escape(written)}(?![\w.:-])[^<>]{{0,2000}}?(/?)>")
        for m in opening.finditer(xmp):
            close = -1 if m.group(1) else xmp.find(f"</{written}>", m.end(), m.end() + STRUCT_CAP)
            spans.append((m.start(), max(close, m.end())))
            if len(spans) == XMP_ITEMS:
                return spans
    return spans


def _array_words(array: XmpArray) -> str:
    """An array as one row's value: a language alternative's default, a list's items joined
    (capped as the metadata analysis's lists are), and what was left out."""
    if array.kind == "Alt":
        value = clean(array.default)
        if others := array.other_languages:
            value += f" (also in {len(others)} other language(s): {clean(', '.join(others))})"
        return value
    value = clean("; ".join(array.items), 600)
    if array.count > len(array.items):
        value += f" ({array.count} items, the first {len(array.items)} shown)"
    return value


def xmp_rows(xmp: str) -> list[tuple[str, str]]:
    """The values of ``SHOWN_FIELDS`` and of DerivedFrom's fields in ``xmp`` as (name, value)
    rows, in the order the packet writes them: named as the metadata analysis's rows are, by
    the specification's prefix whatever the packet's (``XMP xmp:CreatorTool``), a field of
    several values numbered (``XMP stEvt:action [2]``); each value escaped and capped
    (:func:`engine.metatext.clean`), an array one row (:func:`_array_words`; one of blank
    items left out, as the empty ``dc:title`` some writers leave is by the metadata analysis).
    At most ``XMP_ROWS`` rows, then one that counts those left out."""
    found: list[tuple[int, str, str]] = []  # where, name, value
    for name in SHOWN_FIELDS:
        found += [(at, name, clean(value)) for at, value in _located(xmp, name)]
        array = _array_at(xmp, name)
        if array is not None and any(v.strip() for v in array[1].items):  # not an empty title
            found.append((array[0], name, _array_words(array[1])))
    for start, end in _structures(xmp, DERIVED_FROM):
        for field in REFERENCE_FIELDS:
            path = f"{DERIVED_FROM}/{field}"
            found += [(at, path, clean(value)) for at, value in _located(xmp, field, start, end)]
    found.sort(key=lambda row: row[0])
    counts = Counter(name for _, name, _ in found)
    seen: Counter[str] = Counter()
    rows: list[tuple[str, str]] = []
    for _, name, value in found[:XMP_ROWS]:
        seen[name] += 1
        rows.append((f"{XMP_ROW}{name}" + (f" [{seen[name]}]" if counts[name] > 1 else ""), value))
    if len(found) > XMP_ROWS:
        left = len(found) - XMP_ROWS
        rows.append(
            (f"{XMP_ROW}values not shown", f"{left} more, after the first {XMP_ROWS} in the packet")
        )
    return rows
