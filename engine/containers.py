"""The container structure of the allowed image formats, read from the bytes without decoding.

``engine.io`` asks these questions of an untrusted file before Pillow decodes any pixel: are
the PNG chunks intact and how much image data do they hold, what does the JPEG frame header
declare, how many frames does a TIFF or GIF hold. Each walk reads only the bytes it is given,
visits each structure once (loops in a TIFF IFD chain end it) and stops at a frame cap, so a
hostile file costs time in proportion to its size at most. A damaged structure raises
:class:`StructureError` with a one-line reason in plain text (no Python reprs). A file of no
allowed format is named by its first bytes (:func:`describe_unknown`) in its refusal.
"""

from __future__ import annotations

import struct
import zlib
from dataclasses import dataclass

from PIL import PngImagePlugin

from engine.heif import is_avif


class StructureError(Exception):
    """The container structure is damaged; the message is a one-line plain-text reason."""


def printable(raw: bytes) -> str:
    """Bytes from a file as text: printable ASCII as is, any other byte as ``\\xNN``."""
    return "".join(chr(b) if 32 <= b < 127 else f"\\x{b:02x}" for b in raw)


# --- PNG ---------------------------------------------------------------------------------------

# Channels per PNG colour type (IHDR): grey, -, RGB, palette, grey+alpha, -, RGBA.
_PNG_CHANNELS = {0: 1, 2: 3, 3: 1, 4: 2, 6: 4}


@dataclass(frozen=True)
class PngLayout:
    """What the chunks of a PNG declare and hold.

    width, height, bit_depth, channels: from IHDR (channels 0 when the colour type is unknown).
    idat_bytes: total length of the IDAT chunks, the compressed image data.
    end: the offset just past the IEND chunk (None when the data ends before one).
    significant_bits: the sBIT chunk's bytes, the bits of each channel that the encoder's
        source held (empty without one), e.g. (12,) for 12-bit data in a 16-bit gray PNG.
    modified: the tIME chunk's 7 bytes, the image's last modification in UTC (None without
        one; Pillow drops the chunk).
    """

    width: int
    height: int
    bit_depth: int
    channels: int
    idat_bytes: int
    end: int | None = None
    significant_bits: tuple[int, ...] = ()
    modified: bytes | None = None

    @property
    def raw_bytes(self) -> int:
        """The smallest inflated size of the image data (rows without their filter bytes)."""
        return self.height * ((self.width * self.bit_depth * self.channels + 7) // 8)


def png_layout(data: bytes) -> PngLayout | None:
    """Walk the chunks of ``data`` (a PNG) checking every CRC; None when IHDR is missing.

    Pillow skips the CRC of image data chunks, so a flipped bit there would otherwise decode
    silently into wrong pixels. The walk ends at IEND or at the end of the data.
    """
    pos, n = 8, len(data)
    ihdr: bytes | None = None
    idat = 0
    stop: int | None = None
    sbit: tuple[int, ...] = ()
    modified: bytes | None = None
    while pos + 8 <= n:
        length = int.from_bytes(data[pos : pos + 4], "big")
        kind = data[pos + 4 : pos + 8]
        end = pos + 8 + length
        if end + 4 > n:
            raise StructureError(f"chunk {printable(kind)} is truncated")
        crc = int.from_bytes(data[end : end + 4], "big")
        if zlib.crc32(data[pos + 4 : end]) != crc:
            raise StructureError(f"chunk {printable(kind)} fails its CRC check")
        if kind == b"IHDR" and ihdr is None and length >= 13:
            ihdr = data[pos + 8 : pos + 8 + 13]
        elif kind == b"IDAT":
            idat += length
        elif kind == b"sBIT" and not sbit and not idat:  # before the image data (PNG spec)
            sbit = tuple(data[pos + 8 : end])
        elif kind == b"tIME" and length == 7 and modified is None:
            modified = data[pos + 8 : end]
        elif kind == b"IEND":
            stop = end + 4
            break
        pos = end + 4
    if ihdr is None:
        return None
    width, height, depth, colour = struct.unpack(">IIBB", ihdr[:10])
    channels = _PNG_CHANNELS.get(colour, 0)
    return PngLayout(width, height, depth, channels, idat, stop, sbit, modified)


# --- JPEG --------------------------------------------------------------------------------------

# Start-of-frame markers (C0..CF less DHT C4, JPG C8 and DAC CC).
_SOF = frozenset(range(0xC0, 0xD0)) - {0xC4, 0xC8, 0xCC}
# The fewest bits a complete Huffman-coded JPEG spends on each 8x8 block, by SOF marker.
# Sequential (baseline, extended): a code for the DC difference and one for end-of-block, each
# at least 1 bit. Progressive: the DC scans code every block's DC difference (at least 1 bit;
# the AC scans can skip thousands of blocks with one end-of-band run). Arithmetic coding can
# spend less than a bit on a likely symbol, so it has no floor.
HUFFMAN_BITS_PER_BLOCK = {0xC0: 2, 0xC1: 2, 0xC2: 1}


@dataclass(frozen=True)
class JpegFrame:
    """The first frame header (SOFn) of a JPEG.

    marker: the SOF marker's second byte (0xC0 baseline, 0xC2 progressive, ...).
    sampling: (horizontal, vertical) sampling factors of each component.
    """

    marker: int
    width: int
    height: int
    sampling: tuple[tuple[int, int], ...]


def jpeg_blocks(w: int, h: int, sampling: tuple[tuple[int, int], ...]) -> int:
    """8x8 blocks of a w x h JPEG whose components have these (h, v) sampling factors."""
    return sum(jpeg_component_blocks(w, h, sampling))


def jpeg_component_blocks(w: int, h: int, sampling: tuple[tuple[int, int], ...]) -> list[int]:
    """8x8 blocks of each component of a w x h JPEG (at least those an interleaved scan codes,
    whose MCUs may pad a component beyond its own size)."""
    hmax = max(hs for hs, _ in sampling)
    vmax = max(vs for _, vs in sampling)
    return [
        ceil_div(ceil_div(w * hs, hmax), 8) * ceil_div(ceil_div(h * vs, vmax), 8)
        for hs, vs in sampling
    ]


def ceil_div(a: int, b: int) -> int:
    """a / b rounded up (non-negative integers)."""
    return -(-a // b)


def jpeg_frame(data: bytes) -> JpegFrame | None:
    """The frame header of ``data`` (a JPEG), or None when none precedes the first scan."""
    pos, n = 2, len(data)
    while (pos := _marker_at(data, pos)) + 4 <= n:
        marker = data[pos + 1]
        if marker in (0x01, 0xD8) or 0xD0 <= marker <= 0xD7:  # markers without a length
            pos += 2
            continue
        if marker in (0xD9, 0xDA):  # end of image, start of scan: no frame header first
            return None
        length = int.from_bytes(data[pos + 2 : pos + 4], "big")
        if marker in _SOF:
            seg = data[pos + 4 : pos + 2 + length]
            if len(seg) < 6:
                return None
            height, width, count = int.from_bytes(seg[1:3], "big"), seg[3:5], seg[5]
            comps = seg[6 : 6 + 3 * count]
            if count == 0 or len(comps) < 3 * count:
                return None
            sampling = tuple((c >> 4, c & 15) for c in comps[1::3])
            return JpegFrame(marker, int.from_bytes(width, "big"), height, sampling)
        pos += 2 + length
    return None


# Names of the marker segments a JPEG's header holds, for :func:`jpeg_overrun`'s words.
_SEGMENT_NAMES = {0xC4: "Huffman table (DHT)", 0xDB: "quantisation table (DQT)"}
_SEGMENT_NAMES |= {0xDD: "restart interval (DRI)", 0xFE: "comment (COM)"}
_SEGMENT_NAMES |= {m: f"frame header (SOF{m - 0xC0})" for m in _SOF}
_APP_IDS = {b"Exif\x00": "EXIF", b"http://ns.adobe.com/xap/1.0/\x00": "XMP", b"JFIF\x00": "JFIF"}
_APP_IDS |= {b"ICC_PROFILE\x00": "colour profile", b"MPF\x00": "multi-picture index"}


def _segment_name(marker: int, body: bytes) -> str:
    """A JPEG marker segment in words, an APPn one by the identifier its ``body`` starts with:
    ``EXIF segment (APP1)``, ``APP13 segment``, ``comment (COM) segment``."""
    if 0xE0 <= marker <= 0xEF:
        app = f"APP{marker - 0xE0}"
        what = next((name for key, name in _APP_IDS.items() if body.startswith(key)), None)
        return f"{what} segment ({app})" if what else f"{app} segment"
    return f"{_SEGMENT_NAMES.get(marker, f'marker 0xFF{marker:02X}')} segment"


def _skip_stray(data: bytes, pos: int) -> int:
    """Where a decoder looks for the next marker when ``pos``, between segments, holds no
    0xFF (libjpeg's ``next_marker``, Pillow's header loop): the next 0xFF not followed by a
    zero byte (a stuffed 0xFF00 is skipped too), else the end of the data. The walks skip such
    bytes as the decoders do: they had stopped there, and one stray byte after a header
    segment then turned off every check that needs the walk (the scan cap, the compression
    bounds) for a file that decodes as any other."""
    n = len(data)
    while (pos := data.find(b"\xff", pos)) != -1 and pos + 1 < n and data[pos + 1] == 0x00:
        pos += 2
    return n if pos == -1 else pos


def _marker_at(data: bytes, pos: int) -> int:
    """The offset of the next marker at or after ``pos`` (an 0xFF followed by another byte
    than 0xFF), past bytes outside every segment (:func:`_skip_stray`) and fill bytes, as
    decoders find it; ``len(data)`` when none follows. The one way every JPEG walk here steps
    to its next marker (each walk had its own copy of these steps)."""
    n = len(data)
    while pos + 1 < n:
        if data[pos] != 0xFF:  # bytes outside every segment: skipped, as decoders do
            pos = _skip_stray(data, pos)
        elif data[pos + 1] == 0xFF:  # fill byte
            pos += 1
        else:
            return pos
    return n


def jpeg_overrun(data: bytes) -> str | None:
    """In words, the first marker segment before the first scan of ``data`` (a JPEG) that does
    not end at a marker: its content runs past the length it declares (or the length is
    wrong), and the bytes up to the next marker belong to no segment. Decoders skip them
    without a word (libjpeg's "extraneous bytes before marker" goes unseen), so a header
    damaged or edited by hand looked whole; the metadata read from that segment may lack its
    end. None for a header whose segments follow one another."""
    pos, n = 2, len(data)
    last: tuple[int, int, int] | None = None  # marker, offset, declared length
    while pos + 4 <= n:
        if data[pos] != 0xFF:
            if last is None:
                return None
            marker, start, length = last
            stray = _skip_stray(data, pos) - pos
            name = _segment_name(marker, data[start + 4 : start + 40])
            return (
                f"the JPEG's {name} at byte {start:,} runs past the {length:,} bytes its length "
                f"declares: {stray:,} byte{'s' * (stray != 1)} (starting "
                f"{printable(data[pos : pos + min(stray, 8)])}) follow it before the next "
                "marker, which decoders skip (a damaged or edited header; what is read from the "
                "segment may be incomplete)"
            )
        if (pos := _marker_at(data, pos)) + 4 > n:  # past fill bytes
            break
        marker = data[pos + 1]
        if marker in (0x01, 0xD8) or 0xD0 <= marker <= 0xD7:  # markers without a length
            pos, last = pos + 2, None
            continue
        if marker in (0xD9, 0xDA):  # end of image, start of scan: the header is over
            return None
        length = int.from_bytes(data[pos + 2 : pos + 4], "big")
        last = (marker, pos, length)
        pos += 2 + length
    return None


# Scans a JPEG may hold before its end-of-image marker. Every scan is a pass over all the
# image's coefficients, and one can cover them all in a few bytes (an end-of-band run), so a
# small file of many scans takes hours to decode (libjpeg has no limit, and its C loop cannot
# be interrupted). Encoders write about 10 (libjpeg's progressive script) and mozjpeg at most
# a few dozen; libjpeg-turbo's own tools refuse beyond 500 when asked to (djpeg -maxscans).
MAX_JPEG_SCANS = 1000


def jpeg_end(data: bytes) -> int | None:
    """The offset just past the end-of-image marker (EOI) of ``data`` (a JPEG), or None when
    the data ends before one. Marker segments are skipped by their lengths (an EXIF thumbnail's
    own EOI is inside one), bytes outside every segment as decoders skip them, and
    entropy-coded data up to the next marker that is neither a stuffed 0xFF00 nor a restart
    marker. Raises :class:`StructureError` at the scan beyond
    :data:`MAX_JPEG_SCANS`, before the decoder spends its time on them."""
    pos, n, scans = 2, len(data), 0
    while (pos := _marker_at(data, pos)) + 2 <= n:
        marker = data[pos + 1]
        if marker == 0xD9:
            return pos + 2
        if marker in (0x01, 0xD8) or 0xD0 <= marker <= 0xD7:  # markers without a length
            pos += 2
            continue
        if pos + 4 > n:
            return None
        pos += 2 + int.from_bytes(data[pos + 2 : pos + 4], "big")
        if marker == 0xDA:  # start of scan: its coded data runs to the next real marker
            scans += 1
            if scans > MAX_JPEG_SCANS:
                raise StructureError(
                    f"more than {MAX_JPEG_SCANS} scans, each a pass over the whole image "
                    "(encoders write about 10): refused, its decoding could take hours"
                )
            if (found := _scan_data_end(data, pos)) is None:
                return None
            pos = found
    return None


def _scan_data_end(data: bytes, pos: int) -> int | None:
    """Where the entropy-coded data of a scan that starts at ``pos`` ends: the offset of the
    next real marker (not a stuffed 0xFF00, a restart marker or a fill byte), or None when the
    data ends inside the scan (:func:`jpeg_end` and :func:`jpeg_sequential_scan` walk it)."""
    n = len(data)
    while (pos := data.find(b"\xff", pos)) != -1 and pos + 1 < n:
        nxt = data[pos + 1]
        if nxt != 0x00 and not 0xD0 <= nxt <= 0xD7 and nxt != 0xFF:
            return pos
        pos += 1 if nxt == 0xFF else 2
    return None


@dataclass(frozen=True)
class JpegScan:
    """The one scan of a Huffman-coded sequential JPEG (SOF0 baseline, SOF1 extended).

    coded_bytes: its entropy-coded bytes, from the end of its SOS header to the marker that
    ends it (restart markers and stuffed zero bytes counted: more than it codes, never less).
    block_bits: the fewest bits an 8x8 block of each frame component costs, in frame order:
    the shortest code of its DC table plus the shortest of its AC table (every block codes a
    DC difference and at least one AC symbol, a coefficient or end-of-block).
    end: the offset just past the EOI that follows the scan, as :func:`jpeg_end` finds it (the
    loader's bytes-after-the-image check takes it from here rather than walk the scan again).
    """

    coded_bytes: int
    block_bits: tuple[int, ...]
    end: int


def _shortest_codes(seg: bytes, tables: dict[tuple[int, int], int]) -> bool:
    """Record in ``tables`` the shortest code length of each Huffman table that a DHT
    segment's body ``seg`` defines, keyed by (class, id); False when it is malformed."""
    pos = 0
    while pos < len(seg):
        if pos + 17 > len(seg) or seg[pos] >> 4 > 1 or seg[pos] & 15 > 3:
            return False
        counts = seg[pos + 1 : pos + 17]
        total = sum(counts)
        if not 0 < total <= 256 or pos + 17 + total > len(seg):
            return False
        tables[(seg[pos] >> 4, seg[pos] & 15)] = next(i for i, c in enumerate(counts, 1) if c)
        pos += 17 + total
    return True


def jpeg_sequential_scan(data: bytes) -> JpegScan | None:
    """The only scan of ``data`` when it is a Huffman-coded sequential JPEG whose single scan
    covers every component, followed by its end-of-image marker; None for anything else or
    anything not understood (progressive, arithmetic, several frames or scans, a table missing
    or malformed, a scan without its EOI): a true lower bound of the bits, or none at all."""
    pos, n = 2, len(data)
    tables: dict[tuple[int, int], int] = {}
    frame: list[int] | None = None  # component ids, in frame order
    while (pos := _marker_at(data, pos)) + 4 <= n:
        marker = data[pos + 1]
        length = int.from_bytes(data[pos + 2 : pos + 4], "big")
        seg = data[pos + 4 : pos + 2 + length]
        if marker in (0x01, 0xD9) or 0xD0 <= marker <= 0xD8 or length < 2 or len(seg) < length - 2:
            return None  # no marker without a length belongs before the scan
        pos += 2 + length
        if marker in _SOF:
            if marker not in (0xC0, 0xC1) or frame is not None or len(seg) < 6:
                return None
            frame = list(seg[6 : 6 + 3 * seg[5] : 3])
            if not frame or len(frame) != seg[5] or len(set(frame)) != len(frame):
                return None
        elif marker == 0xC4 and not _shortest_codes(seg, tables):
            return None
        elif marker in (0xCC, 0xDC) or (marker == 0xDD and length != 4):  # DAC, DNL, odd DRI
            return None
        elif marker == 0xDA:
            if frame is None or not seg or seg[0] != len(frame) or len(seg) != 2 * seg[0] + 4:
                return None
            sel = {seg[i]: seg[i + 1] for i in range(1, 1 + 2 * seg[0], 2)}
            if sorted(sel) != sorted(frame) or seg[-3:] != b"\x00\x3f\x00":  # Ss 0, Se 63, A 0
                return None
            try:
                bits = tuple(tables[(0, sel[c] >> 4)] + tables[(1, sel[c] & 15)] for c in frame)
            except KeyError:
                return None  # a table the scan uses is not defined before it
            if (end := _scan_data_end(data, pos)) is None:
                return None  # the data ends inside the scan
            # fill bytes may precede the marker that ends the scan; it must be the EOI
            stop = end
            while stop > pos and data[stop - 1] == 0xFF:
                stop -= 1
            return JpegScan(stop - pos, bits, end + 2) if data[end + 1] == 0xD9 else None
    return None


# --- TIFF --------------------------------------------------------------------------------------


def tiff_frame_count(data: bytes, cap: int) -> tuple[int, str | None]:
    """Count the image file directories (frames) of ``data`` (a classic TIFF), up to ``cap``.

    Returns the count and None when the chain ends cleanly (a next offset of 0, or one seen
    before: Pillow treats a loop as the end too), or the frames found so far and the reason
    the walk stopped (an offset outside the file, a truncated directory, the cap).
    """
    order = "<" if data[:2] == b"II" else ">"
    n = len(data)
    if n < 8:
        return 0, "header is truncated"
    offset = struct.unpack(order + "I", data[4:8])[0]
    seen: set[int] = set()
    count = 0
    while offset and offset not in seen:
        if count >= cap:
            return count, f"more than {cap} frames: counting stopped there"
        if offset + 2 > n:
            return count, f"directory of frame {count + 1} lies beyond the end of the file"
        entries = struct.unpack(order + "H", data[offset : offset + 2])[0]
        end = offset + 2 + 12 * entries
        if end + 4 > n:
            return count, f"directory of frame {count + 1} is truncated"
        seen.add(offset)
        count += 1
        offset = struct.unpack(order + "I", data[end : end + 4])[0]
    return count, None


_TIFF_SAMPLE_FORMATS = {1: "unsigned integer", 2: "signed integer", 3: "floating-point"}
_NATURAL_SAMPLES = {"gray": 1, "palette": 1, "RGB": 3, "YCbCr": 3, "CMYK": 4}  # no alpha
_TIFF_PHOTOMETRIC = {0: "gray", 1: "gray", 2: "RGB", 3: "palette", 4: "mask", 5: "CMYK"}
_TIFF_PHOTOMETRIC |= {6: "YCbCr", 8: "CIELab", 9: "ICCLab", 10: "ITULab", 32844: "LogL"}
_TIFF_PHOTOMETRIC |= {32845: "LogLuv", 34892: "linear raw", 32803: "colour filter array"}


def _tiff_tags(data: bytes, wanted: frozenset[int]) -> dict[int, tuple[int, ...]]:
    """The SHORT or LONG values of the ``wanted`` tags of the first directory of ``data`` (a
    classic TIFF); a tag whose values lie outside the data is left out."""
    order = "<" if data[:2] == b"II" else ">"
    if len(data) < 8:
        return {}
    offset = struct.unpack(order + "I", data[4:8])[0]
    if offset + 2 > len(data):
        return {}
    found: dict[int, tuple[int, ...]] = {}
    count = struct.unpack(order + "H", data[offset : offset + 2])[0]
    for pos in range(offset + 2, min(offset + 2 + 12 * count, len(data) - 11), 12):
        tag, kind, n = struct.unpack(order + "HHI", data[pos : pos + 8])
        if tag not in wanted or kind not in (3, 4) or not 0 < n <= 16:
            continue
        size = n * (2 if kind == 3 else 4)
        at = pos + 8 if size <= 4 else struct.unpack(order + "I", data[pos + 8 : pos + 12])[0]
        if at + size <= len(data):
            found[tag] = struct.unpack(
                f"{order}{n}{'H' if kind == 3 else 'I'}", data[at : at + size]
            )
    return found


def tiff_layout(data: bytes) -> str | None:
    """The sample layout the first directory of ``data`` (a classic TIFF) declares, in words
    (``"32-bit floating-point RGB TIFF"``), or None when its tags cannot be read: for the refusal
    of a layout the decoder has no mode for, which is no damage."""
    tags = _tiff_tags(data, frozenset((258, 262, 277, 339)))
    if 258 not in tags or 262 not in tags:
        return None
    bits, fmts = set(tags[258]), set(tags.get(339, (1,)))
    depth = f"{bits.pop()}-bit" if len(bits) == 1 else "/".join(map(str, tags[258])) + "-bit"
    kind = _TIFF_SAMPLE_FORMATS.get(fmts.pop(), "undefined-format") if len(fmts) == 1 else "mixed"
    colour = _TIFF_PHOTOMETRIC.get(tags[262][0], f"photometric {tags[262][0]}")
    spp = tags.get(277, (1,))[0]
    extra = f" with {spp} samples per pixel" if _NATURAL_SAMPLES.get(colour) != spp else ""
    return f"{depth} {kind} {colour} TIFF{extra}"


# --- GIF ---------------------------------------------------------------------------------------


def _skip_sub_blocks(data: bytes, pos: int) -> int:
    """The position after the data sub-blocks starting at ``pos`` (or the end of the data)."""
    n = len(data)
    while pos < n:
        size = data[pos]
        pos += 1 + size
        if size == 0:
            return pos
    return n


def gif_frame_count(data: bytes, cap: int) -> tuple[int, str | None]:
    """Count the image descriptors (frames) of ``data`` (a GIF), up to ``cap``.

    Follows Pillow's reading: extensions are skipped, an unknown byte between blocks is
    skipped, the trailer or the end of the data ends the file. Returns the count and None,
    or the frames found so far and the reason the walk stopped.
    """
    n = len(data)
    pos = 13  # signature (6) and logical screen descriptor (7)
    if n >= 13 and data[10] & 0x80:
        pos += 3 << ((data[10] & 7) + 1)  # global colour table
    count = 0
    while pos < n:
        tag = data[pos]
        if tag == 0x3B:  # trailer
            break
        if tag == 0x21:  # extension: label, then sub-blocks
            pos = _skip_sub_blocks(data, pos + 2)
        elif tag == 0x2C:  # image descriptor
            if count >= cap:
                return count, f"more than {cap} frames: counting stopped there"
            if pos + 10 > n:
                return count, f"descriptor of frame {count + 1} is truncated"
            flags = data[pos + 9]
            pos += 10
            if flags & 0x80:
                pos += 3 << ((flags & 7) + 1)  # local colour table
            count += 1
            pos = _skip_sub_blocks(data, pos + 1)  # LZW minimum code size, then the data
        else:
            pos += 1
    return count, None


# --- Refused formats ---------------------------------------------------------------------------


def describe_unknown(head: bytes) -> str:
    """What the first bytes ``head`` of a file outside the allow-list hold, in words."""
    if head.startswith(b"%!PS") or head.startswith(b"\xc5\xd0\xd3\xc6"):
        return "PostScript/EPS content, which is never decoded"
    if head.startswith(b"%PDF"):
        return "a PDF document"
    if head[4:8] == b"ftyp":
        brand = head[8:12]
        if is_avif(head):
            return "an AVIF image, a format not decoded here"
        return f"an ISO media file (brand {printable(brand)}), such as a video"
    if (icon := _icon_words(head)) is not None:
        return icon
    try:
        head[:512].decode("utf-8")
        if all(32 <= b < 127 or b in (9, 10, 13) for b in head[:512]):
            return "plain text"
    except UnicodeDecodeError:
        pass
    return "unrecognised bytes"


def is_refused_image(head: bytes) -> bool:
    """Whether the first bytes ``head`` of a file outside the allow-list are an image of a
    format recognised here but not decoded (:func:`describe_unknown`'s: an AVIF image, a
    Windows icon or cursor). A scan lists such a file as evidence so that it gets its refusal
    row with its SHA-256, where a file of anything else (text, a PDF, a video) is passed over.
    """
    return is_avif(head) or _icon_words(head) is not None


def _icon_words(head: bytes) -> str | None:
    """A Windows icon (ICO) or cursor (CUR) in words, with its pictures' count and the largest
    size its directory lists as far as ``head`` holds it; None for other bytes. Icons are a
    program's or a web site's small pictures at several sizes, not photographs: outside the
    allow-list, so never handed to a decoder (their pictures are BMP or PNG data)."""
    if len(head) < 6 or head[:2] != b"\x00\x00" or head[2:4] not in (b"\x01\x00", b"\x02\x00"):
        return None
    count = int.from_bytes(head[4:6], "little")
    if not count:
        return None
    listed = range(6, min(6 + 16 * count, len(head) - 15), 16)  # 16-byte entries: width first
    sizes = [(head[p] or 256, head[p + 1] or 256) for p in listed]  # 0 stands for 256
    kind = "icon (ICO)" if head[2] == 1 else "cursor (CUR)"
    size = "x".join(map(str, max(sizes, key=lambda wh: wh[0] * wh[1]))) if sizes else ""
    size = f", the largest {size}" if count > 1 and size else f", {size}" if size else ""
    return (
        f"a Windows {kind} of {count} picture{'s' * (count > 1)}{size}: a program's or web "
        "site's small pictures, not a photograph; a format not decoded here"
    )


def png_text_bomb(message: str) -> str | None:
    """The refusal, in the product's words, of a PNG whose metadata Pillow stopped
    decompressing (``message``, Pillow's): a zTXt, compressed iTXt or iCCP chunk inflating
    beyond ``PngImagePlugin.MAX_TEXT_CHUNK`` bytes, or text chunks beyond ``MAX_TEXT_MEMORY``
    in all. Pillow's words ("Decompressed data too large for PngImagePlugin.MAX_TEXT_CHUNK")
    named its internals and read as damage. None for any other message."""
    if "MAX_TEXT_CHUNK" in message:
        chunk = PngImagePlugin.MAX_TEXT_CHUNK
        limit = f"a PNG text or colour-profile chunk decompresses beyond {chunk:,}"
    elif "MAX_TEXT_MEMORY" in message:
        limit = f"the PNG's text chunks come to more than {PngImagePlugin.MAX_TEXT_MEMORY:,}"
    else:
        return None
    return f"{limit} bytes: refused (a decompression bomb in metadata)"
