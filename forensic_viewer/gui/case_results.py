"""The viewer's side of the case's kept results (:mod:`forensic_viewer.scan.case_results`).

:class:`CaseResults` writes each analysis the viewer finishes into ``<case folder>/viewer-results/``
off the GUI thread (a 12 MP file's maps take about a second to encode), one at a time in the
order they finished, and logs each write in the case log (``result-kept``) or says in one line
why it failed. File ▸ Reopen the case's results (:meth:`CaseResults.reopen`) opens that folder
through Open scan results…. With no case log (the case folder could not be opened) nothing is
kept, as nothing is logged. Cancelled analyses, and what a Cancel kept of one, are not written:
only finished ones. The window's close waits up to :data:`CLOSE_WAIT_S` for the writes queued.
"""

from __future__ import annotations

import logging
import queue
import threading
from pathlib import Path
from typing import Any

from PySide6.QtCore import QObject

from engine.errors import ForensicError
from engine.types import Analysis
from forensic_viewer.audit import Action, AuditLog
from forensic_viewer.gui.mailbox import Mailbox
from forensic_viewer.gui.scan_results import ScanResultsDialog, not_a_scan_folder
from forensic_viewer.scan.case_results import Kept, keep_result, not_kept_line, results_folder
from forensic_viewer.scan.run_id import new_run_id

log = logging.getLogger(__name__)
CLOSE_WAIT_S = 60.0  # the close waits this long for the analyses still being written


class CaseResults(QObject):
    """Keeps the finished analyses of ``window`` in its case log's folder (module doc).

    ``window``: the main window (its ``case`` recorder logs, its ``show_error`` says);
    ``log``: the case log (None: nothing is kept)."""

    def __init__(self, window: Any, log_: AuditLog | None) -> None:
        super().__init__(window)
        self.window = window
        self.out: Path | None = None if log_ is None else results_folder(log_.path.parent)
        self.run_id = new_run_id()  # this session's: each row's ``run``, scan.json's run.id
        self._queue: queue.SimpleQueue[Analysis | None] = queue.SimpleQueue()
        self._thread: threading.Thread | None = None
        self._waiting = 0  # analyses handed to the writer and not yet said written or not
        self.mailbox = Mailbox(self)
        self.mailbox.on("kept", self._on_kept)
        self.mailbox.on("failed", self._on_failed)

    @property
    def busy(self) -> bool:
        """Whether an analysis handed over is still being written (or waits for it)."""
        return self._waiting > 0

    def keep(self, analysis: Analysis) -> None:
        """Queue ``analysis`` (just finished) to be written; nothing without a case folder."""
        if self.out is None:
            return
        if self._thread is None:
            self._thread = threading.Thread(target=self._write, name="case results", daemon=True)
            self._thread.start()
            self.mailbox.start()
        self._waiting += 1
        self._queue.put(analysis)

    def _write(self) -> None:
        """The writer thread: each analysis in turn, until None."""
        assert self.out is not None
        while (analysis := self._queue.get()) is not None:
            try:
                kept = keep_result(self.out, analysis, self.run_id)
            except (ForensicError, OSError, ValueError) as e:
                self.mailbox.post("failed", not_kept_line(self.out, e))
            except Exception as e:  # a bug here must not end the thread: later ones are kept
                log.exception("keeping %s in %s", analysis.evidence.path, self.out)
                self.mailbox.post("failed", not_kept_line(self.out, e))
            else:
                self.mailbox.post("kept", kept)

    def _on_kept(self, kept: Kept) -> None:
        self._waiting -= 1
        self.window.case.append(Action.RESULT_KEPT, kept.details())

    def _on_failed(self, line: str) -> None:
        self._waiting -= 1
        log.error("%s", line)
        self.window.show_error(line)

    def reopen(self) -> ScanResultsDialog | None:
        """File ▸ Reopen the case's results: the kept folder in Open scan results… (each
        row's file re-checked against its SHA-256 when opened)."""
        if self.out is None:
            self.window.show_error("no case log, so no results were kept (see docs/AUDIT.md)")
            return None
        if not_a_scan_folder(self.out) is not None:
            self.window.show_error(f"{self.out}: no finished analysis of this case is kept yet")
            return None
        return self.window.open_scan_results(self.out)

    def close(self, timeout_s: float = CLOSE_WAIT_S) -> None:
        """Write what is queued (at most ``timeout_s``), log it, and stop the writer."""
        thread, self._thread = self._thread, None
        if thread is None:
            return
        self._queue.put(None)
        thread.join(timeout_s)
        self.mailbox.stop()  # the last writes logged before the log closes
        if thread.is_alive():  # a daemon: the process ends without it
            log.error("%d finished analyses not yet kept in %s at close", self._waiting, self.out)
