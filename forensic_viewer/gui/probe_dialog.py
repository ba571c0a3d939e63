"""The Robustness probe dialog (Analysis ▸ Robustness probe…): the table and the maps side by side.

The probe (``engine.probe.run_probe``: the open image's derived copies analysed by the models
in use and compared with it) runs as a job of the window's
:class:`~forensic_viewer.gui.workers.AnalysisWorker`, so it never competes with an analysis
for the CPU and stops at the next window batch on Cancel. Its messages arrive through the
worker's mailbox (``probe-*``). The dialog only lays out what the result holds: one table row
per copy and model (the same cells as ``forensic-viewer probe`` prints and reports show,
:func:`forensic_viewer.scan.probe.table_rows`) and, for the model chosen above the grid, the
original's heatmap next to each copy's, all on the original's grid (as the IoU compares them).

Progress is of the whole probe, step by step (:func:`probe_progress`): the original, then each
copy in the order ``run_probe`` analyses them, each step split among the models in use. The bar
never goes back; a step the probe skips (the original, when the viewer's analysis is reused)
counts as done when the next one starts. The maps shown at first are the ensemble's when there
is one, else the first model's: what the viewer shows first
(:func:`~forensic_viewer.layers.add_analysis_layers`). A model the analyst picks in "Maps of"
stays picked for the next probe.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence

import cv2
import numpy as np
from numpy.typing import NDArray
from PySide6.QtCore import Qt
from PySide6.QtGui import QImage, QPixmap, QShowEvent
from PySide6.QtWidgets import (
    QComboBox,
    QDialog,
    QGridLayout,
    QHBoxLayout,
    QLabel,
    QProgressBar,
    QPushButton,
    QScrollArea,
    QTableWidget,
    QTableWidgetItem,
    QVBoxLayout,
    QWidget,
)

from engine.probe import DERIVATIONS, ORIGINAL, ProbeResult
from engine.types import Analysis, Evidence
from forensic_viewer.gui.panels import MessageLabel, discard
from forensic_viewer.gui.screen_fit import fit_to_screen
from forensic_viewer.gui.wheel_guard import guard_wheel
from forensic_viewer.gui.workers import AnalysisWorker
from forensic_viewer.overlays import DEFAULT_COLORMAP, colorize
from forensic_viewer.scan.probe import TABLE_COLUMNS, table_notes, table_rows, verdict_cell
from forensic_viewer.wording import plain

MAP_SIDE = 220  # px, long side of each map in the grid
GRID_COLUMNS = 4
STEPS = (ORIGINAL, *(d.name for d in DERIVATIONS))  # what the worker's probe analyses, in order


def probe_progress(
    stage: str, done: int, total: int, models: Sequence[str]
) -> tuple[int, float | None]:
    """The step of :data:`STEPS` a probe progress message is about, and the fraction of the
    whole probe done, or None when the message does not tell (a face pass, which follows the
    models).

    stage: ``"<copy> · <model>"`` (``engine.probe.run_probe``); done / total: its windows.
    models: the models in use, in the order each step runs them.
    """
    copy, _, model = stage.partition(" · ")
    step = STEPS.index(copy) if copy in STEPS else 0
    if model not in models:
        return step, None
    part = done / total if total > 0 else 1.0
    return step, (step + (models.index(model) + part) / len(models)) / len(STEPS)


def map_picture(
    heatmap: NDArray[np.float32], colormap: str = DEFAULT_COLORMAP, side: int = MAP_SIDE
) -> NDArray[np.uint8]:
    """A heatmap [H, W] in [0, 1] shrunk (area) to ``side`` px on its long side and coloured
    by ``colormap``."""
    h, w = heatmap.shape
    scale = min(1.0, side / max(h, w))
    small = cv2.resize(
        np.ascontiguousarray(heatmap, dtype=np.float32),
        (max(1, round(w * scale)), max(1, round(h * scale))),
        interpolation=cv2.INTER_AREA,
    )
    return np.ascontiguousarray(colorize(small, colormap))


def _pixmap(rgb: NDArray[np.uint8]) -> QPixmap:
    h, w = rgb.shape[:2]
    return QPixmap.fromImage(QImage(rgb.data, w, h, 3 * w, QImage.Format.Format_RGB888).copy())


class ProbeDialog(QDialog):
    """Run / Cancel the probe of the open image; the table; the maps of one model."""

    def __init__(self, worker: AnalysisWorker, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.setWindowTitle("Robustness probe")
        self.worker = worker
        self.evidence: Evidence | None = None
        self.analysis: Analysis | None = None
        self.result: ProbeResult | None = None
        self.job: int | None = None
        self.on_result: Callable[[ProbeResult], None] | None = None  # each finished probe
        # the maps' colormap: the viewer's View ▸ Heatmap colormap (set_colormap); it was
        # inferno whatever the analyst had chosen (walk-through cvd, finding 2)
        self.colormap = DEFAULT_COLORMAP

        self.target = MessageLabel("no image")  # the evidence's path: wrapped, however long
        self.run_button = QPushButton("Run")
        self.run_button.setEnabled(False)  # until there is an image (set_target)
        self.run_button.clicked.connect(self.run)
        self.cancel_button = QPushButton("Cancel")
        self.cancel_button.setEnabled(False)
        self.cancel_button.clicked.connect(self.cancel)
        self.progress = QProgressBar()
        self.progress.setRange(0, 1000)
        self.status = MessageLabel(
            "Analyses copies of the image (JPEG re-saves, 50 %, blur, a social-media chain) "
            "with the models in use and compares each with the original. The evidence file "
            "is not touched."
        )
        self.table = QTableWidget(0, len(TABLE_COLUMNS))
        self.table.setAccessibleName("robustness probe: each copy's verdict against the original's")
        self.table.setHorizontalHeaderLabels(list(TABLE_COLUMNS))
        self.table.setEditTriggers(QTableWidget.EditTrigger.NoEditTriggers)
        self.table.setTabKeyNavigation(False)  # Tab leaves the table, the arrows move in it
        self.table.verticalHeader().setVisible(False)
        self.table.horizontalHeader().setStretchLastSection(True)
        self.notes = QLabel("", textFormat=Qt.TextFormat.PlainText, wordWrap=True)
        self.model_choice = QComboBox()
        self.model_choice.activated.connect(self._on_model_chosen)
        self._chosen: str | None = None  # the model whose maps the analyst chose
        self.model_choice.currentTextChanged.connect(self._show_maps)
        self.grid = QGridLayout()
        maps = QWidget()
        maps.setLayout(self.grid)
        scroll = QScrollArea()
        scroll.setWidgetResizable(True)
        scroll.setWidget(maps)

        buttons = QHBoxLayout()
        buttons.addWidget(self.target, 1)
        buttons.addWidget(self.run_button)
        buttons.addWidget(self.cancel_button)
        chooser = QHBoxLayout()
        maps_of = QLabel("&Maps of")
        maps_of.setBuddy(self.model_choice)  # names the choice for screen readers; Alt+M
        chooser.addWidget(maps_of)
        chooser.addWidget(self.model_choice, 1)
        layout = QVBoxLayout(self)
        layout.addLayout(buttons)
        layout.addWidget(self.progress)
        layout.addWidget(self.status)
        layout.addWidget(self.table, 2)
        layout.addWidget(self.notes)
        layout.addLayout(chooser)
        layout.addWidget(scroll, 3)
        self.resize(1000, 800)  # within a smaller screen once shown (showEvent)
        guard_wheel(self)  # the maps' model: changed only when chosen, not in passing

        mail = worker.mail
        mail.on("probe-progress", self._on_progress)
        mail.on("probe-done", self._on_done)
        mail.on("probe-failed", self._on_failed)
        mail.on("probe-cancelled", self._on_cancelled)

    def showEvent(self, event: QShowEvent) -> None:  # Qt override
        """Within the screen, frame included: 1000 x 800 ran 80 px off a 1280 x 720 screen."""
        super().showEvent(event)
        fit_to_screen(self)

    @property
    def running(self) -> bool:
        return self.job is not None

    def set_target(self, evidence: Evidence | None, analysis: Analysis | None = None) -> None:
        """The image to probe (and its analysis by the models in use, reused when complete)."""
        if self.running:
            return
        same = evidence is not None and self.evidence is not None
        same = same and evidence.sha256 == self.evidence.sha256  # type: ignore[union-attr]
        self.evidence, self.analysis = evidence, analysis
        self.target.setText("no image" if evidence is None else plain(evidence.path))
        self.run_button.setEnabled(evidence is not None)
        if not same:
            self._clear()

    def run(self) -> int | None:
        """Queue the probe of the target on the worker; its job id (None without an image)."""
        if self.evidence is None or self.running:
            return None
        if not self.worker.model_names:
            self.status.setText("No model is loaded: choose one in the Models panel first.")
            return None
        self._clear()
        self.job = self.worker.submit_probe(self.evidence, self.analysis)
        self.run_button.setEnabled(False)
        self.cancel_button.setEnabled(True)
        self.progress.setValue(0)
        self.status.setText("probing…")
        return self.job

    def cancel(self) -> None:
        """Stop the running probe, and only it: the analyses of files opened meanwhile go on
        (the worker's ``cancel()`` stopped them too)."""
        if self.running:
            self.worker.cancel_job(self.job)  # type: ignore[arg-type]
            self.status.setText("cancelling…")

    def reject(self) -> None:  # Qt override: Esc, the window's close button
        """Closing the dialog cancels its probe. It ran on, out of sight, on the analysis
        worker, and files opened meanwhile waited behind it (walk-through E: 106 s on after
        Close)."""
        self.cancel()
        super().reject()

    # --- messages from the worker ---

    def _end(self, job: int, message: str) -> bool:
        if job != self.job:
            return False
        self.job = None
        self.run_button.setEnabled(self.evidence is not None)
        self.cancel_button.setEnabled(False)
        self.status.setText(message)
        return True

    def _on_progress(self, job: int, stage: str, done: int, total: int) -> None:
        if job != self.job:
            return
        step, fraction = probe_progress(stage, done, total, self.worker.model_names)
        if fraction is not None:
            value = round(self.progress.maximum() * fraction)
            self.progress.setValue(max(self.progress.value(), value))
        self.status.setText(f"step {step + 1} of {len(STEPS)} · {plain(stage)}: {done}/{total}")

    def _on_done(self, job: int, result: ProbeResult) -> None:
        if not self._end(job, f"probe done in {result.seconds:.1f} s"):
            return
        self.progress.setValue(1000)
        if self.on_result is not None:
            self.on_result(result)
        self.show_result(result)

    def _on_failed(self, job: int, message: str) -> None:
        self._end(job, f"probe failed: {plain(message)}")

    def _on_cancelled(self, job: int) -> None:
        self._end(job, "probe cancelled")

    # --- showing a result ---

    def _clear(self) -> None:
        self.result = None
        self.table.setRowCount(0)
        self.notes.setText("")
        self.model_choice.clear()
        self._clear_grid()

    def _clear_grid(self) -> None:
        while self.grid.count():
            w = self.grid.takeAt(0).widget()
            if w is not None:
                discard(w)

    def show_result(self, result: ProbeResult) -> None:
        """Fill the table and the maps from ``result``."""
        self.result = result
        table = result.to_dict()
        rows = table_rows(table)
        self.table.setRowCount(len(rows))
        for i, cells in enumerate(rows):
            for j, text in enumerate(cells):
                self.table.setItem(i, j, QTableWidgetItem(text))
        self.table.resizeColumnsToContents()
        self.notes.setText("\n".join(table_notes(table)))
        self.model_choice.blockSignals(True)
        self.model_choice.clear()
        self.model_choice.addItems(result.models)
        self.model_choice.setCurrentText(self._first_maps(result))
        self.model_choice.blockSignals(False)
        self._show_maps(self.model_choice.currentText())

    def _first_maps(self, result: ProbeResult) -> str:
        """The analyst's last choice if the result has it, else the ensemble, else the first
        model (as the viewer shows them first)."""
        if self._chosen in result.models:
            return self._chosen  # type: ignore[return-value]
        ensemble = result.original.ensemble
        if ensemble is not None:
            return ensemble.name
        return result.models[0] if result.models else ""

    def set_colormap(self, name: str) -> None:
        """Draw the maps in the colormap ``name`` (those shown now again)."""
        self.colormap = name
        if self.result is not None:
            self._show_maps(self.model_choice.currentText())

    def _on_model_chosen(self, _index: int) -> None:
        self._chosen = self.model_choice.currentText()

    def _show_maps(self, model: str) -> None:
        self._clear_grid()
        result = self.result
        if result is None or not model:
            return
        iou = {r.derivation: r.iou for r in result.rows if r.model == model}
        verdict = {r.derivation: verdict_cell(r.to_dict()) for r in result.rows if r.model == model}
        names = [ORIGINAL, *(c.derivation.name for c in result.copies)]
        for k, name in enumerate(names):
            heat = result.heatmap(name, model)
            cell = QWidget()
            box = QVBoxLayout(cell)
            picture = QLabel()
            if heat is not None:
                picture.setPixmap(_pixmap(map_picture(heat, self.colormap)))
            caption = name if name == ORIGINAL else f"{name} · {verdict.get(name, '')}"
            if iou.get(name) is not None:
                caption += f" · IoU {iou[name]:.3f}"
            box.addWidget(picture)
            box.addWidget(QLabel(caption, textFormat=Qt.TextFormat.PlainText))
            self.grid.addWidget(cell, k // GRID_COLUMNS, k % GRID_COLUMNS)

    def shutdown(self) -> None:
        """Cancel a running probe (the window is closing; the worker stops with it)."""
        self.cancel()
