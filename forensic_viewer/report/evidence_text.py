"""A file's evidence table in a report, as (label, value) rows (:mod:`.text`'s convention):
where the file is and what it is, its size, the file-system times found before the analysis
read it (:func:`~forensic_viewer.wording.fs_time_rows`), what its header or decoder said, and
its decoding notes; for a file that failed, what was read of it before it failed.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from forensic_viewer.report.model import ReportItem
from forensic_viewer.report.text import Rows, num, size_bytes
from forensic_viewer.scan.links import outside_words
from forensic_viewer.scan.records import ErrorRecord
from forensic_viewer.scan.run_id import run_identity, shown_start
from forensic_viewer.wording import fs_time_rows, orientation_words


def run_words(item: ReportItem, settings: Mapping[str, Any] | None) -> str | None:
    """Which run of a scan made ``item``'s row (its ``run``), when the scan's settings
    (scan.json) record more than one run: "the run that began T", and whether it is the last
    one. A report of a resumed scan gave one examiner and "Runs 2" with no file saying which
    run made it (a hand-over walk-through, 2026-12-06, finding 9). Runs are told apart by
    their identity (:mod:`~forensic_viewer.scan.run_id`: two begun within one second share a
    start to the second) and shown by their start. None: one run, or not recorded."""
    run = getattr(item.record, "run", None)
    if not run or not settings or not settings.get("earlier_runs"):
        return None
    last_run = settings.get("run")
    if run == run_identity(last_run):
        return f"the run that began {shown_start(run)} (the last run)"
    last = last_run.get("started") if isinstance(last_run, Mapping) else None
    later = f" (an earlier run than the last, which began {last})" if last else ""
    return f"the run that began {shown_start(run)}{later}: a recorded result of that run"


def evidence_rows(item: ReportItem, settings: Mapping[str, Any] | None = None) -> Rows:
    """The rows; ``settings``: the scan's (scan.json), for which run made the row
    (:func:`run_words`)."""
    ev = item.evidence
    w, h = ev.get("width"), ev.get("height")
    orientation = ev.get("orientation")
    orient = (
        "—"
        if orientation is None
        else orientation_words(
            ev.get("format"), orientation, bool(ev.get("orientation_applied")), ev.get("metadata")
        )
    )
    rows: Rows = [
        ("Path", item.file or "—"),
        ("Name in this report", item.key),
        *([("Analysed by", by)] if (by := run_words(item, settings)) else []),
        *(
            [("Changed since an earlier run", replaced_words(old))]
            if item.record is not None and (old := item.record.replaces) is not None
            else []
        ),
        *([("Identical (SHA-256) to", copy_words(item.duplicate_of))] if item.duplicate_of else []),
        *([("Read from", outside_words(item.read_from))] if item.read_from else []),
        ("File size", file_size_text(item)),
        *(fs_time_rows(ev.get("fs_times")) if ev else []),  # none read of a file that failed
        *(
            [("Format, dimensions, metadata", undecoded_facts(item))]
            if item.status != "ok" and not ev
            else header_rows(ev)
            if item.status != "ok"
            else [
                ("Format (by content)", str(ev.get("format") or "—")),
                ("Dimensions", f"{w} x {h} pixels" if w and h else "—"),
                ("Pixel mode as stored", str(ev.get("mode") or "—")),
                ("Frames", num(ev.get("frames"))),
                ("Orientation", orient),
            ]
        ),
        ("Analysis time", "—" if item.seconds is None else f"{item.seconds:.2f} s"),
    ]
    for wtext in ev.get("warnings") or []:
        rows.append(("Decoding note", str(wtext)))
    return rows


# a failed file's row without a header, each case in its own words: they had been one
# sentence, which told of "a scan of an earlier version" under the current scan's own row
UNREAD_FACTS = "not recorded: the file's bytes could not be read (its error is given above)"
NO_HEADER_FACTS = (
    "not recorded: the file could not be analysed (its error is given above), and no header "
    "of it was recorded with the error"
)
EARLIER_ROW_FACTS = (
    "not recorded: the file could not be analysed (its error is given above); an earlier "
    "version of this program wrote its row, with no header of the file (versions before "
    "2026-12-05 kept only the error and the SHA-256 of a file that failed)"
)


def undecoded_facts(item: ReportItem) -> str:
    """Why a failed file's section gives no format, dimensions or metadata when its row holds
    no header: its bytes were not read (no SHA-256); its row is of an earlier version (the
    error rows of this one name the file's ``real_path``: ``scan.records.error_record``, a
    field added after the header); else its error came with no header (a worker that died,
    a decoder's unexpected failure)."""
    if not item.sha256:
        return UNREAD_FACTS
    rec = item.record
    if isinstance(rec, ErrorRecord) and rec.file and rec.real_path is None:
        return EARLIER_ROW_FACTS
    return NO_HEADER_FACTS


# what a failed file's header does not say: it was not decoded
NOT_DECODED = "not recorded: the file could not be analysed (its error is given above)"


def header_rows(ev: Mapping[str, Any]) -> Rows:
    """A failed file's facts as far as its header was read (its error row's ``header``): the
    format by content and the size the header declares, as stored (no orientation applied)."""
    fmt, w, h = ev.get("format"), ev.get("width"), ev.get("height")
    empty = ev.get("file_size") == 0
    return [
        (
            "Format (by content)",
            str(fmt)
            if fmt
            else "none: the file is empty"
            if empty
            else "not an allowed image format",
        ),
        (
            "Dimensions",
            f"{w} x {h} pixels, as its header declares (as stored: no EXIF orientation applied)"
            if w and h
            else "—: the file is empty"
            if empty
            else "—: its header could not be read",
        ),
        ("Pixel mode, frames, orientation, metadata", NOT_DECODED),
    ]


def copy_words(original: str) -> str:
    """What a file's section says when its bytes are another scanned file's (the same SHA-256:
    a copy, a download renamed): both were analysed, and the same bytes give the same results."""
    return (
        f"{original}: the same bytes under another name (a copy); both were analysed, and "
        "their results are those of the same evidence"
    )


def replaced_words(old: str) -> str:
    """What a row that replaced an earlier one of the same path says: the file was analysed
    by an earlier run of the scan as other bytes (``replaces`` in results.jsonl)."""
    return (
        f"an earlier run of this scan analysed this file when its SHA-256 was {old}; its bytes "
        "had changed when it was read again, and it was analysed again: this section is of "
        "the bytes as read then"
    )


def file_size_text(item: ReportItem) -> str:
    """The evidence's size as recorded at load; for a file that did not decode (none recorded),
    the bytes read at export when they hash to the SHA-256 recorded at load: the same bytes."""
    size = item.evidence.get("file_size")
    if size is not None:
        return size_bytes(size)
    integ = item.integrity
    if integ is None or not integ.ok or integ.size is None:
        return "—"
    return f"{size_bytes(integ.size)}, read at export: its SHA-256 is the one recorded at load"
