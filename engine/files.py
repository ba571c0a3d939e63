"""Writing result files so that a reader never sees half of one: write aside, then replace.

Every file the project writes for others to read (checkpoints, scan results, reports, run
state) goes through :class:`AtomicFile`: the bytes go to ``NAME.tmp`` beside the target and
replace it with one ``os.replace`` (atomic on POSIX and Windows within one folder) only when
the writing finished; a failure removes the ``.tmp`` and leaves any earlier file untouched.
Evidence files are never written (they are opened read-only in :mod:`engine.io`).
"""

from __future__ import annotations

import os
from pathlib import Path
from types import TracebackType
from typing import IO, Any


def temp_path(path: Path) -> Path:
    """Where :class:`AtomicFile` writes ``path`` before it replaces it: ``NAME.tmp`` beside it."""
    return path.with_name(path.name + ".tmp")


class AtomicFile:
    """``path`` written through a temporary file beside it.

    mode: ``"wb"``/``"w"`` opens :attr:`file` on the temporary file; None opens nothing, for
    libraries that write by file name (they write :attr:`tmp`). :meth:`commit` closes and
    replaces the target, :meth:`abort` removes the temporary file. As a context manager it
    commits on success and aborts on an exception. The parent folder is created.
    ``fsync``: flush to the disk before replacing (for files that must survive a power cut).
    """

    def __init__(
        self, path: str | Path, mode: str | None = "wb", *, fsync: bool = False, **open_kw: Any
    ) -> None:
        self.path = Path(path)
        self.tmp = temp_path(self.path)
        self.fsync = fsync
        self.path.parent.mkdir(parents=True, exist_ok=True)
        self.file: IO[Any] | None = None
        if mode is not None:
            if not mode.startswith("w"):
                raise ValueError(
                    f"AtomicFile writes a new file; mode must start with 'w', got {mode}"
                )
            self.file = open(self.tmp, mode, **open_kw)

    def commit(self) -> Path:
        if self.file is not None:
            self.file.flush()
            if self.fsync:
                os.fsync(self.file.fileno())
            self.file.close()
            self.file = None
        self.tmp.replace(self.path)
        return self.path

    def abort(self) -> None:
        if self.file is not None:
            self.file.close()
            self.file = None
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
            self.abort()


def atomic_write(path: str | Path, data: bytes | str, *, encoding: str = "utf-8") -> Path:
    """Write ``data`` to ``path`` atomically (see :class:`AtomicFile`); returns ``path``."""
    raw = data.encode(encoding) if isinstance(data, str) else data
    with AtomicFile(path, "wb") as f:
        assert f.file is not None
        f.file.write(raw)
    return Path(path)
