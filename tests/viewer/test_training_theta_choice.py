"""The training dialog's "θ chosen by" row: ``calibrate --choose`` from the dialog.

The dialog's calibrate ran with the command line's default (``best``) and no way to choose,
while the recipes pass ``--choose midpoint``; neither the plan nor the finished run's summary
said which choice stored θ. The row's choice reaches the calibrate command, the run's record
(``training-dialog.json``, so a resumed run calibrates as it began), the plan under the start
row and the summary above the review."""

from __future__ import annotations

from pathlib import Path

import pytest

from forensic_viewer.gui.training_dialog import TrainingDialog
from tests.conftest import make_tiny_checkpoint
from trainer.cli import build_parser
from trainer.plan import RunState

pytestmark = pytest.mark.gui


@pytest.fixture
def dialog(qtbot, tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> TrainingDialog:
    monkeypatch.setenv("FORENSIC_VIEWER_MODELS", str(tmp_path / "models"))
    d = TrainingDialog(runs_dir=tmp_path / "runs")
    qtbot.addWidget(d)
    d.arch.setCurrentText("crfd-net-compact")
    d.name.setText("chosen")
    d.set_data([tmp_path / "data"])
    d._check_timer.stop()  # no data check process
    d.show()
    yield d
    d.shutdown(5000)


def test_the_rows_choice_reaches_calibrate_the_record_and_the_plan(
    dialog: TrainingDialog, tmp_path: Path
) -> None:
    model = tmp_path / "m.safetensors"
    assert dialog.choose.currentText() == "best"  # the command line's default
    assert build_parser().parse_args(dialog.config().calibrate_argv(model)).choose == "best"
    assert "(the best validation balanced accuracy" in dialog.stages_label.text()
    dialog.choose.setCurrentText("midpoint")
    config = dialog.config()
    assert build_parser().parse_args(config.calibrate_argv(model)).choose == "midpoint"
    assert "then calibrate chooses θ (the paper's midpoint" in dialog.stages_label.text()
    config.run_dir.mkdir(parents=True)
    RunState(config, [], True).save()
    loaded = RunState.load(config.run_dir)
    assert loaded is not None and loaded.config.choose == "midpoint"
    dialog.choose.setCurrentText("best")
    dialog.set_config(loaded.config)  # an earlier run picked: its own choice
    assert dialog.choose.currentText() == "midpoint"


def test_the_finished_runs_summary_says_how_theta_was_chosen(
    dialog: TrainingDialog, tmp_path: Path
) -> None:
    dialog.choose.setCurrentText("fake-min")
    config = dialog.config()
    config.run_dir.mkdir(parents=True)
    dialog.state = RunState(config, [str(s.out) for s in config.stages()], True)
    make_tiny_checkpoint(config.calibrated_path())  # what calibrate wrote
    dialog._phase = "calibrate"
    dialog._on_run_finished(0, "")
    said = dialog.review_label.text()
    assert "θ (--choose fake-min: the min of the tampered validation images)" in said, said
