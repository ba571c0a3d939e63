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

:class:`MainWindow` owns the state its parts share: ``entries`` (an
:class:`~forensic_viewer.gui.window_entry.Entry` per file opened), the current file and its
layers, the jobs in flight, the dialogs made. Here stay its making, showing a file
(:meth:`MainWindow.show_entry`: its image and panels, what the Verdict panel says of it, the
screen reader's description), which files keep their pixels and maps (``gui/retention.py``),
the Tab order and closing. Its parts are mixins, each one idea: the layout and menus
(``gui/window_layout.py``), opening (``gui/window_opening.py``), the models in use
(``gui/window_models.py``), the analyses (``gui/window_analysis.py``), the view
(``gui/window_view.py``) and the scan, report and probe dialogs (``gui/window_dialogs.py``).
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

from PySide6.QtCore import QSettings
from PySide6.QtGui import QCloseEvent
from PySide6.QtWidgets import QApplication, QListWidgetItem, QMainWindow, QTabBar, QWidget

from engine.types import Analysis
from forensic_viewer.audit import AuditLog
from forensic_viewer.gui.batch_dialog import BatchDialog
from forensic_viewer.gui.case_log import CaseRecorder
from forensic_viewer.gui.focus_order import move_focus
from forensic_viewer.gui.help_menu import HelpMenu
from forensic_viewer.gui.opening import LeftOutMark, Lister
from forensic_viewer.gui.probe_dialog import ProbeDialog
from forensic_viewer.gui.report_dialog import ReportDialog
from forensic_viewer.gui.result_loader import ResultLoader
from forensic_viewer.gui.retention import Retention, compact_analysis, compact_evidence, held_bytes
from forensic_viewer.gui.scan_results import ScanResultsDialog
from forensic_viewer.gui.screen_fit import fit_to_screen
from forensic_viewer.gui.thread_stop import stop_within
from forensic_viewer.gui.training_dialog import TrainingDialog
from forensic_viewer.gui.verdict_panel import face_rates, no_model_hint
from forensic_viewer.gui.window_analysis import CANCELLED_WORDS, WindowAnalysis
from forensic_viewer.gui.window_closing import closing_allowed, keep_open_note
from forensic_viewer.gui.window_dialogs import WindowDialogs
from forensic_viewer.gui.window_entry import Entry, complete_analysis
from forensic_viewer.gui.window_layout import WindowLayout
from forensic_viewer.gui.window_memory import (
    analyst_fields,
    restore_exact,
    restore_layout,
    save_window,
)
from forensic_viewer.gui.window_models import WindowModels
from forensic_viewer.gui.window_opening import WindowOpening
from forensic_viewer.gui.window_view import WindowView
from forensic_viewer.gui.workers import AnalysisWorker, LayerRenderer
from forensic_viewer.layer_memory import LayerMemory
from forensic_viewer.layers import LayerList, build_layers
from forensic_viewer.scan.replay import ScanAnalysis
from forensic_viewer.wording import plain

# ms closing waits for a cancelled batch scan to stop before it lets the window stay until then
CLOSE_WAIT_MS = 3000
# the Verdict panel of a file shown again after its pixels and maps were let go
RELEASED_WORDS = "analysing it again: its image and maps were let go to keep memory bounded"
# and of a file opened from a scan's results, read again from the scan's folder
RELOADING_WORDS = (
    "reading the scan's result again: its image and maps were let go to keep memory bounded"
)


class MainWindow(
    WindowLayout,
    WindowOpening,
    WindowModels,
    WindowAnalysis,
    WindowView,
    WindowDialogs,
    QMainWindow,
):
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
        # the SHA-256 of the bytes each job read (decoded, or read and not decoded)
        self._job_read: dict[int, str] = {}
        self.current: str | None = None
        self._metadata_of: tuple = (
            None,
            None,
            None,
        )  # what the Metadata panel shows (_show_panels)
        self.layers: LayerList | None = None
        # each file's layer settings, kept when its layers are built anew (layer_memory.py)
        self.adjusted = LayerMemory(lambda path, resets: self.case.log_resets(path, resets))
        self.model_names: list[str] = []
        self._models_known = False
        self._visibility_before: tuple[LayerList, dict] | None = None
        self.training: TrainingDialog | None = None  # made when first opened, kept while running
        self.batch: BatchDialog | None = None  # made when first opened, kept while scanning
        self.results_dialogs: list[ScanResultsDialog] = []  # File ▸ Open scan results…
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
        # the examiner and case id last typed in a report dialog: the analyst's, carried
        self.analyst_fields: dict[str, str] = {"examiner": "", "case_id": ""}  # (below)
        self.models_chosen = False  # in the Models panel: kept for the next start
        self.stop_signal = 0  # the stop signal closing the window (gui/app.py), 0: none
        self.quit_confirmed = False  # Quit anyway answered (gui/window_closing.py)
        self.probe_dialog: ProbeDialog | None = None  # made when first opened
        self.probe_tables: dict[str, dict] = {}  # evidence SHA-256 -> its probe's table
        self._reloading: dict[str, ResultLoader] = {}  # scan results read again, by path
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
        # the case log's examiner, the case id last typed for its folder (gui/window_memory.py)
        self.analyst_fields = analyst_fields(self, case_log)
        restore_exact(self)  # before the models are configured with it
        self.help = HelpMenu(self)  # the last menu: About, keyboard shortcuts (gui/help_menu.py)
        # after every other slot of a job's last signal (the case log's slots read the job's
        # path): the queued calls of one emit run in the order they were connected
        self.worker.succeeded.connect(self._forget_job)
        self.worker.failed.connect(self._forget_job)
        self.worker.cancelled.connect(self._forget_cancelled_job)
        self.worker.kept.connect(self._forget_job)
        # the threads last: an error above is then a Python error, not an abort (a QThread
        # destroyed running with the half-made window ended the process with SIGABRT)
        self.renderer = LayerRenderer(self)
        self.worker.start()
        self.set_models(models or [], device)
        self.resize(1400, 900)
        restore_layout(self)  # as the last session left it, then fitted to this screen
        fit_to_screen(self)

    def show_error(self, message: str) -> None:
        """A user-caused problem, in one line that names the file; the window carries on. Each
        line of ``message`` as the command line writes it (:func:`plain`: a name's line break,
        escape sequence or byte that is not UTF-8 escaped), the lines joined by "  |  "."""
        self.statusBar().showMessage("  |  ".join(plain(line) for line in message.split("\n")))

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
            elif entry.released and isinstance(entry.analysis, ScanAnalysis):
                self.reload_scan_result(entry)  # the scan's result, read again
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
        self.setWindowTitle(f"Forensic viewer — {plain(Path(path).name)}")
        self.analyse_action.setEnabled(True)
        self._show_panels()
        self._describe_view()
        said = self.statusBar().currentMessage()
        if switched and said and said == self._finished_words:  # of the file shown before
            self._say_finished(again=True)
        self._retain(path)

    def _show_panels(self) -> None:
        """Every panel that shows the current file says what is known of it now: metadata,
        verdict, classic analyses, ground truth, the probe's target, the compare panes.

        The one place they are refreshed, called when a file is shown and when any result
        of the shown file arrives (its analysis, a Cancel's kept part, classic analyses).
        Before, a finished analysis drew its clone pair on the canvas while the Analyses
        panel still said "check analyses, Run" over an empty tree, and the probe kept the
        analysis-less target, until the file was selected again."""
        path = self.current
        entry = self.entries.get(path) if path else None
        released = entry is not None and entry.released  # no pixels, no maps to show
        evidence = None if entry is None or released else entry.evidence
        analysis = None if entry is None or released else entry.analysis
        classic = {} if entry is None or released else entry.classic
        unread = None if entry is None or evidence is not None else entry.unread
        shows = (path, evidence, unread)
        if any(a is not b for a, b in zip(self._metadata_of, shows, strict=True)):
            self._metadata_of = shows  # the same again: no rebuild folding what was opened
            self.metadata_panel.set_evidence(evidence)
            if unread is not None:
                self.metadata_panel.set_unread(unread)
        self.analysis_panel.set_target(path, evidence, classic)
        if self.probe_dialog is not None:
            self.probe_dialog.set_target(evidence, complete_analysis(analysis))
        self.export_action.setEnabled(analysis is not None)
        if analysis is not None:
            rates = face_rates(analysis, self.worker.face_model_figures)
            self.verdict_panel.set_analysis(analysis, rates)
        elif entry is not None and entry.error:
            self.verdict_panel.show_message(entry.error)
        elif entry is not None and entry.cancelled:  # it said nothing once shown again
            self.verdict_panel.show_message(CANCELLED_WORDS)
        elif released:
            scan = entry is not None and isinstance(entry.analysis, ScanAnalysis)
            self.verdict_panel.show_message(RELOADING_WORDS if scan else RELEASED_WORDS)
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
        old = self.layers
        if old is not None:
            self.renderer.unwatch(old)
        self.layers = layers
        # the analyst's threshold, opacity, colormap... of this file as last shown, put back
        # before the log watches them: the layers are built anew on each showing and analysis
        entry = self.entries.get(self.current) if self.current else None
        sha = None if entry is None or entry.evidence is None else entry.evidence.sha256
        self.case.flush_thresholds()  # the file left: its last move before any reset
        self.adjusted.swap(self.current, sha, layers)
        self.case.watch(layers)
        self.readout.setText("")  # what was under the cursor belonged to the previous image
        self.loupe.clear()
        self.loupe.watch(layers)
        if layers is not None:
            self.renderer.watch(layers)
            self._align_for_compare()
        self.canvas.set_layers(layers)
        self.layer_panel.set_layers(layers)
        if old is not None and old is not layers:
            # freed now, not at a rare full collection (LayerList.close); the compare panes
            # let it go when refreshed (_show_panels), and keep their own images till then
            old.close()

    def current_analysis(self) -> Analysis | None:
        entry = self.entries.get(self.current) if self.current else None
        return None if entry is None or entry.released else entry.analysis

    def _retain(self, path: str) -> None:
        """``path`` was shown or its analysis ended: it is the last whose pixels and maps go
        when the files' full-resolution data is over ``Retention.limit``; those over it are
        released, except the file shown and those being analysed. A scan's result (no job of
        the worker) counts too, and is read again from the scan's folder when shown again
        (``reload_scan_result``): never released, walking through a scan's rows grew without
        bound (walk-through E: +0.7 MB a CASIA row, a camera photograph's far more)."""
        entry = self.entries.get(path)
        scan_result = entry is not None and isinstance(entry.analysis, ScanAnalysis)
        if entry is None or entry.released or (entry.job is None and not scan_result):
            return
        held = held_bytes(entry.evidence, entry.analysis, entry.classic, entry.earlier)
        self.retention.touch(path, held)
        busy = {p for p, e in self.entries.items() if e.running}
        for old in self.retention.over({self.current or "", *busy}):
            self._release(self.entries[old])
        self._let_earlier_go(busy - {self.current or ""})

    def _let_earlier_go(self, busy: set[str]) -> None:
        """Over the limit with every other file released: the complete analyses held for
        the ``busy`` files while they are analysed again (``Entry.earlier``; the shown file's
        stays) keep only their verdicts, as a released file's (``compact_analysis``), the
        first opened first, until within it. Put back when their run is cancelled or fails,
        such a file is released. Before, each held a full analysis beside its new decode that
        the limit neither counted nor let go (a model change with files decoded ahead)."""
        for path in [p for p in self.entries if p in busy]:
            if self.retention.held <= self.retention.limit:
                return
            entry = self.entries[path]
            if entry.earlier is None or not held_bytes(entry.earlier):
                continue
            entry.earlier = compact_analysis(entry.earlier)
            held = held_bytes(entry.evidence, entry.analysis, entry.classic, entry.earlier)
            self.retention.touch(path, held)

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
        if entry.earlier is not None:  # between a Cancel and the part it kept
            entry.earlier = compact_analysis(entry.earlier)
        entry.classic = {} if entry.analysis is None else entry.analysis.analyses

    # --- Tab order ---

    def focusNextPrevChild(self, next: bool) -> bool:  # Qt override
        """Tab and Shift+Tab: left column, centre, right column, top to bottom
        (gui/focus_order.py); the tabbed docks' tab bars before their pages.

        Qt also asks here while it hides or disables the widget that has the focus (the
        view's page of the stack when compare mode is turned on or off, a compare pane or a
        verdict card discarded): that is left to Qt's own rule. Walking the window's focus
        chain there (``focus_order.tab_order``) corrupted memory under PySide6 6.11: after
        Ctrl+K twice with the focus in the view, the next file opened crashed the viewer in
        ``show_entry`` (walk-through E, 4 runs of 5). Moving the focus there alone did not.
        Tab presses walked the chain too and crashed a session with files open: the order is
        now read from the widget tree, without the getters that re-parented the widgets'
        Python objects (gui/focus_order.py)."""
        focused = QApplication.focusWidget()
        if focused is not None and not (focused.isVisible() and focused.isEnabled()):
            return super().focusNextPrevChild(next)
        d = self.docks
        bars = [b for b in self.findChildren(QTabBar) if b.parentWidget() is self]
        regions = [d["Evidence"], d["Models"], d["Magnifier"], self.centralWidget()]
        regions += [d["Layers"], *bars, d["Verdict"], d["Metadata"], d["Analyses"]]
        regions.append(d["Ground truth"])
        return move_focus(self, regions, next) or super().focusNextPrevChild(next)

    # --- closing ---

    def closeEvent(self, event: QCloseEvent) -> None:  # Qt override
        if not closing_allowed(self):  # work in progress: Cancel answered (window_closing.py)
            event.ignore()
            return
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
        save_window(self)  # the layout, Exact and the models chosen (gui/window_memory.py)
        if self.training is not None:
            self.training.shutdown()
        for dialog in (self.batch, self.report_dialog, self.probe_dialog, *self.results_dialogs):
            if dialog is not None:
                dialog.shutdown()
        for loader in list(self._reloading.values()):
            stop_within(loader, CLOSE_WAIT_MS, "a scan result's decode")  # never destroyed running
        self.lister.stop()
        keep_open_note(self.case)  # a close no one answered: the note kept, unconfirmed
        self.case.closing()  # before the stop: which analyses a Cancel had stopped already
        self.worker.stop()
        self.renderer.stop()
        self.case.close()  # the worker's last signals first, then every analysis ended
        super().closeEvent(event)
