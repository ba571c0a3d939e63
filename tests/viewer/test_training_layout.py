"""The training dialog's charts stay readable when a finished model's review shows (offscreen,
no child process). The fine-tune walk-through (2026-12-06, lab-dlg2-review.png): at the
dialog's own 1200x800 the review, two warnings and the legends (eight validation figures, two
a row) left the loss and validation charts about 15 px, their y labels printed over each other.
"""

from __future__ import annotations

from pathlib import Path

import pytest

from forensic_viewer.gui.training_dialog import TrainingDialog
from tests.conftest import make_tiny_checkpoint
from trainer.plan import RunState
from trainer.progress import TrainingProgress

pytestmark = pytest.mark.gui

# The least height of each chart's curve area (its ViewBox) with the review shown: room for a
# y axis of 0..1 with readable ticks; it was 0 to 15 px.
VIEW_MIN_PX = 80
FIGURES = {
    "pixel_f1": 0.23, "pixel_iou": 0.15, "pixel_auc": 0.65, "pixel_f1_best": 0.3,
    "image_auc": 0.71, "image_acc": 0.5, "image_bacc": 0.5, "image_eer": 0.35,
}  # fmt: skip
WARNINGS = (
    "warning: fine-tuned for only 43 steps (fewer than 1000): its heatmaps are close to those "
    "of crfd-net-compact, the model it started from, not yet adapted to this data",
    "warning: no probability calibration: on the 6 validation images (4 tampered, 2 "
    "authentic) there are too few to calibrate (at least 5 of each class)",
)
CAVEAT = (
    "note: /data/A is data this checkpoint was trained on and --split val of another --seed "
    "or --val-fraction than the run's: the validation images that set θ include training "
    "images (optimistic); --split val or test with the run's split options leaves its "
    "training images out (it chose its best checkpoint on both)"
)


def _reviewed(qtbot, tmp_path: Path, size: tuple[int, int]) -> TrainingDialog:
    """A dialog at ``size`` whose run has three loss terms, eight validation figures over three
    epochs and two warnings, its model's review shown with calibrate's caveat."""
    from engine.checkpoints import load_checkpoint, save_checkpoint

    dialog = TrainingDialog(runs_dir=tmp_path / "runs")
    qtbot.addWidget(dialog)
    dialog.arch.setCurrentText("crfd-net-compact")
    dialog.name.setText("lab-dlg2")
    dialog.show()
    dialog.resize(*size)
    config = dialog.config()
    dialog.state = RunState(config, [], False)
    dialog._stage = config.stages()[0]
    dialog._phase = "train"
    dialog.progress = TrainingProgress(config.batch_size, 0)
    for step in range(1, 68):
        dialog._on_event(
            {"event": "step", "step": step, "epoch": step // 23, "loss": 0.7 - step / 1000,
             "bce": 0.6, "forged_share": 0.1, "lr": 1e-4, "samples_per_s": 10.0}
        )  # fmt: skip
    for epoch in (1, 2, 3):
        dialog._on_event({"event": "val", "epoch": epoch, "step": 22 * epoch, **FIGURES})
    dialog._dirty = True
    dialog._redraw()
    for line in WARNINGS:
        dialog._on_text(line)
    model = make_tiny_checkpoint(tmp_path / "final.safetensors", name="lab-dlg2")
    loaded = load_checkpoint(model)
    loaded.meta.training = {"step": 43, "init": "crfd-net-compact.safetensors"}
    loaded.meta.metrics = {f"val_{k}": v for k, v in FIGURES.items()} | {"val_images": 80.0}
    save_checkpoint(model, loaded.model, loaded.meta)
    dialog._install(model, "θ calibrated on the validation split", [CAVEAT])
    qtbot.wait(50)
    return dialog


@pytest.mark.parametrize("size", [(1200, 800), (1280, 800)])
def test_the_charts_keep_a_usable_height_with_the_review_shown(
    qtbot, tmp_path: Path, models_dir: Path, size: tuple[int, int]
) -> None:
    dialog = _reviewed(qtbot, tmp_path, size)
    assert (dialog.width(), dialog.height()) == size
    assert dialog.review_box.isVisible() and dialog.install_button.isVisible()
    for plot in (dialog.loss_plot, dialog.lr_plot, dialog.val_plot):
        view = plot.getPlotItem().getViewBox().sceneBoundingRect()
        assert view.height() >= VIEW_MIN_PX, (plot.getPlotItem().titleLabel.text, view)
        legend = plot.getPlotItem().legend
        if legend is not None:
            assert len(legend.items) in (3, 8)
            assert not legend.sceneBoundingRect().intersects(view)
    # the review's text is all there, scrolled rather than cut or pushing the charts down
    notes = dialog.notes_area
    assert notes.isVisible() and dialog.review_label.isVisible()
    assert "include training images" in dialog.review_label.text()
    assert notes.verticalScrollBar().maximum() > 0
    assert notes.height() < dialog.height() // 4


def test_a_short_review_takes_only_its_own_lines(qtbot, tmp_path: Path, models_dir: Path) -> None:
    """The notes area is as tall as its text: a review of a few lines is shown whole."""
    dialog = TrainingDialog(runs_dir=tmp_path / "runs")
    qtbot.addWidget(dialog)
    dialog.arch.setCurrentText("crfd-net-compact")
    dialog.name.setText("short")
    dialog.show()
    dialog.resize(1200, 800)
    assert not dialog.notes_area.isVisible()  # nothing to say yet: no empty band
    dialog.state = RunState(dialog.config(), [], False)
    dialog._install(make_tiny_checkpoint(tmp_path / "m.safetensors", name="short"), "θ kept")
    qtbot.wait(50)
    notes = dialog.notes_area
    assert notes.isVisible() and notes.verticalScrollBar().maximum() == 0
    assert notes.height() >= dialog.review_label.height() > 0
