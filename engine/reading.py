"""Reading an evidence file's bytes: once, read-only, with its file-system times.

The loader (:func:`engine.io.load_evidence`) takes every byte it hashes and decodes from
:func:`read_evidence_bytes`: the file opened by :func:`engine.files.open_evidence` (read-only,
never waiting on a pipe, regular files only, ``O_NOATIME`` where allowed), its ``fstat`` taken
before the first read (so its times, :class:`~engine.fstimes.FileTimes`, are the ones found,
the access time before this read), at most ``MAX_FILE_BYTES`` read, and a second ``fstat``
after the read: a file that grew, or whose size, modification or status-change time moved
while it was read, is refused (the SHA-256 and the pixels would not be of one file), as is a
file changed between the loader's read and a classic analysis's second read
(``engine.analyses.base``).
"""

from __future__ import annotations

import hashlib
import os
from pathlib import Path

from engine.errors import (
    EmptyFileError,
    EvidenceError,
    ImageHeader,
    ImageTooLargeError,
    NotEnoughMemoryError,
)
from engine.files import NotRegularFile, open_evidence
from engine.fstimes import FileTimes, changed_during_read, file_times

MAX_FILE_BYTES = 2 << 30
EMPTY_SHA256 = hashlib.sha256(b"").hexdigest()

# the refusal of a file whose times moved while it was read
CHANGED_WHILE_READ = (
    "file changed while being read (its size, modification or status-change time moved: still "
    "being written?); its SHA-256 would not be of one file: read it again when it is stable"
)


def too_many_bytes(path: Path, size: int) -> ImageTooLargeError:
    """The refusal of a file of ``size`` bytes beyond :data:`MAX_FILE_BYTES` (also
    :func:`engine.precheck.refuse_beyond_limit`'s, in the same words)."""
    return ImageTooLargeError(path, f"file is {size} bytes, beyond the {MAX_FILE_BYTES} limit")


def read_evidence_bytes(path: Path) -> tuple[bytes, FileTimes]:
    """The bytes of the evidence file ``path`` and its file-system times as found before the
    read (module docstring). Raises :class:`~engine.errors.EvidenceError` (or a subclass)
    naming the file and the problem, in one line."""
    try:
        if path.is_dir():
            raise EvidenceError(path, "is a folder, not an image file")
        # read-only, never waiting for a pipe's writer, regular files only (engine.files)
        with open_evidence(path) as f:
            before = os.fstat(f.fileno())  # before the first read: the access time found
            times = file_times(f.fileno(), before)
            if before.st_size > MAX_FILE_BYTES:
                raise too_many_bytes(path, before.st_size)
            data = f.read(before.st_size)
            if f.read(1):  # bounded even if the file grows meanwhile
                raise EvidenceError(path, "file grew while being read (still being written?)")
            if changed_during_read(before, os.fstat(f.fileno())):
                raise EvidenceError(path, CHANGED_WHILE_READ)
    except EvidenceError:
        raise
    except IsADirectoryError as e:
        raise EvidenceError(path, "is a folder, not an image file") from e
    except NotRegularFile as e:
        raise EvidenceError(path, "is not a regular file (a device, pipe or socket)") from e
    except MemoryError:
        raise NotEnoughMemoryError(path, "not enough memory to read the file") from None
    except FileNotFoundError as e:
        raise EvidenceError(path, "no such file") from e
    except PermissionError as e:
        raise EvidenceError(path, "permission denied") from e
    except OSError as e:
        raise EvidenceError(path, f"cannot be read ({e.strerror or e})") from e
    except ValueError as e:  # e.g. a NUL byte in the name
        raise EvidenceError(path, f"is not a usable file name ({' '.join(str(e).split())})") from e
    if not data:  # its times were found all the same: the error's header carries them
        empty = EmptyFileError(path, "file is empty (0 bytes)")
        empty.header = ImageHeader(EMPTY_SHA256, 0, fs_times=times)
        raise empty
    return data, times
