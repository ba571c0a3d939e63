"""The batch dialog: scan a folder off the GUI thread, with pause, cancel, resume and triage.

The scan runs on a :class:`~forensic_viewer.gui.scan_worker.ScanWorker` thread
(:mod:`forensic_viewer.gui.scan_worker`: the listing, the output folder's lock, the models,
:func:`~forensic_viewer.scan.run.run_scan` or worker processes, pause and cancel), so a scan
started here and one started with ``forensic-viewer scan`` write the same files and can resume
each other. Starting again into the same output folder skips the finished files. The dialog
turns the thread's messages into its buttons, progress line, closing message and table.

The triage table is a :class:`TriageModel` (one :class:`~forensic_viewer.scan.triage.TriageRow` per
file, thumbnails as decoration; it sorts) behind a :class:`TriageFilter` (filter text, "flagged
only"). Rows and thumbnails are made on the worker thread; slots only insert them. A scan
scored against true masks adds the ground-truth columns once scored (none otherwise).

Double-clicking a row opens the file in the viewer *with the scan's result*, rebuilt from the
record's figures and the scan's heatmap PNGs on a
:class:`~forensic_viewer.gui.result_loader.ResultLoader` thread (nothing is analysed again). A
file that changed since the scan, or a record without figures, is opened as a new file instead
(the viewer analyses it with its own models) and the dialog says why. The table and the
opening of its rows are Open scan results…'s too (:mod:`forensic_viewer.gui.triage_view`).

Its rows live apart: "Run on" (processes or Ray) in :mod:`forensic_viewer.gui.run_on`,
"Ground truth" in :mod:`forensic_viewer.gui.truth_choice`, "Models" in
:mod:`forensic_viewer.gui.model_choice`, the progress line in
:mod:`forensic_viewer.gui.scan_progress`, what a run's messages say and what Write report…
reports of it (warnings, files gone, a failed run) in :mod:`forensic_viewer.gui.batch_end`.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from pathlib import Path
from typing import Any, Literal

from PySide6.QtCore import QModelIndex, Qt, Signal
from PySide6.QtGui import QHideEvent, QShowEvent
from PySide6.QtWidgets import (
    QCheckBox,
    QComboBox,
    QDialog,
    QFormLayout,
    QHBoxLayout,
    QLabel,
    QLineEdit,
    QMessageBox,
    QProgressBar,
    QPushButton,
    QSpinBox,
    QSplitter,
    QVBoxLayout,
    QWidget,
)

from forensic_viewer.gui.analysis_panel import AnalysisChoices
from forensic_viewer.gui.batch_end import RunEnd, failed_words, listed_line, scanning_line
from forensic_viewer.gui.faces_choice import FacesChoice
from forensic_viewer.gui.model_choice import ModelList
from forensic_viewer.gui.out_field import ProposedOut
from forensic_viewer.gui.panels import (
    MessageLabel,
    name_form_fields,
    no_enter_button,
    pick_input_folder,
    pick_output_folder,
    rows_height,
)
from forensic_viewer.gui.questions import UNANSWERED, ask
from forensic_viewer.gui.run_on import RunOnChoice
from forensic_viewer.gui.scan_progress import ScanProgress
from forensic_viewer.gui.scan_worker import ScanJob, ScanWorker
from forensic_viewer.gui.screen_fit import fit_to_screen
from forensic_viewer.gui.thread_stop import stop_within
from forensic_viewer.gui.tips import tip_text
from forensic_viewer.gui.triage_view import RowOpener, size_columns, triage_view
from forensic_viewer.gui.truth_choice import TruthChoice, truth_message
from forensic_viewer.gui.wheel_guard import guard_wheel
from forensic_viewer.scan.earlier_scans import earlier_scans
from forensic_viewer.scan.failure import named
from forensic_viewer.scan.integrity import RESULTS_EDITED, Edited, edited_results, note_run
from forensic_viewer.scan.jobs import AUTO_JOBS, cpu_cores
from forensic_viewer.scan.proposed_out import proposed_scan_output, scan_rule_words
from forensic_viewer.scan.results import RESULTS, SCAN_INFO
from forensic_viewer.scan.run import ScanSummary
from forensic_viewer.scan.triage import TriageRow
from forensic_viewer.scan.walk import parse_types
from forensic_viewer.wording import plain

SETTINGS_WIDTH = 460  # px, the settings column's first width; the table takes the rest
FILES_SHOWN = 10  # a refused scan's files listed under its message


class BatchDialog(QDialog):
    """Scan a folder into an output folder and triage the results (see the module doc).

    models / device / exact: the viewer's current choice, checked here at first.
    Signals: ``openAnalysis(ScanAnalysis)`` when a double-clicked file's result is ready for the
    viewer; ``openFile(path)`` when the file is to be opened as a new one (no usable result).
    A scan goes on while the dialog is hidden; :meth:`shutdown` ends it (the viewer quits).
    """

    openAnalysis = Signal(object)
    openFile = Signal(object)  # the path as a Python str: Signal(str) dropped a name's bytes
    # ScanJob (``auto`` jobs resolved), the files listed and what the listing could not read
    # (walk.unread_record), both None when the scan failed before its listing: for the case
    # audit log (gui/case_log.py)
    scanStarted = Signal(object, object, object)
    scanEnded = Signal(object)  # ScanSummary, or the one-line failure of the scan itself
    reportOpened = Signal(object)  # the ReportDialog over the scan
    # a resume found results.jsonl edited since its last run: the case log's "results-edited"
    # record (the output folder, what differs, whether the analyst accepted it)
    resultsEdited = Signal(object)

    def __init__(
        self,
        parent: QWidget | None = None,
        *,
        models: Sequence[str] = (),
        device: str = "auto",
        exact: bool = False,
    ) -> None:
        super().__init__(parent)
        self.setWindowTitle("Scan a folder")
        self.worker: ScanWorker | None = None
        self.summary: ScanSummary | None = None
        self.failed_summary: ScanSummary | None = None  # a failed run's so far
        self.tally = ScanProgress()  # the progress line's counts, speed and ETA
        self._report: QDialog | None = None
        self._busy = False
        self._announced = False  # this scan's scanStarted emitted
        self._resumed = 0  # files of this run's listing an earlier run finished
        self._truth: tuple[list[str], list[str]] = ([], [])  # the last scan's (score_scan)
        self.run_end = RunEnd()  # what the last run leaves for its closing message and report
        # (when, SHA-256) of an output folder's results.jsonl as the case log last recorded it
        # (casework.case_recorded_end), set by the case log when one is open
        self.case_end: Callable[[Path], tuple[str, str] | None] | None = None
        self._build(models, device, exact)
        no_enter_button(self)  # Enter on a row opens it (activated), never a Browse…
        self.resize(1100, 760)  # within a smaller screen once shown (showEvent)

    def _build(self, models: Sequence[str], device: str, exact: bool) -> None:
        from engine.devices import available_devices

        self.folder = QLineEdit()
        self.out = QLineEdit()
        self.out.setPlaceholderText("default: off the evidence medium, in your user folder")
        self.out.setToolTip(scan_rule_words())
        self.proposed_out = ProposedOut(self.folder, self.out)  # follows Folder till chosen
        browse_in = self.browse_in = QPushButton("Browse…")
        browse_in.setAccessibleName("Browse for the folder to scan")
        browse_in.clicked.connect(self._pick_folder)
        browse_out = self.browse_out = QPushButton("Browse…")
        browse_out.setAccessibleName("Browse for the output folder")
        browse_out.clicked.connect(self._pick_out)
        self.recursive = QCheckBox("include sub-folders")
        self.types = QLineEdit()
        self.types.setPlaceholderText("all image types, or e.g. jpg png")
        self.model_list = ModelList()
        self.model_list.fill(list(models))
        self.model_list.setMaximumHeight(rows_height(self.model_list, 4))
        self.device = QComboBox()
        self.device.addItems(available_devices())
        if self.device.findText(device) >= 0:
            self.device.setCurrentText(device)
        self.analyses = AnalysisChoices(checked=())
        self.analyses.setMaximumHeight(rows_height(self.analyses, 4))
        self.exact = QCheckBox("exact sliding-window path (slow reference)")
        self.exact.setChecked(exact)
        self.exact.setToolTip(
            "the paper's sliding-window fusion on PyTorch instead of the fast path; recorded "
            "in scan.json, so a resume must use the same path"
        )
        form = QFormLayout()
        self.earlier = QComboBox()  # the scans of before a restart (scan/earlier_scans.py)
        self.earlier.setAccessibleName("Earlier scans")
        self.earlier_scans = earlier_scans()
        self.earlier.addItems(["(a new scan)", *(plain(e.words()) for e in self.earlier_scans)])
        self.earlier.activated.connect(self._take_earlier)
        form.addRow("Earlier scans", self.earlier)
        row_in = QHBoxLayout()
        row_in.addWidget(self.folder, 1)
        row_in.addWidget(browse_in)
        row_out = QHBoxLayout()
        row_out.addWidget(self.out, 1)
        row_out.addWidget(browse_out)
        form.addRow("Folder", row_in)
        form.addRow("", self.recursive)
        form.addRow("File types", self.types)
        form.addRow("Models", self.model_list)
        form.addRow("Device", self.device)
        form.addRow("", self.exact)
        self.faces = FacesChoice()  # follows the output folder's recorded setting
        form.addRow("", self.faces)
        # once a folder is typed (Enter, or the field left) or browsed, never per keystroke:
        # each follow reads scan.json and looks for <folder>-scan, and a hung mount froze it
        for field in (self.folder, self.out):
            field.editingFinished.connect(self._follow_faces)
        self.jobs = QSpinBox()
        self.jobs.setRange(AUTO_JOBS, cpu_cores())
        self.jobs.setSpecialValueText("auto")  # shown for AUTO_JOBS
        self.jobs.setValue(AUTO_JOBS)
        self.jobs.setToolTip(
            "processes analysing files side by side, each with its own models; auto: one per "
            "core on the CPU for 30 files or more (as memory allows), else 1"
        )
        form.addRow("Worker processes", self.jobs)
        self.run_on = RunOnChoice()
        form.addRow("Run on", self.run_on)
        form.addRow("Classic analyses", self.analyses)
        self.truth = TruthChoice()
        form.addRow("Ground truth", self.truth)
        form.addRow("Output folder", row_out)
        name_form_fields(form)

        self.start_button = QPushButton("Start")
        self.start_button.clicked.connect(self.start)
        self.pause_button = QPushButton("Pause")
        self.pause_button.setEnabled(False)
        self.pause_button.clicked.connect(self.toggle_pause)
        self.cancel_button = QPushButton("Cancel")
        self.cancel_button.setEnabled(False)
        self.cancel_button.clicked.connect(self.cancel)
        self.report_button = QPushButton("Write report…")
        self.report_button.setEnabled(False)
        self.report_button.clicked.connect(self.open_report)
        buttons = QHBoxLayout()
        for b in (self.start_button, self.pause_button, self.cancel_button):
            buttons.addWidget(b)
        buttons.addStretch(1)
        buttons.addWidget(self.report_button)

        self.progress = QProgressBar()
        self.progress.setRange(0, 1)
        self.progress.setValue(0)
        self.progress_text = QLabel()
        self.progress_text.setTextFormat(Qt.TextFormat.PlainText)
        self.message = MessageLabel()  # a long path wraps: it widened the dialog off the screen

        view = triage_view(self)
        self.table_model, self.proxy, self.table = view.model, view.proxy, view.table
        self.filter_text, self.flagged_only = view.filter_text, view.flagged_only
        self._fit_headers()
        # double-click, or Enter on the current row (keyboard alone): activated is both
        self.table.activated.connect(self._on_double_click)
        self.opener = RowOpener(self)
        self.opener.opened.connect(self.openAnalysis)
        self.opener.openFile.connect(self.openFile)
        self.opener.said.connect(self.show_message)

        # the settings beside the table, not above it: with thumbnail-high rows, a table under
        # the form showed two or three of them at the dialog's size
        settings, results = QWidget(), QWidget()
        left = QVBoxLayout(settings)
        left.setContentsMargins(0, 0, 0, 0)
        left.addLayout(form)
        left.addLayout(buttons)
        left.addWidget(self.progress)
        left.addWidget(self.progress_text)
        left.addWidget(self.message)
        left.addStretch(1)
        right = QVBoxLayout(results)
        right.setContentsMargins(0, 0, 0, 0)
        right.addLayout(view.filters)
        right.addWidget(self.table, 1)
        split = QSplitter(Qt.Orientation.Horizontal)
        split.addWidget(settings)
        split.addWidget(results)
        split.setChildrenCollapsible(False)
        split.setStretchFactor(1, 1)  # a wider dialog widens the table
        split.setSizes([SETTINGS_WIDTH, 1])
        QVBoxLayout(self).addWidget(split)
        guard_wheel(settings)  # device, worker processes, run on: changed only when chosen

    # --- choosing ---

    def _pick_folder(self) -> None:
        if pick_input_folder(self, "Folder to scan", self.folder):
            self._follow_faces()

    def _pick_out(self) -> None:
        if pick_output_folder(self, "Output folder", self.out):
            self.proposed_out.chosen()
            self._follow_faces()

    def _take_earlier(self, index: int) -> None:
        """An earlier scan chosen: its folder, output folder and sub-folders, so Start resumes."""
        if index > 0:
            scan = self.earlier_scans[index - 1]
            self.folder.setText(scan.folder)
            self.out.setText(str(scan.out))
            self.recursive.setChecked(scan.recursive)
            self._follow_faces()

    def _follow_faces(self) -> None:
        """The faces switch shows the output folder's recorded setting (it reads the disk)."""
        self.faces.follow(self.output_folder())

    def output_folder(self) -> Path | None:
        """The output folder typed, else the scanned folder's in the per-user folder, off the
        evidence medium (:func:`~forensic_viewer.scan.proposed_out.proposed_scan_output`, or an
        earlier ``<folder>-scan`` of it); absolute (:func:`~forensic_viewer.scan.failure.named`,
        as the scanned folder is), so a folder typed relative is shown, written and named in
        every message by the path it was at start, not relative to a directory nothing records."""
        if self.out.text().strip():
            return named(Path(self.out.text().strip()).expanduser())
        folder = self.folder.text().strip()
        return proposed_scan_output(folder) if folder else None

    @property
    def running(self) -> bool:
        """From Start until the GUI thread has handled the scan thread's end (buttons follow)."""
        return self._busy

    # --- running ---

    def start(self) -> None:
        """Start a scan, or resume one into the same output folder (finished files skipped)."""
        if self.running:
            return
        folder = self.folder.text().strip()
        if not folder:
            self.show_message("choose a folder to scan")
            return
        try:
            suffixes = parse_types(self.types.text())
        except ValueError as e:
            self.show_message(str(e))
            return
        models = self.model_list.checked_paths()
        if not models:
            self.show_message("check at least one model")
            return
        try:
            gt = self.truth.path()
        except ValueError as e:
            self.show_message(str(e))
            return
        out = self.output_folder()
        assert out is not None
        self.proposed_out.show(out)
        if not self._results_unchanged(out):
            return
        self.faces.follow(out)  # a resume's default: as its scan was made
        job = ScanJob(
            folder=named(Path(folder).expanduser()),  # messages name it as a scan does
            out=out,
            recursive=self.recursive.isChecked(),
            suffixes=suffixes,
            models=tuple(models),
            device=self.device.currentText(),
            analyses=tuple(self.analyses.checked()),
            exact=self.exact.isChecked(),
            faces=self.faces.isChecked(),
            jobs=self.jobs.value(),
            ray=self.run_on.address(),
            gt=gt,
        )
        self.summary = self.failed_summary = None
        self.run_end = RunEnd()
        self._truth = ([], [])
        self.table_model.set_truth(None)  # this run's scoring, if any, brings them back
        self.message.setToolTip("")
        if self.worker is not None:
            self.worker.wait()  # its end was handled (not running), so this returns at once
            self.worker.deleteLater()
        self.table_model.set_out(out)
        self.tally = ScanProgress()
        self.worker = ScanWorker(job, self)
        mail = self.worker.mailbox
        mail.after = self.table_model.flush
        for kind, handler in (
            ("listed", self._on_listed),
            ("ready", self._on_ready),
            ("file", self._on_file),
            ("windows", self._on_windows),
            ("paused", self._on_paused),
            ("truth", self._on_truth),
            ("gone", lambda gone: setattr(self.run_end, "gone", tuple(gone))),
            ("succeeded", self._on_succeeded),
            ("failed", self._on_failed),
        ):
            mail.on(kind, handler)
        self.worker.finished.connect(self._on_finished)
        mail.start()
        self._set_running(True)
        self.show_message(f"listing {job.folder}…")
        self._announced = False  # scanStarted, once the files are counted
        self.worker.start()

    def _results_unchanged(self, out: Path) -> bool:
        """Whether a resume into ``out`` may go on, as the command line decides it
        (:func:`~forensic_viewer.scan.integrity.edited_results`): True unless its results.jsonl
        differs from the SHA-256 its last run recorded (in the case log, else scan.json) and
        the analyst, asked, does not take its rows as they now read. Accepted, scan.json's run
        records it as ``scan --accept-edited-results`` does; refused, nothing starts and the
        dialog says why. Either way the case log records the answer (:attr:`resultsEdited`)."""
        recorded = self.case_end(out) if self.case_end is not None else None
        edited = edited_results(out / RESULTS, out / SCAN_INFO, recorded)
        if edited is None:
            return True
        accepted = self._accept_edited(edited)
        if accepted == UNANSWERED:  # a stop signal closes the viewer: no answer to log
            return False
        self.resultsEdited.emit({"out": str(out.resolve()), **edited.record(accepted)})
        if not accepted:
            self.show_message(
                f"{edited.line}; nothing was analysed: choose a new output folder, or Start "
                "again and accept its rows as they now read"
            )
            return False
        note_run(out / SCAN_INFO, RESULTS_EDITED, edited.record(True))
        return True

    def _accept_edited(self, edited: Edited) -> bool | Literal["unanswered"]:
        """Ask whether to resume over ``edited`` results.jsonl; No unless the analyst says Yes
        (:data:`~forensic_viewer.gui.questions.UNANSWERED`: a stop signal closed it)."""
        yes, no = QMessageBox.StandardButton.Yes, QMessageBox.StandardButton.No
        title = "Resume over an edited results.jsonl?"
        box = QMessageBox(QMessageBox.Icon.Warning, title, "", yes | no, self)
        box.setTextFormat(Qt.TextFormat.PlainText)  # a file name is never markup
        box.setText(
            f"{plain(edited.line)}.\n\nResuming takes its rows as they now read: the files they "
            "list as done are not analysed again and the report is written from them. "
            "Accepting is recorded in scan.json's run (results_edited), as forensic-viewer "
            "scan --accept-edited-results records it, and the report says so on its first "
            "page.\n\nNo: nothing starts; scan into a new output folder instead."
        )
        box.setDefaultButton(no)
        return ask(box, yes)

    def toggle_pause(self) -> None:
        if self.worker is None or not self.running:
            return
        if self.worker.paused:
            self.worker.resume()
            self.pause_button.setText("Pause")
            self.show_message("resuming…")
        else:
            self.worker.pause()
            self.pause_button.setText("Resume")
            self.show_message("pausing after the current window batch…")

    def cancel(self) -> None:
        if self.worker is not None and self.running:
            self.worker.cancel()
            self.show_message("cancelling…")

    def stop_scan(self, timeout_ms: int) -> bool:
        """Cancel a running scan and wait up to ``timeout_ms`` for its thread: True once no scan
        thread runs. Cancel reaches a scan between window batches and files, not while it lists
        the folder or loads its models (an OpenVINO conversion at first use can take minutes)."""
        if self.worker is None or not self.worker.isRunning():
            return True
        self.worker.cancel()
        self.show_message("cancelling: the viewer closes once the scan has stopped…")
        return self.worker.wait(timeout_ms)

    def shutdown(self, timeout_ms: int = 30_000) -> None:
        """Cancel a running scan and wait for it, the result loaders and the thumbnail reader
        (the viewer quits). The scan's last messages are handled here, not by the event loop
        that is ending: its rows, and its end (``scanEnded``, which the case log records before
        the window closes the log)."""
        if self.worker is not None:
            self.worker.cancel()
            if stop_within(self.worker, timeout_ms, "the batch scan") and self.running:
                self._on_finished()
        self.opener.wait(timeout_ms)
        self.table_model.thumbnails.stop()
        if self._report is not None:
            self._report.shutdown()  # type: ignore[attr-defined]

    def showEvent(self, event: QShowEvent) -> None:  # Qt override
        """Within the screen, frame included: 1100 x 760 ran off a 1280 x 720 screen."""
        super().showEvent(event)
        fit_to_screen(self)

    def hideEvent(self, event: QHideEvent) -> None:  # Qt override
        """A scan goes on while hidden; reading thumbnails for the table does not."""
        self.table_model.thumbnails.stop()
        super().hideEvent(event)

    def _set_running(self, on: bool) -> None:
        self._busy = on
        self.start_button.setEnabled(not on)
        self.pause_button.setEnabled(on)
        self.pause_button.setText("Pause")
        self.cancel_button.setEnabled(on)
        choices = (self.folder, self.out, self.types, self.recursive, self.model_list, self.run_on)
        choices += (self.truth, self.browse_in, self.browse_out)  # a running scan keeps its folders
        for w in (*choices, self.device, self.analyses, self.exact, self.faces, self.jobs):
            w.setEnabled(not on)

    def show_message(self, text: str) -> None:
        self.message.setText(plain(text))

    def _on_listed(
        self,
        total: int,
        left_out: int = 0,
        done_before: int = 0,
        masks: int = 0,
        job: ScanJob | None = None,
        unread: list[str] | None = None,
        outputs: int = 0,
        unread_listed: dict[str, Any] | None = None,
    ) -> None:
        if job is not None:  # logged as the command line logs a scan: with its files counted
            self._announced = True
            self.scanStarted.emit(job, total, unread_listed)
        self.tally.total = total
        self._resumed = done_before
        self.progress.setRange(0, max(1, total))
        self.progress.setValue(0)
        # a folder without images never gets here: refused before the models load (_no_images)
        self.show_message(
            listed_line(total, left_out, done_before, masks, unread, outputs, self.output_folder())
        )

    def _fit_headers(self) -> None:
        """Every column at least as wide as its header: at the default 100 px the table read
        "odel disagreeme" before a scan, and after one whose rows were there already."""
        header = self.table.horizontalHeader()
        for i in range(self.table_model.columnCount()):
            self.table.setColumnWidth(i, max(self.table.columnWidth(i), header.sectionSizeHint(i)))

    def _on_ready(
        self, names: list[str], ensemble: str | None, device: str, face_models: list[str]
    ) -> None:
        self.table_model.set_models(
            names, ensemble, self.worker.job.analyses if self.worker else ()
        )
        if not self.table_model.rowCount():  # sized by the headers: no rows to measure yet
            size_columns(self.table, self.table_model)
        self._fit_headers()
        self.table.sortByColumn(*self.table_model.default_sort())  # the columns were made anew
        self.tally.meter.start()
        resuming = (
            f"; resuming: {self._resumed} files finished earlier are skipped"
            if self._resumed
            else ""
        )
        self.show_message(scanning_line(names, ensemble, face_models, device) + resuming)

    def _on_file(self, index: int, total: int, analysed: bool, row: TriageRow, left: int) -> None:
        self.table_model.queue(row)  # the views told once per round (flush)
        self.run_end.file(row)
        self.tally.file_done(index, total, analysed, left)
        self.progress.setValue(self.tally.done)
        self._update_text()
        self.report_button.setEnabled(True)

    def _on_windows(self, model: str, done: int, total: int) -> None:
        self.tally.current = f"{model} {done}/{total} windows"
        self._update_text()

    def _update_text(self) -> None:
        self.progress_text.setText(self.tally.text())

    def _on_paused(self, paused: bool) -> None:
        self.pause_button.setText("Resume" if paused else "Pause")
        if paused:
            self.tally.meter.pause()
            self.show_message("paused: Resume goes on where the scan stopped")
        else:
            self.tally.meter.start()
            self.show_message("scanning")

    def _on_succeeded(self, summary: ScanSummary) -> None:
        self.summary = summary
        self.tally.end()
        failed = f", {failed_words(summary.failed)}" if summary.failed else ""
        head = "done"
        if summary.cancelled:  # as scan.json's run says it, with what the results lack
            missing = summary.total - summary.through
            head = (
                f"cancelled after {summary.through} of {summary.total} files "
                f"({missing} not scanned): Start resumes"
            )
        changed = f", {len(summary.changed)} changed since analysed" if summary.changed else ""
        self.show_message(
            f"{head} — {summary.done} analysed, {summary.skipped} already done{changed}{failed} "
            f"of {summary.total} in {summary.seconds:.1f} s; results in {self.output_folder()}"
        )
        # under it what the command line says (gui/batch_end.py), then the ground-truth
        # figures (every one in the tooltip)
        lines = self.run_end.lines(summary)
        if self._truth[0]:
            lines += truth_message(*self._truth).splitlines()
            truth = (*self._truth[0], *self._truth[1])
            self.message.setToolTip(tip_text("\n".join(plain(x) for x in truth)))
        if lines:
            self.message.setText("\n".join(plain(x) for x in [self.message.text(), *lines]))
        self.start_button.setText("Resume" if summary.cancelled else "Start")
        self.scanEnded.emit(summary)

    def _on_truth(self, lines: list[str], problems: list[str], labels: dict[str, int]) -> None:
        """The finished scan scored against the true masks (shown with its summary, and as the
        table's ground-truth columns)."""
        self._truth = (list(lines), list(problems))
        self.table_model.set_truth(labels)

    def _on_failed(
        self,
        message: str,
        files: Sequence[str] = (),
        summary: ScanSummary | None = None,
        unrecorded: str | None = None,
        ended: dict[str, Any] | None = None,
    ) -> None:
        """The scan's one line; under it ``files``' own lines when it was refused for them
        (the first :data:`FILES_SHOWN`, every one in the tooltip), else :meth:`RunEnd.lines`.
        ``summary``: the run's so far when it had begun (:attr:`failed_summary`, which the
        case log counts); ``unrecorded`` and ``ended``: :meth:`RunEnd.fail`'s."""
        self.failed_summary = summary
        self.run_end.fail(summary, unrecorded, ended)
        if self.run_end.no_report:  # an earlier run's files enabled it
            self.report_button.setEnabled(False)
        self.tally.end()
        self.show_message(message)
        if lines := self.run_end.lines():  # under it what the command line says of the run
            self.message.setText("\n".join(plain(x) for x in [self.message.text(), *lines]))
        if files:
            shown = [plain(x) for x in files[:FILES_SHOWN]]
            if len(files) > FILES_SHOWN:
                shown.append(f"… and {len(files) - FILES_SHOWN:,} more (every file in the tooltip)")
            self.message.setText("\n".join([self.message.text(), *shown]))
            self.message.setToolTip(tip_text("\n".join(plain(x) for x in files)))
        if not self._announced and self.worker is not None:  # failed before its listing
            self._announced = True
            self.scanStarted.emit(self.worker.job, None, None)
        self.scanEnded.emit(message)

    def _on_finished(self) -> None:
        if self.worker is not None:
            self.worker.mailbox.stop()  # what the thread posted last
        self.tally.end()
        self._set_running(False)
        self._update_text()

    # --- results ---

    def _on_double_click(self, index: QModelIndex) -> None:
        if not index.isValid():
            return
        self.open_row(self.proxy.row_at(index.row()))

    def open_row(self, row: TriageRow) -> None:
        """Open the file of ``row`` in the viewer with the scan's result (see the module doc)."""
        self.opener.open(row, self.output_folder())

    def open_report(self) -> QDialog | None:
        """The report dialog over this scan's output folder (written off the GUI thread); a
        report still being written is shown again (as ScanResultsDialog.open_report)."""
        if self._report is not None and self._report.running:  # type: ignore[attr-defined]
            self._report.show()
            self._report.raise_()
            return self._report
        out = self.output_folder()
        if out is None:
            return None
        from forensic_viewer.gui.report_dialog import ReportDialog

        self._report = ReportDialog(self.run_end.report_job(out), self, default_dir=out)
        self.reportOpened.emit(self._report)
        self._report.show()
        return self._report
