"""The training dialog's review when ``calibrate`` says that the validation images that set θ
include training images (offscreen, no child process). The fine-tune walk-through
(2026-12-06): with ``--seed 1`` in "more arguments" calibrate's log said so, the review had no
word of it, and Install went ahead at one click."""

from __future__ import annotations

from pathlib import Path

import pytest

from forensic_viewer.gui.training_dialog import TrainingDialog
from tests.conftest import make_tiny_checkpoint
from trainer.plan import RunState
from trainer.progress import TrainingProgress

pytestmark = pytest.mark.gui

NOTE = (
    "note: /d/a is data this checkpoint was trained on and --split val of another --seed or "
    "--val-fraction than the run's: the validation images that set θ include training images "
    "(optimistic); --split val or test with the run's split options leaves its training "
    "images out (it chose its best checkpoint on both)"
)


@pytest.fixture
def dialog(qtbot, tmp_path: Path, models_dir: Path) -> TrainingDialog:
    d = TrainingDialog(runs_dir=tmp_path / "runs")
    qtbot.addWidget(d)
    d.arch.setCurrentText("crfd-net-compact")
    d.name.setText("seeded")
    d.show()
    return d


def _calibrating(dialog: TrainingDialog) -> Path:
    """The dialog as ``calibrate`` runs at the end of a run; its calibrated file written."""
    config = dialog.config()
    dialog.state = RunState(config, [str(s.out) for s in config.stages()], True)
    dialog.progress = TrainingProgress(config.batch_size, 0)
    dialog._phase = "calibrate"
    dialog._caveats = []
    config.run_dir.mkdir(parents=True, exist_ok=True)
    return make_tiny_checkpoint(config.calibrated_path(), name="seeded")


def test_a_theta_set_on_training_images_is_in_the_review_and_install_waits_for_a_tick(
    qtbot, dialog: TrainingDialog, models_dir: Path
) -> None:
    installed: list[str] = []
    dialog.modelInstalled.connect(installed.append)
    calibrated = _calibrating(dialog)
    for line in ("pixel threshold 0.50: mean pixel F1 0.2000", NOTE, "wrote θ = 0.4 into x"):
        dialog.runner.text.emit(line)
    dialog._on_run_finished(0, "")
    assert dialog.review_box.isVisible()
    review = dialog.review_label.text()
    assert "warning: calibrate: /d/a is data this checkpoint was trained on" in review
    assert "the validation images that set θ include training images" in review
    assert dialog.caveat_check.isVisible() and not dialog.caveat_check.isChecked()
    assert not dialog.install_button.isEnabled()
    dialog.confirm_install()  # a call that bypasses the button is refused all the same
    assert installed == [] and not (models_dir / "seeded.safetensors").exists()
    assert "not installed: θ was set on images the model was trained on" in dialog.status.text()
    dialog.caveat_check.setChecked(True)
    assert dialog.install_button.isEnabled()
    dialog.install_button.click()
    assert installed == [str(models_dir / "seeded.safetensors")]
    assert (models_dir / "seeded.safetensors").read_bytes() == calibrated.read_bytes()


def test_without_the_note_install_takes_one_click(qtbot, dialog: TrainingDialog) -> None:
    installed: list[str] = []
    dialog.modelInstalled.connect(installed.append)
    _calibrating(dialog)
    dialog.runner.text.emit("wrote θ = 0.4 into x")
    dialog._on_run_finished(0, "")
    assert "include training images" not in dialog.review_label.text()
    assert not dialog.caveat_check.isVisible() and dialog.install_button.isEnabled()
    dialog.install_button.click()
    assert len(installed) == 1


def test_val_data_typed_in_more_arguments_has_the_data_checked_again(
    qtbot, dialog: TrainingDialog, tmp_path: Path
) -> None:
    """--val-data reaches the check now: typed after a check passed, that check's answer (of
    other arguments) no longer lets Start go; other arguments keep it. A refused option is
    said as soon as it is typed."""
    dialog.set_data([tmp_path / "data"])
    dialog._check_timer.stop()
    dialog._checked_args = dialog.config().check_argv()  # as validate_data records it
    passed = {"ok": True, "problems": [], "warnings": [], "calibration": True}
    dialog.check_result = passed
    dialog.extra.setText("--warmup 5")
    assert dialog.check_result is passed and not dialog._check_timer.isActive()
    dialog.extra.setText("--warmup 5 --val-data /v")
    assert dialog.check_result is None and dialog._check_timer.isActive()
    dialog._check_timer.stop()
    dialog.extra.setText("--seed 1")
    assert "more arguments: --seed is set by the field 'seed" in dialog.readiness_label.text()
    assert not dialog.start_button.isEnabled()
