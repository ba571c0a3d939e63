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

import time
from collections.abc import Iterable
from dataclasses import dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING, Any

from PySide6.QtCore import QSettings, Qt
from PySide6.QtGui import QAction, QCloseEvent, QDragEnterEvent, QDropEvent, QKeySequence
from PySide6.QtWidgets import (
    QAbstractScrollArea,
    QDockWidget,
    QFileDialog,
    QListWidgetItem,
    QMainWindow,
    QMenu,
    QPushButton,
    QStackedWidget,
    QTabBar,
    QWidget,
)

from engine.analyses import AnalysisResult
from engine.errors import ForensicError
from engine.formatting import estimate_remaining, format_duration
from engine.io import IMAGE_SUFFIXES
from engine.probe import ProbeResult
from engine.types import Analysis, Evidence
from forensic_viewer.audit import AuditLog
from forensic_viewer.gui.analysis_panel import AnalysisPanel
from forensic_viewer.gui.batch_dialog import BatchDialog
from forensic_viewer.gui.canvas import Canvas
from forensic_viewer.gui.case_log import CaseRecorder
from forensic_viewer.gui.compare import CompareView
from forensic_viewer.gui.escape import EditorsKeepEscape
from forensic_viewer.gui.file_menu import (
    RecentMenu,
    left_out_words,
    nothing_to_open,
    pick_evidence_folder,
)
from forensic_viewer.gui.focus_order import move_focus
from forensic_viewer.gui.groundtruth_panel import (
    GroundTruthPanel,
    looks_like_mask,
    with_ground_truth,
)
from forensic_viewer.gui.inspector import LoupePanel, ReadoutField
from forensic_viewer.gui.layer_panel import LayerPanel
from forensic_viewer.gui.metadata_panel import MetadataPanel
from forensic_viewer.gui.model_panel import ModelPanel
from forensic_viewer.gui.opening import LeftOutMark, Lister, Listing
from forensic_viewer.gui.panels import (
    BADGE_CANCELLED,
    BADGE_ERROR,
    BADGE_LOADING,
    READ_ONLY,
    Badge,
    EvidenceList,
    PanelScroll,
    verdict_badge,
)
from forensic_viewer.gui.probe_dialog import ProbeDialog
from forensic_viewer.gui.report_dialog import ReportDialog, image_report_job
from forensic_viewer.gui.retention import (
    Retention,
    compact_analysis,
    compact_evidence,
    held_bytes,
)
from forensic_viewer.gui.screen_fit import fit_to_screen
from forensic_viewer.gui.status_bar import StatusBar, progress_bar
from forensic_viewer.gui.training_dialog import TrainingDialog
from forensic_viewer.gui.unread import UnreadFile
from forensic_viewer.gui.verdict_panel import VerdictPanel, no_model_hint
from forensic_viewer.gui.workers import AnalysisWorker, LayerRenderer
from forensic_viewer.layers import (
    LayerList,
    add_analysis_layers,
    add_classic_layers,
    build_layers,
    remove_partial_layers,
    show_partial,
)
from forensic_viewer.scan.probe import keep_scan_probe
from forensic_viewer.wording import partial_words, plain

if TYPE_CHECKING:
    from engine.types import PartialMap

BADGE_QUEUED = Badge("… analysis queued", BADGE_LOADING.color)
PROGRESS_STEPS = 1000
# ms closing waits for a cancelled batch scan to stop before it lets the window stay until then
CLOSE_WAIT_MS = 3000
# the Verdict panel of a file whose analysis a Cancel stopped before any of it was kept
CANCELLED_WORDS = "analysis cancelled: Analysis ▸ Analyse again (Ctrl+R)"
# the Verdict panel of a file shown again after its pixels and maps were let go
RELEASED_WORDS = "analysing it again: its image and maps were let go to keep memory bounded"


# the View menu's entries of the panels: each a letter of its own in that menu (Alt+V, then it)
DOCK_MENU_TEXT = {
    "Evidence": "&Evidence",
    "Models": "&Models",
    "Layers": "&Layers",
    "Verdict": "&Verdict",
    "Magnifier": "Ma&gnifier",
    "Analyses": "&Analyses",
    "Ground truth": "Ground &truth",
    "Metadata": "Meta&data",
}


@dataclass
class Entry:
    """One opened evidence file and what is known about it. ``classic``: the classic analyses
    run on it (the same dict as ``analysis.analyses`` once there is an analysis)."""

    path: str
    job: int | None = None
    evidence: Evidence | None = None
    analysis: Analysis | None = None
    error: str = ""
    running: bool = False
    cancelled: bool = False  # a Cancel stopped its analysis and kept nothing of it
    classic: dict[str, AnalysisResult] = field(default_factory=dict)
    unread: UnreadFile | None = None  # size, SHA-256, times of a file that did not decode
    # its pixels and maps were let go to keep memory bounded (gui/retention.py): ``evidence``
    # and ``analysis`` hold their small parts only; shown again, it is analysed again
    released: bool = False

    def shown(self) -> tuple[Evidence | None, Analysis | None]:
        """Its evidence and analysis whole, to show, probe or score; none while released."""
        return (None, None) if self.released else (self.evidence, self.analysis)

    def join_classic(self) -> None:
        """Keep only classic results of the evidence as decoded now, shared with the analysis."""
        sha = None if self.evidence is None else self.evidence.sha256
        kept = {k: r for k, r in self.classic.items() if r.evidence_sha256 == sha}
        if self.analysis is not None:
            self.analysis.analyses.update(kept)
            kept = self.analysis.analyses
        self.classic = kept


def _complete(analysis: Analysis | None) -> Analysis | None:
    """``analysis`` unless a Cancel cut it short (the probe then analyses the original anew)."""
    return None if analysis is None or analysis.cancelled else analysis


def kept_words(analysis: Analysis) -> str:
    """One line on what a cancelled analysis kept (status bar, evidence list tooltip)."""
    n = len(analysis.results)
    parts = [f"{n} finished model{'s' if n != 1 else ''}" if n else "no finished model"]
    parts += [f"{name} {partial_words(p.fraction)}" for name, p in analysis.partial.items()]
    return "analysis cancelled: kept " + "; ".join(parts) + "; no default verdict"


def percent_done(fraction: float) -> int:
    """``fraction`` as the progress bar's ``%p`` shows it (Qt truncates its value's per cent),
    for words beside the bar: the evidence list rounded, and said 2 % or 100 % where the bar
    said 1 % or 99 %."""
    return round(fraction * PROGRESS_STEPS) * 100 // PROGRESS_STEPS


def with_others(words: str, others: int, what: str) -> str:
    """The status bar's words on the shown file with the ``others`` files the same event ended
    only counted beside them (each says it in the evidence list): ``"a.png: ... — and 2 other
    files cancelled (see the evidence list)"``; either part alone when the other is empty."""
    if not others:
        return words
    counted = f"{others} other file{'s' if others != 1 else ''} {what} (see the evidence list)"
    return f"{words} — and {counted}" if words else counted


class MainWindow(QMainWindow):
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

    def _build_central(self) -> None:
        self.canvas = Canvas()
        self.compare = CompareView()
        self.stack = QStackedWidget()
        self.stack.addWidget(self.canvas)
        self.stack.addWidget(self.compare)
        self.setCentralWidget(self.stack)
        self.canvas.hovered.connect(self._on_hover)
        self.compare.hovered.connect(self._on_hover)

    def _dock(self, title: str, widget: QWidget, area: Qt.DockWidgetArea) -> QDockWidget:
        dock = QDockWidget(title, self)
        dock.setObjectName(title)
        # a panel that does not scroll itself scrolls in the dock when the window is short
        dock.setWidget(widget if isinstance(widget, QAbstractScrollArea) else PanelScroll(widget))
        self.addDockWidget(area, dock)
        return dock

    def _build_docks(self) -> None:
        left, right = Qt.DockWidgetArea.LeftDockWidgetArea, Qt.DockWidgetArea.RightDockWidgetArea
        self.evidence_list = EvidenceList()
        self.evidence_list.currentItemChanged.connect(self._on_evidence_selected)
        self.evidence_list.itemChanged.connect(self._on_badge_changed)
        self.model_panel = ModelPanel()
        self.model_panel.apply.connect(self._on_models_chosen)
        self.model_panel.problem.connect(self.show_error)
        self.layer_panel = LayerPanel()
        self.verdict_panel = VerdictPanel()
        self.metadata_panel = MetadataPanel()
        self.analysis_panel = AnalysisPanel(self.worker)
        self.analysis_panel.on_results = self._on_classic_results
        self.analysis_panel.on_progress = self._on_classic_progress
        self.analysis_panel.on_finished = self._on_classic_finished
        self.loupe = LoupePanel()
        self.magnifier = self.loupe.magnifier
        evidence_dock = self._dock("Evidence", self.evidence_list, left)
        models_dock = self._dock("Models", self.model_panel, left)
        self.splitDockWidget(evidence_dock, models_dock, Qt.Orientation.Vertical)
        layers_dock = self._dock("Layers", self.layer_panel, right)
        verdict_dock = self._dock("Verdict", self.verdict_panel, right)
        metadata_dock = self._dock("Metadata", self.metadata_panel, right)
        self._dock("Magnifier", self.loupe, left)
        self.splitDockWidget(layers_dock, verdict_dock, Qt.Orientation.Vertical)
        self.splitDockWidget(verdict_dock, metadata_dock, Qt.Orientation.Vertical)
        analyses_dock = self._dock("Analyses", self.analysis_panel, right)
        self.tabifyDockWidget(metadata_dock, analyses_dock)
        self.truth_panel = GroundTruthPanel()
        self.tabifyDockWidget(analyses_dock, self._dock("Ground truth", self.truth_panel, right))
        metadata_dock.raise_()  # the tab in front holds something before any action
        self.resizeDocks([evidence_dock, layers_dock], [260, 360], Qt.Orientation.Horizontal)
        # the verdict card (default verdict, θ, reliability, members) gets the most height: it
        # is what the analyst reads first; the layer list and the tabs below get what is left
        self.resizeDocks(
            [layers_dock, verdict_dock, metadata_dock], [240, 440, 220], Qt.Orientation.Vertical
        )
        self.docks = {d.objectName(): d for d in self.findChildren(QDockWidget)}  # in made order

    def _build_status(self) -> None:
        bar = StatusBar()  # its messages elided visibly, whole in their tooltip, and kept
        self.setStatusBar(bar)
        self.readout = ReadoutField()  # bounded and elided: messages keep their room
        self.progress = progress_bar(PROGRESS_STEPS)  # with room for the ETA (_show_progress)
        self.cancel_button = QPushButton("Cancel")
        self.cancel_button.setEnabled(False)
        self.cancel_button.clicked.connect(self.cancel)
        bar.addPermanentWidget(self.readout)
        bar.addPermanentWidget(self.progress)
        bar.addPermanentWidget(self.cancel_button)

    def _action(
        self, text: str, slot: object, shortcut: str | QKeySequence | None = None
    ) -> QAction:
        action = QAction(text, self)
        if shortcut is not None:
            action.setShortcut(QKeySequence(shortcut))
        action.triggered.connect(slot)
        self.addAction(action)
        return action

    def _build_actions(self) -> None:
        file_menu = self.menuBar().addMenu("&File")
        file_menu.addAction(self._action("&Open…", self.open_dialog, QKeySequence.StandardKey.Open))
        file_menu.addAction(self._action("Open &Folder…", self.open_folder_dialog, "Ctrl+Shift+F"))
        self.recent_menu = QMenu("Open &Recent", self)
        file_menu.addMenu(self.recent_menu)
        self.recent = RecentMenu(
            self.recent_menu, self.settings, lambda p, e: self.open_paths([p], e), self.show_error
        )
        file_menu.addAction(self._action("Load &ground-truth mask…", self.load_truth_dialog))
        file_menu.addSeparator()
        file_menu.addAction(self._action("&Scan a folder…", self.open_batch, "Ctrl+Shift+O"))
        self.export_action = self._action("&Export report…", self.export_report, "Ctrl+E")
        self.export_action.setEnabled(False)
        file_menu.addAction(self.export_action)
        file_menu.addSeparator()
        file_menu.addAction(self._action("&Quit", self.close, QKeySequence.StandardKey.Quit))
        analysis_menu = self.menuBar().addMenu("&Analysis")
        self.analyse_action = self._action("&Analyse again", lambda: self.analyse(), "Ctrl+R")
        self.cancel_action = self._action("&Cancel", self.cancel, "Esc")
        self._editors_keep_escape = EditorsKeepEscape(self, self.cancel_action)  # not in a field
        # until there is an image to analyse again, and an analysis to cancel (_update_busy)
        self.analyse_action.setEnabled(False)
        self.cancel_action.setEnabled(False)
        analysis_menu.addAction(self.analyse_action)
        classic = self._action(
            "Run the checked classic a&nalyses", self.run_classic, "Ctrl+Shift+A"
        )
        analysis_menu.addAction(classic)
        analysis_menu.addAction(self.cancel_action)
        self.probe_action = self._action("Robustness &probe…", self.open_probe, "Ctrl+Shift+P")
        self.probe_action.setToolTip("re-analyse copies of this image (JPEG, resize, blur, shared)")
        analysis_menu.addAction(self.probe_action)
        toolbar = self.addToolBar("Examination")
        toolbar.setObjectName("examination-toolbar")
        toolbar.addAction(self.probe_action)
        exact = self._action("&Exact sliding-window path (slow reference)", self._on_exact)
        exact.setCheckable(True)
        exact.setToolTip(
            "the paper's sliding-window fusion on PyTorch: the reference, much slower; on large "
            "photographs its diffforensics-effl0 heatmap localizes better than the fast path's "
            "(docs/BENCHMARKS.md)"
        )
        analysis_menu.addSeparator()
        analysis_menu.addAction(exact)
        self.exact_action = exact
        models_menu = self.menuBar().addMenu("&Models")
        models_menu.addAction(self._action("&Train a model…", self.open_training))
        view_menu = self.menuBar().addMenu("&View")
        view_menu.addAction(self._action("&Fit", self.fit, "Ctrl+0"))
        view_menu.addAction(self._action("&100 %", self.actual_size, "Ctrl+1"))
        zoom_in = self._action("Zoom &in", lambda: self.zoom(1.25), "Ctrl+=")
        # and Ctrl++ (Shift and =, or the keypad's +: the keypad's - zooms out), as viewers do
        zoom_in.setShortcuts([QKeySequence("Ctrl+="), QKeySequence("Ctrl++")])
        view_menu.addAction(zoom_in)
        view_menu.addAction(self._action("Zoom &out", lambda: self.zoom(0.8), "Ctrl+-"))
        view_menu.addSeparator()
        self.compare_action = self._action("&Compare side by side", self.set_compare, "Ctrl+K")
        self.compare_action.setCheckable(True)
        self.original_action = self._action(
            "Show the o&riginal in the comparison", self._refresh_compare
        )
        self.original_action.setCheckable(True)
        self.original_action.setChecked(True)
        view_menu.addAction(self.compare_action)
        view_menu.addAction(self.original_action)
        view_menu.addSeparator()
        for dock in self.docks.values():
            toggle = dock.toggleViewAction()  # its text is the dock's title, with no letter
            toggle.setText(DOCK_MENU_TEXT.get(dock.objectName(), dock.windowTitle()))
            view_menu.addAction(toggle)
        view_menu.addSeparator()  # every status message, with its time (gui/status_bar.py)
        history = self._action("Message &history…", self.statusBar().show_history, "Ctrl+Shift+M")
        view_menu.addAction(history)

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
            self.probe_dialog.set_target(evidence, _complete(analysis))
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

    # --- analysis ---

    def analyse(self, path: str | None = None) -> None:
        """(Re-)analyse ``path`` (the current file when None) with the models in use.

        A file asked for again while its analysis is queued or running (opened again, Analyse
        again, a folder dropped twice) runs once: with the same models, device and path the
        request it already has stands (it keeps its place in the queue, and what has run of it
        is not thrown away); with others, that request is cancelled and this one queued, since
        the analyst asks for the result of the models chosen last and the earlier result would
        be dropped on arrival anyway."""
        path = path or self.current
        if path is None:
            return
        entry = self.entries.get(path) or Entry(path)
        self.entries[path] = entry
        asked = {
            "models": list(self.model_paths),
            "device": self.device,
            "path_kind": "exact" if self.exact_action.isChecked() else "fast",
        }
        if entry.running and entry.job is not None and not self.worker.was_cancelled(entry.job):
            if self._job_models.get(entry.job) == asked:
                self.statusBar().showMessage(
                    f"{Path(path).name}: already queued or being analysed with these models"
                )
                return
            self.worker.cancel_job(entry.job)
        entry.job = self.worker.submit(path)
        entry.running = True
        entry.cancelled = False
        entry.error = ""
        self._job_paths[entry.job] = path
        self._job_models[entry.job] = asked
        self.evidence_list.set_badge(self.evidence_list.entry(path), BADGE_LOADING)
        self._update_busy()

    def cancel(self) -> None:
        """Stop the running analysis (within one window batch or analysis step) and drop the
        queued ones, classic analyses included."""
        if any(e.running for e in self.entries.values()) or self.analysis_panel.running:
            self.worker.cancel()
            self._cancel_words, self._cancelled_elsewhere = "", set()
            self.statusBar().showMessage("cancelling…")

    def job_models(self, job: int) -> dict[str, Any]:
        """The models, device and path (fast or exact) chosen when ``job`` was asked for: the
        ones it runs with (the worker keeps jobs and model changes in order)."""
        return dict(self._job_models.get(job, {}))

    def _entry_for(self, job: int) -> Entry | None:
        path = self._job_paths.get(job)
        entry = None if path is None else self.entries.get(path)
        return entry if entry is not None and entry.job == job else None

    def _on_loaded(self, job: int, evidence: Evidence) -> None:
        entry = self._entry_for(job)
        show_only = job in self._show_jobs
        if show_only:  # decoded to be shown (_decode_to_show): its last signal
            self._forget_job(job)
        if entry is None:
            return
        entry.evidence, entry.unread = evidence, None
        entry.analysis, entry.released = None, False
        entry.join_classic()  # results of the bytes as they were before are dropped
        self.evidence_list.set_sha256(entry.path, evidence.sha256)  # a copy of another row?
        if entry.path in self._recent_when_decoded:
            self._recent_when_decoded.discard(entry.path)
            self.recent.remember(entry.path)
        if entry.running and job not in self._job_started:  # decoded ahead, analysis waits
            self.evidence_list.set_badge(self.evidence_list.entry(entry.path), BADGE_QUEUED)
        if entry.path == self.current:
            self.show_entry(entry.path)
        elif show_only:  # looked away meanwhile: its pixels count towards the limit
            self._retain(entry.path)

    def _on_progress(
        self, job: int, model: str, index: int, count: int, done: int, total: int
    ) -> None:
        entry = self._entry_for(job)
        if entry is None:
            return
        fraction = (index + (done / total if total else 1.0)) / max(1, count)
        name = Path(entry.path).name
        if job not in self._job_started and entry.path == self.current:
            self.verdict_panel.show_message("analysing…")  # it said: queued behind another
        started = self._job_started.setdefault(job, time.monotonic())
        self._show_progress(fraction, estimate_remaining(time.monotonic() - started, fraction))
        self.statusBar().show_progress(
            f"analysing {name}: {model} ({index + 1}/{count}), "
            f"{done}/{total} {'windows' if model in self.worker.model_names else 'steps'}"
        )
        self.evidence_list.set_badge(
            self.evidence_list.entry(entry.path),
            Badge(f"… analysing {percent_done(fraction)}%", BADGE_LOADING.color),
        )

    def _on_succeeded(self, job: int, analysis: Analysis) -> None:
        entry = self._entry_for(job)
        if entry is None:
            return
        entry.analysis = analysis
        entry.evidence = analysis.evidence
        entry.running = entry.released = False
        entry.join_classic()
        badge = verdict_badge(analysis)
        self.evidence_list.set_badge(self.evidence_list.entry(entry.path), badge)
        if analysis.results:
            self._say_finished(entry.path)
        if entry.path == self.current:
            if (
                self.layers is not None
                and self.layers.image is not None
                and (self.layers.image.pixels is analysis.evidence.pixels)
            ):
                remove_partial_layers(self.layers)  # the whole maps replace them
                add_analysis_layers(self.layers, analysis)
                add_classic_layers(self.layers, analysis.analyses, show=False, replace=False)
                self._align_for_compare()
            else:
                self._show_layers(build_layers(analysis.evidence, analysis))
            self.verdict_panel.set_analysis(analysis)
            self._show_truth()
            self._refresh_compare()
        self._retain(entry.path)
        self._update_busy()

    def _on_failed(self, job: int, message: str) -> None:
        entry = self._entry_for(job)
        if entry is None:
            return
        entry.running = False
        entry.error = message
        if entry.released:  # analysed again and no longer decodes: its old verdict goes too
            entry.evidence, entry.analysis, entry.classic = None, None, {}
            entry.released = False
        self.evidence_list.set_badge(self.evidence_list.entry(entry.path), BADGE_ERROR, message)
        self.show_error(message)
        if entry.path == self.current and entry.evidence is None:
            self.verdict_panel.show_message(message)
        self._retain(entry.path)
        self._update_busy()

    def _on_unreadable(self, job: int, unread: UnreadFile) -> None:
        entry = self._entry_for(job)
        if entry is None:
            return
        entry.unread = unread
        self.evidence_list.set_sha256(entry.path, unread.sha256)
        if entry.path == self.current and entry.shown()[0] is None:
            self.metadata_panel.set_unread(unread)

    def _on_cancelled(self, job: int) -> None:
        entry = self._entry_for(job)
        if entry is None:
            return
        entry.running = False
        if self.worker.keeping(job):  # what finished follows (_on_kept); the view stays
            self._say_cancelled(entry, "analysis cancelled; keeping what finished…")
            self._update_busy()
            return
        entry.cancelled = True
        self.evidence_list.set_badge(self.evidence_list.entry(entry.path), BADGE_CANCELLED)
        self._say_cancelled(entry, "analysis cancelled")
        if entry.path == self.current:
            if self.layers is not None:
                remove_partial_layers(self.layers)
            self.verdict_panel.show_message(CANCELLED_WORDS)
        self._retain(entry.path)  # its decoded pixels count towards the limit as any file's
        self._update_busy()

    def _on_partial(self, job: int, partial: PartialMap) -> None:
        """A running network's map so far: its partial layer, when its file is shown."""
        entry = self._entry_for(job)
        if entry is None or not entry.running or entry.path != self.current:
            return  # a late message of an ended job, or a file not shown
        if self.layers is None or entry.evidence is None:
            return
        image = self.layers.image
        if image is None or image.pixels is not entry.evidence.pixels:
            return
        layer = show_partial(self.layers, partial)
        self._align_for_compare()
        if self.stack.currentWidget() is self.compare and not self.compare.shows(layer.model):
            self._refresh_compare()  # its pane, filled in as the map grows

    def _on_kept(self, job: int, analysis: Analysis) -> None:
        """What a Cancel left (after its ``cancelled``): the finished models whole, the running
        one's partial map; shown and kept as the file's analysis (marked cancelled) until it is
        analysed again."""
        entry = self._entry_for(job)
        if entry is None:
            return
        entry.analysis, entry.evidence = analysis, analysis.evidence
        entry.released = False
        entry.join_classic()
        self.evidence_list.set_badge(
            self.evidence_list.entry(entry.path),
            verdict_badge(analysis),
            kept_words(analysis),
        )
        self._say_cancelled(entry, kept_words(analysis))
        if entry.path == self.current:
            self.show_entry(entry.path)
        self._retain(entry.path)
        self._update_busy()

    def _say_cancelled(self, entry: Entry, words: str) -> None:
        """The status bar after a Cancel speaks of the shown file: its ``words`` stay, and
        every other file the Cancel stopped (queued ones arrive after the running one) is only
        counted beside them; each of those says what it kept in the evidence list (badge and
        tooltip). Before, the last queued file's "analysis cancelled" replaced the shown
        file's "kept what finished"."""
        if entry.path == self.current:
            self._cancel_words = f"{Path(entry.path).name}: {words}"
        else:
            self._cancelled_elsewhere.add(entry.path)
        said = with_others(self._cancel_words, len(self._cancelled_elsewhere), "cancelled")
        self.statusBar().showMessage(said)

    def _say_finished(self, path: str | None = None) -> None:
        """The status bar after an analysis finished speaks of the shown file: its verdict
        and time, and every other file finished since (``path``, when it is not the shown
        one) only counted beside it; each says its verdict in the evidence list. Before, the
        last file to finish put its verdict there while another file was on screen."""
        if path is not None and path == self.current:
            self._finished_elsewhere = set()
        elif path is not None:
            self._finished_elsewhere.add(path)
        self._finished_elsewhere.discard(self.current or "")
        shown = self.entries.get(self.current) if self.current else None
        analysis = None if shown is None or shown.running else shown.analysis
        words = ""
        if analysis is not None and analysis.results and not analysis.cancelled:
            badge = verdict_badge(analysis).text
            words = f"{Path(shown.path).name}: {badge} in {analysis.seconds:.1f} s"
        self._finished_words = with_others(words, len(self._finished_elsewhere), "analysed")
        self.statusBar().showMessage(self._finished_words)

    def _forget_cancelled_job(self, job: int) -> None:
        if not self.worker.keeping(job):  # else kept (or failed) follows: the job ends there
            self._forget_job(job)

    def _forget_job(self, job: int, *_: object) -> None:
        """``job`` ended (its result, failure, bare cancel or kept part has reached every
        slot): its path, models and start time go. Job ids are never reused, so a message of
        it that comes later (a partial map) finds no file and is dropped."""
        self._job_paths.pop(job, None)
        self._show_jobs.discard(job)
        self._job_models.pop(job, None)
        self._job_started.pop(job, None)

    def run_classic(self) -> int | None:
        """Analyses ▸ Run the checked classic analyses on the current image (worker thread)."""
        job = self.analysis_panel.run()
        self._update_busy()
        return job

    def _on_classic_progress(self, text: str, fraction: float) -> None:
        self._show_progress(fraction)
        self.statusBar().show_progress(text)

    def _show_progress(self, fraction: float, left: float | None = None) -> None:
        """The progress bar at ``fraction``, with the time ``left`` (seconds) when known. The
        ETA is in the bar, not at the end of the status message: the message gets the room the
        read-out, the bar and Cancel leave, and a file's name and the model's cut the ETA off
        at the window's first size."""
        eta = "" if left is None else f" · about {format_duration(left)} left"
        self.progress.setFormat(f"%p%{eta}")
        self.progress.setValue(round(fraction * PROGRESS_STEPS))
        self.progress.setVisible(True)

    def _on_classic_finished(self, message: str) -> None:
        self.statusBar().showMessage(message)
        self._update_busy()

    def _on_classic_results(self, path: str, results: dict[str, AnalysisResult]) -> None:
        entry = self.entries.get(path)
        if entry is None or entry.evidence is None or entry.released:
            return  # a released file's classic analyses are run again when it is shown
        entry.classic.update(results)
        entry.join_classic()  # drops results of bytes decoded since (the file changed)
        if path == self.current and self.layers is not None:
            shown = {k: r for k, r in results.items() if k in entry.classic}
            add_classic_layers(self.layers, shown)
            self._align_for_compare()
            self.analysis_panel.set_target(path, entry.evidence, entry.classic)
            self._show_truth()
            self._refresh_compare()

    def _update_busy(self) -> None:
        self.export_action.setEnabled(self.current_analysis() is not None)
        busy = any(e.running for e in self.entries.values()) or self.analysis_panel.running
        self.cancel_button.setEnabled(busy)
        self.cancel_action.setEnabled(busy)
        self.progress.setVisible(busy)
        if not busy:
            self.progress.setValue(0)
            self.progress.setFormat("%p%")

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
            if entry.cancelled and _complete(entry.analysis) is None:
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
            self.probe_dialog.set_target(evidence, _complete(analysis))
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

    def set_compare(self, on: bool) -> None:
        """Side-by-side panes (one per model, the ensemble, the original) or the single canvas.

        Entering shows, in every pane, the layer kinds (heatmap, mask) shown now; leaving
        puts the layers' visibility back as it was."""
        if self.compare_action.isChecked() != on:
            self.compare_action.setChecked(on)
        was_on = self.stack.currentWidget() is self.compare
        self.stack.setCurrentWidget(self.compare if on else self.canvas)
        if on and not was_on:
            self._align_for_compare()
        elif not on and was_on and self._visibility_before is not None:
            layers, before = self._visibility_before
            if layers is self.layers:
                layers.restore_visibility(before)
            self._visibility_before = None
        self._refresh_compare()
        fit_to_screen(self)

    def _align_for_compare(self) -> None:
        """In compare mode, show every model's layers of the kinds shown (remembering what was
        shown before, for leaving compare mode)."""
        if self.layers is None or self.stack.currentWidget() is not self.compare:
            return
        before = self.layers.align_visibility_by_kind()
        if self._visibility_before is not None and self._visibility_before[0] is self.layers:
            before.update(self._visibility_before[1])
        self._visibility_before = (self.layers, before)

    def _refresh_compare(self) -> None:
        if self.stack.currentWidget() is not self.compare:
            self.compare.set_content(None, None)
            return
        self.compare.set_content(
            self.layers, self.current_analysis(), original=self.original_action.isChecked()
        )

    def _active_canvas(self) -> Canvas | None:
        if self.stack.currentWidget() is self.compare:
            return self.compare.panes[0].canvas if self.compare.panes else None
        return self.canvas

    def fit(self) -> None:
        if self.stack.currentWidget() is self.compare:
            self.compare.fit()  # every pane follows the fit on a resize again
        else:
            self.canvas.fit()

    def actual_size(self) -> None:
        canvas = self._active_canvas()
        if canvas is not None:
            canvas.actual_size()

    def zoom(self, factor: float) -> None:
        canvas = self._active_canvas()
        if canvas is not None:
            canvas.zoom(factor)

    def _on_hover(self, x: float, y: float) -> None:
        readout = None if self.layers is None else self.layers.readout(x, y)
        self.readout.setText("" if readout is None else readout.text())
        self.loupe.show_at(self.layers if readout is not None else None, x, y)

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
