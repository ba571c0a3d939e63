"""The main window's parts and menus: the centre, the docks, the status bar, the actions.

:class:`WindowLayout` is a part of :class:`~forensic_viewer.gui.main_window.MainWindow` (a
mixin: its methods run on the window, whose ``__init__`` calls them once, in this order:
:meth:`WindowLayout._build_central`, :meth:`WindowLayout._build_docks`,
:meth:`WindowLayout._build_status`, :meth:`WindowLayout._build_actions`). It makes the canvas
and the compare panes in one stack; the panels in their docks (a panel that does not scroll
itself scrolls in its dock when the window is short), left and right: on the right the layers
over one tabbed area (verdict in front, metadata, analyses, ground truth); the status bar with the pixel read-out, the progress bar and
Cancel (and the zoom in device pixels per image pixel); and the File, Analysis, Models and View menus with their shortcuts, each panel's entry
in View with a letter of its own (:data:`DOCK_MENU_TEXT`), which brings a panel tabbed behind
another to the front (:func:`panel_action`). The slots the actions call are the
window's.
"""

from __future__ import annotations

from PySide6.QtCore import Qt
from PySide6.QtGui import QAction, QKeySequence, QScreen
from PySide6.QtWidgets import (
    QAbstractScrollArea,
    QDockWidget,
    QMainWindow,
    QMenu,
    QPushButton,
    QStackedWidget,
    QWidget,
)

from forensic_viewer.gui.analysis_panel import AnalysisPanel
from forensic_viewer.gui.canvas import Canvas
from forensic_viewer.gui.colormap_menu import ColormapMenu
from forensic_viewer.gui.compare import CompareView
from forensic_viewer.gui.device_pixels import ZOOM_IN, ZOOM_OUT
from forensic_viewer.gui.escape import EditorsKeepEscape
from forensic_viewer.gui.file_menu import RecentMenu
from forensic_viewer.gui.focus_order import behind_a_tab, tab_order
from forensic_viewer.gui.groundtruth_panel import GroundTruthPanel
from forensic_viewer.gui.inspector import LoupePanel, ReadoutField
from forensic_viewer.gui.layer_panel import LayerPanel
from forensic_viewer.gui.metadata_panel import MetadataPanel
from forensic_viewer.gui.model_panel import ModelPanel
from forensic_viewer.gui.panels import EvidenceList, PanelScroll
from forensic_viewer.gui.status_bar import StatusBar, ZoomField, progress_bar
from forensic_viewer.gui.verdict_panel import VerdictPanel
from forensic_viewer.gui.window_analysis import PROGRESS_STEPS

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


def panel_action(window: QMainWindow, dock: QDockWidget, text: str) -> QAction:
    """View ▸ a panel: a panel closed or tabbed behind another is shown, brought to the front
    and given the focus (its first control); one in front is closed. The entry is checked
    while the panel is in front. Qt's ``toggleViewAction`` counts a dock behind a tab as shown,
    so Alt+V, D closed the Metadata panel it was asked for (walk-through D, item 2)."""
    action = QAction(text, window)
    action.setCheckable(True)

    def in_front() -> bool:
        return dock.isVisible() and not behind_a_tab(dock)

    def update() -> None:
        action.setChecked(in_front())

    def triggered() -> None:
        if in_front():
            dock.hide()
        else:
            dock.show()
            dock.raise_()
            first = [w for w in tab_order(window, [dock]) if dock.isAncestorOf(w)][:1]
            (first[0] if first else dock).setFocus(Qt.FocusReason.OtherFocusReason)
        update()

    action.triggered.connect(triggered)
    dock.visibilityChanged.connect(update)
    update()
    return action


DOCK_NARROWEST = 150  # pixels: the most width a dock's panel asks; narrower, it scrolls
DOCK_WIDTHS = (260, 360)  # pixels: the left and right columns' first widths on a wide screen
DOCK_SHARES = (0.18, 0.24)  # of the screen's width: the most they take on a narrower one


def dock_widths(screen: QScreen | None) -> list[int]:
    """The left and right dock columns' first widths: :data:`DOCK_WIDTHS`, at most
    :data:`DOCK_SHARES` of the screen's available width, so the image keeps more than half
    the window. 260 + 360 pixels left the image a third of a 1366 x 768 screen at 150 % (911
    logical pixels wide) and 42 % of it at 125 % (walk-through hidpi, finding 6)."""
    if screen is None:
        return list(DOCK_WIDTHS)
    width = screen.availableGeometry().width()
    return [
        max(DOCK_NARROWEST, min(px, int(share * width)))
        for px, share in zip(DOCK_WIDTHS, DOCK_SHARES, strict=True)
    ]


class WindowLayout:
    """How :class:`~forensic_viewer.gui.main_window.MainWindow` is laid out, and its menus."""

    def _build_central(self) -> None:
        self.canvas = Canvas()
        self.compare = CompareView()
        self.stack = QStackedWidget()
        self.stack.addWidget(self.canvas)
        self.stack.addWidget(self.compare)
        self.setCentralWidget(self.stack)
        self.canvas.hovered.connect(self._on_hover)
        self.compare.hovered.connect(self._on_hover)
        self.canvas.zoomed.connect(self._show_zoom)
        self.compare.zoomed.connect(self._show_zoom)

    def _dock(self, title: str, widget: QWidget, area: Qt.DockWidgetArea) -> QDockWidget:
        dock = QDockWidget(title, self)
        dock.setObjectName(title)
        # a panel that does not scroll itself scrolls in the dock when the window is short,
        # or narrow: the window fits 640 pixels (1280 at 200 %)
        if not isinstance(widget, QAbstractScrollArea):
            widget = PanelScroll(widget, DOCK_NARROWEST)
        dock.setWidget(widget)
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
        self._dock("Magnifier", self.loupe, left)
        self.splitDockWidget(layers_dock, verdict_dock, Qt.Orientation.Vertical)
        # the verdict, the metadata, the classic analyses and the ground truth are tabs of one
        # dock area under the layers: split three ways, the right column of a 1280 x 800 or
        # 1400 x 900 window left the Analyses tree its header alone and the layer list 4 rows
        # of ~25 (walk-through 24, 26, 29, 81.png); tabbed, each gets the half of the height
        metadata_dock = self._dock("Metadata", self.metadata_panel, right)
        self.tabifyDockWidget(verdict_dock, metadata_dock)
        analyses_dock = self._dock("Analyses", self.analysis_panel, right)
        self.tabifyDockWidget(metadata_dock, analyses_dock)
        self.truth_panel = GroundTruthPanel()
        # the compare panes' figures against a true mask are the panel's, scored on its thread
        self.compare.truth_scores = self.truth_panel
        self.truth_panel.scored.connect(self.compare.truth_scored)
        self.tabifyDockWidget(analyses_dock, self._dock("Ground truth", self.truth_panel, right))
        verdict_dock.raise_()  # what the analyst reads first is in front
        self.resizeDocks(
            [evidence_dock, layers_dock], dock_widths(self.screen()), Qt.Orientation.Horizontal
        )
        # the tabs get a little more than the layers: the verdict card, the analyses' results
        self.resizeDocks([layers_dock, verdict_dock], [420, 480], Qt.Orientation.Vertical)
        self.docks = {d.objectName(): d for d in self.findChildren(QDockWidget)}  # in made order

    def _build_status(self) -> None:
        bar = StatusBar()  # its messages elided visibly, whole in their tooltip, and kept
        self.setStatusBar(bar)
        self.readout = ReadoutField()  # bounded and elided: messages keep their room
        self.zoom_field = ZoomField()  # the zoom of the view shown, in device pixels (_show_zoom)
        self.progress = progress_bar(PROGRESS_STEPS)  # with room for the ETA (_show_progress)
        self.cancel_button = QPushButton("Cancel")
        self.cancel_button.setEnabled(False)
        self.cancel_button.clicked.connect(self.cancel)
        bar.addPermanentWidget(self.zoom_field)
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
        file_menu.addAction(self._action("Ope&n scan results…", self.open_scan_results))
        reopen = self._action(
            "Reopen the &case's results", lambda _c=False: self.case.results.reopen()
        )
        file_menu.addAction(reopen)  # the analyses kept in the case folder (gui/case_results.py)
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
        # one image pixel per screen (device) pixel, whatever the display scaling
        view_menu.addAction(
            self._action("&100 % (1 image pixel : 1 screen pixel)", self.actual_size, "Ctrl+1")
        )
        zoom_in = self._action("Zoom &in", lambda: self.zoom(ZOOM_IN), "Ctrl+=")
        # and Ctrl++ (Shift and =, or the keypad's +: the keypad's - zooms out), as viewers do
        zoom_in.setShortcuts([QKeySequence("Ctrl+="), QKeySequence("Ctrl++")])
        view_menu.addAction(zoom_in)
        view_menu.addAction(self._action("Zoom &out", lambda: self.zoom(ZOOM_OUT), "Ctrl+-"))
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
        colormaps = view_menu.addMenu("Heatmap colorma&p")
        self.colormap_menu = ColormapMenu(
            colormaps, self.settings, self.set_colormap, self.show_error
        )
        view_menu.addSeparator()
        self.panel_actions = {
            name: panel_action(self, dock, DOCK_MENU_TEXT.get(name, dock.windowTitle()))
            for name, dock in self.docks.items()
        }
        for action in self.panel_actions.values():
            view_menu.addAction(action)
        view_menu.addSeparator()  # every status message, with its time (gui/status_bar.py)
        history = self._action("Message &history…", self.statusBar().show_history, "Ctrl+Shift+M")
        view_menu.addAction(history)
