"""What ``forensic-viewer audit verify`` checks beyond the chain (no Qt): whether the file given
is a case log at all (:func:`not_an_audit_log`), and with ``--files`` whether the files its
entries name still hash to what they recorded (:func:`named_files`, :func:`check_file`; the
whole check, a scan's own files with it, is :func:`forensic_viewer.audit_scan.check_files`).

An entry names a file with its SHA-256 in a few shapes (docs/AUDIT.md): ``{"path", "sha256"}``
(evidence opened, a layer or a report exported, a probe's JSON), ``X`` beside ``X_sha256`` (a
model's ``checkpoint``), and a scan's ``out`` with ``results_sha256`` by file name; a moved
report's ``to`` with ``files`` by name. A file recorded several times is checked against its
last record: a scan resumed rewrites results.jsonl, a report written again replaces the file;
a report moved (aside, or back when the new one was not written) is checked where it went only.

Each file is read where the log recorded it, or under ``--moved OLD=NEW`` (:class:`Moved`) where
the examiner says that folder is now (a case handed over as a copy: a walk-through of
2026-12-06 found ``--files`` from inside a copy hashing the first examiner's originals and
saying OK, and no way to check the copy when they were absent); every line names the path read.
"""

from __future__ import annotations

import contextlib
import os
import re
from collections.abc import Iterator, Mapping, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from engine.files import sha256_of
from forensic_viewer.audit import log_lines, parse_entry

HEX64 = re.compile(r"[0-9a-f]{64}")
SCAN_FINISHED = "scan-finished"  # audit.Action's: a scan's entry naming its results' SHA-256
RESULT_KEPT = "result-kept"  # audit.Action's: the viewer's kept folder, the same shape
REPORT_MOVED = "report-moved"  # audit.Action's: a report's files moved from one folder to another
RESULTS = "results.jsonl"  # scan.results'; its rows hold each evidence file's SHA-256


def not_an_audit_log(path: Path) -> bool:
    """Whether no line of the file at ``path`` is an entry of a case log (a report, a results
    file or any other file given by mistake): nothing in it to call broken. A log whose first
    entry alone was damaged still has entries after it, and stays "broken"."""
    with contextlib.closing(log_lines(path)) as lines:
        for _number, raw, complete in lines:
            if complete and parse_entry(raw)[0] is not None:
                return False
    return True


def _pairs(value: Any) -> Iterator[tuple[str, str]]:
    """(path, SHA-256) of every file named with a hash anywhere in ``value`` (entry details)."""
    if isinstance(value, Mapping):
        path, sha = value.get("path"), value.get("sha256")
        if isinstance(path, str) and isinstance(sha, str) and HEX64.fullmatch(sha):
            yield path, sha
        for key, v in value.items():
            other = value.get(f"{key}_sha256")
            if isinstance(v, str) and isinstance(other, str) and HEX64.fullmatch(other):
                yield v, other  # checkpoint beside checkpoint_sha256
        for folder_key, files_key in (("out", "results_sha256"), ("to", "files")):
            folder, files = value.get(folder_key), value.get(files_key)
            if isinstance(folder, str) and isinstance(files, Mapping):
                for name, sha in files.items():
                    if isinstance(sha, str) and HEX64.fullmatch(sha):
                        yield os.path.join(folder, name), sha
        for v in value.values():
            yield from _pairs(v)
    elif isinstance(value, list):
        for v in value:
            yield from _pairs(v)


def named_files(
    path: Path, scans: dict[str, tuple[str, int]] | None = None
) -> dict[str, tuple[str, int]]:
    """Each file the log's complete entries name with a SHA-256 -> (its last recorded SHA-256,
    the entry that recorded it). ``scans``: filled with each scan's output folder -> (the
    SHA-256 of its results.jsonl, the entry) as its last ``scan-finished`` recorded them."""
    found: dict[str, tuple[str, int]] = {}
    with contextlib.closing(log_lines(path)) as lines:
        for _number, raw, complete in lines:
            entry = parse_entry(raw)[0] if complete else None
            if entry is None:
                continue
            if entry.action == REPORT_MOVED:  # its files left "from": not checked there
                origin, files = entry.details.get("from"), entry.details.get("files")
                if isinstance(origin, str) and isinstance(files, Mapping):
                    for name in files:
                        found.pop(os.path.join(origin, name), None)
            for file, sha in _pairs(entry.details):
                found[file] = (sha, entry.seq)
            out, results = entry.details.get("out"), entry.details.get("results_sha256")
            # a kept folder's maps, thumbnails and evidence checked against its rows as a
            # scan's are (walk-through hand, 2: a map swapped there passed verify --files)
            kept_rows = entry.action in (SCAN_FINISHED, RESULT_KEPT)
            if scans is not None and kept_rows and isinstance(out, str):
                sha = results.get(RESULTS) if isinstance(results, Mapping) else None
                if isinstance(sha, str) and HEX64.fullmatch(sha):
                    scans[out] = (sha, entry.seq)
    return found


@dataclass(frozen=True)
class Moved:
    """``--moved OLD=NEW``: the files the log recorded under the folder ``OLD`` are read under
    ``NEW`` instead (a case handed over as a copy, evidence at another mount point); never at
    ``OLD`` as well, so a line of ``verify --files`` is about the copy the examiner named."""

    old: str  # as the log records paths: absolute, normalised
    new: str  # absolute

    @classmethod
    def parse(cls, text: str) -> Moved:
        """``OLD=NEW`` (split at the first ``=``). Raises ValueError naming what arrived."""
        old, sep, new = text.partition("=")
        if not sep or not old.strip() or not new.strip():
            raise ValueError(
                "--moved needs OLD=NEW, the folder as the log recorded it, then where it is now, "
                f"got {text!r}"
            )
        return cls(os.path.normpath(old), os.path.abspath(os.path.expanduser(new)))

    def apply(self, recorded: str) -> str | None:
        """Where ``recorded`` is now under this mapping; None when it is not under ``old``."""
        if recorded == self.old:
            return self.new
        prefix = self.old if self.old.endswith(os.sep) else self.old + os.sep
        return (
            os.path.join(self.new, recorded[len(prefix) :]) if recorded.startswith(prefix) else None
        )


def relocated(recorded: str, moved: Sequence[Moved]) -> tuple[str, str]:
    """The path to read for a file the log recorded as ``recorded`` (the longest ``--moved``
    folder holding it, else as recorded) and the words its line adds after that path: where
    it was recorded, or that a relative record is read against the current folder."""
    for m in sorted(moved, key=lambda m: len(m.old), reverse=True):
        if (now := m.apply(recorded)) is not None:
            return now, f" (recorded as {recorded}: read under --moved)"
    return recorded, "" if os.path.isabs(recorded) else " (recorded relative: read from here)"


@dataclass
class FilesCheck:
    """What ``audit verify --files`` found: a line per file checked (the path read), how many
    were checked, changed/missing/unreadable, read under ``--moved``, and missing where the
    log recorded them (no ``--moved`` covering them)."""

    lines: list[str] = field(default_factory=list)
    checked: int = 0
    problems: int = 0
    moved: int = 0
    missing_as_recorded: int = 0
    evidence: int = 0  # of ``checked``: evidence files against their scan's rows
    outputs: int = 0  # of ``checked``: maps and thumbnails against their scan's rows
    models: int = 0  # of ``checked``: model files the scans' rows name with path and SHA-256
    models_not_at_hand: int = 0  # model files not at the path recorded (nor under --moved)
    scans: int = 0  # scans whose evidence was checked against their rows
    scans_not_checked: int = 0  # scans whose results.jsonl is not as recorded

    def summary(self) -> list[str]:
        """The closing line, and a hint when files are missing where the log recorded them."""
        where = (
            f"{self.moved} read under --moved, {self.checked - self.moved} at the path the log "
            "recorded"
            if self.moved
            else "each at the path the log recorded"
        )
        if self.scans:
            scans = "1 scan" if self.scans == 1 else f"{self.scans} scans"
            where += (
                f"; {self.evidence} of them the evidence of {scans}, {self.outputs} its maps "
                f"and thumbnails, {self.models} its model files, against its rows"
            )
        lines = [
            f"files named by the log: {self.checked} checked ({where}), {self.problems} changed "
            "or missing"
        ]
        if self.scans_not_checked:
            lines.append(
                f"the evidence, maps and thumbnails of {self.scans_not_checked} scan(s) were not checked: their "
                "results.jsonl is not the one the log recorded (see NOT CHECKED above)"
            )
        if self.models_not_at_hand:
            lines.append(
                f"{self.models_not_at_hand} model file(s) the scans' rows name not at hand (not "
                "a failure: a checkpoint stays with the program that ran, not with the case)"
            )
        if self.missing_as_recorded:
            lines.append(
                f"{self.missing_as_recorded} missing at the path the log recorded: if the case's "
                "files were moved or copied, give --moved OLD=NEW (the folder as recorded, then "
                "where it is now) to check them there"
            )
        return lines


def check_file(
    result: FilesCheck, recorded: str, sha: str, by: str, moved: Sequence[Moved]
) -> None:
    """Re-hash the file recorded as ``recorded`` with ``sha`` (``by``: the record, "entry 7")
    where :func:`relocated` puts it, and add its line to ``result``."""
    file, note = relocated(recorded, moved)
    result.checked += 1
    result.moved += file != recorded
    try:
        now = sha256_of(file)  # a pipe named like a report: refused, not waited on
    except OSError as e:
        unreadable(result, f"{file}{note}", e, by)
        return
    if now is None:
        missing(result, f"{file}{note}", sha, by, as_recorded=file == recorded)
    else:
        compared(result, f"{file}{note}", now, sha, by)


def unreadable(result: FilesCheck, named: str, e: Exception, by: str) -> None:
    """The UNREADABLE line of a file that could not be read (``named``: as the line names it,
    with any ``--moved`` note; ``e``: why, its OS reason when it has one), a problem. One
    wording for evidence, reports, a scan's maps and models."""
    result.problems += 1
    result.lines.append(f"UNREADABLE {named}: {getattr(e, 'strerror', None) or e} ({by})")


def missing(result: FilesCheck, named: str, sha: str, by: str, *, as_recorded: bool) -> None:
    """The MISSING line of a file not found (``named`` as in :func:`unreadable`) whose SHA-256
    ``by`` recorded as ``sha``, a problem; ``as_recorded``: it was looked for at the path
    recorded (not under ``--moved``), counted apart for the hint to use ``--moved``."""
    result.problems += 1
    result.missing_as_recorded += as_recorded
    result.lines.append(f"MISSING {named} ({by} recorded {sha[:12]}…)")


def compared(result: FilesCheck, named: str, now: str, sha: str, by: str) -> None:
    """The OK or CHANGED line of a file read now (``named``: as the line names it, with any
    ``--moved`` note) whose SHA-256 ``now`` is compared with the ``sha`` ``by`` recorded; a
    change counts as a problem. One wording for evidence, reports, a scan's maps and models."""
    if now != sha:
        result.problems += 1
        result.lines.append(f"CHANGED {named}: SHA-256 now {now[:12]}…, {by} recorded {sha[:12]}…")
    else:
        result.lines.append(f"OK {named}: as {by} recorded")
