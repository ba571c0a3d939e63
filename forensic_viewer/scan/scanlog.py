"""``scan.log`` in a scan's output folder: where the tracebacks of unexpected per-file errors
go, so the terminal and the rows show one line each (no Qt). Written by the one-process scan
(:mod:`forensic_viewer.scan.run`) and the parent of a pooled or Ray scan."""

from __future__ import annotations

import logging
from pathlib import Path
from typing import IO

from engine.files import name_the_file, open_append
from engine.formatting import time_text
from forensic_viewer.scan.results import opened_or_refused

SCAN_LOG = "scan.log"

log = logging.getLogger(__name__)


class ScanLog:
    """``scan.log`` in the output folder: the traceback of every unexpected per-file error
    (opened on the first one, appended to across runs), so the terminal and the results show
    one line and the detail is kept. One line also goes to the program's log (INFO)."""

    def __init__(self, out: Path) -> None:
        self.path = out / SCAN_LOG
        self._f: IO[str] | None = None

    @property
    def written(self) -> bool:
        return self._f is not None

    def problem(self, message: str, trace: str) -> None:
        log.info("%s (traceback in %s)", message, self.path)
        if self._f is None:
            self._f = self._append()  # closed by close()
        stamp = time_text()
        try:
            self._f.write(f"--- {stamp} {message}\n{trace.rstrip()}\n")
            self._f.flush()
        except OSError as e:  # the disk full: the scan's one line names scan.log
            name_the_file(e, self.path)
            raise

    def _append(self) -> IO[str]:
        """``scan.log`` opened for appending (:func:`engine.files.open_append`: a pipe or device
        there is one line naming it, as for ``results.jsonl``, and a link is refused, never
        appended through); non-UTF-8 names read ``\\udcXX``."""
        utf8 = {"encoding": "utf-8", "errors": "backslashreplace"}
        return opened_or_refused(open_append, self.path, "a", follow_links=False, **utf8)

    def close(self) -> None:
        if self._f is not None:
            self._f.close()
