"""The training dialog warns before Install when calibrate stored a θ that flags no tampered
validation image (fine-tune walk-through, 2026-12-06: the review said only "θ calibrated on the
validation split", its warnings line was empty, Install enabled; the note was in the log alone).
"""

from __future__ import annotations

from pathlib import Path

import pytest

from engine.checkpoints import load_checkpoint, save_checkpoint
from forensic_viewer.gui.training_dialog import TrainingDialog
from tests.conftest import make_tiny_checkpoint
from tests.viewer.test_training_review import _running, _step, dialog  # noqa: F401 (fixture)
from trainer.calibrate import calibration_table
from trainer.review import theta_warning

pytestmark = pytest.mark.gui


def test_the_review_and_the_warnings_line_say_a_theta_of_recall_zero(
    qtbot,
    dialog: TrainingDialog,  # noqa: F811 (the imported fixture)
    tmp_path: Path,
) -> None:
    path = tmp_path / "run" / "calibrated.safetensors"
    loaded = load_checkpoint(make_tiny_checkpoint(path, name="short-run"))
    table = calibration_table([0.01, 0.02, 0.03, 0.04, 0.9], [0.1, 0.2, 0.3, 0.35, 0.4], [0.1] * 4)
    loaded.meta.training = {"step": 2000}
    loaded.meta.decision.details = {**table, "strategy": "midpoint"}
    model = save_checkpoint(path, loaded.model, loaded.meta)
    warning = theta_warning(loaded.meta.decision.details)
    assert warning.startswith("the stored θ (midpoint) flags none of the 5 tampered")
    _running(dialog)
    _step(dialog, 2000)
    dialog._on_text(f"warning: {warning}")  # calibrate's line, as the trainer prints it
    dialog._install(model, "θ calibrated on the validation split")
    assert f"warning: {warning}" in dialog.review_label.text().splitlines()
    assert dialog.warnings_label.isVisible() and warning in dialog.warnings_label.text()
    assert "and warnings before installing it" in dialog.status.text()
