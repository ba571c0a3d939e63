"""The training dialog as a walk-through under Xvfb found it (walkG 58-70.png): settings
editable during a run, Start and Stop moving with the text above them, a θ note naming a cause
that did not hold, command-line advice and a stale time left after Stop, a validation chart
drawn -0.4..0.4 with its legend over the curves, and a proposed name refused on the second run
of the day."""

from __future__ import annotations

from pathlib import Path

import pytest
from PySide6.QtCore import QPoint

from forensic_viewer.gui.training_dialog import TrainingDialog
from forensic_viewer.gui.training_form import calibration_missing, summarize_check
from tests.conftest import make_tiny_checkpoint
from tests.trainer.conftest import make_folder
from tests.viewer.test_training_review import _running
from trainer.plan import RunState
from trainer.progress import EXIT_INTERRUPTED

pytestmark = pytest.mark.gui


@pytest.fixture
def dialog(qtbot, tmp_path: Path, models_dir: Path) -> TrainingDialog:
    d = TrainingDialog(runs_dir=tmp_path / "runs")
    qtbot.addWidget(d)
    return d


def test_the_settings_are_not_editable_during_a_run(dialog: TrainingDialog) -> None:
    dialog.model_config.setText("channels=8,16,32")
    assert dialog.epochs.isEnabled() and dialog.batch_size.isEnabled()
    _running(dialog)
    dialog._update_buttons()
    for field in (dialog.epochs, dialog.batch_size, dialog.window, dialog.name, dialog.data_list):
        assert not field.isEnabled()
    assert dialog.config().model_config == ["channels=8,16,32"]  # still the form's
    dialog._stop_requested = True
    dialog._on_run_finished(EXIT_INTERRUPTED, "")
    assert dialog.epochs.isEnabled() and dialog.batch_size.isEnabled() and dialog.name.isEnabled()
    assert not dialog.pretrained.isEnabled()  # its own state kept: this architecture takes none


def test_start_and_stop_stay_where_they_are_whatever_the_text_says(
    qtbot, dialog: TrainingDialog
) -> None:
    dialog.show()
    qtbot.waitExposed(dialog)

    def place() -> tuple[QPoint, QPoint]:
        qtbot.wait(20)  # the layout redone
        return (
            dialog.start_button.mapTo(dialog, QPoint(0, 0)),
            dialog.stop_button.mapTo(dialog, QPoint(0, 0)),
        )

    dialog.readiness_label.setText("ready")
    short = place()
    dialog.readiness_label.setText("\n".join(["a line of what the run folder holds"] * 5))
    assert place() == short


def test_the_theta_note_names_only_the_cause_that_holds() -> None:
    split = {"train_tampered": 6, "train_authentic": 4, "val_tampered": 0, "val_authentic": 1}
    assert calibration_missing({"split": split}) == "no tampered validation image"
    split = {**split, "train_authentic": 0}
    assert calibration_missing({"split": split}) == (
        "no authentic training image and no tampered validation image"
    )
    assert calibration_missing({"split": split}, faces=True) == "no tampered validation image"
    assert calibration_missing(None) == "the run's split allowed no calibration"
    split = {"train_tampered": 6, "train_authentic": 4, "val_tampered": 0, "val_authentic": 1}
    assert "on this split (no tampered validation image; the default θ is kept)" in (
        summarize_check({"split": split, "calibration": False})
    )


def test_the_theta_note_says_too_few_and_what_to_change(tmp_path: Path) -> None:
    """A split of 3 tampered validation images passed as calibratable, the dialog saying "θ
    will be calibrated after training" before calibrate refused fewer than 5."""
    from trainer.check import check

    train = make_folder(tmp_path / "train", 2, 8, seed=0, size=32)
    val = make_folder(tmp_path / "val", 3, 1, seed=1, size=32)
    result = check([str(train)], val_data=[str(val)])
    line = summarize_check(result).splitlines()[-1]
    assert line == (
        "θ cannot be calibrated on this split (only 3 tampered validation images of the 5 "
        "needed: give a larger validation share or more tampered images; the default θ is kept)"
    )
    split = {"train_tampered": 6, "train_authentic": 1, "val_tampered": 9, "val_authentic": 1}
    assert calibration_missing({"split": split, "calibration_minimum": 5}) == (
        "only 1 authentic training image of the 5 needed: give more authentic images"
    )
    split = {**split, "val_tampered": 0}
    assert calibration_missing({"split": split, "calibration_minimum": 5}) == (
        "no tampered validation image and only 1 authentic training image of the 5 needed: "
        "give more images"
    )
    # face-model sets θ on any faces: one of each is not "too few"
    split = {**split, "val_tampered": 2, "val_authentic": 1}
    assert calibration_missing({"split": split, "calibration_minimum": 5}, faces=True) == (
        "the split allows it, but the run was planned without it"
    )


def test_a_finished_run_without_calibration_says_why(dialog: TrainingDialog) -> None:
    dialog.name.setText("no-theta")
    config = dialog.config()
    dialog.check_result = {
        "split": {"train_tampered": 6, "train_authentic": 4, "val_tampered": 0, "val_authentic": 1}
    }
    dialog.state = RunState(config, [str(s.out) for s in config.stages()], False)
    make_tiny_checkpoint(config.final_checkpoint())
    dialog._calibrate_or_install()
    text = dialog.review_label.text()
    assert "θ not calibrated (no tampered validation image)" in text
    assert "authentic training" not in text


def test_after_stop_the_log_says_resume_and_no_time_left(dialog: TrainingDialog) -> None:
    _running(dialog)
    dialog.runner.text.emit("interrupted at step 103; continue with --resume")
    assert "continue with --resume" not in dialog.log.toPlainText()
    assert "interrupted at step 103; the Resume button continues it" in dialog.log.toPlainText()
    dialog._stop_requested = True  # Stop pressed: the trainer's last step line comes after it
    dialog._on_event({"event": "step", "step": 103, "epoch": 16, "loss": 0.6, "eta_s": 107.0})
    last = dialog.log.toPlainText().splitlines()[-1]
    assert last.startswith("step 103") and "left" not in last


def test_the_validation_chart_is_drawn_on_zero_to_one_with_its_legend_off_the_curves(
    qtbot, dialog: TrainingDialog
) -> None:
    dialog.show()
    _running(dialog)
    for epoch in (1, 2, 3):
        dialog._on_event(
            {"event": "val", "epoch": epoch, "step": 6 * epoch, "images": 1,
             "image_accuracy": 0.0, "image_balanced_accuracy": 0.0}
        )  # fmt: skip
    dialog._dirty = True
    dialog._redraw()
    qtbot.wait(50)
    item = dialog.val_plot.getPlotItem()
    low, high = item.getViewBox().viewRange()[1]
    assert low <= 0.0 and 1.0 <= high and low > -0.1 and high < 1.1
    assert len(item.legend.items) == 2  # each figure named, under the chart, not on it
    for plot in (dialog.val_plot, dialog.loss_plot):
        legend, view = plot.getPlotItem().legend, plot.getPlotItem().vb
        assert not legend.sceneBoundingRect().intersects(view.sceneBoundingRect())


def test_the_proposed_name_moves_on_once_a_run_of_it_has_finished(
    dialog: TrainingDialog,
) -> None:
    first = dialog.name.text()
    assert first.startswith("crfd-net-compact-")
    config = dialog.config()
    dialog.state = RunState(config, [str(s.out) for s in config.stages()], False)
    dialog.state.save()
    make_tiny_checkpoint(config.final_checkpoint())
    dialog._calibrate_or_install()  # finished: its review shown
    assert dialog.name.text() == f"{first}-2"
    assert dialog.state.config.name == first  # the review installs the run it is of
    dialog.name.setText("my-own")  # a name the analyst typed stays theirs
    dialog.renew_proposed_name()
    assert dialog.name.text() == "my-own"
