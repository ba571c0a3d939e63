"""An evidence file's file-system times, as the file system gave them before the file was read.

A forensic report records, for every evidence file, when the file system says it was modified,
when its status (inode) last changed, when it was last accessed and, where the file system
keeps it, when it was created ("birth"). They are what the file system said at analysis time:
copying, downloading, unpacking or touching a file sets them, so they are no proof of when the
photograph was made. They are taken by :func:`file_times` on the descriptor the loader opened
(``fstat``), before its first read, so the access time recorded is the one found, not the one
this read may leave (``engine.files.open_evidence`` asks for ``O_NOATIME``, which only the
file's owner or root is granted). Every time is written in UTC (:func:`engine.formatting.utc_ns_text`).

The birth time, by platform:

- **Linux**: Python 3.11's ``os.stat`` has no ``st_birthtime``; the ``statx`` system call
  (Linux 4.11, glibc 2.28) gives it when the file system keeps it (ext4, XFS and Btrfs among
  others). It is called through ``ctypes`` on the open descriptor (``AT_EMPTY_PATH``),
  reading only the 16 bytes of ``stx_btime`` at their fixed offset in the 256-byte
  ``struct statx`` (a kernel ABI that only grows at its end), and only when the kernel's
  ``stx_mask`` says it filled it in. Anything else (no ``statx`` in the C library, a kernel
  without it, a sandbox refusing it, a file system that keeps or reports no birth time)
  gives None: "not given by this file system", never an error, never a guess. A small,
  fixed call was chosen over a C extension or a ``stat`` command run per file.
- **macOS, the BSDs** (and Windows on Python 3.12+): ``st_birthtime``.
- **Windows** on Python 3.11: ``st_ctime`` is the creation time there, and there is no status
  change time (None).
"""

from __future__ import annotations

import ctypes
import functools
import os
import struct
import sys
from collections.abc import Callable
from dataclasses import asdict, dataclass, fields
from typing import Any

from engine.formatting import utc_ns_text

_AT_EMPTY_PATH = 0x1000  # statx: the descriptor itself, no path
_STATX_BTIME = 0x800  # stx_mask: stx_btime filled in
_STATX_SIZE = 256  # sizeof(struct statx)
_BTIME_OFFSET = 80  # stx_btime: {__s64 tv_sec; __u32 tv_nsec; __s32 reserved}, after atime


@dataclass(frozen=True)
class FileTimes:
    """An evidence file's file-system times as found before it was read, in UTC
    (:func:`~engine.formatting.utc_ns_text`).

    modified: the content's last modification (``st_mtime``).
    status_changed: the inode's last change: content, permissions, owner, links, or any of
        these times set by a program (``st_ctime``); None where the system has none (Windows).
    accessed: the last access found (``st_atime``), before this program's read.
    created: the birth time, None when the file system does not give it (module docstring).
    """

    modified: str
    status_changed: str | None
    accessed: str
    created: str | None

    def to_json(self) -> dict[str, Any]:
        return asdict(self)  # the fields in their order: results.csv's columns follow it


# The times' names in the order rows and results.csv's columns give them
TIME_NAMES = tuple(f.name for f in fields(FileTimes))


def file_times(fd: int, st: os.stat_result) -> FileTimes:
    """The times of the open file ``fd``, whose ``os.fstat`` is ``st`` (taken before any read)."""
    windows = os.name == "nt"
    return FileTimes(
        modified=utc_ns_text(st.st_mtime_ns),
        status_changed=None if windows else utc_ns_text(st.st_ctime_ns),
        accessed=utc_ns_text(st.st_atime_ns),
        created=None if (born := birth_ns(fd, st)) is None else utc_ns_text(born),
    )


def birth_ns(fd: int, st: os.stat_result) -> int | None:
    """The birth time of the open file ``fd`` (``os.fstat`` ``st``) in nanoseconds since 1970,
    None when the file system does not give it (module docstring)."""
    if (ns := getattr(st, "st_birthtime_ns", None)) is not None:  # Windows, Python 3.12+
        return int(ns)
    if (seconds := getattr(st, "st_birthtime", None)) is not None:  # macOS, BSD: a float
        return round(seconds * 1_000_000) * 1000  # to the microsecond a double holds
    if os.name == "nt":
        return st.st_ctime_ns  # Windows, Python 3.11: st_ctime is the creation time
    if sys.platform.startswith("linux"):
        return _statx_birth_ns(fd)
    return None


def _statx_birth_ns(fd: int) -> int | None:
    """``stx_btime`` of ``fd`` by the ``statx`` system call; None when it is not given."""
    statx = _statx()
    if statx is None:
        return None
    buf = ctypes.create_string_buffer(_STATX_SIZE)
    if statx(fd, b"", _AT_EMPTY_PATH, _STATX_BTIME, buf) != 0:
        return None  # ENOSYS (an old kernel), EPERM (a sandbox), ...
    (mask,) = struct.unpack_from("=I", buf, 0)
    if not mask & _STATX_BTIME:
        return None  # the file system keeps no birth time
    seconds, nanoseconds = struct.unpack_from("=qI", buf, _BTIME_OFFSET)
    return seconds * 1_000_000_000 + nanoseconds


@functools.cache
def _statx() -> Callable[..., int] | None:
    """The C library's ``statx`` (glibc 2.28+), or None when it has none."""
    try:
        fn = ctypes.CDLL(None, use_errno=True).statx
    except (OSError, AttributeError):
        return None
    fn.argtypes = [ctypes.c_int, ctypes.c_char_p, ctypes.c_int, ctypes.c_uint, ctypes.c_void_p]
    fn.restype = ctypes.c_int
    return fn  # type: ignore[no-any-return]


def changed_during_read(before: os.stat_result, after: os.stat_result) -> bool:
    """Whether the file changed between the ``fstat`` taken before its read and the one after:
    its size, modification time or status-change time moved (a writer, or a program setting
    its times back, which moves the status change). The access time is not compared: the
    read itself may move it."""
    key = ("st_size", "st_mtime_ns", "st_ctime_ns")
    return any(getattr(before, k) != getattr(after, k) for k in key)
