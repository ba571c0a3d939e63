"""Evidence a folder scan read through a symbolic link from outside the scanned folder (no Qt).

A scan follows links, to files and to folders: a link to evidence on another drive is
legitimate. But on a mounted seized image an absolute link (``/usr/share/...``) points into the
examiner's own machine, and the examiner's own files are then analysed as evidence. The row
records it (``evidence.real_path``, every link followed, beside ``file``, as named; an error
row's ``real_path``: a file that failed is named where it was read too), and this
module says it where an analyst reads: the scan's summary line (also the batch dialog's
closing message, whose triage table marks each such file), results.csv's ``read_from``, and
the report's file section and limitations. Also how a row names its file in what is read
(:func:`error_naming_file`): by its absolute path, never relative to where a scan ran.
"""

from __future__ import annotations

import os
from collections.abc import Iterable, Mapping
from pathlib import Path, PurePosixPath
from typing import Any


def read_from_outside(file: str | None, key: str, real: str | None) -> str | None:
    """Where a row's bytes were read (``real``, its ``evidence.real_path``) when that is
    outside the scanned folder; else None (no link followed, a link within the folder, or a
    row that recorded no real path: one of an earlier version).

    file: the row's ``file``, absolute as named; key: its ``path``, relative to the scanned
    folder, which is ``file`` less ``key``. That folder is compared with its links followed
    as they are now (itself a link, or on macOS below ``/tmp``, a link to ``/private/tmp``),
    and as named (a folder no longer there)."""
    if not file or not real or real == file:
        return None
    named = PurePosixPath(Path(file).as_posix())
    parts = PurePosixPath(key).parts
    if named.parts[-len(parts) :] != parts:
        return None  # not a key relative to a folder (rows of another kind)
    root = named.parents[len(parts) - 1]
    target = Path(real)
    for folder in (Path(os.path.realpath(root)), Path(root)):
        if target.is_relative_to(folder):
            return None
    return real


def row_read_from(row: Mapping[str, Any]) -> str | None:
    """:func:`read_from_outside` of a results.jsonl row (a JSON object): an analysed file's
    ``evidence.real_path``, an error row's ``real_path``."""
    real = (row.get("evidence") or {}).get("real_path") or row.get("real_path")
    return read_from_outside(row.get("file"), str(row.get("path", "")), real)


def record_read_from(rec: Any) -> str | None:
    """:func:`read_from_outside` of a typed row (``FileRecord`` or ``ErrorRecord``)."""
    evidence = getattr(rec, "evidence", None)
    real = evidence.real_path if evidence is not None else getattr(rec, "real_path", None)
    return read_from_outside(rec.file, rec.path, real)


def outside_files(rows: Iterable[Mapping[str, Any]]) -> dict[str, str]:
    """Key -> where it was read, for each of ``rows`` read through a link from outside the
    scanned folder, in their order."""
    found = {}
    for row in rows:
        if (target := row_read_from(row)) is not None:
            found[str(row["path"])] = target
    return found


def outside_line(outside: Mapping[str, str]) -> str:
    """The one line of a scan's summary: how many files were read through links from outside
    the scanned folder, the first named with where it was read. "Taken as evidence", not
    "analysed": a file that failed there is counted too (its error row's ``real_path``)."""
    key, target = next(iter(outside.items()))
    n = len(outside)
    files = "1 file was" if n == 1 else f"{n} files were"
    first = "" if n == 1 else ", the first"
    return (
        f"{files} read through links from outside the scanned folder and taken as evidence "
        f"(results.csv's read_from names each){first}: {key}, read from {target}"
    )


def outside_words(target: str) -> str:
    """A file section's words for where a file was read from outside the scanned folder."""
    return (
        f"{target}, outside the scanned folder (reached through a symbolic link in it: check "
        "that it belongs to the evidence)"
    )


def error_naming_file(error: str, file: str | None) -> str:
    """``error`` (an error row's) naming the file by its absolute path ``file`` (the row's),
    where it names it as the scan was given it: relative to the directory the scan ran from
    (``case/sub/x.jpg: damaged ...``), which nothing else records. Scans now name it
    absolutely (``scan.failure.named``); reports and results.csv read rows of earlier versions
    through this. A message that starts with another name, or none, is returned as
    it is."""
    if not file:
        return error
    parts = Path(file).parts
    start = 0
    while (cut := error.find(": ", start)) > 0:
        head = os.path.normpath(error[:cut])
        named = [p for p in Path(head).parts if p != ".."]
        if head == file or (
            not os.path.isabs(head) and named and tuple(named) == parts[-len(named) :]
        ):
            return file + error[cut:]
        start = cut + 2
    return error


def error_without_file(error: str, file: str | None) -> str:
    """An error row's problem without the file it begins with (``file``, the row's, however
    the row's version named it: :func:`error_naming_file`): where the file is named already,
    by its key beside the problem. A message naming no file, or another, is kept whole."""
    error = error_naming_file(error, file)
    head = f"{file}: "
    return error[len(head) :] if file and error.startswith(head) else error
