"""The main window: evidence list, canvas or side-by-side panes, layer, verdict, metadata,
classic analyses, model and magnifier panels, and a status bar with progress, cancel and the
pixel read-out.

The window is a thin shell: files go to the :class:`~forensic_viewer.gui.workers.AnalysisWorker`
(decoding and analysis off the GUI thread), results become a
:class:`~forensic_viewer.layers.LayerList` that the canvas, the compare panes and the panels
all watch, and layer drawings are computed by the
:class:`~forensic_viewer.gui.workers.LayerRenderer`. Classic analyses run on the same worker
from the :class:`~forensic_viewer.gui.analysis_panel.AnalysisPanel`; their results join the
file's :class:`~engine.types.Analysis` (``analyses``) and its layers. Errors a user can cause arrive as one line
that names the file and go to the status bar and the evidence list; the window carries on.

Long file: the window is where every panel, dialog and worker meets; its handlers are short
but many, and they share the one state the window owns (entries, the current file, layers).
"""

from __future__ import annotations

from collections.abc import Iterable
from pathlib import Path
from typing import Any

from PySide6.QtCore import QSettings, Qt
from PySide6.QtGui import QCloseEvent, QDragEnterEvent, QDropEvent
from PySide6.QtWidgets import QFileDialog, QListWidgetItem, QMainWindow, QTabBar, QWidget

from engine.errors import ForensicError
from engine.io import IMAGE_SUFFIXES
from engine.probe import ProbeResult
from engine.types import Analysis
from forensic_viewer.audit import AuditLog
from forensic_viewer.gui.batch_dialog import BatchDialog
from forensic_viewer.gui.case_log import CaseRecorder
from forensic_viewer.gui.file_menu import left_out_words, nothing_to_open, pick_evidence_folder
from forensic_viewer.gui.focus_order import move_focus
from forensic_viewer.gui.groundtruth_panel import looks_like_mask, with_ground_truth
from forensic_viewer.gui.opening import LeftOutMark, Lister, Listing
from forensic_viewer.gui.panels import READ_ONLY, verdict_badge
from forensic_viewer.gui.probe_dialog import ProbeDialog
from forensic_viewer.gui.report_dialog import ReportDialog, image_report_job
from forensic_viewer.gui.retention import Retention, compact_analysis, compact_evidence, held_bytes
from forensic_viewer.gui.screen_fit import fit_to_screen
from forensic_viewer.gui.training_dialog import TrainingDialog
from forensic_viewer.gui.verdict_panel import no_model_hint
from forensic_viewer.gui.window_analysis import CANCELLED_WORDS, WindowAnalysis
from forensic_viewer.gui.window_entry import Entry, complete_analysis
from forensic_viewer.gui.window_layout import WindowLayout
from forensic_viewer.gui.window_view import WindowView
from forensic_viewer.gui.workers import AnalysisWorker, LayerRenderer
from forensic_viewer.layers import LayerList, build_layers
from forensic_viewer.scan.probe import keep_scan_probe
from forensic_viewer.wording import plain

# ms closing waits for a cancelled batch scan to stop before it lets the window stay until then
CLOSE_WAIT_MS = 3000
# the Verdict panel of a file shown again after its pixels and maps were let go
RELEASED_WORDS = "analysing it again: its image and maps were let go to keep memory bounded"


class MainWindow(WindowLayout, WindowAnalysis, WindowView, QMainWindow):
    """The analyst's window. ``models``: checkpoint files to load; ``settings``: where the
    recent-files list lives (the user's settings when None); ``case_log``: the case audit log
    the examination is recorded in (None: nothing is recorded, and the status bar says so;
    see docs/AUDIT.md), ``case_problem`` why it could not be opened."""

    def __init__(
        self,
        *,
        models: list[str] | None = None,
        device: str = "auto",
        settings: QSettings | None = None,
        case_log: AuditLog | None = None,
        case_problem: str = "",
        parent: QWidget | None = None,
    ) -> None:
        super().__init__(parent)
        self.setWindowTitle("Forensic viewer")
        self.setAcceptDrops(True)
        self.settings = settings or QSettings("forensic-viewer", "forensic-viewer")
        self.entries: dict[str, Entry] = {}
        # files opened on their own, listed in File ▸ Open Recent once decoded (open_paths)
        self._recent_when_decoded: set[str] = set()
        self.retention = Retention()  # whose pixels and maps are held (gui/retention.py)
        # of each analysis job until it ended (_forget_job): its file, the models it was asked
        # with, and (below) the time of its first progress
        self._job_paths: dict[int, str] = {}
        self._show_jobs: set[int] = set()  # of those, files decoded to be shown, not analysed
        self._job_models: dict[int, dict[str, Any]] = {}
        self.current: str | None = None
        self.layers: LayerList | None = None
        self.model_names: list[str] = []
        self._models_known = False
        self._visibility_before: tuple[LayerList, dict] | None = None
        self.training: TrainingDialog | None = None  # made when first opened, kept while running
        self.batch: BatchDialog | None = None  # made when first opened, kept while scanning
        self._close_after_scan = False  # closing waits for the cancelled batch scan to stop
        # since the last Cancel: what the status bar says of the shown file's analysis, and
        # the other files whose analyses it stopped (counted there, each said in the list)
        self._cancel_words = ""
        self._cancelled_elsewhere: set[str] = set()
        # what the status bar said of the shown file's finished analysis, and the other files
        # finished since (counted there, each said in the list): _say_finished
        self._finished_words = ""
        self._finished_elsewhere: set[str] = set()
        self.report_dialog: ReportDialog | None = None
        self.probe_dialog: ProbeDialog | None = None  # made when first opened
        self.probe_tables: dict[str, dict] = {}  # evidence SHA-256 -> its probe's table
        self.model_paths: list[str] = []  # checkpoint files in use (for scans and reports)
        self.device = device  # the device asked for with them

        self.worker = AnalysisWorker(self)
        self.worker.loaded.connect(self._on_loaded)
        self.worker.progress.connect(self._on_progress)
        self.worker.succeeded.connect(self._on_succeeded)
        self.worker.failed.connect(self._on_failed)
        self.worker.unreadable.connect(self._on_unreadable)
        self.worker.cancelled.connect(self._on_cancelled)
        self.worker.kept.connect(self._on_kept)
        self.worker.mail.on("partial", self._on_partial)
        self.worker.modelsReady.connect(self._on_models_ready)
        self.worker.modelsFailed.connect(self._on_models_failed)
        self.renderer = LayerRenderer(self)
        self._job_started: dict[int, float] = {}  # job -> monotonic time of its first progress

        self._build_central()
        self._build_docks()
        self._build_status()
        self.left_out_mark = LeftOutMark(self.statusBar())  # until another folder is opened
        self.lister = Lister(
            self._open_listed, self.statusBar(), self
        )  # what is opened, listed off this thread
        self._build_actions()
        self.case = CaseRecorder(self, case_log, case_problem)  # the case log (gui/case_log.py)
        # after every other slot of a job's last signal (the case log's slots read the job's
        # path): the queued calls of one emit run in the order they were connected
        self.worker.succeeded.connect(self._forget_job)
        self.worker.failed.connect(self._forget_job)
        self.worker.cancelled.connect(self._forget_cancelled_job)
        self.worker.kept.connect(self._forget_job)
        self.worker.start()
        self.set_models(models or [], device)
        self.resize(1400, 900)
        fit_to_screen(self)

    # --- construction ---

    # --- opening ---

    def open_dialog(self) -> None:
        patterns = " ".join(f"*{s}" for s in IMAGE_SUFFIXES)
        paths, _ = QFileDialog.getOpenFileNames(
            self, "Open evidence", "", f"Images ({patterns});;All files (*)", options=READ_ONLY
        )
        if paths:
            self.open_paths(paths)

    def open_folder_dialog(self) -> None:
        """File ▸ Open Folder…: the folder chosen opened as one dropped on the window is."""
        folder = pick_evidence_folder(self)
        if folder:
            self.open_paths([folder])

    def open_paths(self, paths: Iterable[str | Path], recent: str | None = None) -> None:
        """Open files (folders: the images directly inside), analyse each, show the first: once
        they are listed, off the GUI thread (``gui/opening.py``; "Listing …" meanwhile); one
        listed after a later opening adds its files without taking the view. ``recent``: the
        Open Recent entry they come from, taken out of it when gone."""
        if given := [str(p) for p in paths]:
            self.lister.start(given, recent)

    def _open_listed(self, listing: Listing, recent: str | None, newest: bool = True) -> None:
        """Open what ``listing`` found. File ▸ Open Recent lists what was opened: a folder as
        the folder (reopening it reopens the folder), a file given on its own once it decodes
        (a folder's files one by one as they decoded replaced the ten entries).

        A folder's subfolders are not opened: those that hold something are counted and said
        once in the status bar and the case log, and kept in the status bar's mark until
        another folder is opened (``gui/opening.py``). Not ``newest`` (listed after a later
        opening): its files are analysed and its problems said, but the view, the mark and
        the status bar's line stay the newest opening's."""
        if recent is not None and listing.given[0].gone:
            self.recent.gone(recent)
            return
        for given in listing.given:
            if given.folder is not None and not given.problem:
                self.case.log_folder_opened(given.folder, len(given.files), given.left_out)
                if given.files:
                    self.recent.remember(given.folder, folder=True)
            elif given.folder is None:
                for path in given.files:
                    entry = self.entries.get(path)
                    if entry is not None and entry.shown()[0] is not None:
                        self.recent.remember(path)  # decoded already (from a folder opened before)
                    else:
                        self._recent_when_decoded.add(path)
        left_out = listing.left_out()
        if listing.folders and newest:
            self.left_out_mark.show_left_out(left_out)
        lines = listing.problems
        if files := listing.files:
            for path in files:
                self.analyse(path)
            if newest:
                self.show_entry(files[0])
                lines += [said] if (said := left_out_words(left_out)) else []
        elif not lines:
            lines = [nothing_to_open([g.path for g in listing.folders])]
        if lines:
            self.show_error("\n".join(lines))

    def dragEnterEvent(self, event: QDragEnterEvent) -> None:  # Qt override
        if event.mimeData().hasUrls():
            event.acceptProposedAction()

    def dropEvent(self, event: QDropEvent) -> None:  # Qt override
        paths = [u.toLocalFile() for u in event.mimeData().urls() if u.isLocalFile()]
        if paths:
            event.acceptProposedAction()
            shift = bool(event.modifiers() & Qt.KeyboardModifier.ShiftModifier)
            if len(paths) == 1 and self.layers is not None and (shift or looks_like_mask(paths[0])):
                self.load_truth(paths[0])  # a mask dropped on the open image
                return
            self.open_paths(paths)

    def load_truth_dialog(self) -> None:
        paths = " ".join(f"*{s}" for s in IMAGE_SUFFIXES)
        path, _ = QFileDialog.getOpenFileName(
            self, "Load ground-truth mask", "", f"Masks ({paths});;All files (*)", options=READ_ONLY
        )
        if path:
            self.load_truth(path)

    def load_truth(self, mask: str | Path) -> None:
        """Ground-truth mode: ``mask`` for the open image, drawn and scored (docs/GROUND_TRUTH.md)."""
        entry = self.entries.get(self.current) if self.current else None
        evidence = None if entry is None else entry.shown()[0]
        if entry is None or evidence is None:
            self.show_error(f"{mask}: open an image before loading its ground-truth mask")
            return
        try:
            self.truth_panel.load(entry.path, evidence, mask)
        except ForensicError as e:
            self.show_error(str(e))
            return
        self._show_truth()
        self._refresh_compare()  # its pane
        self.docks["Ground truth"].raise_()

    def _show_truth(self) -> None:
        entry = self.entries.get(self.current) if self.current else None
        evidence, analysis = (None, None) if entry is None else entry.shown()
        self.truth_panel.show_for(self.current, evidence, analysis, self.layers)

    def recent_files(self) -> list[str]:
        """File ▸ Open Recent's entries, most recent first (a folder's ends with a separator)."""
        return self.recent.entries()

    # --- models ---

    def set_models(self, paths: list[str], device: str = "auto") -> None:
        """Use these checkpoint files on ``device`` from the next analysis on."""
        self.model_panel.set_checked(set())
        for path in paths:
            self.model_panel.add_file(path)
        self.model_panel.set_device(device)
        self._configure(paths, device)

    def _configure(self, paths: list[str], device: str) -> None:
        """The worker loads ``paths`` on ``device``, on the path the Analysis menu says."""
        self._models_known = False
        self.model_paths, self.device = list(paths), device
        self.worker.configure(list(paths), device, exact=self.exact_action.isChecked())

    def _on_models_chosen(self, paths: list[str], device: str) -> None:
        """Other models: for the current image (analysed again) and the files opened from now
        on. Files already queued keep the models chosen when they were opened (the worker runs
        jobs in order, each with its models), and the status bar says so."""
        waiting = sum(e.running for p, e in self.entries.items() if p != self.current)
        self._configure(paths, device)
        if self.current is not None:
            self.analyse(self.current)
        if waiting:
            self.statusBar().showMessage(
                f"{waiting} file{'s' if waiting != 1 else ''} already queued keep the models "
                "chosen when opened; the new models run after them"
            )

    def _on_exact(self, checked: bool) -> None:
        """Analysis ▸ Exact sliding-window path: the same models again on the other path, and
        the current image analysed again with them (the status bar names the path)."""
        self._on_models_chosen(self.model_paths, self.device)

    def _on_models_ready(self, names: list[str], device: str) -> None:
        """The models loaded: news from the background, which waits while a message of the
        analyst's own action is fresh (``StatusBar.notify``)."""
        self.model_names = names
        self._models_known = True
        if names:
            path = ", exact sliding-window path" if self.exact_action.isChecked() else ""
            faces = self.worker.face_model_names  # Analyzer.names has no face model
            said = ", ".join(names)
            if faces:
                said += f"; face model{'s' if len(faces) != 1 else ''}: {', '.join(faces)}"
            self.statusBar().notify(f"models: {said} on {device}{path}")
        else:
            self.statusBar().notify(
                "No trained model is installed: images are shown, not analysed (see the Verdict panel)"
            )
            if self.current is None:
                self.verdict_panel.show_message(no_model_hint())

    def _on_models_failed(self, message: str) -> None:
        self.show_error(message)

    def open_training(self) -> TrainingDialog:
        """Show the training dialog; a run goes on while it is hidden."""
        if self.training is None:
            self.training = TrainingDialog(self)
            self.training.modelInstalled.connect(self._on_model_installed)
            self.training.notice.connect(self.statusBar().notify)
        self.training.show()
        self.training.raise_()
        return self.training

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
            self.case.attach_batch(self.batch)
        self.batch.show()
        self.batch.raise_()
        return self.batch

    def show_analysis(self, analysis: Analysis) -> None:
        """Show an analysis finished elsewhere (a scan's result), without analysing again."""
        path = analysis.evidence.path
        entry = self.entries.get(path) or Entry(path)
        self.entries[path] = entry
        entry.job, entry.running, entry.error = None, False, ""  # a queued job's result is dropped
        entry.cancelled = entry.released = False
        entry.evidence, entry.analysis = analysis.evidence, analysis
        entry.join_classic()
        self.retention.forget(path)  # a scan's result is kept whole: it is not analysed again
        self.evidence_list.set_badge(self.evidence_list.entry(path), verdict_badge(analysis))
        self.evidence_list.set_sha256(path, analysis.evidence.sha256)
        self.recent.remember(path)
        self.show_entry(path)
        self._update_busy()

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
        if old is not None and not old.running:  # a new one for this image, same case fields
            self.report_dialog = ReportDialog(
                job, self, default_dir=Path(old.dest.text()), case=old.case()
            )
            old.deleteLater()
        if self.report_dialog is None:  # never next to the evidence by default
            self.report_dialog = ReportDialog(job, self)
        self.case.attach_report(self.report_dialog)
        self.report_dialog.show()
        self.report_dialog.raise_()
        return self.report_dialog

    def open_probe(self) -> ProbeDialog:
        """Analysis ▸ Robustness probe…: the dialog, aimed at the current image; its table
        joins that image's report (docs/PROBE.md)."""
        if self.probe_dialog is None:
            self.probe_dialog = ProbeDialog(self.worker, self)
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

    def _on_model_installed(self, path: str) -> None:
        self.model_panel.refresh()
        if self.batch is not None:  # filled when first opened, and kept since
            self.batch.model_list.refresh()
        self.statusBar().showMessage(
            f"new model {Path(path).stem} installed: check it in the Models panel to use or compare it"
        )

    def show_error(self, message: str) -> None:
        """A user-caused problem, in one line that names the file; the window carries on."""
        self.statusBar().showMessage(message.replace("\n", "  |  "))

    # --- showing ---

    def _on_evidence_selected(self, item: QListWidgetItem | None, _prev: object = None) -> None:
        path = self.evidence_list.path_of(item)
        if path is not None and path != self.current:
            self.show_entry(path)

    def show_entry(self, path: str) -> None:
        """Show the evidence file ``path`` (its image as soon as it is decoded)."""
        switched = path != self.current
        self.current = path
        entry = self.entries.get(path)
        if entry is not None and not entry.running and entry.shown()[0] is None:
            if entry.cancelled and complete_analysis(entry.analysis) is None:
                if not entry.error:  # a decode to show that failed said why once
                    self._decode_to_show(entry)  # its image; its analysis stays cancelled
            elif entry.released:
                self.analyse(path)  # decoded and analysed again from its file
        waiting = entry is not None and entry.running and entry.job not in self._job_started
        if waiting and entry.job is not None:
            self.worker.prefer(entry.job)  # the file looked at goes before the others queued
        item = self.evidence_list.entry(path)
        if self.evidence_list.currentItem() is not item:
            blocked = self.evidence_list.blockSignals(True)
            self.evidence_list.setCurrentItem(item)
            self.evidence_list.blockSignals(blocked)
        released = entry is not None and entry.released  # no pixels, no maps to show
        evidence = None if entry is None or released else entry.evidence
        analysis = None if entry is None or released else entry.analysis
        classic = {} if entry is None or released else entry.classic
        self._show_layers(None if evidence is None else build_layers(evidence, analysis, classic))
        self.metadata_panel.set_evidence(evidence)
        if evidence is None and entry is not None and entry.unread is not None:
            self.metadata_panel.set_unread(entry.unread)
        self.analysis_panel.set_target(path, evidence, classic)
        if self.probe_dialog is not None:
            self.probe_dialog.set_target(evidence, complete_analysis(analysis))
        self.setWindowTitle(f"Forensic viewer — {Path(path).name}")
        self.export_action.setEnabled(analysis is not None)
        self.analyse_action.setEnabled(True)
        if analysis is not None:
            self.verdict_panel.set_analysis(analysis)
        elif entry is not None and entry.error:
            self.verdict_panel.show_message(entry.error)
        elif entry is not None and entry.cancelled:  # it said nothing once shown again
            self.verdict_panel.show_message(CANCELLED_WORDS)
        elif released:
            self.verdict_panel.show_message(RELEASED_WORDS)
        elif self._models_known and not self.model_names:
            self.verdict_panel.show_message(no_model_hint())
        else:
            queued = entry is not None and entry.running and entry.job not in self._job_started
            self.verdict_panel.show_message(
                "decoded; its analysis is queued behind the running one"
                if queued
                else "analysing…"
                if entry and entry.running
                else ""
            )
        self._show_truth()
        self._refresh_compare()
        self._describe_view()
        said = self.statusBar().currentMessage()
        if switched and said and said == self._finished_words:  # of the file shown before
            self._say_finished()
        self._retain(path)

    def _on_badge_changed(self, item: QListWidgetItem) -> None:
        if self.evidence_list.path_of(item) == self.current:
            self._describe_view()

    def _describe_view(self) -> None:
        """The evidence view's description for screen readers: the file, its size, the file
        above it with the same bytes, and its verdict in the badge's words (the picture and
        the mask colours say it to the eye; the copy, its row in the evidence list)."""
        path = self.current
        if path is None:
            self.canvas.setAccessibleDescription("no evidence open")
            return
        entry = self.entries.get(path)
        evidence = None if entry is None else entry.evidence
        size = "" if evidence is None else f", {evidence.width} × {evidence.height} pixels"
        copy = self.evidence_list.copy_note(path)
        size += f", {copy}" if copy else ""
        badge = self.evidence_list.badge_text(path)
        self.canvas.setAccessibleDescription(plain(f"{Path(path).name}{size}: {badge}"))

    def _show_layers(self, layers: LayerList | None) -> None:
        if self.layers is not None:
            self.renderer.unwatch(self.layers)
        self.layers = layers
        self.case.watch(layers)
        self.readout.setText("")  # what was under the cursor belonged to the previous image
        self.loupe.clear()
        self.loupe.watch(layers)
        if layers is not None:
            self.renderer.watch(layers)
            self._align_for_compare()
        self.canvas.set_layers(layers)
        self.layer_panel.set_layers(layers)

    def current_analysis(self) -> Analysis | None:
        entry = self.entries.get(self.current) if self.current else None
        return None if entry is None or entry.released else entry.analysis

    def _retain(self, path: str) -> None:
        """``path`` was shown or its analysis ended: it is the last whose pixels and maps go
        when the files' full-resolution data is over ``Retention.limit``; those over it are
        released, except the file shown and those being analysed. A scan's result (no job of
        the worker) is never released: it is not analysed again."""
        entry = self.entries.get(path)
        if entry is None or entry.released or entry.job is None:
            return
        self.retention.touch(path, held_bytes(entry.evidence, entry.analysis, entry.classic))
        busy = {p for p, e in self.entries.items() if e.running}
        for old in self.retention.over({self.current or "", *busy}):
            self._release(self.entries[old])

    def _decode_to_show(self, entry: Entry) -> None:
        """Decode a file whose analysis a Cancel stopped before anything finished and whose
        pixels are not held (let go by the retention limit, or never decoded: it waited
        beyond the pixels decoded ahead), to show it as it was: its image, "cancelled", no
        analysis started (Ctrl+R starts one). Only analysing again decoded such a file, so
        it was shown without its image until Ctrl+R."""
        if entry.job in self._show_jobs:
            return  # being decoded already
        entry.job = self.worker.submit(entry.path, analyse=False)
        self._job_paths[entry.job] = entry.path
        self._show_jobs.add(entry.job)
        self.worker.prefer(entry.job)  # the file looked at: before the files queued

    def _release(self, entry: Entry) -> None:
        """Let ``entry``'s pixels and maps go; its verdicts, scores and SHA-256 stay."""
        entry.released = True
        if entry.evidence is not None:
            entry.evidence = compact_evidence(entry.evidence)
        if entry.analysis is not None:
            entry.analysis = compact_analysis(entry.analysis)
        entry.classic = {} if entry.analysis is None else entry.analysis.analyses

    # --- view ---

    def focusNextPrevChild(self, next: bool) -> bool:  # Qt override
        """Tab and Shift+Tab: left column, centre, right column, top to bottom
        (gui/focus_order.py); the tabbed docks' tab bars before their pages."""
        d = self.docks
        bars = [b for b in self.findChildren(QTabBar) if b.parentWidget() is self]
        regions = [d["Evidence"], d["Models"], d["Magnifier"], self.centralWidget()]
        regions += [d["Layers"], d["Verdict"], *bars, d["Metadata"], d["Analyses"]]
        regions.append(d["Ground truth"])
        return move_focus(self, regions, next) or super().focusNextPrevChild(next)

    # --- closing ---

    def closeEvent(self, event: QCloseEvent) -> None:  # Qt override
        if self.batch is not None and not self.batch.stop_scan(CLOSE_WAIT_MS):
            # the scan thread is out of Cancel's reach (loading models, listing): quitting with
            # it running aborts the process, so the window stays until it stops, then closes
            assert self.batch.worker is not None
            if not self._close_after_scan:
                self._close_after_scan = True
                self.batch.worker.finished.connect(self.close)
            self.statusBar().showMessage(
                "closing once the batch scan has stopped (it is loading its models or listing "
                "its folder, where Cancel waits for it)"
            )
            event.ignore()
            return
        if self.training is not None:
            self.training.shutdown()
        for dialog in (self.batch, self.report_dialog, self.probe_dialog):
            if dialog is not None:
                dialog.shutdown()
        self.lister.stop()
        self.worker.stop()
        self.renderer.stop()
        self.case.close()
        super().closeEvent(event)
