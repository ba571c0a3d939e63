"""File ▸ Open scan results…: a scan output folder's triage table, read-only, without a run.

The batch dialog's table appears only for a scan it runs, and "opening" a folder there is a
resume: in a walk-through of a 10,000-file scan (2026-12-06) it retried the failed files and
rewrote results.jsonl, after which ``audit verify --files`` said CHANGED, a command-line resume
was refused and the report's recorded SHA-256 no longer matched. :class:`ScanResultsDialog`
shows the same table from OUT as it stands: its rows read on a :class:`RowReader` thread
(:func:`~forensic_viewer.scan.triage.triage_rows`, with scan.json's models, ensemble and
classic analyses as columns), no lock taken, no model loaded, nothing written. The check a
resume and ``forensic-viewer report`` make (:func:`~forensic_viewer.scan.integrity.edited_results`:
results.jsonl against the SHA-256 its last run recorded, in the case log or scan.json) is run
and said: an edited file is shown under that warning, not refused.

A row opens as after a scan: its file with the scan's recorded result
(:class:`~forensic_viewer.gui.result_loader.ResultLoader`, nothing analysed again), or as a new
file when that result cannot be used. Write report… writes the report of OUT as
``forensic-viewer report OUT`` does (into OUT, an earlier report moved aside); over an edited
results.jsonl only once the analyst accepts its rows as they read, which the report then says,
as ``--accept-edited-results`` makes it.

The case log, outside the folder, records the opening (``folder-opened``, with the SHA-256 of
the results as read: :func:`~forensic_viewer.casework.results_opened_details`) and the
analyst's answer about an edited results.jsonl (``results-edited``, as ``forensic-viewer
report`` logs it): before 2026-12-06 it recorded neither (yesterday's review).
"""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path
from typing import Any, Literal

from PySide6.QtCore import QModelIndex, QObject, Qt, QThread, Signal
from PySide6.QtGui import QShowEvent
from PySide6.QtWidgets import (
    QDialog,
    QMessageBox,
    QPushButton,
    QVBoxLayout,
    QWidget,
)

from engine.errors import ForensicError
from forensic_viewer.casework import results_opened_details
from forensic_viewer.gui.mailbox import Mailbox
from forensic_viewer.gui.panels import MessageLabel
from forensic_viewer.gui.questions import UNANSWERED, ask
from forensic_viewer.gui.report_job import ReportJob
from forensic_viewer.gui.screen_fit import fit_to_screen
from forensic_viewer.gui.thread_stop import stop_within
from forensic_viewer.gui.triage_view import RowOpener, size_columns, triage_view
from forensic_viewer.scan.integrity import edited_results, file_sha256
from forensic_viewer.scan.results import RESULTS, SCAN_INFO, missing_scan_files
from forensic_viewer.scan.triage import TriageRow, scan_info, triage_rows
from forensic_viewer.wording import plain

ROWS_PER_POST = 500  # rows the reader hands over at a time


def not_a_scan_folder(out: Path) -> str | None:
    """Why ``out`` is not a scan output folder, as ``forensic-viewer report`` says it; None
    when it holds results.jsonl and scan.json."""
    missing = missing_scan_files(out)
    if not missing:
        return None
    return f"{out}: not a scan output folder (no {' or '.join(missing)}); choose the output folder of a scan"


def results_report_job(
    out: Path, taken: dict[str, Any] | None = None, seen: str | None = None
) -> ReportJob:
    """The report of the scan in ``out`` as ``forensic-viewer report OUT`` makes it; ``taken``:
    the edited results.jsonl's record the analyst accepted, this report's alert (scan.json is
    not written). ``seen``: the SHA-256 of results.jsonl as the dialog read it, the rows the
    analyst saw and judged: rows of other bytes when the report reads them (under the
    folder's lock, as ``report OUT`` checks the rows it takes) are refused in one line naming
    the file. The check was made once, when the folder was opened, and a results.jsonl edited
    after it was reported without a word."""
    from forensic_viewer.report.model import scan_source, with_results_taken

    def source() -> Any:
        made = scan_source(out)
        if seen is not None and made.results_sha256 != seen:
            raise ForensicError(
                out / RESULTS,
                f"changed since Open scan results… read it (SHA-256 {seen}, now "
                f"{made.results_sha256}); open the scan results again to see its rows as they "
                "now read",
            )
        return made if taken is None else with_results_taken(made, taken)

    return ReportJob(source, f"scan in {out}", "report", out, scan=out)


class RowReader(QThread):
    """Reads a scan output folder's rows, read-only. Messages through :attr:`mailbox`:
    ``columns(models, ensemble, analyses)``, ``edited(Edited or None)``, ``opened(details)``
    (the case log's ``folder-opened``: :func:`~forensic_viewer.casework.results_opened_details`,
    with ``error`` when the folder could not be read that far), ``rows(list)`` (at most
    :data:`ROWS_PER_POST` each), then ``done(count)`` or ``failed(line)``."""

    def __init__(
        self, out: Path, recorded: tuple[str, str] | None = None, parent: QObject | None = None
    ) -> None:
        super().__init__(parent)
        self.out = out
        self.recorded = recorded  # the case log's recorded end of the last run, if any
        self.mailbox = Mailbox(self)

    def run(self) -> None:
        opened = False
        try:
            info = scan_info(self.out)
            models = list(info.get("models") or {})
            self.mailbox.post(
                "columns", models, info.get("ensemble"), list(info.get("analyses") or {})
            )
            results, settings = self.out / RESULTS, self.out / SCAN_INFO
            # read once: the bytes judged (edited) are those the log and the report take as seen
            seen = file_sha256(results)
            edited = edited_results(results, settings, self.recorded, seen)
            self.mailbox.post("edited", edited)
            self.mailbox.post("opened", results_opened_details(self.out, edited, seen))
            opened = True
            batch: list[TriageRow] = []
            count = 0
            for row in triage_rows(self.out):
                batch.append(row)
                count += 1
                if len(batch) == ROWS_PER_POST:
                    self.mailbox.post("rows", batch)
                    batch = []
                if self.isInterruptionRequested():
                    return
            if batch:
                self.mailbox.post("rows", batch)
        except (ForensicError, OSError, ValueError) as e:
            line = f"{self.out}: cannot read its results ({e})"
            if not opened:
                self.mailbox.post("opened", {**results_opened_details(self.out), "error": line})
            self.mailbox.post("failed", line)
        else:
            self.mailbox.post("done", count)


class ScanResultsDialog(QDialog):
    """The triage table of the scan output folder ``out``, read-only (see the module doc).

    Signals as the batch dialog's: ``openAnalysis(ScanAnalysis)``, ``openFile(path)``,
    ``reportOpened(ReportDialog)`` (``reportClosed()`` when that dialog closes or its report
    ends, written or not),
    ``resultsEdited(details)`` (the analyst's answer about an
    edited results.jsonl, the case log's ``results-edited`` as the command line's report logs
    it), and ``opened(details)``, the case log's ``folder-opened`` of the folder, once its
    results were read (:class:`RowReader`). ``case_end``: the case log's recorded end of a
    folder's last run (:func:`~forensic_viewer.casework.case_recorded_end`), when a log is
    open.
    """

    openAnalysis = Signal(object)
    openFile = Signal(object)
    reportOpened = Signal(object)
    resultsEdited = Signal(object)
    opened = Signal(object)
    reportClosed = Signal()

    def __init__(
        self,
        out: Path,
        parent: QWidget | None = None,
        case_end: Callable[[Path], tuple[str, str] | None] | None = None,
    ) -> None:
        super().__init__(parent)
        self.out = out
        self.setWindowTitle(f"Scan results (read-only): {plain(out)}")
        self.edited: Any = None  # scan.integrity.Edited when results.jsonl is not as recorded
        self.seen: str | None = None  # the SHA-256 of results.jsonl as read, which is reported
        self.loaded = False
        self._report: QDialog | None = None
        self.message = MessageLabel()
        self.report_button = QPushButton("Write report…")
        self.report_button.setEnabled(False)
        self.report_button.clicked.connect(self.open_report)
        view = triage_view(self)
        self.table_model, self.proxy, self.table = view.model, view.proxy, view.table
        self.filter_text, self.flagged_only = view.filter_text, view.flagged_only
        self.table_model.set_out(out)
        self.table.activated.connect(self._on_activated)
        self.opener = RowOpener(self)
        self.opener.opened.connect(self.openAnalysis)
        self.opener.openFile.connect(self.openFile)
        self.opener.said.connect(self.message.setText)
        view.filters.addWidget(self.report_button)
        layout = QVBoxLayout(self)
        layout.addWidget(self.message)
        layout.addLayout(view.filters)
        layout.addWidget(self.table, 1)
        self.resize(1100, 700)  # within a smaller screen once shown (showEvent)

        recorded = case_end(out) if case_end is not None else None
        self.reader = RowReader(out, recorded, self)
        mail = self.reader.mailbox
        mail.after = self.table_model.flush
        mail.on("columns", self._on_columns)
        mail.on("edited", self._on_edited)
        mail.on("opened", self._on_opened)
        mail.on("rows", self._on_rows)
        mail.on("done", self._on_done)
        mail.on("failed", self._on_failed)
        self.reader.finished.connect(mail.stop)  # what it posted last
        self.message.setText(f"reading {plain(out)}… (read-only: nothing there is written)")
        mail.start()
        self.reader.start()

    def _on_columns(self, models: list[str], ensemble: str | None, analyses: list[str]) -> None:
        self.table_model.set_models(models, ensemble, analyses)
        size_columns(self.table, self.table_model)  # before any row: widths of their own
        self.table.sortByColumn(*self.table_model.default_sort())

    def showEvent(self, event: QShowEvent) -> None:  # Qt override
        """Within the screen, frame included: 1100 x 700 ran off a 1366 x 768 screen at 125 %
        (1093 x 614 logical), the table's last rows and scroll bar with it."""
        super().showEvent(event)
        fit_to_screen(self)

    def _on_edited(self, edited: Any) -> None:
        self.edited = edited

    def _on_opened(self, details: dict[str, Any]) -> None:
        self.seen = (details.get("results_sha256") or {}).get(RESULTS) or None
        self.opened.emit(details)

    def _on_rows(self, rows: list[TriageRow]) -> None:
        self.table_model.add_rows(rows)  # one insertion, sorted once

    def _on_done(self, count: int) -> None:
        self.loaded = True
        failed = sum(1 for r in self.table_model.rows() if r.status != "ok")
        text = (
            f"{count:,} files ({count - failed:,} analysed, {failed:,} failed) from "
            f"{plain(self.out)}; read-only: nothing there is written, no scan is run"
        )
        if self.edited is not None:
            text = f"warning: {plain(self.edited.line)}\n{text}"
        self.message.setText(text)
        self.report_button.setEnabled(count > 0)

    def _on_failed(self, line: str) -> None:
        self.message.setText(plain(line))

    def _on_activated(self, index: QModelIndex) -> None:
        if index.isValid():
            self.open_row(self.proxy.row_at(index.row()))

    def open_row(self, row: TriageRow) -> None:
        """``row``'s file with the scan's recorded result, as the batch dialog opens it."""
        self.opener.open(row, self.out)

    def open_report(self) -> QDialog | None:
        """The report dialog over OUT, as ``forensic-viewer report OUT`` writes it; over an
        edited results.jsonl only when the analyst takes its rows as they read. A report
        still being written (its dialog closed) is shown again, not dropped for a new one:
        nothing stopped its thread at quit, which aborted the process, nor freed its locks."""
        if self._report is not None and self._report.running:  # type: ignore[attr-defined]
            self._report.show()
            self._report.raise_()
            return self._report
        taken = None
        if self.edited is not None:
            accepted = self._accept_edited()
            if accepted == UNANSWERED:  # a stop signal closes the viewer: no answer to log
                return None
            self.resultsEdited.emit(
                {"out": str(self.out.resolve()), **self.edited.record(accepted)}
            )
            if not accepted:
                self.message.setText(
                    f"{plain(self.edited.line)}; no report was written: Write report… again "
                    "and accept its rows as they now read (the report then says so)"
                )
                return None
            taken = self.edited.record(True)
        from forensic_viewer.gui.report_dialog import ReportDialog

        job = results_report_job(self.out, taken, self.seen)
        self._report = ReportDialog(job, self, default_dir=self.out)
        self._report.finished.connect(self.reportClosed)
        self._report.ended.connect(self.reportClosed)  # closed while it wrote: now it may go
        self.reportOpened.emit(self._report)
        self._report.show()
        return self._report

    def _accept_edited(self) -> bool | Literal["unanswered"]:
        yes, no = QMessageBox.StandardButton.Yes, QMessageBox.StandardButton.No
        title = "Report an edited results.jsonl?"
        box = QMessageBox(QMessageBox.Icon.Warning, title, "", yes | no, self)
        box.setTextFormat(Qt.TextFormat.PlainText)
        box.setText(
            f"{plain(self.edited.line)}.\n\nThe report is written from its rows as they now "
            "read, and says so on its first page, as forensic-viewer report "
            "--accept-edited-results does. No: no report."
        )
        box.setDefaultButton(no)
        return ask(box, yes)

    def holds_report(self) -> bool:
        """Whether its report dialog is open or writing (closed, the dialog stays for it)."""
        report: Any = self._report  # a ReportDialog (imported where it is made)
        return report is not None and (report.isVisible() or report.running)

    def shutdown(self, timeout_ms: int = 30_000) -> None:
        """Stop reading and wait for the threads (the viewer quits, or the dialog was closed)."""
        stop_within(self.reader, timeout_ms, "the scan results' reader")
        self.opener.wait(timeout_ms)
        self.table_model.thumbnails.stop()
        if self._report is not None:
            self._report.shutdown()  # type: ignore[attr-defined]

    def closeEvent(self, event: Any) -> None:  # Qt override
        self.table_model.thumbnails.stop()
        super().closeEvent(event)
