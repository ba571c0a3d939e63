"""XMP text for the metadata analysis and the loader: the packet as text and a field's values,
found by pattern (no XML parser: nothing of the packet is interpreted but the references
below), with XML's references decoded once, so ``&lt;img&gt;`` reads ``<img>`` as every XMP
reader shows it, an element's CDATA sections read as the text they hold, and an array's items
(``rdf:Alt``, ``rdf:Seq``, ``rdf:Bag``) read as its values (:func:`xmp_array`). A property is
asked for by the prefix the XMP specification uses (``xmp:CreatorTool``) and read under any
other the packet declares for its namespace (``xap:CreatorTool``, :func:`written_names`).

:func:`xmp_rows`: the fields the metadata analysis reads as rows of their own (``XMP
xmp:CreatorTool``), in the packet's order, for the file's metadata as ``engine.exif`` records
it at load (the metadata panel and the reports' metadata table list them): each entry of
``xmpMM:History`` one row (:func:`xmp_history`), DerivedFrom's references by their path
(:func:`derived_from`).
"""

from __future__ import annotations

import functools
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


# where Pillow hands over a file's XMP packet: the info of a JPEG, WebP or HEIF ("xmp") and of a
# PNG (its iTXt chunk's keyword), and a TIFF's tag 700 (XMLPacket); the loader's metadata rows
# (engine.exif) read the same places
XMP_INFO_KEYS = ("xmp", "XML:com.adobe.xmp")
XMP_TIFF_TAG = 700


def xmp_text(img: Image.Image) -> str | None:
    """The XMP packet of ``img`` (a PNG's iTXt, a JPEG's APP1, a TIFF's tag 700) as text, its
    first ``XMP_CAP`` bytes decoded leniently; None without one."""
    raw = img.info.get(XMP_INFO_KEYS[0]) or img.info.get(XMP_INFO_KEYS[1])
    if raw is None and img.format == "TIFF":
        raw = img.getexif().get(XMP_TIFF_TAG)
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
    return [name] + [f"{p}:{local}" for p in _declared(xmp, uri) if p != prefix]


@functools.lru_cache(maxsize=16)
def _declared(xmp: str, uri: str) -> tuple[str, ...]:
    """The prefixes ``xmp`` declares for the namespace ``uri``, each once, in the packet's
    order: the same for every field of that namespace, so worked out once per packet (a
    packet's rows and findings look up some fifty fields, each of which searched the whole
    packet, up to ``XMP_CAP``, for these declarations)."""
    declared = re.findall(
        rf"{_START}xmlns:([A-Za-z_][\w.-]{{0,40}})\s*=\s*[\"']{re.escape(uri)}[\"']", xmp
    )
    return tuple(dict.fromkeys(declared))


def _located(xmp: str, name: str, pos: int = 0, endpos: int | None = None) -> list[tuple[int, str]]:
    """Where in ``xmp`` (between ``pos`` and ``endpos``) ``name`` is written as attribute (its
    value in double or single quotes) or element with a text value (with attributes of its
    own or none: ``<xmp:ModifyDate rdf:datatype="...">``), and the value (:func:`xmp_fields`),
    under each of its prefixes: the specification's first, each's attributes before its
    elements. Before metadata version 14 the single-quoted and the attributed forms, both
    valid XML, were not read."""
    return _found(xmp, _patterns(xmp, name), pos, endpos)


# an element's attributes (``xml:lang="x-default"``, ``rdf:datatype="..."``), at most 2000
# characters of them, and not a self-closing tag's (``<xmpMM:DerivedFrom .../>`` holds no text)
_ATTRIBUTES = r"(?:\s[^<>]{0,2000})?(?<!/)"

Patterns = list[tuple[re.Pattern[str], re.Pattern[str]]]


def _patterns(xmp: str, name: str) -> Patterns:
    """The attribute and the element pattern of ``name`` under each of its prefixes
    (:func:`written_names`): an attribute's value in double or single quotes (XML allows
    either), an element's text with or without attributes of its own."""
    patterns = []
    for written in written_names(xmp, name):
        esc = re.escape(written)
        quoted = "\"([^\"]{0,2000})\"|'([^']{0,2000})'"
        attribute = re.compile(rf"{_START}{esc}\s*=\s*(?:{quoted})")
        element = re.compile(rf"<{esc}{_ATTRIBUTES}>((?>(?:[^<]|{_CDATA}){{0,2000}}))</{esc}>")
        patterns.append((attribute, element))
    return patterns


def _found(
    xmp: str, patterns: Patterns, pos: int = 0, endpos: int | None = None
) -> list[tuple[int, str]]:
    """:func:`_located` with the patterns of a name already made (:func:`_patterns`)."""
    end = len(xmp) if endpos is None else endpos
    found: list[tuple[int, str]] = []
    for attribute, element in patterns:
        for m in attribute.finditer(xmp, pos, end):
            value = m.group(1) if m.group(1) is not None else m.group(2)
            found.append((m.start(), xml_unescaped(value)))
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
    opening = re.compile(rf"<(?:{names}){_ATTRIBUTES}>")
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
REFERENCE_FIELDS = (
    "stRef:documentID",
    "stRef:instanceID",
    "stRef:originalDocumentID",
    "stRef:filePath",
)
STRUCT_CAP = 8000  # characters of a structure searched for its fields
HISTORY = "xmpMM:History"
HISTORY_READ = 100  # entries of xmpMM:History read (compared and shown); the rest counted
XMP_ROWS = 60  # rows listed of one packet; the rest counted in a last row
XMP_ROW = "XMP "  # how the name of each row begins


def _structures(xmp: str, name: str, cap: int = STRUCT_CAP) -> list[tuple[int, int]]:
    """Where the first ``XMP_ITEMS`` structures ``name`` holds are written, start and end: an
    element's attributes (``<xmpMM:DerivedFrom stRef:documentID="..."/>``) and content to its
    closing tag, at most ``cap`` characters of it."""
    return [(start, end) for start, _, end in _structure_parts(xmp, name, cap)]


def _structure_parts(xmp: str, name: str, cap: int = STRUCT_CAP) -> list[tuple[int, int, int]]:
    """:func:`_structures` with where each opening tag ends (start, content start, end)."""
    spans: list[tuple[int, int, int]] = []
    for written in written_names(xmp, name):
        opening = re.compile(rf"<{re.escape(written)}(?![\w.:-])[^<>]{{0,2000}}?(/?)>")
        for m in opening.finditer(xmp):
            close = -1 if m.group(1) else xmp.find(f"</{written}>", m.end(), m.end() + cap)
            spans.append((m.start(), m.end(), max(close, m.end())))
            if len(spans) == XMP_ITEMS:
                return spans
    return spans


# an attribute of the XML or RDF syntax (rdf:parseType, xml:lang), not a field of a structure
_SYNTAX_ATTRIBUTE = re.compile(r"""\s*(?:rdf|xml):[\w.-]{1,40}\s*=\s*(?:"[^"]*"|'[^']*')""")


def derived_from(xmp: str) -> tuple[list[tuple[str, str]], bool] | None:
    """What ``xmpMM:DerivedFrom`` says of the document this one was made from: its
    ``REFERENCE_FIELDS`` (``stRef:documentID`` and the others, with their values, in the
    packet's order) and whether it is written empty (``<xapMM:DerivedFrom
    rdf:parseType="Resource"/>``: no field, no text, as Photoshop CS3 saved 50 of CASIA's
    photographs), which names no document; None when the packet does not write it."""
    if not xmp_has(xmp, DERIVED_FROM):
        return None
    found: list[tuple[int, str, str]] = []
    empty = True
    parts = _structure_parts(xmp, DERIVED_FROM)
    for start, inner, end in parts:
        for field in REFERENCE_FIELDS:
            found += [(at, field, v) for at, v in _located(xmp, field, start, end)]
        attributes = re.sub(r"^<[^\s/>]+", "", xmp[start:inner]).rstrip("/>")
        closed = xmp.endswith("/>", start, inner) or xmp.startswith("</", end)
        bare = not _SYNTAX_ATTRIBUTE.sub("", attributes).strip()
        empty = empty and closed and bare and not xmp[inner:end].strip()
    return [(f, v) for _, f, v in sorted(found)], bool(parts) and empty and not found


# the fields of a history entry (stEvt: ResourceEvent), shown in this order and these words
EVENT_FIELDS = {
    "stEvt:action": "action",
    "stEvt:when": "when",
    "stEvt:softwareAgent": "software",
    "stEvt:changed": "changed",
    "stEvt:parameters": "parameters",
    "stEvt:instanceID": "instance",
}
_ENTRY = re.compile(r"<rdf:li(?![\w.:-])")


@dataclass(frozen=True)
class HistoryEntry:
    """One entry of ``xmpMM:History`` (an ``rdf:li`` of its ``rdf:Seq``): its number (1 the
    first written), where it is written, and its fields (``EVENT_FIELDS``, by name; those
    not written left out), references decoded, not yet escaped."""

    number: int
    at: int
    fields: tuple[tuple[str, str], ...]

    def get(self, name: str) -> str:
        """The value of the field ``name`` (``stEvt:when``); "" when not written."""
        return next((v for k, v in self.fields if k == name), "")

    def words(self) -> str:
        """The entry as one row's value: ``action: saved; when: 2020-...; software: ...``,
        each value escaped and capped (:func:`engine.metatext.clean`)."""
        words = "; ".join(f"{EVENT_FIELDS[k]}: {clean(v, 120)}" for k, v in self.fields)
        return words or "no field read"


def xmp_history(xmp: str) -> tuple[list[HistoryEntry], int]:
    """The first ``HISTORY_READ`` entries of ``xmpMM:History`` (of each structure written,
    under any prefix) and how many it holds. An entry is what lies from one ``<rdf:li`` to
    the next (or the structure's end): its fields written as attributes
    (``<rdf:li stEvt:action="saved" .../>``, as current Adobe software writes) or elements
    (``rdf:parseType="Resource"``, as Photoshop CS2 did) alike, each field's first value.
    Linear: the history is cut into entries once, each field searched in its entry only."""
    entries: list[HistoryEntry] = []
    count = 0
    patterns = {name: _patterns(xmp, name) for name in EVENT_FIELDS}
    for _, inner, end in _structure_parts(xmp, HISTORY, XMP_CAP):
        starts = [m.start() for m in _ENTRY.finditer(xmp, inner, end)]
        count += len(starts)
        for a, b in zip(starts, [*starts[1:], end], strict=True):
            if len(entries) == HISTORY_READ:
                break
            fields = []
            for name, made in patterns.items():
                values = sorted(_found(xmp, made, a, b))
                if values:
                    fields.append((name, values[0][1]))
            entries.append(HistoryEntry(len(entries) + 1, a, tuple(fields)))
    return entries, count


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
    history, count = xmp_history(xmp)
    # numbered by entry, always: the fields of one step of the history are one row
    found += [(entry.at, f"{HISTORY} [{entry.number}]", entry.words()) for entry in history]
    if count > len(history):
        left = f"{count} entries, the first {len(history)} shown"
        found.append((history[-1].at + 1, f"{HISTORY} entries", left))
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
