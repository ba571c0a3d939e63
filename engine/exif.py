"""An image's metadata as untrusted text (:func:`engine.io.load_evidence` records it).

Every EXIF value (the Exif and GPS IFDs included) and Pillow's ``info`` entries become text a
person can read and no renderer can be fooled by: each value capped at ``METADATA_VALUE_CAP``
characters and the whole at ``METADATA_TOTAL_CAP``, and both say so (a cut value ends with
:func:`cut_mark`, fields left out are counted in one last row, ``METADATA_LEFT_OUT``: a 1 MB
PNG text showed as exactly 1,000 characters, and 16 of 82 text chunks were gone, with nothing
saying the record held less than the file); ASCII text as UTF-8, or flagged as of an
unknown encoding (:func:`exif_text`); UserComment decoded by its character-code
prefix; printable bytes as text, other short ones as hex; a binary value over
``METADATA_BINARY_SHOWN`` bytes (a MakerNote) as the size and SHA-256 of the whole value and,
for a MakerNote, the file's Make (:func:`binary_value_text`); a rational as the
fraction the file holds, never its float nor ``nan`` (:func:`exif_number_text`); an XMP
packet as its size and SHA-256 (:func:`xmp_packet_text`), followed by the fields the metadata
analysis reads as rows of their own, ``XMP xmp:CreatorTool`` (``engine.xmp.xmp_rows``). EXIF dates
are read as the camera's clock readings they are, their UTC offset from the OffsetTime tags
(:func:`parse_exif_date`, :func:`parse_offset`), for the metadata analysis and for reports,
which label each date with its offset or as of an unknown zone. Split from
``engine/io.py``, which decodes the pixels and keeps the policy.
"""

from __future__ import annotations

import hashlib
import re
from datetime import datetime, timedelta, timezone

from PIL import ExifTags, Image, TiffImagePlugin

from engine.containers import png_text_bomb
from engine.icc import icc_text
from engine.xmp import XMP_INFO_KEYS, XMP_TIFF_TAG, packet_text, xmp_rows

METADATA_VALUE_CAP = 1000
METADATA_TOTAL_CAP = 64 * 1024
METADATA_BINARY_SHOWN = 64  # bytes: a longer binary value is its size and SHA-256, not hex
# the last row when fields were left out at METADATA_TOTAL_CAP (:func:`left_out_text`)
METADATA_LEFT_OUT = "metadata:left out"

# EXIF tags that point to other IFDs: file structure (an offset), not a value of the photograph
_POINTER_TAGS = frozenset({0x8769, 0x8825, 0xA005, 0x014A})  # Exif, GPS, Interop IFDs; SubIFDs
_USER_COMMENT = 0x9286
_MAKE, _MAKER_NOTE = 0x010F, 0x927C
MAKER_SHOWN = 40  # characters of the file's Make named beside its MakerNote
# UserComment's 8-byte character-code prefix (EXIF 2.3, 4.6.5) -> the codec of the rest
_COMMENT_CODES = {b"ASCII\0\0\0": "ascii", b"UNICODE\0": "utf-16", b"\0" * 8: "utf-8"}
_LINE_BREAKS = str.maketrans("\t\n\r", "   ")  # text, for the printable test
# the metadata keys an XMP packet's own row is recorded under (its size and SHA-256)
XMP_PACKET_KEYS = (f"EXIF:{ExifTags.TAGS[XMP_TIFF_TAG]}", *(f"info:{k}" for k in XMP_INFO_KEYS))


def binary_value_text(size: int, sha256: str, maker: str = "") -> str:
    """How a binary metadata value longer than ``METADATA_BINARY_SHOWN`` bytes is recorded:
    ``3,072 bytes of Canon binary data (not decoded), SHA-256 <64 hex digits>``. ``maker``:
    the Make the file names, for its MakerNote (untrusted text, like every value)."""
    kind = f"{maker} binary data" if maker else "binary data"
    return f"{size:,} bytes of {kind} (not decoded), SHA-256 {sha256}"


def cut_mark(whole: str) -> str:
    """What ends a value cut at ``METADATA_VALUE_CAP``: how long it was (``whole``: "1,048,576
    characters", or "5,000 values" of a long EXIF array)."""
    return f" … [cut: {whole}]"


def left_out_text(fields: int, characters: int) -> str:
    """The ``METADATA_LEFT_OUT`` row: how many fields the ``METADATA_TOTAL_CAP`` left out (each
    counted as recorded, its name and its possibly cut value), and why."""
    return (
        f"{fields:,} field{'s' if fields != 1 else ''} ({characters:,} characters) left out: "
        f"the metadata recorded is limited to {METADATA_TOTAL_CAP:,} characters"
    )


def xmp_packet_text(size: int, sha256: str, fields: bool) -> str:
    """How an XMP packet is recorded: its size and SHA-256, and whether the fields the
    metadata analysis reads follow as rows of their own (``engine.xmp.xmp_rows``); its text
    is never recorded whole (it was "binary data (not decoded)" when it held a byte-order
    mark, else its first characters of XML)."""
    where = (
        "its fields the metadata analysis reads follow as XMP rows"
        if fields
        else "none of the fields the metadata analysis reads"
    )
    return f"{size:,} bytes of XMP, SHA-256 {sha256}; {where}"


def exif_bytes_text(value: bytes, tag: int | None = None, maker: str = "") -> str:
    """An EXIF value of type UNDEFINED or BYTE as text a person can read: UserComment decoded
    by its character-code prefix; bytes that are printable text (NUL padding dropped) as that
    text; other bytes, up to ``METADATA_BINARY_SHOWN`` of them, as hex (``0x01020300``), never
    a Python bytes repr or control characters (ComponentsConfiguration is four codes, not
    text); more as :func:`binary_value_text` of the whole value (``maker`` named in it)."""
    head = value[:METADATA_VALUE_CAP]
    if tag == _USER_COMMENT and head[:8] in _COMMENT_CODES:
        codec, body = _COMMENT_CODES[head[:8]], head[8:]
        if codec == "utf-16" and body[:2] not in (b"\xff\xfe", b"\xfe\xff"):
            # the byte order is the file's (II or MM): Latin text has its zero bytes second
            # in little-endian, first in big-endian
            codec = "utf-16-le" if body[1::2].count(0) > body[0::2].count(0) else "utf-16-be"
        return body.decode(codec, errors="replace").rstrip("\0 ").strip()
    text = head.rstrip(b"\0")
    if text and all(32 <= b < 127 or b in (9, 10, 13) for b in text):
        return text.decode("ascii")
    try:
        decoded = text.decode("utf-8")
        if decoded and decoded.translate(_LINE_BREAKS).isprintable():
            return decoded
    except UnicodeDecodeError:
        pass
    if len(value) > METADATA_BINARY_SHOWN:
        return binary_value_text(len(value), hashlib.sha256(value).hexdigest(), maker)
    return "0x" + value.hex() if value else ""


NOT_UTF8 = "(bytes not in UTF-8; shown as Latin-1)"


def exif_decoded(value: object) -> tuple[object, bool]:
    """EXIF ASCII text as Pillow hands it over (each byte read as Latin-1), decoded, and
    whether its bytes are UTF-8 (ASCII included): the text they say when they are (what most
    writers put there, beyond ASCII); else the bytes as Latin-1 shows them, their encoding
    unknown and never guessed. Other values, and text not read from bytes (made in memory),
    unchanged and True. The one place EXIF text is decoded (:func:`exif_text` flags it).

    Trailing NULs are dropped first: a field's padding to its declared count (a Leica T's
    Make "LEICA CAMERA AG" and 8 NULs, its Software and 23), which findings showed as
    ``\\u0000`` escapes while the metadata table, which drops every NUL, did not. A NUL
    inside the text is the file's, kept (a finding escapes it)."""
    if not isinstance(value, str):
        return value, True
    value = value.rstrip("\x00")
    if value.isascii():
        return value, True
    try:
        return value.encode("latin-1").decode("utf-8"), True
    except UnicodeEncodeError:  # not bytes read as Latin-1 (made in memory): as it is
        return value, True
    except UnicodeDecodeError:
        return value, False


def exif_text(value: object) -> object:
    """EXIF ASCII text as :func:`exif_decoded` reads it, followed by :data:`NOT_UTF8` when its
    bytes are not UTF-8: their encoding is unknown and never guessed (older ACDSee wrote "ACD
    Systems" and GBK, read "ACD Systems ÊýÂë³ÉÏñ", where a Windows-1252 "é" would read as
    itself). Other values unchanged."""
    text, utf8 = exif_decoded(value)
    return text if utf8 else f"{text} {NOT_UTF8}"


def exif_number_text(value: object) -> str:
    """An EXIF number as text, exactly: a rational as the fraction the file holds (``1/60``,
    ``28/10``; its float, ``0.016666666666666666``, was neither exact nor what the camera
    wrote), with a zero denominator said so (``0/0``, which EXIF uses for "unknown" or "not
    used": DigitalZoomRatio; never ``nan`` or ``inf``); a tuple element by element
    (``(52/1, 31/1, 1234/100)``). Reports print them readably
    (``forensic_viewer.report.metadata.readable_value``)."""
    if isinstance(value, TiffImagePlugin.IFDRational):
        if value.denominator == 0:
            return f"{value.numerator}/0 (no number: a zero denominator)"
        if isinstance(value.numerator, int) and isinstance(value.denominator, int):
            return f"{value.numerator}/{value.denominator}"
        return str(value)  # made from a float in memory, never read from a file
    if isinstance(value, tuple) and any(isinstance(v, TiffImagePlugin.IFDRational) for v in value):
        return "(" + ", ".join(exif_number_text(v) for v in value) + ")"
    return str(value)


def _maker(make: object) -> str:
    """The EXIF Make as one short line, for naming a MakerNote; "" when it is not text."""
    if not isinstance(make, str):
        return ""
    return " ".join(make.replace("\x00", " ").split())[:MAKER_SHOWN]


def read_metadata(img: Image.Image, png_time: bytes | None = None) -> dict[str, str]:
    """``img``'s EXIF and ``info`` entries as capped, readable text (see the module); a PNG's
    tIME chunk (``png_time``, its 7 bytes, which Pillow drops) as ``PNG:tIME``."""
    out: dict[str, str] = {}
    total = 0
    left_out = [0, 0]  # fields, characters: beyond METADATA_TOTAL_CAP
    maker = ""
    xmp_shown: bool | None = None  # whether the packet's fields were shown; None: none read

    def put(key: str, value: object, tag: int | None = None) -> None:
        nonlocal total
        whole = ""  # how long a value too long to keep was: the cut mark's words
        if isinstance(value, bytes):
            text = exif_bytes_text(value, tag, maker if tag == _MAKER_NOTE else "")
        elif isinstance(value, str) and tag is not None:  # EXIF ASCII
            text = str(exif_text(value))
        elif isinstance(value, tuple | list) and len(value) > METADATA_VALUE_CAP:
            text = str(value[:METADATA_VALUE_CAP])  # never format a huge tag whole
            whole = f"{len(value):,} values"
        else:
            text = exif_number_text(value)
        text = text.replace("\x00", "")
        if len(text) > METADATA_VALUE_CAP:
            whole = whole or f"{len(text):,} characters"
        if whole:
            text = text[:METADATA_VALUE_CAP] + cut_mark(whole)
        if total + len(key) + len(text) > METADATA_TOTAL_CAP:
            left_out[0] += 1
            left_out[1] += len(key) + len(text)
            return
        out[key] = text
        total += len(key) + len(text)

    def put_xmp(key: str, packet: object) -> None:
        """The packet's row, then its fields as rows of their own (those of one packet: a TIFF
        may hand it over twice, as tag 700 and as info)."""
        nonlocal xmp_shown
        if not isinstance(packet, str | bytes):
            put(key, packet)
            return
        data = packet.encode("utf-8", errors="replace") if isinstance(packet, str) else packet
        rows = [] if xmp_shown is not None else xmp_rows(packet_text(data))
        xmp_shown = bool(rows) if xmp_shown is None else xmp_shown
        put(key, xmp_packet_text(len(data), hashlib.sha256(data).hexdigest(), xmp_shown))
        for name, value in rows:
            put(name, value)

    try:
        exif = img.getexif()
        maker = _maker(exif.get(_MAKE))
        for tag, value in exif.items():
            if tag == XMP_TIFF_TAG:
                put_xmp(f"EXIF:{ExifTags.TAGS[tag]}", value)
            elif tag not in _POINTER_TAGS:  # the IFDs they point to are read below
                put(f"EXIF:{ExifTags.TAGS.get(tag, hex(tag))}", value, tag)
        for ifd_id in (ExifTags.IFD.Exif, ExifTags.IFD.GPSInfo):
            for tag, value in exif.get_ifd(ifd_id).items():
                if ifd_id == ExifTags.IFD.Exif and tag in _POINTER_TAGS:
                    continue
                names = ExifTags.GPSTAGS if ifd_id == ExifTags.IFD.GPSInfo else ExifTags.TAGS
                put(f"EXIF:{names.get(tag, hex(tag))}", value, tag)
    except Exception as e:
        if png_text_bomb(str(e)) is not None:  # a PNG's eXIf is read past its image data,
            raise  # where such a chunk stopped Pillow: the loader refuses the file (io.py)
        out["EXIF:error"] = "EXIF block could not be parsed"
    for key, value in img.info.items():
        if key in ("exif", "icc_profile", "transparency", "dpi", "duration", "loop"):
            continue
        if key in XMP_INFO_KEYS:
            put_xmp(f"info:{key}", value)
        elif isinstance(value, str | bytes | int | float):
            put(f"info:{key}", value)
    if "icc_profile" in img.info:
        out["info:icc_profile"] = icc_text(img.info["icc_profile"])
    if png_time is not None:
        out[PNG_TIME] = png_time_text(png_time)
    if left_out[0]:
        out[METADATA_LEFT_OUT] = left_out_text(*left_out)
    return out


# --- dates ---------------------------------------------------------------------------------

# EXIF 2.31, 4.6.5: "YYYY:MM:DD HH:MM:SS" and a NUL; some writers use "-" and "T"
_EXIF_DATE = re.compile(r"(\d{4})[:-](\d\d)[:-](\d\d)[ T](\d\d):(\d\d):(\d\d)")
_OFFSET = re.compile(r"([+-])(\d\d):(\d\d)")
EXIF_OFFSET_OF = {"DateTime": 0x9010, "DateTimeOriginal": 0x9011, "DateTimeDigitized": 0x9012}


def trimmed(text: str) -> str:
    """A metadata value without the blanks and NUL padding around it."""
    return text.strip().rstrip("\x00").strip()


def parse_exif_date(text: str) -> datetime | None:
    """An EXIF date as the clock reading it is (naive); None when it is not exactly one (a
    blank "    :  :     ", "0000:00:00 00:00:00", an impossible day or hour, text after it)."""
    m = _EXIF_DATE.fullmatch(trimmed(text))
    if m is None:
        return None
    try:
        return datetime(*(int(g) for g in m.groups()))  # type: ignore[misc]
    except ValueError:
        return None


def parse_offset(text: str) -> timezone | None:
    """An EXIF OffsetTime value (``+02:00``) as a zone; None when it is not one (blank, out of
    range)."""
    m = _OFFSET.fullmatch(trimmed(text))
    if m is None:
        return None
    sign, hours, minutes = m.groups()
    if int(minutes) > 59 or int(hours) > 23:
        return None
    span = timedelta(hours=int(hours), minutes=int(minutes))
    return timezone(-span if sign == "-" else span)


def offset_text(offset: timedelta) -> str:
    """A UTC offset as ISO 8601 writes it: ``+02:00``, ``-03:30``."""
    minutes = round(offset.total_seconds() / 60)
    sign = "-" if minutes < 0 else "+"
    return f"{sign}{abs(minutes) // 60:02d}:{abs(minutes) % 60:02d}"


PNG_TIME = "PNG:tIME"


def png_time_text(raw: bytes) -> str:
    """A PNG tIME chunk (year, month, day, hour, minute, second; UTC by the PNG specification)
    as ISO 8601 in UTC, ``2021-05-01T09:00:05Z``; fields out of range (a 13th month) written
    as they are, with ``(not a valid date)``. The second may be 60, a leap second."""
    year = int.from_bytes(raw[:2], "big")
    month, day, hour, minute, second = raw[2:7]
    text = f"{year:04d}-{month:02d}-{day:02d}T{hour:02d}:{minute:02d}:{second:02d}Z"
    try:
        datetime(year, month, day, hour, minute)
    except ValueError:
        return f"{text} (not a valid date)"
    return text if second <= 60 else f"{text} (not a valid date)"
