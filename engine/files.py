"""Writing result files so that a reader never sees half of one, and opening evidence files.

Every file the project writes for others to read (checkpoints, scan results, reports, run
state) goes through :class:`AtomicFile`: the bytes go to ``NAME.~<8 hex>.tmp`` beside the target
(a name of its own per writer: :func:`temp_path`) and replace it with one ``os.replace``
(atomic on POSIX and Windows within one folder) only when the writing finished; a failure
removes the ``.tmp`` and leaves any earlier file untouched.

Evidence files are never written: every read of one (the loader in :mod:`engine.io`, the
classic analyses' second read, a scan's hashing and content sniffing) goes through
:func:`open_evidence`, read-only, never waiting, regular files only. The other files a user
names (checkpoints, ensemble files, weight files, a data set's images and masks) are opened the
same way (:func:`open_regular`), so a named pipe named like one is a one-line error, not a
command that waits forever.
"""

from __future__ import annotations

import contextlib
import errno
import hashlib
import os
import re
import secrets
import stat
from collections.abc import Sequence
from pathlib import Path
from types import TracebackType
from typing import IO, Any, BinaryIO


class NotRegularFile(OSError):
    """An evidence path that is not a regular file: a named pipe, a device, a socket."""


def open_regular(path: str | Path, *, follow_links: bool = True, flags: int = 0) -> BinaryIO:
    """``path`` opened for reading its bytes: ``O_RDONLY`` (never for writing) and
    ``O_NONBLOCK`` (opening a named pipe does not wait for a writer, which hung a scan that
    Ctrl+C could not end, and any command given a pipe named like a checkpoint), then refused
    unless it is a regular file: a pipe would stream what its writer sends, ``/dev/zero`` would
    never end, ``/dev/null`` would give the bytes of no file. The check is on the opened
    descriptor, so a file swapped after a ``stat`` cannot slip through. ``follow_links=False``
    (``O_NOFOLLOW``): a symbolic link at ``path`` itself is refused too, for files whose place
    is part of what they mean (a case's audit log). Raises :class:`NotRegularFile`,
    :class:`IsADirectoryError` for a folder, or the OSError of the open (missing, permission
    denied, a link loop); :func:`not_regular_reason` words the first two for a one-line
    error. ``flags``: more open flags (:func:`open_evidence`'s ``O_NOATIME``)."""
    flags |= os.O_RDONLY | getattr(os, "O_BINARY", 0) | getattr(os, "O_NONBLOCK", 0)
    try:
        fd = _open(path, flags | _no_follow(follow_links))
    except OSError as e:
        if e.errno == errno.ENXIO:  # a socket, or a device without its driver: never a file
            raise NotRegularFile(errno.EINVAL, _NOT_REGULAR, str(path)) from e
        raise
    try:
        check_regular(fd, path)
        return os.fdopen(fd, "rb")
    except BaseException:
        os.close(fd)
        raise


_NOT_REGULAR = "not a regular file (a device, pipe or socket)"
_LINK = "a symbolic link, not a regular file"


def _no_follow(follow_links: bool) -> int:
    """The open flag refusing a symbolic link at the path itself (0 where there is none)."""
    return 0 if follow_links else getattr(os, "O_NOFOLLOW", 0)


def _open(path: str | Path, flags: int, mode: int = 0o777) -> int:
    """``os.open``, a symbolic link refused by ``O_NOFOLLOW`` raised as :class:`NotRegularFile`
    saying so (Linux says ``ELOOP``, "Too many levels of symbolic links")."""
    try:
        return os.open(path, flags, mode)
    except OSError as e:
        if flags & _no_follow(False) and e.errno in (errno.ELOOP, errno.EMLINK):
            if os.path.islink(path):
                raise NotRegularFile(errno.ELOOP, _LINK, str(path)) from e
        raise


def check_regular(fd: int, path: str | Path) -> None:
    """Raise unless the open descriptor ``fd`` (of ``path``) is a regular file:
    :class:`NotRegularFile`, or :class:`IsADirectoryError` for a folder (for files opened
    otherwise than here, such as a scan folder's lock)."""
    mode = os.fstat(fd).st_mode
    if stat.S_ISDIR(mode):
        raise IsADirectoryError(errno.EISDIR, "is a folder, not a file", str(path))
    if not stat.S_ISREG(mode):
        raise NotRegularFile(errno.EINVAL, _NOT_REGULAR, str(path))


_NOATIME = getattr(os, "O_NOATIME", 0)  # Linux only


def open_evidence(path: str | Path) -> BinaryIO:
    """An evidence file opened by :func:`open_regular`: every read of evidence goes through
    here, so none can write it, wait on a pipe or read a device.

    On Linux, with ``O_NOATIME`` where the system allows it (the file's owner, or root, as an
    examiner's workstation often runs): reading does not update the file's access time, part
    of the evidence's own metadata (a medium mounted ``relatime`` updated it at the first read
    after each change, so a scan changed the access times of a whole folder). A file of
    another owner refuses the flag (EPERM) and is opened without it, as before."""
    if _NOATIME:
        try:
            return open_regular(path, flags=_NOATIME)
        except PermissionError as e:
            if e.errno != errno.EPERM:
                raise
    return open_regular(path)


def open_append_fd(path: str | Path, mode: int = 0o644, *, follow_links: bool = True) -> int:
    """A descriptor appending to the regular file ``path`` (created when missing, with
    ``mode``), for logs kept in a folder a user chooses (a scan's ``results.jsonl`` and
    ``scan.log``, a case's audit log, a training run's events). Opened ``O_NONBLOCK``, so a
    named pipe put there is refused at once instead of the open waiting for a reader, then
    refused unless a regular file (``/dev/null`` would swallow every line).
    ``follow_links=False`` (``O_NOFOLLOW``: the case log, a scan's ``results.jsonl`` and
    ``scan.log``, the training dialog's events, a training run's ``history.jsonl``): a
    symbolic link there is refused rather than followed (a dangling one would create its
    target elsewhere, one into another case's log or an evidence file would append to it). Raises :class:`NotRegularFile`, :class:`IsADirectoryError` or the OSError
    of the open."""
    flags = os.O_WRONLY | os.O_APPEND | os.O_CREAT | getattr(os, "O_BINARY", 0)
    flags |= _no_follow(follow_links)
    try:
        fd = _open(path, flags | getattr(os, "O_NONBLOCK", 0), mode)
    except OSError as e:
        if e.errno == errno.ENXIO:  # a named pipe that no one reads
            raise NotRegularFile(errno.EINVAL, _NOT_REGULAR, str(path)) from e
        raise
    try:
        check_regular(fd, path)
        if hasattr(os, "O_NONBLOCK"):
            os.set_blocking(fd, True)  # a regular file: writes as any other
        return fd
    except BaseException:
        os.close(fd)
        raise


def open_append(
    path: str | Path, mode: str = "ab", *, follow_links: bool = True, **open_kw: Any
) -> IO[Any]:
    """``path`` opened by :func:`open_append_fd` as a file object (``mode`` ``"ab"`` or ``"a"``
    with ``open_kw`` such as ``encoding``; ``follow_links`` as there)."""
    if mode not in ("ab", "a"):
        raise ValueError(f"open_append appends; mode must be 'ab' or 'a', got {mode}")
    return os.fdopen(open_append_fd(path, follow_links=follow_links), mode, **open_kw)


def write_all(fd: int, data: bytes) -> None:
    """``data`` written to ``fd`` whole: a short write is finished (``os.write`` may take part
    of it); an error is raised as it comes, the part written left (:func:`append_whole` cuts it
    back; the case log's repair leaves it torn for the next program to recover)."""
    view = memoryview(data)
    while view:
        view = view[os.write(fd, view) :]


def append_whole(fd: int, data: bytes, path: str | Path) -> None:
    """``data`` appended to ``fd`` (opened by :func:`open_append_fd`, one writer at a time)
    whole or not at all: a log's line (``results.jsonl``, the case log). A write that fails
    part way (the disk full after the first bytes) is cut back with ``ftruncate`` to the
    length the file had before it, so no torn line is left to read as a crash's (the audit
    log's ``verify`` said BROKEN until the next program repaired it). Raises the OSError with
    ``path`` as its file name: a write to an open descriptor names none, and the one line of
    the failure named the folder; when the cut fails too, its message says the line is torn."""
    start = os.fstat(fd).st_size
    try:
        write_all(fd, data)
    except OSError as e:
        problem = e.strerror or str(e)
        try:
            os.ftruncate(fd, start)
        except OSError as cut:
            problem += (
                f"; the part written could not be cut off ({cut.strerror or cut}): "
                "the file ends in a torn line"
            )
        raise OSError(e.errno, problem, str(path)) from e


# The largest text file read whole (scan.json, a probe table, a ground-truth list, a lock or
# run-state file): 64 MiB. The largest the program writes is a scan.json with its 50 earlier
# runs each listing 100 unreadable paths, a few MB; a file beyond it is not one of these (a
# disk image or a sparse file dropped under the name) and would be parsed in gigabytes.
TEXT_FILE_LIMIT = 64 << 20


class FileTooLarge(OSError):
    """A file over the size a reader of :func:`read_regular` takes (``limit``)."""


def read_regular(path: str | Path, *, follow_links: bool = True, limit: int | None = None) -> bytes:
    """The bytes of ``path`` read through :func:`open_regular` (small files the user names:
    ensemble files, JSON lists). ``limit``: more bytes than this raise :class:`FileTooLarge`
    naming the file, checked on the open descriptor and again as it is read (a file growing
    meanwhile); None: no limit (weight files, checked by their own readers)."""
    with open_regular(path, follow_links=follow_links) as f:
        if limit is None:
            return f.read()
        size = os.fstat(f.fileno()).st_size
        data = f.read(limit + 1) if size <= limit else b""
        if size > limit or len(data) > limit:
            size = max(size, len(data))
            raise FileTooLarge(
                errno.EFBIG,
                f"{size} bytes, beyond the {limit} bytes a file of this kind is read up to",
                str(path),
            )
        return data


def sha256_of(path: str | Path) -> str | None:
    """SHA-256 of the regular file at ``path`` (:func:`open_regular`: a pipe or device named
    like it is refused at once, never waited on); None when there is no such file. Other
    problems raise their OSError (:func:`not_regular_reason` words a pipe's)."""
    h = hashlib.sha256()
    try:
        with open_regular(path) as f:
            for block in iter(lambda: f.read(1 << 20), b""):
                h.update(block)
    except FileNotFoundError:
        return None
    return h.hexdigest()


def read_regular_text(
    path: str | Path, encoding: str = "utf-8", *, limit: int | None = TEXT_FILE_LIMIT
) -> str:
    """The text of ``path`` read through :func:`open_regular` (JSON and CSV files a user can put
    in a folder the program reads: a scan's ``scan.json``, a probe table, a ground-truth list),
    at most ``limit`` bytes (:data:`TEXT_FILE_LIMIT`; None: files of the program's own that
    grow with the work, read whole). Raises as :func:`open_regular` does,
    :class:`FileTooLarge` beyond ``limit`` (one line by :func:`not_regular_reason` or
    :func:`os_problem`), and :class:`UnicodeDecodeError` (a ValueError) for bytes that are not
    ``encoding``."""
    return read_regular(path, limit=limit).decode(encoding)


def not_regular_reason(e: OSError) -> str | None:
    """The reason of :func:`open_regular`'s refusals (``"not a regular file (a device, pipe or
    socket)"``, ``"is a folder, not a file"``, ``"a symbolic link, not a regular file"``) and of
    :func:`read_regular`'s limit (:class:`FileTooLarge`) for a one-line error; None for other
    errors."""
    if isinstance(e, NotRegularFile | IsADirectoryError | FileTooLarge):
        return e.strerror
    return None


def is_listed(path: Path) -> bool:
    """Whether a folder's entry counts as a file when a folder is listed: anything but a folder
    that exists (a regular file, or a pipe, device or socket, which its reader then refuses with
    a line naming it rather than the listing leaving it out without a word)."""
    try:
        return path.exists() and not path.is_dir()
    except OSError:  # a link loop on Pythons where exists() raises
        return False


def suffix_is(path: str | Path, suffix: str) -> bool:
    """Whether ``path``'s suffix is ``suffix`` (such as ``".safetensors"``) in any case: a file
    copied from Windows or a FAT medium keeps an upper-case name (``X.SAFETENSORS``), which the
    case-sensitive test called "a '.SAFETENSORS' file, not a checkpoint"."""
    return Path(path).suffix.lower() == suffix.lower()


def file_above(folder: Path) -> Path | None:
    """The first of ``folder``'s parents that exists and is not a folder (an ``$XDG_DATA_HOME``
    naming a file), or None: what ``mkdir`` means by "Not a directory" without naming it."""
    for parent in folder.parents:
        try:
            if parent.exists():
                return None if parent.is_dir() else parent
        except OSError:  # unreadable: mkdir says what is wrong
            return None
    return None


TEMP_SUFFIX = ".tmp"  # how the name of a temporary file of :func:`temp_path` ends
TEMP_ROOM = len(".~") + 8 + len(TEMP_SUFFIX)  # bytes temp_path adds: a name must leave room
_TEMP_NAME = re.compile(r"\.~[0-9a-f]{8}" + re.escape(TEMP_SUFFIX) + "$")


def temp_path(path: Path) -> Path:
    """Where :class:`AtomicFile` writes ``path`` before it replaces it: ``NAME.~<8 hex>.tmp``
    beside it, another name at each call. Two programs writing one file at once (two reports
    into one folder) each write their own temporary file, and the last to finish replaces the
    other's whole; with one shared name the second opened, emptied and went on writing the
    file the first then put in place, changing it after the first had reported it written."""
    return path.with_name(f"{path.name}.~{secrets.token_hex(4)}{TEMP_SUFFIX}")


def is_temp_name(name: str) -> bool:
    """Whether ``name`` is that of a temporary file of :func:`temp_path`."""
    return _TEMP_NAME.search(name) is not None


def temp_target(path: Path) -> Path:
    """The file a temporary file of :func:`temp_path` stands for (``path`` itself when it is
    not one; ``NAME.tmp``, the earlier form, too), for messages naming the file written."""
    name = _TEMP_NAME.sub("", path.name)
    if name == path.name and name.endswith(TEMP_SUFFIX):
        name = name[: -len(TEMP_SUFFIX)]
    return path.with_name(name)


# What a write that found no room raises: the disk full, a quota, a file size limit. Only a
# write does; an error of another kind that names no file may be a read of another (evidence).
NO_ROOM = frozenset({errno.ENOSPC, errno.EFBIG, getattr(errno, "EDQUOT", errno.ENOSPC)})


def name_the_file(e: BaseException, path: str | Path) -> None:
    """Give ``e`` ``path`` as its file name when it is an OSError of a write that found no
    room (:data:`NO_ROOM`) and names no file: a write to an open file names none, and
    :func:`os_problem` said only the folder ("OUT: no space left on device", which of the
    report's or the scan's files unsaid). Called by the writers that know the path."""
    if isinstance(e, OSError) and e.filename is None and e.errno in NO_ROOM:
        e.filename = str(path)


def os_problem(e: OSError, where: Path) -> str:
    """``e`` as "<file>: <problem>" (``[Errno 13] Permission denied: '...'`` becomes "<file>:
    permission denied"); the file is the one written, not its temporary twin, and ``where`` when
    the error names none (a writer that did not name its file: :func:`name_the_file`). The one line
    of a report or a scan's results that cannot be written, the command line's and the dialogs'."""
    file = Path(str(e.filename)) if e.filename else where
    file = temp_target(file)  # AtomicFile writes a temporary file first
    if isinstance(e, FileExistsError):  # the folder to make is a file
        problem = "a file, not a folder"
    else:
        problem = (e.strerror or str(e)).strip().rstrip(".")
    return f"{file}: {problem[:1].lower()}{problem[1:]}"


def new_file_mode(probe: Path) -> int | None:
    """The permission bits ``open()`` gives a new file under the process umask, read from
    ``probe`` (a name free beside the file to write, created and removed at once): no umask
    is set and put back, which would let another thread's file be created under umask 0.
    None when ``probe`` cannot be created (the writer then meets the same error, its own)."""
    try:
        fd = os.open(probe, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o666)
    except OSError:
        return None
    try:
        return os.fstat(fd).st_mode & 0o777
    finally:
        os.close(fd)
        probe.unlink(missing_ok=True)


class AtomicFile:
    """``path`` written through a temporary file beside it.

    mode: ``"wb"``/``"w"`` opens :attr:`file` on the temporary file; None opens nothing, for
    libraries that write by file name (they write :attr:`tmp`). :meth:`commit` closes and
    replaces the target, :meth:`abort` removes the temporary file. As a context manager it
    commits on success and aborts on an exception. The parent folder is created.
    ``fsync``: flush to the disk before replacing (for files that must survive a power cut).
    ``make_parent`` False: a missing folder is an error (ENOENT naming the temporary file)
    instead of being made, for writers that checked their folder just before (a trainer whose
    run folder was removed under it made it again between that check and this write).

    The file gets the permissions ``open()`` gives a new file under the process umask (0644
    under the usual 022), whoever wrote it: safetensors' ``save_file`` creates its file 0600,
    so checkpoints came out 0600 beside a run's 0644 files, unreadable to a team sharing the
    run folder (:func:`new_file_mode`).
    """

    def __init__(
        self,
        path: str | Path,
        mode: str | None = "wb",
        *,
        fsync: bool = False,
        make_parent: bool = True,
        **open_kw: Any,
    ) -> None:
        self.path = Path(path)
        self.tmp = temp_path(self.path)
        self.fsync = fsync
        if make_parent:
            self.path.parent.mkdir(parents=True, exist_ok=True)
        self.file: IO[Any] | None = None
        if mode is not None:
            if not mode.startswith("w"):
                raise ValueError(
                    f"AtomicFile writes a new file; mode must start with 'w', got {mode}"
                )
            self.file = open(self.tmp, mode, **open_kw)
        # a library writing by file name may create the file with its own (0600) permissions
        self._mode = None if mode is not None else new_file_mode(self.tmp)

    def commit(self) -> Path:
        """Flush, close and replace the target; on any failure (the disk full as the last
        buffered bytes are flushed) the temporary file is removed and the error raised, naming
        the target when it named no file (:func:`name_the_file`), as an exception inside the
        ``with`` does."""
        try:
            self._finish()
            if self._mode is not None:
                os.chmod(self.tmp, self._mode)
            self.tmp.replace(self.path)
        except BaseException as e:
            name_the_file(e, self.path)
            self.abort()
            raise
        return self.path

    def _finish(self) -> None:
        """Flush (to the disk with ``fsync``) and close the temporary file; it stays where it is."""
        if self.file is not None:
            self.file.flush()
            if self.fsync:
                os.fsync(self.file.fileno())
            self.file.close()
            self.file = None

    def abort(self) -> None:
        """Remove the temporary file. Closing it flushes what is still buffered, which fails
        again on a full disk: that error is dropped (the one that made the writer abort is on
        its way), and the file removed all the same, never left to fill the disk further."""
        file, self.file = self.file, None
        try:
            if file is not None:
                file.close()
        except OSError:
            pass
        finally:
            self.tmp.unlink(missing_ok=True)

    def __enter__(self) -> AtomicFile:
        return self

    def __exit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        tb: TracebackType | None,
    ) -> None:
        if exc_type is None:
            self.commit()
        else:
            if exc is not None:  # the writer's write into the file, the disk full: name it
                name_the_file(exc, self.path)
            self.abort()


# the folder-relative operations atomic_write_below needs (POSIX; not Windows)
_DIR_FD = {os.open, os.mkdir, os.rename, os.unlink, os.stat} <= os.supports_dir_fd

FOLDER_LINK = "a symbolic link, not a folder: not written through"


def atomic_write_below(root: str | Path, name: str, data: bytes) -> Path:
    """``data`` written atomically to ``root / name`` (``name`` relative, ``/`` between its
    folders), its folders below ``root`` made when missing and never a symbolic link: each is
    opened ``O_NOFOLLOW | O_DIRECTORY`` from the one above it, and the temporary file
    (:func:`temp_path`) is made ``O_EXCL | O_NOFOLLOW`` and renamed over the target through
    that folder's descriptor. A link put at one of those folders after the output folder was
    checked (``maps/sub`` -> the evidence folder, during a scan) is refused, where
    :func:`atomic_write` wrote through it; a link at the target itself is replaced, as there.
    ``root`` may be a link (made when missing). Without these operations (Windows) it is :func:`atomic_write`.
    Raises OSError naming the link (``ELOOP``, :data:`FOLDER_LINK`) or the write's error."""
    parts = Path(name).parts
    if not parts or Path(name).is_absolute() or ".." in parts:
        raise ValueError(f"a name relative to the folder, without '..', got {name!r}")
    if not _DIR_FD:
        return atomic_write(Path(root, name), data)
    Path(root).mkdir(parents=True, exist_ok=True)  # as atomic_write makes it
    fd = os.open(root, os.O_RDONLY | os.O_DIRECTORY)
    try:
        for i, part in enumerate(parts[:-1]):
            try:
                os.mkdir(part, dir_fd=fd)
            except FileExistsError:
                pass
            try:
                sub = os.open(part, os.O_RDONLY | os.O_DIRECTORY | os.O_NOFOLLOW, dir_fd=fd)
            except OSError as e:
                if stat.S_ISLNK(os.stat(part, dir_fd=fd, follow_symlinks=False).st_mode):
                    raise OSError(errno.ELOOP, FOLDER_LINK, str(Path(root, *parts[: i + 1]))) from e
                raise
            os.close(fd)
            fd = sub
        tmp = temp_path(Path(parts[-1])).name
        flags = os.O_WRONLY | os.O_CREAT | os.O_EXCL | os.O_NOFOLLOW
        with os.fdopen(os.open(tmp, flags, 0o666, dir_fd=fd), "wb") as f:
            try:
                f.write(data)
                f.flush()
                os.replace(tmp, parts[-1], src_dir_fd=fd, dst_dir_fd=fd)
            except BaseException:
                # gone already when the rename was done before the interruption (Ctrl+C just
                # after os.replace): its FileNotFoundError had replaced the KeyboardInterrupt
                with contextlib.suppress(FileNotFoundError):
                    os.unlink(tmp, dir_fd=fd)
                raise
    finally:
        os.close(fd)
    return Path(root, name)


def atomic_write(path: str | Path, data: bytes | str, *, encoding: str = "utf-8") -> Path:
    """Write ``data`` to ``path`` atomically (see :class:`AtomicFile`); returns ``path``."""
    raw = data.encode(encoding) if isinstance(data, str) else data
    with AtomicFile(path, "wb") as f:
        assert f.file is not None
        f.file.write(raw)
    return Path(path)


def atomic_write_together(files: Sequence[tuple[Path, bytes]], *, make_parent: bool = True) -> None:
    """Write every ``(path, data)`` of ``files`` atomically, all of them or none: each temporary
    file (:func:`temp_path`) is written and closed before the first is put in place, then they
    are renamed in the order given. A write that fails (the disk full) leaves every file as it
    was, so files that describe one state (a checkpoint and its resume file) do not end at
    different ones: written one after the other, ``last.safetensors`` said step 6 beside a
    resume file of step 3. Raises the failed write's OSError naming its file
    (:func:`name_the_file`); the temporary files not yet renamed are removed. ``make_parent``
    as :class:`AtomicFile`'s."""
    pending: list[AtomicFile] = []
    current: Path | None = None  # the file being written, closed or put in place
    try:
        for path, data in files:
            current = Path(path)
            pending.append(AtomicFile(path, "wb", make_parent=make_parent))
            f = pending[-1].file
            assert f is not None
            f.write(data)
        for out in pending:
            current = out.path
            out._finish()
        while pending:
            current = pending[0].path
            pending[0].commit()
            pending.pop(0)
    except BaseException as e:
        if current is not None:
            name_the_file(e, current)
        for out in pending:
            out.abort()
        raise
