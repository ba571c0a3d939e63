"""How durations read, everywhere: the trainer's log, the training dialog, the batch dialog;
and how untrusted text (file names, metadata, a model card) reads on a terminal: :func:`plain`,
:func:`plain_lines` (escape sequences and bidi controls shown as ``\\x1b``, ``\\u202e``, never
obeyed), for both programs' command lines (``forensic_viewer.wording`` re-exports them); and
how the product's own times are written in every file it writes (:func:`time_text`), and an
evidence file's file-system times (:func:`utc_ns_text`); and an undefined figure in every JSON
file it writes: null (:func:`finite_or_null`)."""

from __future__ import annotations

import math
import re
from datetime import UTC, datetime, timedelta
from typing import Any


def format_duration(seconds: float | None) -> str:
    """``m:ss`` under an hour, ``h:mm:ss`` above; ``"?"`` when unknown (None).

    The one formatter of elapsed times and ETAs, for the trainer's log, the training dialog and
    the batch dialog alike. Negative values count as 0.
    """
    if seconds is None:
        return "?"
    s = max(0, round(seconds))
    h, rem = divmod(s, 3600)
    m, sec = divmod(rem, 60)
    return f"{h}:{m:02d}:{sec:02d}" if h else f"{m}:{sec:02d}"


def estimate_remaining(elapsed: float, fraction: float, min_fraction: float = 0.02) -> float | None:
    """Seconds left when ``fraction`` of the work took ``elapsed`` seconds, at the same pace;
    None before ``min_fraction`` is done (too early to tell) or once it is all done."""
    if fraction < min_fraction or fraction >= 1.0 or elapsed < 0:
        return None
    return elapsed * (1.0 - fraction) / fraction


# Characters that reorder the text around them without showing themselves: a file named
# "photo\u202egpj.exe" displays as "photoexe.jpg". Python's str.isprintable() already rejects
# them (category Cf); they are listed so that the rule does not hang on that detail.
BIDI_CONTROLS = frozenset(
    chr(c) for c in (0x061C, 0x200E, 0x200F, *range(0x202A, 0x202F), *range(0x2066, 0x206A))
)


def hidden(ch: str) -> bool:
    """Whether ``ch`` would not show as itself: control and format characters (bidi controls
    among them), separators other than the space, unassigned code points."""
    return ch in BIDI_CONTROLS or not ch.isprintable()


def byte_text(ch: str) -> str | None:
    """``\\xNN`` for a character that stands for the byte 0xNN of a file name that is not
    UTF-8 (``os.fsdecode`` gives each such byte as U+DC80..U+DCFF, Python's
    surrogateescape), else None: the byte the name holds, not the code point Python chose
    for it (``bad\\xff.jpg``, never ``bad\\udcff.jpg`` or ``bad[U+DCFF].jpg``)."""
    cp = ord(ch)
    return f"\\x{cp - 0xDC00:02x}" if 0xDC80 <= cp <= 0xDCFF else None


def bytes_as_text(text: str) -> str:
    """``text`` with each :func:`byte_text` character written as its byte's escape."""
    return "".join(byte_text(ch) or ch for ch in text)


def _code(ch: str) -> str:
    if (byte := byte_text(ch)) is not None:
        return byte
    cp = ord(ch)
    return f"\\x{cp:02x}" if cp <= 0xFF else f"\\u{cp:04x}" if cp <= 0xFFFF else f"\\U{cp:08x}"


# plain's cap for the product's own sentences, which run past its 1,000 characters (a default
# verdict's reliability: the bundled ensemble's whole sentence, with the face rule's words and
# a face model's clause for a file of many faces, is about 1,650; its brief part, which the
# command line and the viewer's card give, about 980). They are built partly from strings of a
# checkpoint's or ensemble file's header (group names, split, the optimistic caveat) that a
# user's file can fill, so they are capped too, at three times the longest real one.
SENTENCE_LIMIT = 5_000


def plain(text: object, limit: int = 1000) -> str:
    """``text`` as one printable line for a terminal or a widget: every :func:`hidden`
    character (line breaks, escape sequences, bidi controls) written as its Python escape
    (``\\x1b``, ``\\u202e``), length capped."""
    s = str(text)
    out = "".join(_code(ch) if hidden(ch) else ch for ch in s[:limit])
    return out + ("…" if len(s) > limit else "")


def plain_lines(text: object) -> str:
    """Text of several lines (a model card, a file the user keeps) for a terminal: each line
    as :func:`plain` writes it, uncapped, the line breaks kept."""
    return "\n".join(plain(line, len(line)) for line in str(text).split("\n"))


def time_text(when: float | None = None, timespec: str = "seconds") -> str:
    """A time as every file the product writes records it: local time with its UTC offset, in
    ISO 8601's extended format throughout (RFC 3339): ``2026-12-05T14:02:09+01:00``.

    ``when``: seconds since 1970 (now when None); ``timespec`` as ``datetime.isoformat``'s.
    The one writer of scan.json's times, the case's report times, locks, logs and checkpoints:
    ``time.strftime("%z")`` wrote ``+0100``, the basic format beside an extended date, which
    ISO 8601 does not allow and RFC 3339 parsers refuse. The case log (audit.jsonl) writes UTC
    (``Z``) instead, its entries ordered across machines.
    """
    t = datetime.now() if when is None else datetime.fromtimestamp(when)
    return t.astimezone().isoformat(timespec=timespec)


_BASIC_OFFSET = re.compile(r"(\d{4}-\d\d-\d\dT\d\d:\d\d(?::\d\d(?:\.\d+)?)?)([+-])(\d\d)(\d\d)")


def extended_time(text: str) -> str:
    """A recorded time in :func:`time_text`'s form: an offset written without its colon
    (``2026-11-22T03:34:01+0000``, as checkpoints and scan files of versions before 2026-12-05
    hold it) gets one (``+00:00``); any other text is returned as it is."""
    m = _BASIC_OFFSET.fullmatch(text.strip())
    return f"{m.group(1)}{m.group(2)}{m.group(3)}:{m.group(4)}" if m else text


def utc_ns_text(ns: int) -> str:
    """A file-system time (nanoseconds since 1970, as ``os.stat``'s ``st_mtime_ns``) in UTC,
    ISO 8601 extended with ``Z`` (RFC 3339): ``2021-05-01T09:00:05Z``, with the nanoseconds
    when the file system keeps any (``2021-05-01T09:00:05.123456789Z``). UTC, not local time:
    an evidence file's times are compared across machines and zones (docs/RESULTS.md, "Times").
    A time beyond the calendar (a year after 9999, which a damaged or forged inode can hold)
    is written as its count of seconds, never an error."""
    seconds, fraction = divmod(ns, 1_000_000_000)
    try:
        t = datetime(1970, 1, 1, tzinfo=UTC) + timedelta(seconds=seconds)
    except OverflowError:
        return f"{seconds} s from 1970-01-01T00:00:00Z (beyond the calendar)"
    text = t.replace(tzinfo=None).isoformat(timespec="seconds")
    return text + (f".{fraction:09d}" if fraction else "") + "Z"


def finite_or_null(value: Any) -> Any:
    """``value`` with every NaN or infinite float, in nested dicts, lists and tuples, None: JSON
    has no NaN (a checkpoint's header, the trainer's ``--json`` files)."""
    if isinstance(value, float) and not math.isfinite(value):
        return None
    if isinstance(value, dict):
        return {k: finite_or_null(v) for k, v in value.items()}
    if isinstance(value, list | tuple):
        return [finite_or_null(v) for v in value]
    return value
