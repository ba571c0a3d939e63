"""The file of a report format written as text, item by item (HTML, JSON): made beside its
place as a temporary file of its own (:class:`engine.files.AtomicFile`) in ``begin``, put in place by
``finish``, removed by ``abort`` (``write_report`` aborts every format when one fails or the
report is cancelled), so a reader never finds half a report under its name."""

from __future__ import annotations

from pathlib import Path
from typing import TextIO

from engine.files import AtomicFile


class TextReportFile:
    """The file handling the text writers share; a writer writes to ``self._f``."""

    def __init__(self, path: Path) -> None:
        self.path = path
        self._out: AtomicFile | None = None
        self._f: TextIO | None = None

    def _open(self) -> None:
        """Start the temporary file; it ends in :meth:`_commit` or :meth:`abort`."""
        # errors=: a file name that is not UTF-8 (its bytes as surrogates, which the JSON
        # writer leaves as they are) is written \udcXX, the JSON escape that reads back as it
        self._out = AtomicFile(self.path, "w", encoding="utf-8", errors="backslashreplace")
        self._f = self._out.file

    def _commit(self) -> Path:
        """Close the file and put it in place; its path."""
        assert self._f is not None
        assert self._out is not None
        self._f = None
        return self._out.commit()

    def abort(self) -> None:
        if self._out is not None:
            self._out.abort()
        self._f = None
