"""Whether a scan's ``results.jsonl`` is as its last run left it, and what becomes of lines in it
that are not whole rows (no Qt).

Each run's end records the SHA-256 of ``results.jsonl`` as it left it (scan.json's ``run``;
with ``--case`` the case log's ``scan-finished`` too). A resume compares the file with it
(:func:`edited_since`): a row changed afterwards (a verdict turned, a field renamed) would
otherwise be taken as done and a new report issued over it. A line that is not a whole row of
the format (a torn last line after a kill, bytes overwritten, a row with a field the format does
not know: :func:`row_fault`) is analysed again; its bytes are kept in
``results.jsonl.torn-<time>`` beside it (:func:`set_aside`) and the run records where they went
(scan.json's ``run.rows_set_aside``), as the audit log does for its own torn line.
"""

from __future__ import annotations

import dataclasses
import hashlib
import json
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path
from typing import Any, NamedTuple

from engine.files import AtomicFile, atomic_write, read_regular_text, sha256_of
from forensic_viewer.scan.consistency import Contradicted, accepted_contradictions, contradicted

# the fields of a row of each status (docs/results.schema.json's fileRow and errorRow,
# "additionalProperties": false; tests/viewer/test_results_integrity.py checks they agree)
ROW_FIELDS: dict[str, frozenset[str]] = {
    "ok": frozenset(
        {
            "path", "file", "sha256", "status", "error", "models", "ensemble", "ensemble_details",
            "details", "faces", "faces_checked", "face_maps", "width", "height", "warnings",
            "evidence", "seconds", "thumbnail", "replaces", "analyses", "files_sha256", "run",
            "probability_source", "map_levels",
        }
    ),
    "error": frozenset(
        {
            "path", "file", "sha256", "status", "error", "models", "header", "real_path",
            "replaces", "run",
        }
    ),
}  # fmt: skip
# the schema's required fields that rows of earlier versions may lack (the reader takes a
# default): a row's ``file`` came later, an error row's ``sha256`` and ``models`` too
EARLIER_ABSENT = frozenset(
    {"file", "error", "faces", "faces_checked", "warnings", "evidence", "details", "seconds"}
) | {"sha256", "models"}
# the schema's required fields, less those for that status (an ok row's sha256 and models
# the reader has always required)
ROW_REQUIRED: dict[str, tuple[str, ...]] = {
    "ok": ("path", "sha256", "status", "models", "width", "height"),
    "error": ("path", "status", "error"),
}

TORN_SUFFIX = ".torn-"  # results.jsonl.torn-<UTC time>: the bytes of lines set aside
RESULTS_EDITED = "results_edited"  # scan.json run's field: the file differed from its hash
ROWS_SET_ASIDE = "rows_set_aside"  # scan.json run's field: lines that were not whole rows
RESULTS_SHA256 = "results_sha256"  # scan.json run's field: results.jsonl as the run left it
# ... and results.csv as it left it (since 2026-12-06; a key of its own, so that a resume,
# which reads results_sha256 as a string, reads older folders and newer alike)
RESULTS_CSV_SHA256 = "results_csv_sha256"
# ... and, in a folder the viewer keeps its analyses in, the SHA-256 results.jsonl has once the
# row being written is appended (written before the append: scan/case_results.py)
RESULTS_SHA256_PENDING = "results_sha256_pending"


def row_fault(row: object) -> str | None:
    """What makes ``row`` (a parsed line) not a row of the format, in words; None when nothing
    does. A field the format does not know (a renamed ``file``) or a required one missing is a
    fault: the reader would have taken such a row with that field's default and counted the
    file as done."""
    if not isinstance(row, dict):
        return "not a JSON object"
    status = row.get("status")
    fields = ROW_FIELDS.get(status) if isinstance(status, str) else None
    if fields is None:
        return f'its status is {json.dumps(status)}, neither "ok" nor "error"'
    if unknown := sorted(set(row) - fields):
        return f"it holds {', '.join(map(json.dumps, unknown))}, which no row holds"
    if missing := [k for k in ROW_REQUIRED[status] if k not in row]:
        return f"it lacks {', '.join(missing)}"
    return None


@dataclass(frozen=True)
class BadLine:
    """A line of ``results.jsonl`` that is not a whole row: its number (from 1), its bytes
    and why."""

    number: int
    data: bytes
    reason: str


def set_aside(results: Path, bad: list[BadLine]) -> dict[str, Any]:
    """Save the bytes of ``bad`` lines of ``results`` to ``results.jsonl.torn-<time>`` beside it (written
    aside and renamed, before the compaction that drops them); the record the run keeps of them
    (scan.json's ``run.rows_set_aside``, the report's alert, the case log's entry)."""
    stamp = datetime.now(UTC).strftime("%Y%m%dT%H%M%S%fZ")
    aside = results.with_name(f"{results.name}{TORN_SUFFIX}{stamp}")
    data = b"".join(b.data if b.data.endswith(b"\n") else b.data + b"\n" for b in bad)
    with AtomicFile(aside, "wb") as f:
        assert f.file is not None
        f.file.write(data)
    numbers = [b.number for b in bad]
    return {
        "lines": numbers,
        "reasons": [b.reason for b in bad],
        "saved_as": str(aside.resolve()),
        "sha256": hashlib.sha256(data).hexdigest(),
        "note": set_aside_line(results.name, numbers, aside),
    }


def set_aside_line(name: str, numbers: list[int], aside: Path) -> str:
    """The one line said of lines of the file ``name`` set aside in ``aside``."""
    which = f"line {numbers[0]} is" if len(numbers) == 1 else f"lines {_numbers(numbers)} are"
    return (
        f"{name} {which} not a whole row (torn by a stopped write, or edited): kept in "
        f"{aside.resolve()} and left out of {name}; their files are analysed again"
    )


def _numbers(numbers: list[int], shown: int = 10) -> str:
    text = ", ".join(map(str, numbers[:shown]))
    return text + (f" and {len(numbers) - shown} more" if len(numbers) > shown else "")


def file_sha256(path: Path) -> str | None:
    """SHA-256 of ``path``'s bytes; None when there is no such file (a pipe put in its place
    is refused, never waited on: :func:`engine.files.sha256_of`)."""
    return sha256_of(path)


class CaseEnd(NamedTuple):
    """A run's end as the case log's ``scan-finished`` recorded it
    (:func:`~forensic_viewer.casework.case_recorded_end`): when, the SHA-256 of results.jsonl,
    the entry's number and the output folder it names; ``how``: "" when that folder is the one
    resumed, else how the folder resumed was found to be a copy of it."""

    when: str
    sha: str
    seq: int = 0
    out: str = ""
    how: str = ""

    def words(self) -> str:
        """Which record: the entry, and for a copy the folder it recorded and why that one."""
        entry = f"entry {self.seq}" if self.seq else "its last scan-finished"
        if not self.how:
            return entry
        return f"{entry}, of {self.out}, of which this folder is a copy: {self.how}"


@dataclass(frozen=True)
class Edited:
    """``results.jsonl`` differs from the SHA-256 a run recorded as it ended."""

    ended: str  # when that run ended, as recorded
    recorded: str  # the SHA-256 recorded then
    now: str | None  # the file's SHA-256 now (None: the file is gone)
    where: str  # what recorded it: scan.json, or the case log
    file: str  # results.jsonl, absolute
    which: str = ""  # the record within ``where`` (the case log's entry; CaseEnd.words)
    other: str = ""  # what the other record (scan.json's) says, when it disagrees
    # its rows that contradict their own figures besides (accepted with the file, a resume
    # after it is not asked again about them: scan.consistency.accepted_contradictions)
    contradicted: Contradicted | None = None

    @property
    def line(self) -> str:
        now = "the file is gone" if self.now is None else f"now {self.now[:12]}…"
        which = f" ({self.which})" if self.which else ""
        other = f"; {self.other}" if self.other else ""
        return (
            f"{self.file} changed since the run of {self.ended} ended (SHA-256 "
            f"{self.recorded[:12]}… recorded in {self.where}{which}, {now}{other}): rows may "
            "have been edited"
        )

    def to_json(self) -> dict[str, Any]:
        return {
            "run_ended": self.ended,
            "recorded_sha256": self.recorded,
            "sha256": self.now,
            "recorded_in": self.where,
            **({"record": self.which} if self.which else {}),
            "note": self.line,
            **(
                {"contradictions": self.contradicted.to_json()["contradictions"]}
                if self.contradicted is not None
                else {}
            ),
        }

    def record(self, accepted: bool) -> dict[str, Any]:
        """What scan.json's run (:data:`RESULTS_EDITED`) and the case log's ``results-edited``
        keep of it: whether the analyst took its rows as they now read."""
        return {**self.to_json(), "accepted": accepted}


def recorded_run(scan_info: Path) -> dict[str, Any] | None:
    """``scan_info`` (scan.json)'s ``run`` as written now; None when it cannot be read."""
    try:
        run = json.loads(read_regular_text(scan_info)).get("run")
    except (OSError, ValueError, AttributeError):
        return None
    return run if isinstance(run, dict) else None


def run_field(scan_info: Path, key: str) -> Any:
    """``key`` of ``scan_info`` (scan.json)'s ``run``; None when it cannot be read."""
    return (recorded_run(scan_info) or {}).get(key)


def recorded_end(scan_info: Path) -> tuple[str, str] | None:
    """(when, SHA-256) of ``results.jsonl`` as ``scan_info`` (scan.json)'s ``run`` says its last
    run left it; None when no run recorded one (a folder of an earlier version, a run going)."""
    run = recorded_run(scan_info) or {}
    sha = run.get(RESULTS_SHA256)
    if not isinstance(sha, str):
        return None
    return str(run.get("ended") or "?"), sha


def edited_since(
    results: Path,
    recorded: tuple[str, str] | None,
    where: str,
    other: str = "",
    now: str | None = None,
) -> Edited | None:
    """How ``results`` (results.jsonl) differs from ``recorded`` ((when, SHA-256) of a run's
    end, as ``where`` holds it: a :class:`CaseEnd` names its entry); None when it does not, or
    nothing was recorded. ``other``: what another record says, when it disagrees. ``now``:
    the file's SHA-256 as the caller read it (read here when None)."""
    if recorded is None:
        return None
    now = file_sha256(results) if now is None else now
    if now == recorded[1]:
        return None
    which = recorded.words() if isinstance(recorded, CaseEnd) else ""
    return Edited(recorded[0], recorded[1], now, where, str(results.resolve()), which, other)


def edited_results(
    results: Path,
    scan_info: Path,
    case_end: tuple[str, str] | None = None,
    now: str | None = None,
) -> Edited | Contradicted | None:
    """How ``results`` (a scan's results.jsonl) differs from what its last run recorded as it
    ended: first as the case log recorded it (``case_end``:
    :func:`~forensic_viewer.casework.case_recorded_end`, of this folder or of the one it was
    copied from; scan.json may have been edited to agree), else as ``scan_info`` (scan.json)
    did; None when it is as recorded, or nothing was. When the two records disagree, the line
    says what scan.json holds beside the case log's record it used. The check a resume makes
    before it takes the rows as done, the command line's and the batch dialog's alike.
    ``now``: results.jsonl's SHA-256 as the caller read it, so that the bytes judged are the
    ones it records as seen (read here when None). A file as scan.json's
    :data:`RESULTS_SHA256_PENDING` names it is as recorded: the viewer's row went in and the
    update of scan.json after it did not happen (a kill, a full disk), nothing was edited.

    A file as recorded, or of a run that recorded nothing, whose rows contradict themselves (a
    verdict against its own score and θ: :mod:`~forensic_viewer.scan.consistency`) is
    :class:`~forensic_viewer.scan.consistency.Contradicted`, taken as an edited one is: the
    recorded SHA-256 is a plain hash in the same folder, which whoever edits a row can write
    again, and no run writes such a row."""
    own = recorded_end(scan_info)
    pending = run_field(scan_info, RESULTS_SHA256_PENDING)
    if own is not None and pending is not None:  # the viewer's kept folder only: a scan's
        # results.jsonl is read by the checks below, which refuse an odd file in one line
        now = file_sha256(results) if now is None else now
        if now == pending:
            own = (own[0], now)  # a row appended, scan.json's update after it not (yet) done
    if case_end is None or own is None or own[1] == case_end[1]:
        edited = edited_since(results, case_end, "the case log", now=now) or edited_since(
            results, own, scan_info.name, now=now
        )
    else:  # the two records disagree: the case log's is checked first, each line names both
        which = case_end.words() if isinstance(case_end, CaseEnd) else "its last scan-finished"
        other = f"{scan_info.name} records {own[1][:12]}… for its run of {own[0]}"
        agrees = f"the case log's {which} records the file as it is now"
        edited = edited_since(results, case_end, "the case log", other, now) or edited_since(
            results, own, scan_info.name, agrees, now
        )
    found = contradicted(results, _accepted(scan_info))
    if edited is None:
        return found
    return dataclasses.replace(edited, contradicted=found)


def _accepted(scan_info: Path) -> set[tuple[str, tuple[str, ...]]]:
    """The contradictions a resume accepted, as ``scan_info`` (scan.json)'s runs record them
    (:func:`~forensic_viewer.scan.consistency.accepted_contradictions`)."""
    try:
        info = json.loads(read_regular_text(scan_info))
    except (OSError, ValueError):
        return set()
    if not isinstance(info, dict):
        return set()
    return accepted_contradictions([*(info.get("earlier_runs") or []), info.get("run")])


def note_run(scan_info: Path, key: str, value: Any) -> None:
    """Record ``value`` as ``key`` of ``scan_info`` (scan.json)'s ``run``, the run going on
    (:func:`~forensic_viewer.scan.settings.record_run` keeps it at the run's end); nothing
    when there is no scan.json, or it holds no run (a scan started by a script's own call)."""
    try:
        info = json.loads(read_regular_text(scan_info))
    except (FileNotFoundError, ValueError):
        return
    if isinstance(info, dict) and isinstance(run := info.get("run"), dict):
        run[key] = value
        atomic_write(scan_info, json.dumps(info, indent=2) + "\n")
