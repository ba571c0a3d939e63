"""Metadata anomalies and the embedded EXIF thumbnail compared with the image.

Findings (rows of :class:`Finding`, each with a level and a note saying why it matters):

- **software**: EXIF Software / ProcessingSoftware / HostComputer, the JPEG comment, XMP
  CreatorTool and history agents naming editing software (a fixed list of editors below);
  camera firmware strings are shown as information only.
- **dates**: EXIF DateTime (the file's last change) later than DateTimeOriginal (capture): a
  camera writes both equal; or earlier. DateTimeDigitized before the capture, or after the last
  change (a digitising after the capture is a scan's: no finding, and a last change at the
  scan's digitising is explained by it: information). XMP's xmp:ModifyDate
  against xmp:CreateDate likewise; photoshop:DateCreated after xmp:ModifyDate or apart from
  EXIF's DateTimeOriginal; xmp:MetadataDate before xmp:ModifyDate. Compared in UTC when both
  name their offset (EXIF's OffsetTime tags, XMP's own), else as clock readings, by the day,
  month or year when one names no time, and the finding says which (``_dates``).
  xmp:CreateDate before photoshop:DateCreated; XMP's copies of EXIF's dates
  (exif:DateTimeOriginal..., and xmp:CreateDate and xmp:ModifyDate, which hold
  DateTimeDigitized and DateTime) apart from EXIF's own.
  Unparseable EXIF and XMP dates and offsets, and a phone firmware's fixed date, shown as
  written and not compared; XMP dates Photoshop CS2 wrote with the sub-seconds run into the
  seconds read so, an information row saying it; photoshop:DateCreated at 00:00:00, in any
  zone, compared by the day (most often a date alone).
- **camera**: EXIF present but no camera Make/Model; no EXIF at all (stripped or re-encoded; in
  a format no camera writes, such as PNG, information only: the format says as much).
- **gps**: a GPS position present (a checkable claim; also a privacy matter).
- **xmp**: an XMP packet with an edit history (xmpMM:History, entry by entry: action, when,
  software; each step's date compared with the capture and the file's last modification,
  ``_xmpfields.history_date_findings``), DerivedFrom naming a document (its references; one
  written empty names none: information) or DocumentAncestors (the documents it lists); a
  Photoshop resource block (APP13); the history's last save naming another instance
  (``stEvt:instanceID``) than the document's ``xmpMM:InstanceID``, information
  (``_xmpfields.instance_findings``); the file's own claims (dc:creator, dc:rights,
  dc:title, dc:description, dc:subject) as information.
  XMP's copies of EXIF Make, Model and Software that differ from EXIF's decoded text
  (``_xmpfields``; a copy that is EXIF's bytes in a legacy code page, information); a
  copy (a date's too) of a field EXIF does not write, information ("given, EXIF has none").
- **thumbnail**: the EXIF thumbnail (IFD1 JPEG) decoded, turned by the EXIF orientation like
  the image, and compared with the image reduced to the same size: Pearson correlation of
  the luminance, by the best of the whole thumbnail or without black letterbox bars, against
  the whole image, its centre cropped to the thumbnail's aspect or all of it stretched to it
  (``_imaging.compare_thumbnail``; the row and ``thumbnail_fit`` name the fit). A thumbnail that shows other content is strong
  evidence that the picture was changed after the camera wrote it (editors that keep EXIF
  often keep the old thumbnail). This is the comparison of E. Kee and H. Farid's thumbnail
  work turned into a direct test ("Digital image authentication from thumbnails", SPIE 2010)
  and of the thumbnail view of tools such as JPEGsnoop and FotoForensics. A HEIF file (phones)
  holds its thumbnail as an image item of its own: decoded by ``engine.heif.decode_thumbnail``
  (turned by its own irot/imir alone) and compared the same way, as "HEIF thumbnail item"; when
  its own irot/imir differ from the primary image's and it matches only turned as the image
  is, a notice that says so. An EXIF thumbnail in a HEIF file is turned by the primary
  image's irot/imir (libheif turned the picture by them, never the EXIF thumbnail), else by
  the EXIF tag the file holds.
- **auxiliary**: a HEIF file's depth map and other auxiliary images (an iPhone's HDR gain map)
  listed with their sizes as shown; a depth map of another aspect than the image is a notice
  (made for another framing). Their content is not analysed.

Map: where the image differs from its thumbnail (after matching mean and contrast of the two),
at the thumbnail's resolution scaled up over the part of the image compared (0 where a
cropped thumbnail does not show it); of the thumbnail that agrees least when there are
several; None without a usable thumbnail.

Rows name a field as its source and the field, an XMP property by the prefix the XMP
specification writes (``XMP xmp:ModifyDate vs xmp:CreateDate``, ``XMP xmpMM:History``)
whichever prefix the packet declared for it.

Hostile metadata: every value is untrusted text. It is decoded once, by its reader (EXIF
text by ``engine.exif.exif_text``, XMP as UTF-8 by ``engine.xmp``), leniently; control and format
characters (including bidirectional overrides) are written as ``\\uXXXX`` escapes, values are
capped at ``VALUE_CAP`` characters (``engine.metatext``) and XMP at ``XMP_CAP`` bytes. Nothing is parsed as XML or
otherwise interpreted: fields are found by pattern, in the capped text, and a value's XML
references (``&lt;``, ``&#233;``) are decoded once (:func:`engine.xmp.xml_unescaped`), no entity ever
defined or fetched.
"""

from __future__ import annotations

import io
import math
from dataclasses import dataclass
from datetime import timezone

import numpy as np
from numpy.typing import NDArray
from PIL import ExifTags, Image

from engine.analyses._dates import PLACEHOLDER_DATES, Dated, exif_date_findings, with_offset
from engine.analyses._imaging import open_stored, orient_rgb
from engine.analyses._thumbcompare import compare, own_turn, undecodable
from engine.analyses._xmpfields import listed, xmp_field_findings
from engine.analyses.base import (
    Context,
    Finding,
    Level,
    MapMeaning,
    MapScale,
    Output,
    register_analysis,
)
from engine.exif import (
    EXIF_OFFSET_OF,
    NOT_UTF8,
    exif_decoded,
    exif_text,
    parse_exif_date,
    parse_offset,
    trimmed,
)
from engine.heif import (
    DEPTH_TYPES,
    HeifItemError,
    apply_transforms,
    decode_thumbnail,
    heif_items,
    undo_transforms,
)
from engine.metatext import clean, editor_in
from engine.types import Evidence
from engine.xmp import xmp_fields, xmp_has, xmp_text

THUMB_MAX_BYTES = 1 << 20  # an EXIF thumbnail larger than this is not decoded
THUMB_MAX_SIDE = 1024
HEIF_THUMBS = 4  # thumbnail items of a HEIF file compared (phones write one)
HEIF_AUX = 8  # auxiliary items of a HEIF file listed
# a depth map whose aspect differs from the image's by more (log ratio) is of another framing;
# phones write one of the same aspect at a fraction of the size (768 x 576 for 4032 x 3024)
DEPTH_ASPECT_TOLERANCE = 0.02


@dataclass(frozen=True)
class MetadataParams:
    thumb_strong: float = 0.5  # thumbnail correlation below this: other content (strong)
    thumb_notice: float = 0.85  # below this: differs (notice): crop, local edit, processing
    date_tolerance_s: float = 60.0  # seconds two dates with a time may be apart: clocks, saving

    def __post_init__(self) -> None:
        if not -1.0 <= self.thumb_strong <= self.thumb_notice <= 1.0:
            raise ValueError("need -1 <= thumb_strong <= thumb_notice <= 1")


# formats a camera writes (Pillow's names; raw files open as their TIFF or JPEG previews;
# HEIF: phones' photographs, engine.heif)
CAMERA_FORMATS = frozenset({"JPEG", "MPO", "TIFF", "HEIF"})


def _exif_findings(
    img: Image.Image, p: MetadataParams
) -> tuple[list[Finding], dict, dict[str, Dated]]:
    rows: list[Finding] = []
    facts: dict = {}
    try:
        exif = img.getexif()
        sub = dict(exif.get_ifd(ExifTags.IFD.Exif))
        gps = dict(exif.get_ifd(ExifTags.IFD.GPSInfo))
    except Exception:
        rows.append(
            Finding("exif", "EXIF", "unreadable", Level.NOTICE, "the EXIF block is damaged")
        )
        return rows, {"exif": "damaged"}, {}
    make, model = exif.get(0x010F), exif.get(0x0110)
    if (img.format or "").upper() == "TIFF":
        # A TIFF's IFD0 is its image directory (size, strips, compression), which Pillow
        # returns as its "EXIF" whatever wrote the file: EXIF there is the Exif IFD, GPS or
        # the camera's Make/Model (version 2 called a plain TIFF "EXIF without a camera").
        has_exif = bool(sub) or bool(gps) or bool(make or model)
    else:
        has_exif = len(exif) > 0 or bool(sub)
    facts["exif"] = has_exif
    if not has_exif and (img.format or "").upper() not in CAMERA_FORMATS:
        # cameras do not write this format: software made or converted the file, which the
        # format says already; no EXIF adds nothing to it (version 1 called it a notice)
        rows.append(
            Finding(
                "camera",
                "EXIF",
                "absent",
                Level.INFO,
                f"usual for {img.format or 'this format'}: cameras write JPEG, TIFF, HEIF or raw "
                "files, so software made or converted this one; no EXIF says nothing more",
            )
        )
    elif not has_exif:
        rows.append(
            Finding(
                "camera",
                "EXIF",
                "absent",
                Level.NOTICE,
                "camera files carry EXIF: it was stripped, or the file was re-encoded",
            )
        )
    elif not make and not model:
        rows.append(
            Finding("camera", "Make/Model", "absent", Level.NOTICE, "EXIF without a camera")
        )
    else:
        rows.append(
            Finding(
                "camera",
                "Make/Model",
                clean(f"{exif_text(make) or ''} {exif_text(model) or ''}"),
                Level.INFO,
                "",
            )
        )
    for tag, key in (
        (0x0131, "Software"),
        (0x000B, "ProcessingSoftware"),
        (0x013C, "HostComputer"),
    ):
        if tag in exif:
            value = clean(exif_text(exif[tag]))
            ed = editor_in(value)
            rows.append(
                Finding(
                    "software",
                    f"EXIF {key}",
                    value,
                    Level.NOTICE if ed else Level.INFO,
                    f"names editing software ({ed})" if ed else "camera firmware or other",
                )
            )
    dates = {}
    for key, raw in (
        ("DateTimeOriginal", sub.get(0x9003)),
        ("DateTimeDigitized", sub.get(0x9004)),
        ("DateTime", exif.get(0x0132)),
    ):
        if raw is None:
            continue
        if (fixed := PLACEHOLDER_DATES.get(trimmed(str(raw)))) is not None:
            rows.append(Finding("dates", f"EXIF {key}", _verbatim(raw), Level.INFO, fixed))
        elif (t := parse_exif_date(str(raw))) is not None:
            dates[key] = Dated(clean(raw), with_offset(t, _exif_offset(sub, key, rows)))
        elif set(str(raw).strip("\x00")) <= set("0: "):  # cameras whose clock was never set
            rows.append(
                Finding("dates", f"EXIF {key}", _verbatim(raw), Level.INFO, "clock not set")
            )
        else:
            rows.append(
                Finding("dates", f"EXIF {key}", _verbatim(raw), Level.NOTICE, "not a valid date")
            )
    date_rows, date_facts = exif_date_findings(dates, p.date_tolerance_s)
    rows += date_rows
    facts.update(date_facts)
    if gps:
        rows.append(_gps_finding(gps))
    if has_exif:
        rows += _size_findings(img, exif, sub)
    return rows, facts, dates


def _size_findings(img: Image.Image, exif: Image.Exif, sub: dict) -> list[Finding]:
    """A notice when the EXIF's image size (PixelXDimension x PixelYDimension, tags 40962 and
    40963; a JPEG's IFD0 ImageWidth x ImageLength, 256 and 257, which a TIFF's IFD0 holds as
    the image's own) is not the stored image's, either way round (the orientation turns only
    what is shown): the pixels were resized, cropped or re-saved after the camera wrote it.
    Under an orientation that turns the image (EXIF 5 to 8) the notice gives the stored size
    and the size shown, which the evidence header and the reports give: "the image is
    2000x1500" beside a header's 1500x2000 read as two images."""
    w, h = img.size  # as stored, before the orientation
    turned = exif.get(0x0112) in (5, 6, 7, 8)
    size = f"stored as {w}x{h} (shown {h}x{w})" if turned else f"{w}x{h}"
    declared = [("PixelXDimension x PixelYDimension", sub.get(0xA002), sub.get(0xA003))]
    if (img.format or "").upper() != "TIFF":
        declared.append(("ImageWidth x ImageLength", exif.get(0x0100), exif.get(0x0101)))
    rows: list[Finding] = []
    for key, dw, dh in declared:
        dw, dh = _size_value(dw), _size_value(dh)
        if dw and dh and (dw, dh) not in ((w, h), (h, w)):
            rows.append(
                Finding(
                    "camera",
                    f"EXIF {key}",
                    f"{dw}x{dh}",
                    Level.NOTICE,
                    f"EXIF says {dw}x{dh}, the image is {size}: resized or re-saved after capture",
                )
            )
    return rows


def _size_value(value: object) -> int | None:
    """A size tag's value as a positive int; None for anything else (absent, 0, text)."""
    if isinstance(value, tuple) and len(value) == 1:
        value = value[0]
    return value if isinstance(value, int) and not isinstance(value, bool) and value > 0 else None


def _angle(value: object, ref: object) -> tuple[str, float] | None:
    """A GPS latitude or longitude (degrees, minutes, seconds) as the reports' metadata table
    writes it, ``52° 31′ 12.34″ N``, and its signed decimal degrees; None when it is not three
    finite numbers."""
    try:
        d, m, s = (float(v) for v in value)  # type: ignore[attr-defined]
    except (TypeError, ValueError, ZeroDivisionError):
        return None
    if not all(math.isfinite(v) for v in (d, m, s)):
        return None
    hemisphere = clean(ref).strip().upper()
    sign = -1 if hemisphere in ("S", "W") else 1
    where = f" {hemisphere}" if hemisphere in ("N", "S", "E", "W") else ""
    return f"{d:g}° {m:g}′ {s:.6g}″{where}", sign * (d + m / 60 + s / 3600) + 0.0  # no -0


def _undefined(value: object) -> bool:
    """Whether a GPS angle is all 0/0 rationals (read as NaN): written without a value."""
    try:
        return all(math.isnan(float(v)) for v in value)  # type: ignore[attr-defined]
    except (TypeError, ValueError, ZeroDivisionError):
        return False


def _gps_finding(gps: dict) -> Finding:
    """The GPS position as the metadata table writes it, with its decimal degrees (values
    that are not angles as recorded); 0, 0, what a receiver without a position fix can write,
    said to be no position."""
    lat, lon = _angle(gps.get(2), gps.get(1, "")), _angle(gps.get(4), gps.get(3, ""))
    note = "a position claim that can be checked against the scene; also personal data"
    if lat is None or lon is None:  # shown as recorded
        parts = [(gps.get(2), gps.get(1, "")), (gps.get(4), gps.get(3, ""))]
        missing = any(v is None for v, _ in parts)
        where = ", ".join(f"{clean(v)} {clean(exif_text(r))}" for v, r in parts)
        if missing:  # Nikon D90: GPSVersionID alone, a block with nothing to check
            where = f"GPS block without a position (only {_gps_tags(gps)})"
            note = "no latitude or longitude: no position claim (cameras that accept a GPS "
            note += "unit write the block without one when none is attached)"
        if not missing and all(_undefined(v) for v, _ in parts):  # 0/0: a value left unset
            where = "no position: latitude and longitude written as 0/0"
            note = "GPS fields without a value (0/0), as a camera with no receiver can leave"
        return Finding("gps", "GPS", where, Level.INFO, note)
    if lat[1] == 0 and lon[1] == 0:
        note = (
            "latitude and longitude 0: what a receiver with no position fix can write (0° N 0° E "
            "is open sea off West Africa), so most likely no position; the GPS date and time "
            "beside it may be a default too"
        )
    value = f"{lat[0]}, {lon[0]} ({lat[1]:.6f}, {lon[1]:.6f})"
    return Finding("gps", "GPS", value, Level.INFO, note)


def _gps_tags(gps: dict) -> str:
    """The names of the tags a GPS block holds, as stored (the first 8)."""
    names = [ExifTags.GPSTAGS.get(k, hex(k)) if isinstance(k, int) else clean(k) for k in gps]
    more = f" and {len(names) - 8} more" if len(names) > 8 else ""
    return (", ".join(names[:8]) if names else "no tags") + more


def _verbatim(raw: object) -> str:
    """An invalid EXIF date or offset as written, its blanks kept and quoted (EXIF's "unknown"
    is spaces), decoded as EXIF text is (:func:`engine.exif.exif_decoded`; not UTF-8: said so
    after the quotes)."""
    text, utf8 = exif_decoded(raw)
    return f'"{clean(text, strip=False)}"' + ("" if utf8 else f" {NOT_UTF8}")


def _exif_offset(sub: dict, key: str, rows: list[Finding]) -> timezone | None:
    """The UTC offset EXIF 2.31 records for the date ``key`` (OffsetTime, OffsetTimeOriginal);
    None when absent, blank or invalid (a notice for the last: the date is then compared as a
    clock reading)."""
    raw = sub.get(EXIF_OFFSET_OF[key])
    if raw is None or not str(raw).strip(" :\x00"):
        return None
    offset = parse_offset(str(raw))
    if offset is None:
        name = ExifTags.TAGS.get(EXIF_OFFSET_OF[key], hex(EXIF_OFFSET_OF[key]))
        rows.append(
            Finding("dates", f"EXIF {name}", _verbatim(raw), Level.NOTICE, "not a valid UTC offset")
        )
    return offset


def _other_findings(
    img: Image.Image, exif_dates: dict[str, Dated], p: MetadataParams
) -> list[Finding]:
    rows: list[Finding] = []
    comment = img.info.get("comment")
    if isinstance(comment, bytes):  # NUL padding as cameras write it (Minolta: "PADBYTES\0")
        comment = comment.rstrip(b"\x00")
    if comment:
        value = clean(comment)
        ed = editor_in(value)
        rows.append(
            Finding(
                "software",
                "JPEG comment",
                value,
                Level.NOTICE if ed else Level.INFO,
                f"names editing software ({ed})" if ed else "",
            )
        )
    if "photoshop" in img.info:
        rows.append(
            Finding(
                "xmp",
                "Photoshop resources (APP13)",
                "present",
                Level.NOTICE,
                "written by Adobe software and some others (also IPTC editors)",
            )
        )
    xmp = xmp_text(img)
    if xmp is None:
        return rows
    for name in ("xmp:CreatorTool",):
        for v in xmp_fields(xmp, name)[:3]:
            value = clean(v)
            ed = editor_in(value)
            rows.append(
                Finding(
                    "software",
                    f"XMP {name}",
                    value,
                    Level.NOTICE if ed else Level.INFO,
                    f"names editing software ({ed})" if ed else "",
                )
            )
    if xmp_has(xmp, "photoshop:DocumentAncestors"):
        note = "Photoshop lists documents this one was made from"
        value = listed(xmp, "photoshop:DocumentAncestors")
        rows.append(Finding("xmp", "XMP photoshop:DocumentAncestors", value, Level.NOTICE, note))
    return rows + xmp_field_findings(xmp, img, exif_dates, p.date_tolerance_s)


# --- thumbnail ----------------------------------------------------------------------------


def exif_thumbnail(img: Image.Image) -> bytes | None:
    """The JPEG bytes of the EXIF thumbnail (IFD1), or None when absent or implausible."""
    raw = img.info.get("exif")
    if not raw:
        return None
    try:
        ifd1 = img.getexif().get_ifd(ExifTags.IFD.IFD1)
    except Exception:
        return None
    off, length = ifd1.get(0x0201), ifd1.get(0x0202)
    if not isinstance(off, int) or not isinstance(length, int):
        return None
    tiff = raw[6:] if raw[:6] == b"Exif\x00\x00" else raw
    if off <= 0 or length <= 0 or length > THUMB_MAX_BYTES or off + length > len(tiff):
        return None
    data = bytes(tiff[off : off + length])
    return data if data[:2] == b"\xff\xd8" else None


def _heif_exif_turned(thumb: NDArray[np.uint8], img: Image.Image, data: bytes) -> NDArray[np.uint8]:
    """An EXIF thumbnail of a HEIF file turned as the picture is shown. A phone stores both as
    shot, with ``irot``/``imir`` on the primary image and the EXIF tag to match; libheif turns
    the picture by the boxes (the evidence's orientation is then 1), never the EXIF thumbnail:
    the primary image's boxes turn it here, or when unreadable the file's EXIF tag."""
    try:
        return apply_transforms(thumb, heif_items(data).primary.transforms)
    except HeifItemError:
        tag = img.info.get("original_orientation")  # pi-heif's copy of the file's tag
        return orient_rgb(thumb, tag if tag in range(1, 9) else 1)


def _thumbnail(
    evidence: Evidence, img: Image.Image, p: MetadataParams, data: bytes
) -> tuple[list[Finding], NDArray[np.float32] | None, dict]:
    data = exif_thumbnail(img)
    if data is None:
        return [], None, {"thumbnail": None}
    try:
        th = Image.open(io.BytesIO(data), formats=["JPEG"])
        if max(th.size) > THUMB_MAX_SIDE:
            raise ValueError(f"thumbnail of {th.size} is implausibly large")
        thumb = np.asarray(th.convert("RGB"), dtype=np.uint8)
    except Exception as e:
        return [undecodable("EXIF thumbnail", e)], None, {"thumbnail": "undecodable"}
    if evidence.format == "HEIF":
        shown = _heif_exif_turned(thumb, img, data)
    else:
        shown = orient_rgb(thumb, evidence.orientation)
    compared = compare(evidence, shown, "EXIF thumbnail", "", p)
    if compared is None:
        return [], None, {"thumbnail": "too small"}
    row, m, facts = compared
    return [row], m, facts


def _heif_items(
    evidence: Evidence, data: bytes, p: MetadataParams
) -> tuple[list[Finding], list[tuple[Finding, NDArray[np.float32], dict]], dict]:
    """A HEIF file's thumbnail items compared with the image as EXIF thumbnails are, and its
    depth map and auxiliary images listed with their sizes (their content is not analysed):
    (findings, comparisons, facts)."""
    try:
        items = heif_items(data)
    except HeifItemError as e:
        row = Finding(
            "auxiliary",
            "HEIF items",
            "unreadable",
            Level.INFO,
            f"thumbnail and auxiliary items not examined ({clean(str(e), 80)})",
        )
        return [row], [], {}
    rows: list[Finding] = []
    compared: list[tuple[Finding, NDArray[np.float32], dict]] = []
    key = "HEIF thumbnail item"
    for thumb in items.thumbnails[:HEIF_THUMBS]:
        try:
            if thumb.size is not None and max(thumb.size) > THUMB_MAX_SIDE:
                raise ValueError(f"thumbnail of {thumb.size} is implausibly large")
            rgb = decode_thumbnail(data, items, thumb)
        except Exception as e:
            rows.append(undecodable(key, e))
            continue
        h, w = rgb.shape[:2]
        if (c := compare(evidence, rgb, key, f" ({w} x {h})", p)) is not None:
            turned = c[2]["thumbnail_correlation"] < p.thumb_notice
            if thumb.transforms != items.primary.transforms and turned:
                as_image = apply_transforms(
                    undo_transforms(rgb, thumb.transforms), items.primary.transforms
                )
                c = own_turn(c, compare(evidence, as_image, key, "", p), p)
            compared.append(c)
    image = items.primary.shown()
    aux_facts = []
    for aux in items.auxiliary[:HEIF_AUX]:
        shown = aux.shown(aux.transforms or items.primary.transforms)
        size = "size unknown" if shown is None else f"{shown[0]} x {shown[1]}"
        fact: dict = {
            "type": clean(aux.aux_type, 80),
            "size": None if shown is None else list(shown),
        }
        if aux.aux_type not in DEPTH_TYPES:
            note = "an auxiliary image (such as an HDR gain map): listed, its content not analysed"
            rows.append(
                Finding(
                    "auxiliary", "HEIF auxiliary image", f"{fact['type']}: {size}", Level.INFO, note
                )
            )
            aux_facts.append(fact)
            continue
        level, note = Level.INFO, "a depth map; its content is not analysed"
        if shown is not None and image is not None:
            ratio = abs(np.log((shown[0] / shown[1]) / (image[0] / image[1])))
            fact["aspect_matches"] = bool(ratio <= DEPTH_ASPECT_TOLERANCE)
            if fact["aspect_matches"]:
                note = f"a depth map of the image's aspect ({image[0]} x {image[1]}); its content is not analysed"
            else:
                level = Level.NOTICE
                note = (
                    f"a depth map of another aspect than the image ({image[0]} x {image[1]}): "
                    "made for another framing: the picture may have been cropped or changed "
                    "after the depth map was written"
                )
        rows.append(Finding("auxiliary", "HEIF depth map", size, level, note))
        aux_facts.append(fact)
    facts: dict = {}
    if compared:
        facts["heif_thumbnails"] = [
            c[2]["thumbnail"] | {"correlation": c[2]["thumbnail_correlation"]} for c in compared
        ]
    if aux_facts:
        facts["heif_auxiliary"] = aux_facts
    return rows, compared, facts


@register_analysis(
    "metadata",
    MetadataParams(),
    method="EXIF/XMP anomalies and EXIF (or HEIF) thumbnail versus image",
    source="EXIF 2.3 (CIPA DC-008), XMP (ISO 16684-1) fields; thumbnail test as in JPEGsnoop / "
    "FotoForensics and E. Kee, H. Farid, 'Digital image authentication from thumbnails', SPIE 2010",
    # 2: no EXIF in a format no camera writes (PNG, WebP...) is information; 3: a HEIF file's
    # thumbnail items compared as EXIF thumbnails are, its depth map and auxiliary images listed;
    # 4: a TIFF's own image directory is not counted as EXIF; 5: a HEIF file's EXIF
    # thumbnail is turned by the primary image's irot/imir (it was compared unturned);
    # 6: a HEIF thumbnail item by its own irot/imir alone, a notice when they differ from the
    # image's and only the image's match (none borrowed the image's: "matches");
    # 7: a thumbnail of another aspect compared with the image's centre cropped to it too;
    # 8: dates compared in UTC by their offsets when both are recorded (they were compared as
    # clock readings: 11:00 +02:00 read as after 10:30 +01:00), XMP ModifyDate before
    # CreateDate flagged as EXIF's is, a date followed by other text invalid
    # 9: XMP values shown with their XML references decoded (``&lt;img&gt;`` was shown so)
    # 10: XMP values in CDATA sections read (they were dropped); EXIF DateTimeDigitized,
    # photoshop:DateCreated and xmp:MetadataDate compared; XMP dates without a time by the day
    # 11: XMP arrays read (rdf:Alt, Seq, Bag: they were dropped), XMP's copies of EXIF's
    # dates, Make, Model and Software compared with EXIF's, CreateDate with DateCreated, XMP
    # dates that are not dates shown; properties read under the prefix a packet declares for
    # their namespace (xap: for xmp:, as Photoshop CS2 wrote: none was read)
    # 12: xmp:CreateDate and xmp:ModifyDate compared with EXIF's DateTimeDigitized and
    # DateTime, which they hold (only the deprecated exif:/tiff: copies were); the GPS row
    # in degrees, minutes and seconds as the metadata table (it printed Python's tuples),
    # a position of 0, 0 said to be most likely none
    # 13: a scan's DateTime at its digitising is explained by it (information; it was "file
    # changed after capture", a notice); an XMP copy (exif:, tiff:) of a field EXIF lacks is
    # an information row; an XMP date's several values that disagree listed (a notice) and
    # its comparisons said to use the first of N (the others went unseen); XMP names read
    # whole (myxmp:CreatorTool was read as xmp:CreatorTool); XMP date and history rows named
    # by the prefixed field (XMP xmp:ModifyDate vs xmp:CreateDate, XMP xmpMM:History)
    # 14: XMP attributes in single quotes and elements carrying attributes (xml:lang,
    # rdf:datatype) read (they were skipped); an empty xmpMM:DerivedFrom information that it
    # names no document (it was the notice "derived from another document"), a named one's
    # references listed; xmpMM:History read entry by entry (stEvt: fields outside it no
    # longer taken for steps), its steps' dates listed and compared with the capture,
    # xmp:ModifyDate and xmp:MetadataDate
    # also 14: XMP dates with the sub-seconds run into the seconds (Photoshop CS2,
    # "15:00:2213Z") read as seconds and fraction (they were "not a valid date"), a row saying
    # so; photoshop:DateCreated at 00:00:00 compared by the day (it was to the hour: "30.0 h
    # before" a capture the next morning)
    # 15: text decoded once, by its reader (EXIF's by exif_text, XMP's as UTF-8): clean no
    # longer tried every value as Latin-1 bytes in UTF-8 (XMP's "Ã©" read "é"); XMP's copy
    # of a name compared with EXIF's decoded text, one written in a legacy code page as
    # EXIF's bytes information (it was "differs"); undotted sub-seconds of any length read
    # (4 or more digits were "not a valid date"); a midnight photoshop:DateCreated with any
    # offset compared by the day (only Z's or none's were); the history's last saved
    # instanceID against xmpMM:InstanceID (information); the XMP dates read once; EXIF
    # text's trailing NUL padding dropped as it is decoded (findings showed \u0000 escapes)
    # 16: a GPS block without latitude or longitude says so and lists its tags (it was
    # "present — a position claim"); a JPEG comment's trailing NULs dropped too
    # 17: no finding changes; the loader's metadata table (which this version follows:
    # scan/upgrade.py reads it again for rows of an earlier one) marks a value cut at
    # METADATA_VALUE_CAP with its length and counts the fields METADATA_TOTAL_CAP left out
    # 18: a thumbnail that agrees overall no longer "matches the image" (one correlation
    # hardly moves for a local edit); a notice when its map is high over 0.5 % of the image
    # (_thumbcompare.LOCAL_SHARE), thumbnail_local_share in the facts
    # 19: the EXIF's image size (PixelXDimension/PixelYDimension; a JPEG's IFD0 ImageWidth/
    # ImageLength) compared with the stored image's, either way round: a notice when they
    # differ (resized or re-saved after capture; none of 53 camera photographs nor of CASIA's)
    # 20: that notice gives the size shown beside the stored one when the orientation turns
    # the image ("stored as 2000x1500 (shown 1500x2000)"; the header and reports say 1500x2000)
    version="20",
    description="metadata findings (editing software, dates, camera, GPS, XMP history) and "
    "the EXIF thumbnail (or a HEIF file's thumbnail items) compared with the image",
    needs_file=True,
)
def metadata(evidence: Evidence, p: MetadataParams, ctx: Context) -> Output:
    ctx.step(0, 2)
    img = open_stored(ctx.file_bytes(), evidence.format)
    rows, facts, exif_dates = _exif_findings(img, p)
    rows += _other_findings(img, exif_dates, p)
    ctx.step(1, 2)
    thumb_rows, m, thumb_facts = _thumbnail(evidence, img, p, ctx.file_bytes())
    rows += thumb_rows
    facts.update(thumb_facts)
    source = "its EXIF thumbnail"
    if evidence.format == "HEIF":
        heif_rows, compared, heif_facts = _heif_items(evidence, ctx.file_bytes(), p)
        rows += heif_rows + [c[0] for c in compared]
        facts.update(heif_facts)
        # the map of the thumbnail that agrees least (an EXIF thumbnail counts too)
        for _row, heif_map, heif_thumb in compared:
            if m is None or heif_thumb["thumbnail_correlation"] < facts["thumbnail_correlation"]:
                m, source = heif_map, "its HEIF thumbnail item"
                facts.update(heif_thumb)
    order = {Level.STRONG: 0, Level.NOTICE: 1, Level.INFO: 2}
    rows.sort(key=lambda f: order[f.level])
    facts["strong"] = sum(f.level == Level.STRONG for f in rows)
    facts["notice"] = sum(f.level == Level.NOTICE for f in rows)
    ctx.step(2, 2)
    return Output(
        map=m,
        meaning=None
        if m is None
        else MapMeaning(
            scale=MapScale.RAW,
            label=f"difference between the image and {source} (luminance, mean and "
            "contrast matched, at the thumbnail's resolution)",
            unit="|z-score difference| / 4, clipped at 1",
            high="the image differs from what the thumbnail shows here",
        ),
        findings=tuple(rows),
        extras=facts,
    )
