"""The main window's examination dialogs: Scan a folder…, Open scan results…, Export report…,
Robustness probe….

:class:`WindowDialogs` is a part of :class:`~forensic_viewer.gui.main_window.MainWindow` (a
mixin: its methods run on the window). Each dialog is made when first opened and kept (a
scan's results dialog goes once closed, with its report dialog): the
batch dialog starts with the models and device in use, and a row double-clicked there comes
back as the scan's analysis, shown without analysing again (:meth:`WindowDialogs.show_analysis`);
the report dialog writes the current image's report, with its probe table, the moved mask
thresholds and the ground truth loaded (a new dialog per image: the folder offered is the
evidence's rule unless the last dialog's was for the same folder; the examiner and case id
typed in any report dialog, the scan's too, are carried to the next); the
probe dialog is aimed at the current image, and its finished table joins that image's report,
the case log, and the scan's folder of a file opened from a scan's results.
"""

from __future__ import annotations

from pathlib import Path

from engine.errors import ForensicError
from engine.probe import ProbeResult
from engine.types import Analysis
from forensic_viewer.casework import case_recorded_end
from forensic_viewer.gui.batch_dialog import BatchDialog
from forensic_viewer.gui.groundtruth_panel import with_ground_truth
from forensic_viewer.gui.panels import verdict_badge
from forensic_viewer.gui.probe_dialog import ProbeDialog
from forensic_viewer.gui.report_dialog import ReportDialog
from forensic_viewer.gui.report_job import ReportJob, image_report_job
from forensic_viewer.gui.result_loader import ResultLoader
from forensic_viewer.gui.scan_results import ScanResultsDialog, not_a_scan_folder
from forensic_viewer.gui.window_entry import Entry, complete_analysis
from forensic_viewer.gui.window_memory import keep_case_id
from forensic_viewer.report import CaseInfo
from forensic_viewer.scan.probe import keep_scan_probe
from forensic_viewer.scan.replay import ScanAnalysis
from forensic_viewer.wording import plain

# ms a closed scan-results dialog waits for each of its threads (a row's decode, its reader);
# one still running then is held from destruction (gui/thread_stop.py) and ends on its own
RESULTS_CLOSE_WAIT_MS = 250


class WindowDialogs:
    """The scan, report and probe dialogs of
    :class:`~forensic_viewer.gui.main_window.MainWindow`, and what they bring back."""

    def _next_report_dialog(self, job: ReportJob, old: ReportDialog) -> ReportDialog:
        """The report dialog of ``job`` after ``old``'s: the folder and notes typed there kept
        for evidence of the same folder; for other evidence the folder README's rule gives
        (``reports/<evidence folder's name>-<hash>`` in the per-user folder) and no notes. Every dialog took the last one's folder,
        so an image's report was offered a scan's folder (walk-through 55.png)."""
        same = old.job.folder is not None and old.job.folder == job.folder
        if not same:
            return ReportDialog(job, self)
        case = CaseInfo(notes=old.case().notes)
        return ReportDialog(job, self, default_dir=Path(old.dest.text()), case=case)

    def _carry_case_fields(self, dialog: ReportDialog) -> None:
        """The examiner and case id typed in any report dialog (an image's, a scan's) are the
        analyst's, not the evidence's: each later dialog starts with the last typed. The scan's
        dialog started empty after an image's had them (walk-through 54.png)."""
        for key, field in (("examiner", dialog.examiner), ("case_id", dialog.case_id)):
            if not field.text() and self.analyst_fields.get(key):
                field.setText(self.analyst_fields[key])
            field.textChanged.connect(lambda text, k=key: self.analyst_fields.update({k: text}))
        dialog.case_id.textChanged.connect(lambda text: keep_case_id(self, text))  # per case
        dialog.case_offered = dialog.case()  # typed after this: asked of at the close
        dialog.written.connect(lambda _paths: self._say_ended(dialog, "report"))
        dialog.failed.connect(lambda _why: self._say_ended(dialog, "report"))

    def _say_ended(self, dialog: BatchDialog | ReportDialog, what: str) -> None:
        """A scan's or a report's outcome, as its dialog says it, joins the status bar's
        message history (a notice: it does not replace the analyst's fresh message); the
        history kept none of them, so what a closed dialog said was lost."""
        said = dialog.message.text().strip()
        if said:
            self.statusBar().notify(f"{what}: " + said.replace("\n", "; "))

    def open_batch(self) -> BatchDialog:
        """File ▸ Scan a folder…: the batch dialog, first with the models and device in use.
        A double-clicked row comes back here with the scan's result (:meth:`show_analysis`)."""
        if self.batch is None:
            device = self.model_panel.device.currentText()
            self.batch = BatchDialog(
                self, models=self.model_paths, device=device, exact=self.exact_action.isChecked()
            )
            self.batch.openAnalysis.connect(self.show_analysis)
            self.batch.openFile.connect(lambda path: self.open_paths([path]))
            self.batch.reportOpened.connect(self._carry_case_fields)
            self.batch.scanEnded.connect(lambda _outcome: self._say_ended(self.batch, "scan"))
            self.case.attach_batch(self.batch)
        self.batch.show()
        self.batch.raise_()
        return self.batch

    def open_scan_results(self, out: Path | None = None) -> ScanResultsDialog | None:
        """File ▸ Open scan results…: a scan output folder's triage table, read-only
        (:mod:`~forensic_viewer.gui.scan_results`: no scan run, nothing written); ``out``
        asked for with a read-only folder picker when not given, opened at the per-user folder
        of the batch dialog's scans (``scan.proposed_out``; it had opened at the working
        directory, and that folder is a hidden one: restart walk-through, finding 6)."""
        if out is None:
            from PySide6.QtWidgets import QLineEdit

            from engine.environ import user_data_dir
            from forensic_viewer.gui.panels import pick_input_folder
            from forensic_viewer.scan.proposed_out import SCANS

            scans = user_data_dir() / SCANS
            field = QLineEdit(str(scans) if scans.is_dir() else "")
            if pick_input_folder(self, "Scan output folder to open", field) is None:
                return None
            out = Path(field.text())
        out = out.expanduser().absolute()
        if (why := not_a_scan_folder(out)) is not None:
            self.show_error(why)
            return None
        log = self.case.log
        case_end = None if log is None else (lambda o: case_recorded_end(log, o))
        dialog = ScanResultsDialog(out, self, case_end=case_end)
        dialog.openAnalysis.connect(self.show_analysis)
        dialog.openFile.connect(lambda path: self.open_paths([path]))
        dialog.reportOpened.connect(self._carry_case_fields)
        self.case.attach_results(dialog)  # opened, an edited file accepted, its reports
        dialog.finished.connect(lambda _result: self._drop_results(dialog))
        dialog.reportClosed.connect(lambda: self._drop_results(dialog))
        self.results_dialogs.append(dialog)
        dialog.show()
        dialog.raise_()
        return dialog

    def _drop_results(self, dialog: ScanResultsDialog) -> None:
        """A closed scan-results dialog goes, its threads stopped first, with its rows; one
        whose report dialog is open or writing stays until that closes. Every one opened was
        kept for the session (walk-through E: 6 openings closed, 6 dialogs, +144 widgets,
        +12 finished QThreads). Waits briefly: the quit's wait froze the window up to 30 s
        per thread while a row's decode went on."""
        if dialog.isVisible() or dialog.holds_report() or dialog not in self.results_dialogs:
            return
        dialog.shutdown(RESULTS_CLOSE_WAIT_MS)
        self.results_dialogs.remove(dialog)
        dialog.deleteLater()

    def show_analysis(self, analysis: Analysis) -> None:
        """Show an analysis finished elsewhere (a scan's result), without analysing again."""
        path = analysis.evidence.path
        entry = self.entries.get(path) or Entry(path)
        self.entries[path] = entry
        entry.job, entry.running, entry.error = None, False, ""  # a queued job's result is dropped
        entry.cancelled = entry.released = False
        entry.evidence, entry.analysis = analysis.evidence, analysis
        entry.join_classic()  # its pixels and maps count towards the limit (_retain)
        self.evidence_list.set_badge(self.evidence_list.entry(path), verdict_badge(analysis))
        self.evidence_list.set_sha256(path, analysis.evidence.sha256)
        self.recent.remember(path)
        self.show_entry(path)
        self._update_busy()

    def reload_scan_result(self, entry: Entry) -> None:
        """Read the scan's result of ``entry`` again (:class:`ResultLoader`: decoded, its
        SHA-256 checked, the scan's maps), its pixels and maps having been let go: a file
        opened from a scan is never analysed again by the viewer's models. Shown when it
        arrives if the analyst still looks at that file; one that cannot be read again (the
        file changed or went) says why in one line and stays as it is."""
        analysis = entry.analysis
        if not isinstance(analysis, ScanAnalysis) or entry.path in self._reloading:
            return
        loader = ResultLoader(analysis.scan_out, analysis.scan_key, self)
        self._reloading[entry.path] = loader
        loader.loaded.connect(self._on_scan_result_read)
        loader.failed.connect(lambda _file, why: self.show_error(f"{why}; not shown again"))
        loader.finished.connect(lambda path=entry.path: self._reloading.pop(path, None))
        loader.finished.connect(loader.deleteLater)
        loader.start()

    def _on_scan_result_read(self, analysis: ScanAnalysis) -> None:
        entry = self.entries.get(analysis.evidence.path)
        if entry is not None and entry.released and entry.path == self.current:
            self.show_analysis(analysis)

    def export_report(self) -> ReportDialog | None:
        """File ▸ Export report…: the report of the current image (written off the GUI thread)."""
        analysis = self.current_analysis()
        if analysis is None:
            return None
        analyzer = self.worker._analyzer  # read only: its checkpoint headers become model cards
        faces = getattr(analyzer, "faces", None) if analyzer else self.worker._detector
        try:
            job = image_report_job(
                analysis,
                analyzer=analyzer,
                model_paths=self.model_paths,
                faces_checked=faces is not None,
                face_detector=faces,
                probe=self.probe_tables.get(analysis.evidence.sha256),
                # the report draws the calibrated masks and says where the sliders were
                viewer_thresholds=None if self.layers is None else self.layers.moved_thresholds(),
            )
        except ValueError as e:  # a cancelled analysis: reports hold complete analyses only
            if not analysis.cancelled:
                raise
            self.show_error(f"{e} (Ctrl+R)")
            return None
        job = with_ground_truth(job, self.truth_panel.report_data())
        old = self.report_dialog
        if old is None or not old.running:  # a new one for this image (a running one stays)
            if old is None:  # never next to the evidence by default
                self.report_dialog = ReportDialog(job, self)
            else:
                self.report_dialog = self._next_report_dialog(job, old)
                old.deleteLater()
            self._carry_case_fields(self.report_dialog)
        self.case.attach_report(self.report_dialog)
        self.report_dialog.show()
        self.report_dialog.raise_()
        return self.report_dialog

    def open_probe(self) -> ProbeDialog:
        """Analysis ▸ Robustness probe…: the dialog, aimed at the current image; its table
        joins that image's report (docs/PROBE.md)."""
        if self.probe_dialog is None:
            self.probe_dialog = ProbeDialog(self.worker, self)
            self.probe_dialog.set_colormap(self.preferred_colormap)
            self.probe_dialog.on_result = self._on_probe_result
        entry = self.entries.get(self.current) if self.current else None
        if entry is not None:
            evidence, analysis = entry.shown()
            self.probe_dialog.set_target(evidence, complete_analysis(analysis))
        self.probe_dialog.show()
        self.probe_dialog.raise_()
        return self.probe_dialog

    def _on_probe_result(self, result: ProbeResult) -> None:
        """A finished probe: its table joins the image's report and the case log; of a file
        opened from a scan's results, also that scan's folder and so its report."""
        table = result.to_dict()
        self.probe_tables[result.original.evidence.sha256] = table
        kept = None
        try:
            kept = keep_scan_probe((e.analysis for e in self.entries.values()), table)
        except (ForensicError, OSError) as e:
            self.show_error(f"probe not kept in the scan's folder: {e}")
        if kept is not None and self.probe_dialog is not None:
            status = self.probe_dialog.status
            status.setText(f"{status.text()}; kept in the scan's folder: {plain(kept)}")
        self.case.log_probe(table, kept)
