"""What ``forensic-viewer audit verify`` checks beyond the chain (no Qt): whether the file given
is a case log at all (:func:`not_an_audit_log`), and with ``--files`` whether the files its
entries name still hash to what they recorded (:func:`named_files`, :func:`check_files`).

An entry names a file with its SHA-256 in a few shapes (docs/AUDIT.md): ``{"path", "sha256"}``
(evidence opened, a layer or a report exported, a probe's JSON), ``X`` beside ``X_sha256`` (a
model's ``checkpoint``), and a scan's ``out`` with ``results_sha256`` by file name; a moved
report's ``to`` with ``files`` by name. A file recorded several times is checked against its
last record: a scan resumed rewrites results.jsonl, a report written again replaces the file.
"""

from __future__ import annotations

import contextlib
import os
import re
from collections.abc import Iterator, Mapping
from pathlib import Path
from typing import Any

from engine.files import sha256_of
from forensic_viewer.audit import log_lines, parse_entry

HEX64 = re.compile(r"[0-9a-f]{64}")


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


def named_files(path: Path) -> dict[str, tuple[str, int]]:
    """Each file the log's complete entries name with a SHA-256 -> (its last recorded SHA-256,
    the entry that recorded it)."""
    found: dict[str, tuple[str, int]] = {}
    with contextlib.closing(log_lines(path)) as lines:
        for _number, raw, complete in lines:
            entry = parse_entry(raw)[0] if complete else None
            if entry is None:
                continue
            for file, sha in _pairs(entry.details):
                found[file] = (sha, entry.seq)
    return found


def check_files(path: Path) -> tuple[list[str], int]:
    """Re-hash every file the log at ``path`` names (:func:`named_files`): one line per file
    that changed, is missing or cannot be read, and how many were checked. A path recorded
    relative (report-exported entries before 2026-12-06) is read against the current folder,
    and its line says so."""
    problems: list[str] = []
    files = named_files(path)
    for file, (recorded, seq) in files.items():
        relative = "" if os.path.isabs(file) else " (recorded relative: read from here)"
        try:
            now = sha256_of(file)  # a pipe named like a report: refused, not waited on
        except OSError as e:
            problems.append(f"UNREADABLE {file}{relative}: {e.strerror or e} (entry {seq})")
            continue
        if now is None:
            problems.append(f"MISSING {file}{relative} (entry {seq} recorded {recorded[:12]}…)")
        elif now != recorded:
            problems.append(
                f"CHANGED {file}{relative}: SHA-256 now {now[:12]}…, entry {seq} recorded "
                f"{recorded[:12]}…"
            )
    return problems, len(files)
