"""One writer at a time per output folder: an exclusive lock held for the whole run.

Two scans appending to one ``results.jsonl``, or two trainers writing one run folder's
checkpoints (two viewer windows resuming one run, the training dialog and a ``forensic-train fit
--resume`` in a shell), destroy each other's work. So each first takes a :class:`FolderLock` on
its output folder (``forensic_viewer.scan.lock.OutputLock`` for scans, ``.scan.lock``;
``trainer.run_folder.RunLock`` for ``fit``, ``pretrain`` and the trainer's commands that write
into a run folder, ``.train.lock``) and keeps it until it has written its last file; a second
writer is refused at once with :class:`FolderLocked`, whose one-line message names the folder
and the holder's PID, host, start time and command. A program that only starts a writer asks first with
:meth:`FolderLock.probe`, which takes nothing.

How: the lock file is opened and locked with ``fcntl.flock`` (POSIX) or ``msvcrt.locking`` on
one byte far past its text (Windows). The operating system releases the lock when the holder's
process ends, however it ends (killed, crashed, power cut), so a lock file left behind never
blocks a later writer: only a live holder does. While locked, the file holds one JSON object
describing the holder, which the refusal quotes. A holder may remove the file it holds
(``release(remove=True)``: a ``fit`` that failed before its first checkpoint leaves ``--out`` as
it found it); so that a process that opened the file just before it was removed does not then
lock a file no one else sees, a lock is held only once the path still names the file locked
(else it is taken again on the new file). flock locks are per open file, so two writers in one
process (two batch dialogs, a dialog and a test) exclude each other too. On a network file
system the lock is as good as the server's locking (Linux maps flock to NFS byte-range locks).

Here, not in the viewer, because the trainer needs it too and the engine is the one package
both import; standard library only.
"""

from __future__ import annotations

import errno
import json
import os
import socket
from pathlib import Path
from types import TracebackType
from typing import Any

from engine.errors import ForensicError
from engine.files import check_regular, not_regular_reason, read_regular_text
from engine.formatting import time_text

_WIN_OFFSET = 1 << 30  # the byte locked on Windows: past the holder's JSON, which stays readable
_RETRIES = 5  # times a lock is taken again when its file was replaced meanwhile

try:
    import fcntl
except ImportError:  # Windows
    fcntl = None  # type: ignore[assignment]
try:
    import msvcrt
except ImportError:  # POSIX
    msvcrt = None  # type: ignore[assignment]


class LockFailed(ForensicError):
    """The folder cannot be locked: it cannot be made or written, or its lock file is not a
    regular file."""


class FolderLocked(LockFailed):
    """Another process holds the folder. ``holder``: what its lock file says ({} when it could
    not be read); ``what``: what holds it, in words ("scan", "training run")."""

    def __init__(self, out: Path, holder: dict[str, Any], what: str = "process") -> None:
        self.holder = holder
        pid = holder.get("pid", "?")
        host = holder.get("host")
        started = holder.get("started", "at an unknown time")
        who = f"PID {pid}" + (f" on {host}" if host else "") + f", started {started}"
        command = holder.get("command")
        super().__init__(
            out,
            f"another {what} is writing into this folder ({who}"
            + (f", {command}" if command else "")
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


def _same_file(fd: int, path: Path) -> bool:
    """Whether ``path`` still names the file open as ``fd`` (not removed or replaced)."""
    try:
        here, there = os.fstat(fd), os.stat(path, follow_symlinks=False)
    except OSError:
        return False
    return (here.st_dev, here.st_ino) == (there.st_dev, there.st_ino)


def read_holder(path: Path) -> dict[str, Any]:
    """What the lock file ``path`` says about its holder ({} when empty or unreadable: a pipe
    or device there included, read by :func:`engine.files.read_regular_text`, never waited on)."""
    try:
        value = json.loads(read_regular_text(path) or "{}")
    except (OSError, ValueError):
        return {}
    return value if isinstance(value, dict) else {}


def held_by(path: Path) -> dict[str, Any] | None:
    """What the lock file ``path`` says of its holder ({} when it cannot be read) while a
    process holds it, None while none does: no lock file is no holder, and a link or pipe in
    its place is left to :meth:`FolderLock.acquire`, which refuses it in its own words. Takes,
    makes and writes nothing (:meth:`FolderLock.probe`; the trainer's plan of a run asks it
    with the run folder's lock file's name)."""
    flags = os.O_RDONLY | getattr(os, "O_BINARY", 0)
    flags |= getattr(os, "O_NONBLOCK", 0) | getattr(os, "O_NOFOLLOW", 0)
    try:
        fd = os.open(path, flags)
    except OSError:
        return None
    try:
        check_regular(fd, path)
        free = _try_lock(fd)
        if free:
            _unlock(fd)
    except OSError:
        return None
    finally:
        os.close(fd)
    return None if free else read_holder(path)


class FolderLock:
    """The exclusive lock of an output folder (see the module doc).

    ``FolderLock(out, command="...")`` does nothing until :meth:`acquire` (or ``with``), which
    creates the folder if needed and raises :attr:`refused` (a :class:`FolderLocked`) when
    another process holds it, :attr:`failed` when the folder cannot be created or its lock file
    opened. command: what holds the lock, quoted in a refusal (e.g. ``"forensic-train fit"``).
    A subclass names its lock file, what holds it, and its errors.
    """

    name = ".lock"  # the lock file in the folder
    what = "process"  # what holds it, in the refusal: "another scan is writing ..."
    failed: type[ForensicError] = LockFailed
    refused: type[FolderLocked] = FolderLocked

    def __init__(self, out: Path, *, command: str = "") -> None:
        self.out = Path(out)
        self.command = command
        self.created = False  # whether acquire made the lock file (none was there)
        self._fd: int | None = None

    @property
    def path(self) -> Path:
        return self.out / self.name

    @property
    def held(self) -> bool:
        return self._fd is not None

    def still_held(self) -> bool:
        """Whether the lock is held and its path still names the file locked: False once the
        folder (or its lock file) was removed or replaced, where a new file there is no one's
        lock and a writer that went on would write a folder nobody holds."""
        return self._fd is not None and _same_file(self._fd, self.path)

    def _open(self) -> int:
        """The lock file opened for reading and writing (created when missing), refused with
        :attr:`failed` naming it unless a regular file: it is truncated and written, so a link
        there would have it empty and overwrite the file the link points at (``O_NOFOLLOW``),
        and a named pipe or device would not hold the holder's description (``O_NONBLOCK``:
        opening one never waits)."""
        path = self.path
        flags = os.O_RDWR | os.O_CREAT | getattr(os, "O_BINARY", 0)
        flags |= getattr(os, "O_NONBLOCK", 0) | getattr(os, "O_NOFOLLOW", 0)
        existed = os.path.lexists(path)
        try:
            fd = os.open(path, flags, 0o644)
        except OSError as e:
            if e.errno == errno.ELOOP and path.is_symlink():
                raise self.failed(path, "is a link; a lock file must be a regular file") from e
            raise self.failed(
                path.parent, f"cannot be used as the output folder ({e.strerror or e})"
            ) from e
        try:
            check_regular(fd, path)
            if hasattr(os, "O_NONBLOCK"):
                os.set_blocking(fd, True)
        except OSError as e:
            os.close(fd)
            raise self.failed(path, not_regular_reason(e) or str(e.strerror or e)) from e
        self.created = not existed
        return fd

    def _lock(self) -> int:
        """The lock file, open and locked; :attr:`refused` while another process holds it."""
        for _ in range(_RETRIES):
            fd = self._open()
            try:
                locked = _try_lock(fd)
            except OSError as e:
                os.close(fd)
                raise self.failed(self.out, f"cannot be locked ({e.strerror or e})") from e
            if not locked:
                os.close(fd)
                raise self.refused(self.out, read_holder(self.path), self.what)
            if _same_file(fd, self.path):
                return fd
            _unlock(fd)  # its holder removed it as we opened it: lock the file there now
            os.close(fd)
        raise self.failed(self.out, "cannot be locked (its lock file keeps being replaced)")

    def acquire(self) -> FolderLock:
        if self._fd is not None:
            return self
        try:
            self.out.mkdir(parents=True, exist_ok=True)
        except OSError as e:
            raise self.failed(
                self.out, f"cannot be used as the output folder ({e.strerror or e})"
            ) from e
        fd = self._lock()
        self._fd = fd
        holder = {
            "pid": os.getpid(),
            "host": socket.gethostname(),
            "started": time_text(),
            "command": self.command,
        }
        try:
            os.lseek(fd, 0, os.SEEK_SET)
            os.ftruncate(fd, 0)
            os.write(fd, (json.dumps(holder) + "\n").encode("utf-8"))
        except OSError as e:  # a full disk: the run could not write its results either
            self.release()
            raise self.failed(self.out, f"cannot be written ({e.strerror or e})") from e
        return self

    def probe(self) -> None:
        """Raise :attr:`refused` while another process holds the folder, touching nothing: no
        folder or lock file is made and nothing is written (no lock file is no holder; a link
        or pipe in its place is left to :meth:`acquire`, which refuses it in its own words).
        For a program that writes records of its own into the folder before it starts the
        writer that takes the lock (the training dialog), so that a writer it would start only
        to be refused leaves nothing of the program's there either. A holder that comes between
        the probe and its writer's :meth:`acquire` is still refused there."""
        if self._fd is not None:
            return
        if (holder := held_by(self.path)) is not None:
            raise self.refused(self.out, holder, self.what)

    def release(self, *, remove: bool = False) -> None:
        """Clear the holder's description and unlock; with ``remove``, delete the lock file
        first, while it is still held (see the module doc). Without, the file stays."""
        fd, self._fd = self._fd, None
        if fd is None:
            return
        try:
            if remove:
                self.path.unlink(missing_ok=True)
            else:
                os.ftruncate(fd, 0)
        except OSError:
            pass  # the lock still goes with the descriptor
        try:
            _unlock(fd)
        finally:
            os.close(fd)

    def __enter__(self) -> FolderLock:
        return self.acquire()

    def __exit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        tb: TracebackType | None,
    ) -> None:
        self.release()
