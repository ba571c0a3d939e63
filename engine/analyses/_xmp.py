"""XMP text for the metadata analysis: the packet as text and a field's values, found by
pattern (no XML parser: nothing of the packet is interpreted but the references below), with
XML's references decoded once, so ``&lt;img&gt;`` reads ``<img>`` as every XMP reader shows it,
and an element's CDATA sections read as the text they hold.
"""

from __future__ import annotations

import re

from PIL import Image

XMP_CAP = 256 * 1024  # bytes of an XMP packet searched


def xmp_text(img: Image.Image) -> str | None:
    """The XMP packet of ``img`` (a PNG's iTXt, a JPEG's APP1, a TIFF's tag 700) as text, its
    first ``XMP_CAP`` bytes decoded leniently; None without one."""
    raw = img.info.get("xmp") or img.info.get("XML:com.adobe.xmp")
    if raw is None and img.format == "TIFF":
        raw = img.getexif().get(700)
    if raw is None:
        return None
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
    :func:`engine.analyses._text.clean` as any value's."""

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


def xmp_fields(xmp: str, name: str) -> list[str]:
    """Values of ``name`` (e.g. ``xmp:CreatorTool``) as attribute or element, in order, their
    references decoded (:func:`xml_unescaped`): the text the packet holds, not its markup. An
    element's CDATA sections (``<![CDATA[Adobe <Photoshop>]]>``) are read as the text they
    hold, as written (version 9 and earlier dropped an element holding one)."""
    esc = re.escape(name)
    found = [xml_unescaped(v) for v in re.findall(rf'{esc}\s*=\s*"([^"]{{0,2000}})"', xmp)]
    element = rf"<{esc}>((?>(?:[^<]|{_CDATA}){{0,2000}}))</{esc}>"
    return found + [_element_text(v) for v in re.findall(element, xmp)]
