"""What a later audit of the training dialog found (offscreen): a run stopped by quitting the
viewer could only be found again by retyping its name (the dialog reopened as "my-model")."""

from __future__ import annotations

import os
from pathlib import Path

import pytest

from forensic_viewer.gui.training_dialog import TrainingDialog
from tests.conftest import HANG_MS
from tests.viewer.test_training_review import _running
from trainer.plan import RESUME_NAME, RunState, TrainingConfig

pytestmark = pytest.mark.gui


def _saved_run(runs: Path, name: str, how: str, when: int, data: Path) -> TrainingConfig:
    """A run folder of the dialog's: ``how`` stopped (a resume file), finished (its stage
    done, no θ to set) or unstarted (its state alone); its files dated ``when``."""
    config = TrainingConfig(
        name=name, arch="crfd-net-compact", data=[str(data)], runs_dir=str(runs), epochs=7,
        window=64, seed=5,
    )  # fmt: skip
    (stage,) = config.stages()
    stage.out.mkdir(parents=True)
    if how == "stopped":
        (stage.out / RESUME_NAME).write_bytes(b"")
    RunState(config, [str(stage.out)] if how == "finished" else [], calibrate=False).save()
    for f in config.run_dir.iterdir():
        os.utime(f, (when, when))
    return config


def test_the_runs_folders_runs_are_offered_newest_first_and_picking_one_fills_the_form(
    qtbot, tmp_path: Path, models_dir: Path
) -> None:
    runs, data = tmp_path / "runs", tmp_path / "data"
    _saved_run(runs, "old-finished", "finished", 1_700_000_000, data)
    stopped = _saved_run(runs, "quit-mid-run", "stopped", 1_800_000_000, data)
    _saved_run(runs, "never-trained", "unstarted", 1_900_000_000, data)
    dialog = TrainingDialog(runs_dir=runs)
    qtbot.addWidget(dialog)
    dialog.show()
    assert dialog.name.text() not in {"old-finished", "quit-mid-run", "never-trained"}
    items = [dialog.earlier.itemText(i) for i in range(dialog.earlier.count())]
    assert items[0] == "earlier runs (2)…"
    assert items[1].startswith("quit-mid-run — stopped, ")
    assert items[2].startswith("old-finished — finished, ")
    assert len(items) == 3  # a folder with nothing to resume or review is not offered
    dialog._check_timer.stop()  # no data check process: Resume does not wait for one
    dialog.earlier.activated.emit(1)
    assert dialog.name.text() == "quit-mid-run"
    assert dialog.config() == stopped  # its saved settings, as Resume would run them
    assert dialog.resume_button.isEnabled()
    assert dialog.earlier.currentIndex() == 0  # ready to pick another


def test_a_finished_run_is_said_to_have_finished_with_theta_calibrated(
    qtbot, tmp_path: Path, models_dir: Path
) -> None:
    """The header read "NAME: calibrating θ and the pixel threshold on the validation split —
    finished", the last step named as if it were still going on."""
    from tests.conftest import make_tiny_checkpoint

    dialog = TrainingDialog(runs_dir=tmp_path / "runs")
    qtbot.addWidget(dialog)
    dialog.name.setText("calibrated-run")
    config = dialog.config()
    dialog.state = RunState(config, [str(s.out) for s in config.stages()], True)
    make_tiny_checkpoint(config.final_checkpoint())
    argv: list[str] = []
    dialog.runner.start = argv.extend  # type: ignore[method-assign]
    dialog._calibrate_or_install()
    assert argv[0] == "calibrate"
    assert dialog.stage_label.text().startswith("calibrated-run: calibrating θ")
    make_tiny_checkpoint(config.calibrated_path(), seed=1)  # what calibrate writes
    dialog._on_run_finished(0, "")
    assert dialog.review_box.isVisibleTo(dialog)
    assert dialog.stage_label.text() == (
        "calibrated-run: run finished — θ (--choose best: the best validation balanced accuracy "
        "of Table 3's three) and the pixel threshold chosen on the validation split"
    )
    assert dialog.eta_label.text() == "finished"


def test_a_failure_after_a_validation_names_the_validations_step(
    qtbot, tmp_path: Path, models_dir: Path
) -> None:
    """The header said "failed at step 1" although validation had run at step 8: the step
    was taken from step and checkpoint events only."""
    dialog = TrainingDialog(runs_dir=tmp_path / "runs")
    qtbot.addWidget(dialog)
    dialog.name.setText("fails-late")
    _running(dialog)
    dialog._on_event({"event": "step", "step": 1, "epoch": 0, "loss": 0.5, "lr": 1e-4})
    dialog._on_event({"event": "val", "epoch": 1, "step": 8, "images": 6, "pixel_f1": 0.3})
    dialog._on_run_finished(1, "forensic-train fit: error: out of memory")
    assert dialog.stage_label.text() == "fails-late: training — failed at step 8"


def test_the_trainers_warm_up_warning_stays_in_view(
    qtbot, tmp_path: Path, models_dir: Path
) -> None:
    """A tiny fine-tune is shorter than the default --warmup 100, so its learning rate stays
    small throughout; the trainer warns once its run's length is known, and the dialog kept
    that line only in its log, under hundreds of step lines."""
    dialog = TrainingDialog(runs_dir=tmp_path / "runs")
    qtbot.addWidget(dialog)
    dialog.name.setText("tiny-tune")
    dialog.show()
    _running(dialog)
    assert not dialog.warnings_label.isVisible()
    warning = (
        "warning: --warmup 100 is longer than the run (12 steps): the learning rate never "
        "reaches 0.0001"
    )
    dialog.runner.text.emit("[#####...................]  20.0% epoch 1/3")
    dialog.runner.text.emit(warning)
    dialog._on_event({"event": "step", "step": 2, "epoch": 0, "loss": 0.5, "lr": 2e-6})
    dialog._dirty = True
    dialog._redraw()  # the status moves on to the step; the warning stays
    assert dialog.status.text().startswith("step 2")
    assert dialog.warnings_label.isVisible() and dialog.warnings_label.text() == warning
    assert warning in dialog.log.toPlainText()


# sys.argv[1]: a file whose existence lets the child end once SIGTERM came (the test makes it
# when it has seen what the viewer shows meanwhile)
SLOW_STOP = """
import os, signal, sys, time

def terminated(_signum, _frame):
    while not os.path.exists(sys.argv[1]):  # writing the checkpoint (shutdown kills it at last)
        time.sleep(0.05)
    sys.exit(143)

signal.signal(signal.SIGTERM, terminated)
print("ready", flush=True)
while True:
    time.sleep(0.05)
"""


def test_quitting_during_a_run_shows_that_the_checkpoint_is_being_written(
    qtbot, tmp_path: Path, models_dir: Path
) -> None:
    """``shutdown`` waited for the trainer in waitForFinished: the viewer froze for up to a
    minute with nothing on screen. A modal note now says what is happening while the stop's
    checkpoint is written, and the trainer is still stopped by SIGTERM, not killed."""
    import sys

    from PySide6.QtCore import QTimer
    from PySide6.QtWidgets import QApplication, QProgressDialog

    dialog = TrainingDialog(runs_dir=tmp_path / "runs")
    qtbot.addWidget(dialog)
    dialog.name.setText("quit-now")
    dialog.state = RunState(dialog.config(), [], False)
    released = tmp_path / "checkpoint-written"
    process = dialog.runner.process
    process.start = lambda program, args: type(process).start(  # type: ignore[method-assign]
        process, sys.executable, ["-c", SLOW_STOP, str(released)]
    )
    lines: list[str] = []
    dialog.runner.text.connect(lines.append)
    codes: list[int] = []
    dialog.runner.finished.connect(lambda code, _message: codes.append(code))
    dialog.runner.start(["fit"])
    qtbot.waitUntil(lambda: "ready" in lines, timeout=HANG_MS)
    seen: list[str] = []

    def look() -> None:  # runs only if the viewer's event loop turns during the wait
        seen.extend(
            w.labelText()
            for w in QApplication.topLevelWidgets()
            if isinstance(w, QProgressDialog) and w.isVisible()
        )
        released.touch()

    QTimer.singleShot(0, look)
    dialog.shutdown(HANG_MS)  # a loaded machine's child may answer late: never killed here
    assert seen == [
        "Stopping the training run quit-now: writing its checkpoint (Resume continues it)…"
    ]
    assert codes == [143]  # it ended by its SIGTERM handler, not killed
    assert not dialog.runner.running
    assert not any(
        isinstance(w, QProgressDialog) and w.isVisible() for w in QApplication.topLevelWidgets()
    )
