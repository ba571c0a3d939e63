"""The metadata analysis's XMP rows besides editing software and history: XMP's dates read
(one that is not a date shown as written, as an EXIF date is) and compared with each other and
with EXIF's (``_dates``); XMP's copies of EXIF's camera and software names (``tiff:Make``,
``tiff:Model``, ``tiff:Software``) against EXIF's own, decoded (one that is EXIF's bytes in a
legacy code page the same text, information); the claims a file makes of itself
(``dc:creator``, ``dc:rights``, ``dc:title``...), read from their arrays (``engine.xmp.xmp_array``);
the editing history entry by entry (``engine.xmp.xmp_history``), each step's date against the
capture and the file's last modification (:func:`history_date_findings`), its last save's
instance against the document's ``xmpMM:InstanceID`` (:func:`instance_findings`); the document
``xmpMM:DerivedFrom`` names, or that it names none (:func:`derived_from_findings`).
"""

from __future__ import annotations

from PIL import ExifTags, Image

from engine.analyses._dates import (
    XMP_COPIES,
    XMP_DATES,
    Dated,
    Gap,
    copy_alone,
    copy_date_findings,
    gap,
    parse_xmp_when,
    shown,
    undotted_findings,
    xmp_date_findings,
)
from engine.analyses.base import Finding, Level
from engine.exif import NOT_UTF8, exif_decoded, trimmed
from engine.metatext import clean
from engine.xmp import XMP_ITEMS, HistoryEntry, derived_from, xmp_array, xmp_fields, xmp_history

# Dublin Core properties (XMP's dc: namespace) shown as the claims they are: who made the
# picture, its rights, its title, caption and keywords; information, never checked
DESCRIPTIVE = (
    ("dc:creator", "the author(s) the file names"),
    ("dc:rights", "the rights statement the file carries"),
    ("dc:title", "the title the file carries"),
    ("dc:description", "the description or caption the file carries"),
    ("dc:subject", "the keywords the file carries"),
)

# XMP's copies of EXIF's IFD0 text tags (the XMP specification's tiff: namespace): the tag, its
# name, the topic of a finding
NAME_COPIES = {
    "tiff:Make": (0x010F, "Make", "camera"),
    "tiff:Model": (0x0110, "Model", "camera"),
    "tiff:Software": (0x0131, "Software", "software"),
}

_NO_DATE = set("0:-T ")  # a blank or all-zero date: none written

# the EXIF dates XMP copies and their tags (DateTime in IFD0, the others in the Exif IFD)
_EXIF_DATE_TAGS = {"DateTimeOriginal": 0x9003, "DateTimeDigitized": 0x9004, "DateTime": 0x0132}


def listed(xmp: str, name: str) -> str:
    """What an array property such as ``photoshop:DocumentAncestors`` lists: its count and its
    first ``XMP_ITEMS`` items; "present" when it holds no text items."""
    array = xmp_array(xmp, name)
    if array is None:
        return "present"
    return clean(f"{array.count} listed: {'; '.join(array.items)}", 600)


def _descriptive(xmp: str) -> list[Finding]:
    rows: list[Finding] = []
    for name, what in DESCRIPTIVE:
        array = xmp_array(xmp, name)
        if array is None:
            values = xmp_fields(xmp, name)[:1]  # a value written as plain text, not an array
            if values and values[0].strip():
                rows.append(Finding("xmp", f"XMP {name}", clean(values[0]), Level.INFO, what))
            continue
        if not any(v.strip() for v in array.items):  # an empty title some writers leave
            continue
        note = what
        if array.kind == "Alt":
            value = clean(array.default)
            if others := array.other_languages:
                note += f"; also in {len(others)} other language(s): {clean(', '.join(others))}"
        else:
            value = clean("; ".join(array.items), 600)
            if array.count > XMP_ITEMS:
                note += f"; {array.count} items, the first {XMP_ITEMS} shown"
        rows.append(Finding("xmp", f"XMP {name}", value, Level.INFO, note))
    return rows


def _apart(values: list[str], tolerance_s: float) -> bool:
    """Whether the values of one XMP date say different dates: written differently, and not
    all dates within ``tolerance_s`` of the first (``08:00Z`` and ``10:00+02:00`` agree)."""
    if len({trimmed(v) for v in values}) < 2:
        return False
    read = [Dated("", *when) for v in values if (when := parse_xmp_when(v)) is not None]
    if len(read) < len(values):  # one is not a date
        return True
    return any(gap(read[0], d).side(tolerance_s) for d in read[1:])


def _subsecs(img: Image.Image) -> dict[str, str]:
    """EXIF's sub-seconds (SubSecTime, SubSecTimeOriginal, SubSecTimeDigitized) as written,
    by tag name; none when the EXIF cannot be read."""
    try:
        sub = img.getexif().get_ifd(ExifTags.IFD.Exif)
    except Exception:
        return {}
    tags = {0x9290: "SubSecTime", 0x9291: "SubSecTimeOriginal", 0x9292: "SubSecTimeDigitized"}
    return {name: trimmed(str(sub[tag])) for tag, name in tags.items() if tag in sub}


def _dates(
    xmp: str, tolerance_s: float, subsecs: dict[str, str]
) -> tuple[dict[str, Dated], list[Finding]]:
    """XMP's dates (``XMP_DATES``) and its copies of EXIF's (``XMP_COPIES``) by name, the first
    value of each; one that is not a date is a row as EXIF's is ("not a valid date"; a blank
    or all-zero one "no date written"), never compared (version 10 skipped it silently).

    An XMP date is one value (ISO 16684-1 gives each of these properties the type Date), but a
    packet can hold several: the property under two prefixes (``xap:`` and ``xmp:``, two
    toolkits), twice, or as an array. When they say different dates, the first, the one XMP
    readers show, is compared, the comparisons say it is "the first of N values", and a
    notice lists them all: an analyst sees every value and that they disagree, which is a
    finding in itself (two writers, or one value changed and not the other), without every
    pair of values compared with every other date (N x M rows repeating one inconsistency).
    Before version 13 only the first was read, the others never shown.

    A date written without the point before its sub-seconds, as Photoshop CS2 did, is read so
    and an information row says it (``_dates.undotted_findings``, against EXIF's sub-seconds
    ``subsecs``), from the same read of the packet (before version 15 the metadata analysis
    looked every date up twice, once for these rows)."""
    dates: dict[str, Dated] = {}
    rows: list[Finding] = []
    first: dict[str, str] = {}
    for name in (*XMP_DATES, *XMP_COPIES):
        values = xmp_fields(xmp, name)
        if not values:
            continue
        first[name] = values[0]
        of = len(values) if _apart(values, tolerance_s) else 1
        if of > 1:
            note = (
                f"{of} values of a date XMP writes once, saying different dates: the first (the "
                "one XMP readers show) compared, the others not; two programs wrote it, or one "
                "value was changed without the other"
            )
            listed_values = clean("; ".join(values[:XMP_ITEMS]), 600)
            rows.append(Finding("dates", f"XMP {name} values", listed_values, Level.NOTICE, note))
        if (when := parse_xmp_when(values[0])) is not None:
            dates[name] = Dated(clean(values[0]), *when, of=of)
            continue
        raw = f'"{clean(values[0], strip=False)}"'
        if set(trimmed(values[0])) <= _NO_DATE:
            rows.append(Finding("dates", f"XMP {name}", raw, Level.INFO, "no date written"))
        else:
            rows.append(Finding("dates", f"XMP {name}", raw, Level.NOTICE, "not a valid date"))
    return dates, undotted_findings(first, subsecs) + rows


def _exif_dates_written(img: Image.Image) -> set[str] | None:
    """The EXIF dates ``img`` writes, valid or not (``_EXIF_DATE_TAGS``); None when its EXIF
    block is damaged (its own row says so: metadata._exif_findings)."""
    try:
        exif = img.getexif()
        sub = exif.get_ifd(ExifTags.IFD.Exif)
    except Exception:
        return None
    return {key for key, tag in _EXIF_DATE_TAGS.items() if tag in exif or tag in sub}


# code pages EXIF text is written in by software that does not write UTF-8 (Windows' and
# East Asian systems' defaults), by Python's name and as a row names them: XMP's copy of a
# name written in one of them as EXIF's very bytes is the same text, the copy showing which
# (tried only to compare the two, never to read EXIF's text: engine.exif.exif_decoded)
LEGACY_CODECS = {
    "cp1252": "Windows-1252",
    "cp1250": "Windows-1250",
    "cp1251": "Windows-1251",
    "gbk": "GBK",
    "big5": "Big5",
    "cp932": "Shift_JIS (Windows-31J)",
    "cp949": "EUC-KR (Windows-949)",
    "latin-1": "Latin-1",
}


def _written_as(copy: str, own: str) -> str | None:
    """The name of the code page (``LEGACY_CODECS``) in which XMP's ``copy`` is the bytes of
    EXIF's ``own`` (text as Pillow reads it, each byte as Latin-1); None in none of them."""
    try:
        raw = own.encode("latin-1")
    except UnicodeEncodeError:  # not read from bytes
        return None
    for codec, name in LEGACY_CODECS.items():
        try:
            if copy.encode(codec) == raw:
                return name
        except UnicodeEncodeError:
            continue
    return None


def _name_copies(xmp: str, img: Image.Image) -> list[Finding]:
    """XMP's copies of EXIF's Make, Model and Software (``NAME_COPIES``) against EXIF's own,
    both trimmed and decoded (EXIF's by :func:`engine.exif.exif_decoded`, as its own row
    shows it) and compared as shown (:func:`clean`): software that writes XMP copies them, so
    a difference is one of them changed or set without the other. A copy of a tag EXIF does
    not write is an information row (``_dates.copy_alone``).

    EXIF text whose bytes are not UTF-8 has no encoding to read it by; XMP is Unicode. When
    the copy, written in one of the ``LEGACY_CODECS``, is EXIF's bytes exactly (GBK "ACD
    Systems 数码成像" beside XMP's "ACD Systems 数码成像"), the two are one text: an
    information row naming the code page, not "differs" (version 14 compared EXIF's bytes as
    Latin-1, or as UTF-8 when they happened to be valid, with the copy)."""
    try:
        exif = img.getexif()
    except Exception:  # a damaged EXIF block: its own row says so (metadata._exif_findings)
        return []
    rows: list[Finding] = []
    for name, (tag, key, topic) in NAME_COPIES.items():
        values, own = xmp_fields(xmp, name), exif.get(tag)
        if values and values[0].strip() and own is None:
            rows.append(copy_alone(topic, f'"{clean(trimmed(values[0]))}"', name, key))
        if not values or own is None:
            continue
        copy = trimmed(values[0])
        read = own.decode("latin-1") if isinstance(own, bytes) else str(own)
        decoded, utf8 = exif_decoded(trimmed(read))
        own_text = f'"{clean(decoded)}"' + ("" if utf8 else f" {NOT_UTF8}")
        if clean(copy) == clean(decoded):
            continue
        value = f'"{clean(copy)}" vs {own_text}'
        if not utf8 and (codec := _written_as(copy, str(decoded))) is not None:
            note = (
                f"the same text: EXIF's bytes are XMP's copy written in {codec} (EXIF does not "
                "say its encoding; the copy shows it)"
            )
            rows.append(Finding(topic, f"XMP {name} vs EXIF {key}", value, Level.INFO, note))
            continue
        note = (
            f"XMP's copy of EXIF {key} differs from it (software that writes XMP copies the "
            "EXIF value): one of them was changed or set without the other"
        )
        rows.append(Finding(topic, f"XMP {name} vs EXIF {key}", value, Level.NOTICE, note))
    return rows


MAX_HISTORY = 20  # history entries listed in the history's row (all read are compared)


def _history(xmp: str) -> tuple[list[Finding], list[HistoryEntry]]:
    """The history's row: how many steps it records and the first ``MAX_HISTORY`` of them
    (action, when, software); each entry is a row of the metadata table too
    (``engine.xmp.xmp_rows``). Before version 14 its actions and agents were read apart, any
    ``stEvt:`` field anywhere, and paired by their order."""
    entries, count = xmp_history(xmp)
    if not entries:
        return [], []
    steps = []
    for e in entries[:MAX_HISTORY]:
        action = " ".join(v for v in (e.get("stEvt:action"), e.get("stEvt:when")) if v)
        agent = e.get("stEvt:softwareAgent")
        steps.append(clean(f"{action} ({agent})" if agent else action or "(no action)", 80))
    note = f"{count} recorded step(s) of an editing history"
    if count > MAX_HISTORY:
        note += f", the first {MAX_HISTORY} listed"
    row = Finding("xmp", "XMP xmpMM:History", clean("; ".join(steps), 1200), Level.NOTICE, note)
    return [row], entries


def instance_findings(xmp: str, entries: list[HistoryEntry]) -> list[Finding]:
    """The instance the history's last "saved" step names (``stEvt:instanceID``) against the
    document's (``xmpMM:InstanceID``). Adobe's software gives each save a new instance ID and
    writes it both as the document's InstanceID and as that step's instanceID, so the two
    normally agree. Apart, the file was most likely written after that step by a program that
    set a new InstanceID without adding to the history, or the history is another document's
    or an ID was edited; one equal to an earlier step's says the history records saves after
    the file's own.

    Information, not a notice: programs that write XMP without a history (an asset manager,
    a metadata editor, a converter) do this in ordinary work, it says nothing of the picture,
    and the history's own row is a notice already. No row without either ID (Photoshop CS2's
    steps have none; the IDs are compared as text, ignoring case, as UUIDs are)."""
    saved = [e for e in entries if e.get("stEvt:action").strip() == "saved"]
    step = next((e for e in reversed(saved) if e.get("stEvt:instanceID").strip()), None)
    document = next((v for v in xmp_fields(xmp, "xmpMM:InstanceID") if v.strip()), None)
    if step is None or document is None:
        return []
    ids = trimmed(step.get("stEvt:instanceID")).casefold(), trimmed(document).casefold()
    if ids[0] == ids[1]:
        return []
    note = (
        "the document's instance (xmpMM:InstanceID) is not the one the history's last save "
        "names, as the program that saves and records history writes them: the file was most "
        "likely written since by a program that keeps no history (or the history is another "
        "document's, or an ID was edited); not in itself a sign that the picture was changed"
    )
    earlier = [e.number for e in saved if trimmed(e.get("stEvt:instanceID")).casefold() == ids[1]]
    if earlier:
        note += f"; it is step [{earlier[-1]}]'s: the history records saves after the file's own"
    value = clean(
        f"[{step.number}] {trimmed(step.get('stEvt:instanceID'))} vs {trimmed(document)}", 600
    )
    key = "XMP xmpMM:History stEvt:instanceID vs xmpMM:InstanceID"
    return [Finding("xmp", key, value, Level.INFO, note)]


def _steps_apart(
    entries: list[HistoryEntry], date: Dated, side: int, tolerance_s: float, metadata: bool
) -> list[tuple[HistoryEntry, Dated, Gap]]:
    """The entries (``metadata``: those that changed the metadata alone; else the others)
    whose ``stEvt:when`` is dated on ``side`` (-1 before, 1 after) of ``date`` by more than
    ``tolerance_s``, with their date and the gap."""
    out = []
    for e in entries:
        when = parse_xmp_when(e.get("stEvt:when"))
        if when is None or (e.get("stEvt:changed").strip() == "/metadata") != metadata:
            continue
        d = Dated(clean(e.get("stEvt:when")), *when)
        g = gap(date, d)
        if g.side(tolerance_s) == side:
            out.append((e, d, g))
    return out


# a gap's unit in seconds, roughly, to find the furthest of gaps in different units
_UNIT_S = {"time": 1.0, "day": 86400.0, "month": 30.44 * 86400, "year": 365.25 * 86400}


def _seconds(g: Gap) -> float:
    return abs(g.amount) * _UNIT_S[g.unit]


def history_date_findings(
    entries: list[HistoryEntry],
    dates: dict[str, Dated],
    capture: Dated | None,
    tolerance_s: float,
) -> list[Finding]:
    """Each history entry's ``stEvt:when`` (when the step was taken) against the file's other
    dates, where an analyst expects an order (one finding per rule, listing the entries that
    break it by number, the furthest gap named):

    - a step dated before the capture (EXIF ``DateTimeOriginal``, else XMP's
      ``photoshop:DateCreated``): an edit of a photograph not yet taken; the clock or the
      metadata was edited, or the history was carried over from another document;
    - a step dated after the file's last modification (``xmp:ModifyDate``, which Adobe's
      software sets as it saves): the modification date was set back, or a program changed
      the file and wrote its history without it. A step that changed the metadata alone
      (``stEvt:changed`` ``/metadata``) need not move ModifyDate and is held against
      ``xmp:MetadataDate`` instead (the metadata's last change).

    Each is a notice. Dates are compared by what both say (``_dates.gap``), beyond
    ``tolerance_s``; a ``when`` that is not a date is shown in the history's rows, not
    compared."""
    rows: list[Finding] = []
    capture_name = "EXIF DateTimeOriginal"
    if capture is None and (capture := dates.get("photoshop:DateCreated")) is not None:
        capture_name = "XMP photoshop:DateCreated"
    rules = [
        (capture, capture_name, -1, False, "dated {span} before the capture"),
        (
            dates.get("xmp:ModifyDate"),
            "XMP xmp:ModifyDate",
            1,
            False,
            "dated {span} after the file's last modification (xmp:ModifyDate): the date set back, "
            "or a program changed the file and wrote its history without it",
        ),
        (
            dates.get("xmp:MetadataDate"),
            "XMP xmp:MetadataDate",
            1,
            True,
            "changing the metadata alone, dated {span} after the metadata's last change "
            "(xmp:MetadataDate): the date set back, or written by another program",
        ),
    ]
    for date, name, side, metadata, words in rules:
        if date is None:
            continue
        apart = _steps_apart(entries, date, side, tolerance_s, metadata)
        if not apart:
            continue
        furthest = max((g for _, _, g in apart), key=_seconds)
        listed_steps = "; ".join(f"[{e.number}] {shown(d)}" for e, d, _ in apart[:MAX_HISTORY])
        note = f"{len(apart)} history step(s) " + words.format(span=furthest.words())
        if side < 0:
            note += ": the clock or the metadata was edited, or the history is another document's"
        note += f"; {furthest.how()}"
        value = clean(f"{listed_steps} vs {shown(date)}", 600)
        key = f"XMP xmpMM:History stEvt:when vs {name.removeprefix('XMP ')}"
        rows.append(Finding("dates", key, value, Level.NOTICE, note))
    return rows


def derived_from_findings(xmp: str) -> list[Finding]:
    """``xmpMM:DerivedFrom``: the document this one says it was made from, its references
    listed (a notice); written empty (no reference, as Photoshop CS3 left it in 50 of CASIA's
    photographs), it names none and makes no such claim: information that says so (before
    version 14 it was the same notice, "present"); holding something not read, "present"."""
    derived = derived_from(xmp)
    if derived is None:
        return []
    references, empty = derived
    key = "XMP xmpMM:DerivedFrom"
    if empty:
        note = "written empty, naming no document: no claim that the file was derived from one"
        return [Finding("xmp", key, "empty", Level.INFO, note)]
    value = clean("; ".join(f"{f} {v}" for f, v in references), 600) if references else "present"
    note = "the file says it was derived from another document"
    return [Finding("xmp", key, value, Level.NOTICE, note)]


def xmp_field_findings(
    xmp: str, img: Image.Image, exif_dates: dict[str, Dated], tolerance_s: float
) -> list[Finding]:
    """The rows this module adds for the packet ``xmp`` of ``img``, whose EXIF dates were read
    as ``exif_dates``: XMP's dates (compared by ``_dates.xmp_date_findings`` and, its copies of
    EXIF's, ``_dates.copy_date_findings``), the name copies and the descriptive claims."""
    dates, rows = _dates(xmp, tolerance_s, _subsecs(img))
    history, entries = _history(xmp)
    rows = history + instance_findings(xmp, entries) + derived_from_findings(xmp) + rows
    rows += xmp_date_findings(dates, exif_dates.get("DateTimeOriginal"), tolerance_s)
    rows += history_date_findings(entries, dates, exif_dates.get("DateTimeOriginal"), tolerance_s)
    if (written := _exif_dates_written(img)) is not None:
        rows += copy_date_findings(dates, exif_dates, tolerance_s, written)
    return rows + _name_copies(xmp, img) + _descriptive(xmp)
