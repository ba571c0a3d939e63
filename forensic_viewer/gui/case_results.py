"""The viewer's side of the case's kept results (:mod:`forensic_viewer.scan.case_results`).

:class:`CaseResults` writes each analysis the viewer finishes into ``<case folder>/viewer-results/``
off the GUI thread (a 12 MP file's maps take about a second to encode), one at a time in the
order they finished, and logs each write in the case log (``result-kept``, from the writer
thread while it holds the folder's lock: two viewers' entries in the order of their writes) or
says in one line why it failed. Each is queued as a snapshot (:func:`snapshot`): the window
goes on adding classic analyses to the one it shows while the writer reads it. File ▸ Reopen the case's results (:meth:`CaseResults.reopen`) opens that folder
through Open scan results…. With no case log (the case folder could not be opened) nothing is
kept, as nothing is logged. Cancelled analyses, and what a Cancel kept of one, are not written:
only finished ones. The window's close waits up to :data:`CLOSE_WAIT_S` for the writes queued
(the close question counts them: :mod:`~forensic_viewer.gui.window_closing`; the status bar
says the wait); one that stops waiting lets no later row in and records the analyses it gave up
on in one ``results-not-kept`` entry before the log closes.
"""

from __future__ import annotations

import dataclasses
import logging
import queue
import threading
from collections import deque
from pathlib import Path
from typing import Any

from PySide6.QtCore import QObject

from engine.errors import ForensicError
from engine.types import Analysis
from forensic_viewer.audit import Action, AuditError, AuditLog
from forensic_viewer.gui.mailbox import Mailbox
from forensic_viewer.gui.scan_results import ScanResultsDialog, not_a_scan_folder
from forensic_viewer.scan.case_results import (
    Abandoned,
    Gate,
    Kept,
    keep_result,
    not_kept_line,
    results_folder,
)
from forensic_viewer.scan.run_id import new_run_id

log = logging.getLogger(__name__)
CLOSE_WAIT_S = 60.0  # the close waits this long for the analyses still being written
STEP_S = 0.1  # the close's wait, in steps: the status bar's count kept true between them


def snapshot(analysis: Analysis) -> Analysis:
    """``analysis`` with its own dicts and lists (the arrays in them are never changed): the
    window's ``classic`` is the shown analysis's ``analyses``, updated as classic analyses
    finish, which the writer thread would otherwise iterate as it changes."""
    return dataclasses.replace(
        analysis,
        results=dict(analysis.results),
        faces=list(analysis.faces),
        analyses=dict(analysis.analyses),
        face_maps=dict(analysis.face_maps),
        partial=dict(analysis.partial),
    )


class CaseResults(QObject):
    """Keeps the finished analyses of ``window`` in its case log's folder (module doc).

    ``window``: the main window (its ``case`` recorder logs, its ``show_error`` says);
    ``log``: the case log (None: nothing is kept)."""

    def __init__(self, window: Any, log_: AuditLog | None) -> None:
        super().__init__(window)
        self.window = window
        self.out: Path | None = None if log_ is None else results_folder(log_.path.parent)
        self._log = log_
        self.run_id = new_run_id()  # this session's: each row's ``run``, scan.json's run.id
        self._queue: queue.SimpleQueue[Analysis | None] = queue.SimpleQueue()
        self._thread: threading.Thread | None = None
        self._waiting: deque[Analysis] = deque()  # handed to the writer, not yet said done
        self.gate = Gate()  # shut by a close that stops waiting: no row after it
        self.mailbox = Mailbox(self)
        self.mailbox.on("kept", self._on_kept)
        self.mailbox.on("failed", self._on_failed)

    @property
    def busy(self) -> bool:
        """Whether an analysis handed over is still being written (or waits for it)."""
        return bool(self._waiting)

    @property
    def waiting(self) -> int:
        """How many analyses handed over are still being written or wait for it."""
        return len(self._waiting)

    def keep(self, analysis: Analysis) -> None:
        """Queue ``analysis`` (just finished) to be written; nothing without a case folder."""
        if self.out is None:
            return
        if self._thread is None:
            self._thread = threading.Thread(target=self._write, name="case results", daemon=True)
            self._thread.start()
            self.mailbox.start()
        analysis = snapshot(analysis)
        self._waiting.append(analysis)
        self._queue.put(analysis)

    def _write(self) -> None:
        """The writer thread: each analysis in turn, until None."""
        assert self.out is not None
        while (analysis := self._queue.get()) is not None:
            try:
                keep_result(  # said through _log_kept
                    self.out, analysis, self.run_id, logged=self._log_kept, gate=self.gate
                )
            except Abandoned:
                return  # the close gave up: the rest are recorded as not kept
            except (ForensicError, OSError, ValueError) as e:
                self.mailbox.post("failed", not_kept_line(self.out, e))
            except Exception as e:  # a bug here must not end the thread: later ones are kept
                log.exception("keeping %s in %s", analysis.evidence.path, self.out)
                self.mailbox.post("failed", not_kept_line(self.out, e))

    def _log_kept(self, kept: Kept) -> None:
        """The writer thread, the folder's lock held (the log takes entries from any thread):
        ``result-kept`` in the order of the writes of every viewer on the case."""
        assert self._log is not None
        try:
            self._log.append(Action.RESULT_KEPT, kept.details())
        except AuditError as e:
            self.mailbox.post("kept", kept, e)
        else:
            self.mailbox.post("kept", kept, None)

    def _on_kept(self, kept: Kept, not_logged: AuditError | None) -> None:
        self._waiting.popleft()
        if not_logged is not None:
            self.window.case.entry_not_logged(not_logged, Action.RESULT_KEPT, kept.details())
        if kept.lag:
            log.warning("%s", kept.lag)
            self.window.show_error(kept.lag)

    def _on_failed(self, line: str) -> None:
        self._waiting.popleft()
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

    def close(self, timeout_s: float | None = None) -> None:
        """Write what is queued (at most ``timeout_s``, :data:`CLOSE_WAIT_S` when None; said in
        the status bar), then stop the writer; those it did not write are logged (module doc)."""
        thread, self._thread = self._thread, None
        if thread is None:
            return
        timeout_s = CLOSE_WAIT_S if timeout_s is None else timeout_s
        self._queue.put(None)
        waited = 0.0
        while thread.is_alive() and waited < timeout_s:
            self.mailbox.drain()
            if self._waiting:
                self._say_wait(timeout_s - waited)
            thread.join(min(STEP_S, timeout_s - waited))
            waited += STEP_S
        self.gate.shut()  # waits for a row going in; no other goes in after it
        self.mailbox.stop()  # every write done said, before the log closes
        if self._waiting:  # a daemon thread: the process ends without it
            self._record_not_kept(timeout_s)

    def _say_wait(self, left_s: float) -> None:
        bar = self.window.statusBar()
        n = len(self._waiting)
        bar.showMessage(
            f"closing: writing {n} finished {'analysis' if n == 1 else 'analyses'} into "
            f"{self.out} (at most {left_s:.0f} s more)…"
        )
        bar.repaint()

    def _record_not_kept(self, timeout_s: float) -> None:
        """One ``results-not-kept`` entry: the analyses the close stopped waiting for."""
        gone = [{"path": a.evidence.path, "sha256": a.evidence.sha256} for a in self._waiting]
        log.error("%d finished analyses not kept in %s at close", len(gone), self.out)
        self.window.case.append(
            Action.RESULTS_NOT_KEPT,
            {
                "out": str(self.out.resolve()) if self.out is not None else None,
                "analyses": gone,
                "reason": f"the close stopped waiting for them after {timeout_s:g} s",
            },
        )
        self._waiting.clear()
