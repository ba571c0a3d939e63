"""Files an earlier run into the same output folder analysed that have left the scanned folder.

A resumed scan works through the files listed now: a file analysed by an earlier run and
moved or deleted since is in no line of the table, results.csv or the run's report, though its
row stays in results.jsonl. An analyst re-running a scan on seized evidence must hear that a
file is gone (an analyst's walk-through, 2026-12-05, found it dropped without a word): the
command line and the report name each such file with the SHA-256 its row recorded.

A row whose file still exists but is not listed (``--recursive`` left off this time, a folder
that could not be read, a mask passed over by ``--gt``) is not gone: the listing says why it
passed over such files. No Qt here.
"""

from __future__ import annotations

import os
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass, replace
from pathlib import Path
from typing import Any

from forensic_viewer.scan.results import ResultIndex

GONE_LINES = 10  # files named on the console and in the dialog; the rest counted


@dataclass(frozen=True)
class GoneFile:
    """The last row of a file no longer in the scanned folder.

    key: the row's path (relative to the scanned folder).
    sha256: the SHA-256 its row recorded (None: its bytes were never read).
    file: the evidence path the row names (absolute; None in rows of early versions).
    status: its row's, ``ok`` (analysed) or ``error`` (could not be analysed).
    """

    key: str
    sha256: str | None
    file: str | None
    status: str
    now_as: str | None = (
        None  # a file of the run's with the same SHA-256: renamed (:func:`renamed`)
    )

    def to_json(self) -> dict[str, Any]:
        return {
            "path": self.key,
            "sha256": self.sha256,
            "file": self.file,
            "status": self.status,
            **({"renamed_to": self.now_as} if self.now_as else {}),
        }

    def words(self) -> str:
        """``multi.tif (SHA-256 a108...)``, and ``could not be analysed`` for an error row;
        ``renamed to NAME`` when the run went through a file of the same bytes."""
        sha = f"SHA-256 {self.sha256}" if self.sha256 else "its bytes never read"
        failed = ", could not be analysed" if self.status != "ok" else ""
        rename = f", renamed to {self.now_as}: the same SHA-256" if self.now_as else ""
        return f"{self.key} ({sha}{failed}{rename})"


def renamed(
    gone: Sequence[GoneFile], now: Iterable[tuple[str, str | None]]
) -> tuple[GoneFile, ...]:
    """``gone`` with each file whose SHA-256 one of ``now`` (key, SHA-256 of the files the run
    went through) has too marked renamed to it (the first such key in sorted order): a rename
    in the scanned folder, said as one, not as a file gone and a new file that copies it."""
    by_sha: dict[str, str] = {}
    for key, sha in sorted((k, s) for k, s in now if s):
        by_sha.setdefault(sha, key)
    return tuple(replace(g, now_as=by_sha.get(g.sha256)) if g.sha256 in by_sha else g for g in gone)


def gone_files(index: ResultIndex, listed: Iterable[str], folder: Path) -> list[GoneFile]:
    """The rows of ``index`` (an output folder's) whose key is not in ``listed`` (the keys of
    this run's files) and whose evidence file is no longer there (the row's ``file``, else
    ``folder``/key), in the order they were first recorded."""
    keys = set(listed)
    gone = []
    for key in index.keys():
        if key in keys:
            continue
        where = index.evidence_file(key)
        if os.path.lexists(where or folder / key):  # there, only not listed: not gone
            continue
        gone.append(GoneFile(key, index.sha256(key), where, index.status(key) or "error"))
    return gone


def changed_words(before: str | None, now: str | None) -> str:
    """What a file whose bytes changed between runs is said to be: "bytes changed since an
    earlier run analysed them (SHA-256 then X, now Y): analysed again"."""
    return (
        f"bytes changed since an earlier run analysed them (SHA-256 then {before or 'not known'}, "
        f"now {now or 'not known'}): analysed again"
    )


def changed_lines(
    changed: Sequence[tuple[str, str | None, str | None]], limit: int = GONE_LINES
) -> list[str]:
    """What the command line and the batch dialog say of the files a run analysed again
    because their bytes changed since an earlier run analysed them (key, SHA-256 then, now):
    a line, then a line per file (the first ``limit``), then how many more; none when none
    changed. The summary line only counted them ("1 changed since analysed")."""
    if not changed:
        return []
    n = len(changed)
    head = "1 file's bytes" if n == 1 else f"{n:,} files' bytes"
    lines = [f"{head} changed since an earlier run analysed {'it' if n == 1 else 'them'}:"]
    lines += [f"  {key}: {changed_words(then, now)}" for key, then, now in changed[:limit]]
    if n > limit:
        lines.append(f"  … and {n - limit:,} more (each file's section of a report says so)")
    return lines


def _head(n: int) -> str:
    files = "1 file analysed earlier is" if n == 1 else f"{n:,} files analysed earlier are"
    return f"{files} no longer in the folder"


def gone_lines(
    gone: Sequence[GoneFile], limit: int = GONE_LINES, listed_by: str = "a --report"
) -> list[str]:
    """What the command line says of ``gone``: a line, then a line per file (the first
    ``limit``), then how many more and that ``listed_by`` (what writes a report, which lists
    each: the dialog names its own button) lists each; none when no file is gone."""
    if not gone:
        return []
    rows = "its row stays" if len(gone) == 1 else "their rows stay"
    lines = [f"{_head(len(gone))} ({rows} in results.jsonl):"]
    lines += [f"  {g.words()}" for g in gone[:limit]]
    if len(gone) > limit:
        lines.append(f"  … and {len(gone) - limit:,} more ({listed_by} lists each)")
    return lines


def gone_alert(gone: Sequence[GoneFile], run: Mapping[str, Any] | None = None) -> str | None:
    """A report's first-page alert for ``gone`` (None when no file is gone): every file named
    with its SHA-256 (the report may be the only file that names them: an HTML or PDF report
    has no report.json beside it) and when they were analysed, as far as the rows say (they
    record no time: before ``run``'s ``started``, the run the report is of)."""
    if not gone:
        return None
    started = (run or {}).get("started")
    when = f"by a run before this one (which began {started})" if started else "by an earlier run"
    named = "; ".join(g.words() for g in gone)
    one = len(gone) == 1
    return (
        f"{_head(len(gone))}: analysed {when} into this output folder, then moved or deleted from "
        f"the scanned folder, so {'it is' if one else 'they are'} in no section of this report "
        f"({'its row stays' if one else 'their rows stay'} in results.jsonl): {named}"
    )
