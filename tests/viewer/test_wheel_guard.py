"""The mouse wheel over a settings form scrolls it and changes no setting on its way: found
driving the real viewer, where scrolling the training form down changed "batch size" 4 -> 1
and the form did not move."""

from __future__ import annotations

from pathlib import Path

import pytest
from PySide6.QtCore import QPoint, QPointF, Qt
from PySide6.QtGui import QWheelEvent
from PySide6.QtWidgets import QApplication, QWidget

from forensic_viewer.gui.training_dialog import TrainingDialog

pytestmark = pytest.mark.gui


def wheel_down(widget: QWidget) -> None:
    """One notch of the wheel, pulled towards the analyst, with the pointer over ``widget``."""
    centre = QPointF(widget.rect().center())
    event = QWheelEvent(
        centre,
        QPointF(widget.mapToGlobal(centre.toPoint())),
        QPoint(0, 0),
        QPoint(0, -120),
        Qt.MouseButton.NoButton,
        Qt.KeyboardModifier.NoModifier,
        Qt.ScrollPhase.NoScrollPhase,
        False,
    )
    QApplication.sendEvent(widget, event)


def test_the_wheel_scrolls_the_training_form_and_leaves_its_settings(
    qtbot, tmp_path: Path, models_dir: Path
) -> None:
    dialog = TrainingDialog(runs_dir=tmp_path / "runs")
    qtbot.addWidget(dialog)
    dialog.resize(dialog.width(), 500)  # the form taller than its pane: it scrolls
    dialog.show()
    qtbot.waitExposed(dialog)
    bar = dialog.settings_pane.verticalScrollBar()
    assert bar.maximum() > 0
    before = (dialog.batch_size.value(), dialog.epochs.value(), dialog.device.currentIndex())
    dialog.batch_size.setValue(4)
    for control in (dialog.batch_size, dialog.epochs, dialog.device, dialog.split_by):
        assert not control.hasFocus()
        wheel_down(control)
    assert dialog.batch_size.value() == 4
    assert (dialog.epochs.value(), dialog.device.currentIndex()) == before[1:]
    assert dialog.split_by.currentText() == "auto"
    assert bar.value() > 0  # the form scrolled instead
    assert dialog.batch_size.focusPolicy() == Qt.FocusPolicy.StrongFocus


def test_a_chosen_spin_box_takes_the_wheel(qtbot, tmp_path: Path, models_dir: Path) -> None:
    dialog = TrainingDialog(runs_dir=tmp_path / "runs")
    qtbot.addWidget(dialog)
    dialog.show()
    qtbot.waitExposed(dialog)
    dialog.batch_size.setValue(4)
    dialog.batch_size.setFocus()
    qtbot.waitUntil(dialog.batch_size.hasFocus)
    wheel_down(dialog.batch_size)
    assert dialog.batch_size.value() == 3


def test_the_wheel_over_a_layers_threshold_leaves_it(qtbot) -> None:
    import numpy as np

    from forensic_viewer.gui.layer_panel import LayerControls
    from forensic_viewer.model_layers import MaskLayer

    heat = np.random.default_rng(0).random((32, 32)).astype(np.float32)
    layer = MaskLayer("m mask", heat, model="m", calibrated_threshold=0.5)
    controls = LayerControls(layer)
    qtbot.addWidget(controls)
    controls.show()
    assert controls.threshold_spin is not None and controls.threshold is not None
    wheel_down(controls.threshold_spin)
    wheel_down(controls.threshold)
    assert layer.threshold == 0.5 and controls.threshold_spin.value() == 0.5


def test_the_wheel_over_the_batch_dialogs_settings_leaves_them(qtbot) -> None:
    from forensic_viewer.gui.batch_dialog import BatchDialog

    dialog = BatchDialog(models=[], device="cpu")
    qtbot.addWidget(dialog)
    dialog.show()
    dialog.jobs.setValue(1)
    jobs, device = dialog.jobs.value(), dialog.device.currentIndex()
    wheel_down(dialog.jobs)
    wheel_down(dialog.device)
    assert (dialog.jobs.value(), dialog.device.currentIndex()) == (jobs, device)


def test_the_wheel_over_the_dialogs_and_panels_settings_leaves_them(qtbot, tmp_path: Path) -> None:
    """The report dialog, probe dialog, compare panes, magnifier and analysis panel still
    changed a setting under a passing wheel (the ELA quality 90 -> 89, the report's figures
    "all" -> "flagged"): guarded as the batch dialog and training form are."""
    from forensic_viewer.gui.analysis_panel import AnalysisPanel
    from forensic_viewer.gui.compare import ComparePane
    from forensic_viewer.gui.inspector import LoupePanel
    from forensic_viewer.gui.probe_dialog import ProbeDialog
    from forensic_viewer.gui.report_dialog import ReportDialog
    from forensic_viewer.gui.report_job import ReportJob
    from forensic_viewer.gui.workers import AnalysisWorker
    from tests.viewer.test_probe_dialog import _Worker

    panel = AnalysisPanel(AnalysisWorker())  # not started: no job runs
    report = ReportDialog(ReportJob(list, "a test"), default_dir=tmp_path)
    probe = ProbeDialog(_Worker(["a", "b"]))  # type: ignore[arg-type]
    pane, loupe = ComparePane("a"), LoupePanel()
    for widget in (panel, report, probe, pane, loupe):
        qtbot.addWidget(widget)
        widget.show()
    probe.model_choice.addItems(["a", "b"])
    pane.chooser.addItems(["a", "b"])
    spin = panel.ela_quality
    quality = spin.value()
    assert not spin.hasFocus()
    wheel_down(spin)
    assert spin.value() == quality
    for combo in (report.figures, probe.model_choice, pane.chooser, loupe.mode_box):
        assert combo.count() > 1 and not combo.hasFocus()
        combo.setCurrentIndex(0)
        wheel_down(combo)
        assert combo.currentIndex() == 0, combo.accessibleName() or combo.toolTip()
