"""One scan at a time per output folder: an exclusive lock held for the whole run (no Qt).

Two scans appending to one ``results.jsonl``, compacting it and rewriting ``results.csv`` at
once destroy each other's work. So a scan (``forensic-viewer analyze`` / ``scan``, the batch
dialog) first takes :class:`OutputLock` on its output folder and keeps it until it has written
its last file; a second scan into the same folder is refused at once with
:class:`OutputLocked`, whose message names the holder's PID, host and start time.

The lock is :class:`engine.lock.FolderLock` (training runs take it too, on their run
folders), on ``OUT/.scan.lock``: the operating system releases it when the holder's process
ends, however it ends, so a lock file left behind never blocks a later scan; a scan never
deletes the file (its module doc says how and why). Taking it also checks that no name the
program writes in the folder is a symbolic link (:mod:`forensic_viewer.scan.outfolder`).
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

from engine.errors import ForensicError
from engine.lock import FolderLock, FolderLocked
from engine.lock import read_holder as read_lock_holder
from forensic_viewer.scan.outfolder import refuse_links

LOCK_NAME = ".scan.lock"


class ScanFailed(ForensicError):
    """The scan itself cannot go on (its output folder is locked or unusable); not a problem
    with one evidence file. The command line exits with its own code for these."""


class OutputLocked(ScanFailed, FolderLocked):
    """Another scan holds the output folder. ``holder``: what its lock file says ({} when it
    could not be read)."""


def read_holder(out: Path) -> dict[str, Any]:
    """What the lock file of ``out`` says about its holder ({} when empty or unreadable: a pipe
    or device there included, read by :func:`engine.files.read_regular_text`, never waited on)."""
    return read_lock_holder(out / LOCK_NAME)


class OutputLock(FolderLock):
    """The exclusive lock of a scan output folder (see the module doc).

    ``OutputLock(out, command="scan")`` does nothing until :meth:`acquire` (or ``with``), which
    creates the folder if needed and raises :class:`OutputLocked` when another scan holds it,
    :class:`ScanFailed` when the folder cannot be created or its lock file opened.
    command: what holds the lock, quoted in a refusal (e.g. ``"forensic-viewer scan"``).
    """

    name = LOCK_NAME
    what = "scan"
    failed = ScanFailed
    refused = OutputLocked

    def acquire(self) -> OutputLock:
        """Take the lock, then refuse the folder (:class:`ScanFailed`, the lock released) when
        a name the program writes there is a link (:func:`~.outfolder.refuse_links`): checked
        under the lock, before anything else is written."""
        super().acquire()
        try:
            refuse_links(self.out)
        except ForensicError as e:
            self.release()
            raise ScanFailed(e.path, e.reason) from e
        return self

    def __enter__(self) -> OutputLock:
        return self.acquire()
