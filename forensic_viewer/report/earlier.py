"""An earlier report moved aside, never replaced, before a report of the same name is written
into an output folder by the command line (``analyze``/``scan``/``probe --report``) or the
viewer's report dialog (no Qt).

A report may have been handed over: its files (``report.html`` with its ``report_files/``
folder, ``report.pdf``, ``report.json``) are evidence of what was said, and a second
``scan --report`` replaced them, leaving only their SHA-256 in the case log.
:func:`move_earlier_report` moves every file of the earlier report, together so that the
HTML's links to its folder keep working, into ``OUT/earlier-reports/<UTC time>/``, the time
the earlier report was written (its ``report.json``'s ``generated``, else the files'
modification time); a name already taken there gets ``.2``, ``.3``, ... Nothing in it is
ever written over or removed. When the new report then cannot be written (the disk full,
cancelled), :func:`move_back` puts the earlier one back where it was: the folder is left as it
was, not without a report (before 2026-12-06 it stayed in ``earlier-reports/``).
"""

from __future__ import annotations

import contextlib
import errno
import os
import re
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

from engine.files import open_regular

EARLIER_REPORTS = "earlier-reports"
SUFFIXES = (".json", ".html", ".pdf")  # the writers' files, the JSON's time read first
HEAD_BYTES = 1 << 16  # where report.json's "generated" is looked for: its first line's head
_GENERATED = re.compile(rb'"generated": "([^"\\]{1,64})"')


@dataclass(frozen=True)
class MovedReport:
    """Where an earlier report went: ``folder`` (``OUT/earlier-reports/<stamp>``) and the
    names moved into it, in the output folder's order."""

    folder: Path
    names: tuple[str, ...]

    def line(self) -> str:
        """The one line said of the move."""
        return f"the earlier report ({', '.join(self.names)}) moved to {self.folder}"

    def to_json(self, sha256: Any = None) -> dict[str, Any]:
        """The case log's record of the move; ``sha256(path)``, when given, hashes each file
        moved (a folder is named alone). A symbolic link, moved as a link, is recorded as one:
        ``{"link": <its target as written>}``, never followed (its target's SHA-256 recorded
        a link as if it were the report file, and the target may change or be another's)."""
        moved: dict[str, Any] = {}
        for name in self.names:
            path = self.folder / name
            if path.is_symlink():
                moved[name] = {"link": os.readlink(path)}
            elif sha256 is not None and path.is_file():
                moved[name] = sha256(path)
            else:
                moved[name] = None
        return {"from": str(self.folder.parent.parent), "to": str(self.folder), "files": moved}

    @property
    def out(self) -> Path:
        """The output folder the report was moved out of."""
        return self.folder.parent.parent


def move_back(moved: MovedReport, sha256: Any = None) -> dict[str, Any]:
    """Put the earlier report ``moved`` aside back into its output folder, the new report not
    written (its writers removed their files); its folder in ``earlier-reports/`` removed, and
    ``earlier-reports/`` itself once empty. Returns the case log's record of the move back:
    :meth:`MovedReport.to_json`'s fields, ``from`` the folder it was in and ``to`` the output
    folder, each file hashed there. Raises OSError naming the file when one cannot go back (its
    name taken meanwhile), before any is moved: the report stays whole in its folder."""
    for name in moved.names:
        if os.path.lexists(moved.out / name):  # never over another's file
            raise FileExistsError(errno.EEXIST, "its name is taken", str(moved.out / name))
    for name in moved.names:
        os.rename(moved.folder / name, moved.out / name)
    with contextlib.suppress(OSError):  # earlier-reports/ too, when the move made it for this
        moved.folder.rmdir()
        moved.folder.parent.rmdir()
    back = MovedReport(moved.out, moved.names).to_json(sha256)
    return {**back, "from": str(moved.folder), "to": str(moved.out), "moved_back": True}


def report_names(out: Path, basename: str) -> list[str]:
    """The names in ``out`` that a report ``basename`` is made of: ``BASENAME.html``,
    ``.pdf`` and ``.json`` (a file or a link, moved as a link; a folder so named is no report,
    and stays in the new report's way as before), and the HTML's image folders
    (``BASENAME_files``, and the ``BASENAME_files.N`` a report written beside an earlier
    folder names)."""
    folders = re.compile(re.escape(f"{basename}_files") + r"(\.[0-9]+)?")
    files = {basename + s for s in SUFFIXES}
    try:
        with os.scandir(out) as entries:
            names = [
                e.name
                for e in entries
                if (e.name in files and not e.is_dir(follow_symlinks=False))
                or folders.fullmatch(e.name)
            ]
    except FileNotFoundError:
        return []
    return sorted(names)


def written_at(out: Path, basename: str, names: list[str]) -> datetime:
    """When the earlier report was written, in UTC: the ``generated`` time its
    ``report.json`` records (its head, read as far as :data:`HEAD_BYTES`), else the
    modification time of its first file (JSON, HTML, PDF), else of any of ``names``."""
    json_file = out / f"{basename}.json"
    if json_file.name in names:
        try:
            with open_regular(json_file) as f:
                found = _GENERATED.search(f.read(HEAD_BYTES))
            if found is not None:
                when = datetime.fromisoformat(found.group(1).decode("ascii"))
                if when.tzinfo is not None:
                    return when.astimezone(UTC)
        except (OSError, ValueError):
            pass  # not a report of ours, or unreadable: its file's time
    ordered = [basename + s for s in SUFFIXES if basename + s in names] + names
    return datetime.fromtimestamp(os.lstat(out / ordered[0]).st_mtime, UTC)


def move_earlier_report(out: Path, basename: str = "report") -> MovedReport | None:
    """Move the report ``basename`` in ``out``, if there is one, into a folder of its own in
    ``out/earlier-reports/`` (see the module docstring); None when there is none. Raises
    OSError naming the file or folder when it cannot (``earlier-reports`` a file or a link:
    the earlier report stays where it is, and no report is written over it)."""
    out = Path(os.path.abspath(out))  # the line and the case log name it absolute
    names = report_names(out, basename)
    if not names:
        return None
    stamp = written_at(out, basename, names).strftime("%Y%m%dT%H%M%SZ")
    parent = out / EARLIER_REPORTS
    if parent.is_symlink() or (parent.exists() and not parent.is_dir()):
        what = "a link" if parent.is_symlink() else "a file"
        raise OSError(errno.ENOTDIR, f"{what}, not the folder earlier reports go to", str(parent))
    parent.mkdir(exist_ok=True)
    folder = _new_folder(parent, stamp)
    for name in names:
        os.rename(out / name, folder / name)  # one folder, one file system: nothing copied
    return MovedReport(folder, tuple(names))


def _new_folder(parent: Path, stamp: str) -> Path:
    """``parent/stamp``, else the first of ``stamp.2``, ``.3``, ... not taken, made now (so
    that two writers never share one)."""
    n = 1
    while True:
        folder = parent / (stamp if n == 1 else f"{stamp}.{n}")
        try:
            folder.mkdir()
        except FileExistsError:
            n += 1
            continue
        return folder
