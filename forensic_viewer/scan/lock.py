"""One scan at a time per output folder: an exclusive lock held for the whole run (no Qt).

Two scans appending to one ``results.jsonl``, compacting it and rewriting ``results.csv`` at
once destroy each other's work. So a scan (``forensic-viewer analyze`` / ``scan``, the batch
dialog) first takes :class:`OutputLock` on its output folder and keeps it until it has written
its last file; a second scan into the same folder is refused at once with
:class:`OutputLocked`, whose message names the holder's PID, host and start time.

How: ``OUT/.scan.lock`` is opened and locked with ``fcntl.flock`` (POSIX) or
``msvcrt.locking`` on one byte far past its text (Windows). The operating system releases the
lock when the holder's process ends, however it ends (killed, crashed, power cut), so a lock
file left behind never blocks a later scan: only a live holder does. The file itself is never
deleted (deleting a lock file while another process opens it would let two scans each lock a
different file); it holds, while locked, one JSON object describing the holder, which the
refusal message quotes. flock locks are per open file, so two scans in one process (two batch
dialogs, a dialog and a test) exclude each other too. On a network file system the lock is as
good as the server's locking (Linux maps flock to NFS byte-range locks).
"""

from __future__ import annotations

import errno
import json
import os
import socket
import time
from pathlib import Path
from types import TracebackType
from typing import Any

from engine.errors import ForensicError
from engine.files import check_regular, not_regular_reason, read_regular_text

LOCK_NAME = ".scan.lock"
_WIN_OFFSET = 1 << 30  # the byte locked on Windows: past the holder's JSON, which stays readable

try:
    import fcntl
except ImportError:  # Windows
    fcntl = None  # type: ignore[assignment]
try:
    import msvcrt
except ImportError:  # POSIX
    msvcrt = None  # type: ignore[assignment]


class ScanFailed(ForensicError):
    """The scan itself cannot go on (its output folder is locked or unusable); not a problem
    with one evidence file. The command line exits with its own code for these."""


class OutputLocked(ScanFailed):
    """Another scan holds the output folder. ``holder``: what its lock file says ({} when it
    could not be read)."""

    def __init__(self, out: Path, holder: dict[str, Any]) -> None:
        self.holder = holder
        pid = holder.get("pid", "?")
        host = holder.get("host")
        started = holder.get("started", "at an unknown time")
        who = f"PID {pid}" + (f" on {host}" if host else "") + f", started {started}"
        what = holder.get("command")
        super().__init__(
            out,
            f"another scan is writing into this folder ({who}"
            + (f", {what}" if what else "")
            + "); wait for it to end or choose another output folder",
        )


def _try_lock(fd: int) -> bool:
    if fcntl is not None:
        try:
            fcntl.flock(fd, fcntl.LOCK_EX | fcntl.LOCK_NB)
        except BlockingIOError:
            return False
        except OSError as e:  # some file systems answer EACCES instead of EWOULDBLOCK
            if e.errno in (errno.EAGAIN, errno.EACCES, errno.EWOULDBLOCK):
                return False
            raise
        return True
    if msvcrt is not None:
        os.lseek(fd, _WIN_OFFSET, os.SEEK_SET)
        try:
            msvcrt.locking(fd, msvcrt.LK_NBLCK, 1)
        except OSError:
            return False
        return True
    return True  # no locking on this platform: documented in docs/RESULTS.md


def _unlock(fd: int) -> None:
    if fcntl is not None:
        fcntl.flock(fd, fcntl.LOCK_UN)
    elif msvcrt is not None:
        os.lseek(fd, _WIN_OFFSET, os.SEEK_SET)
        msvcrt.locking(fd, msvcrt.LK_UNLCK, 1)


def _open_lock_file(path: Path) -> int:
    """``path`` opened for reading and writing (created when missing), refused with a
    :class:`ScanFailed` naming it unless a regular file: the scan truncates and writes it, so a
    link there would have it empty and overwrite the file the link points at (``O_NOFOLLOW``),
    and a named pipe or device would not hold the holder's description (``O_NONBLOCK``: opening
    one never waits)."""
    flags = os.O_RDWR | os.O_CREAT | getattr(os, "O_BINARY", 0)
    flags |= getattr(os, "O_NONBLOCK", 0) | getattr(os, "O_NOFOLLOW", 0)
    try:
        fd = os.open(path, flags, 0o644)
    except OSError as e:
        if e.errno == errno.ELOOP and path.is_symlink():
            raise ScanFailed(path, "is a link; a scan's lock file must be a regular file") from e
        raise ScanFailed(
            path.parent, f"cannot be used as the output folder ({e.strerror or e})"
        ) from e
    try:
        check_regular(fd, path)
        if hasattr(os, "O_NONBLOCK"):
            os.set_blocking(fd, True)
    except OSError as e:
        os.close(fd)
        raise ScanFailed(path, not_regular_reason(e) or str(e.strerror or e)) from e
    return fd


def read_holder(out: Path) -> dict[str, Any]:
    """What the lock file of ``out`` says about its holder ({} when empty or unreadable: a pipe
    or device there included, read by :func:`engine.files.read_regular_text`, never waited on)."""
    try:
        value = json.loads(read_regular_text(out / LOCK_NAME) or "{}")
    except (OSError, ValueError):
        return {}
    return value if isinstance(value, dict) else {}


class OutputLock:
    """The exclusive lock of a scan output folder (see the module doc).

    ``OutputLock(out, command="scan")`` does nothing until :meth:`acquire` (or ``with``), which
    creates the folder if needed and raises :class:`OutputLocked` when another scan holds it,
    :class:`ScanFailed` when the folder cannot be created or its lock file opened.
    command: what holds the lock, quoted in a refusal (e.g. ``"forensic-viewer scan"``).
    """

    def __init__(self, out: Path, *, command: str = "") -> None:
        self.out = Path(out)
        self.command = command
        self._fd: int | None = None

    @property
    def held(self) -> bool:
        return self._fd is not None

    def acquire(self) -> OutputLock:
        if self._fd is not None:
            return self
        path = self.out / LOCK_NAME
        try:
            self.out.mkdir(parents=True, exist_ok=True)
        except OSError as e:
            raise ScanFailed(
                self.out, f"cannot be used as the output folder ({e.strerror or e})"
            ) from e
        fd = _open_lock_file(path)
        try:
            locked = _try_lock(fd)
        except OSError as e:
            os.close(fd)
            raise ScanFailed(self.out, f"cannot be locked ({e.strerror or e})") from e
        if not locked:
            os.close(fd)
            raise OutputLocked(self.out, read_holder(self.out))
        self._fd = fd
        holder = {
            "pid": os.getpid(),
            "host": socket.gethostname(),
            "started": time.strftime("%Y-%m-%dT%H:%M:%S%z"),
            "command": self.command,
        }
        try:
            os.lseek(fd, 0, os.SEEK_SET)
            os.ftruncate(fd, 0)
            os.write(fd, (json.dumps(holder) + "\n").encode("utf-8"))
        except OSError as e:  # a full disk: the scan could not write its results either
            self.release()
            raise ScanFailed(self.out, f"cannot be written ({e.strerror or e})") from e
        return self

    def release(self) -> None:
        """Clear the holder's description and unlock (the file stays; see the module doc)."""
        fd, self._fd = self._fd, None
        if fd is None:
            return
        try:
            os.ftruncate(fd, 0)
        except OSError:
            pass  # the lock still goes with the descriptor
        try:
            _unlock(fd)
        finally:
            os.close(fd)

    def __enter__(self) -> OutputLock:
        return self.acquire()

    def __exit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        tb: TracebackType | None,
    ) -> None:
        self.release()
