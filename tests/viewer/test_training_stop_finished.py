"""Stop pressed just after a training stage finished (offscreen, against a faked trainer).

``forensic-train fit`` given SIGTERM once its loop has run to its end (while it ends: its
``done`` event, the summary of skipped images) exits 143 with "... once the run had finished:
its checkpoint is OUT/last.safetensors". The dialog took that for a stop: "stopped at step N;
... Resume continues the run", the stage not recorded as done, and no review of the model. It
now records the stage as done: the review follows when nothing is left to run, else Resume
goes on with what is left.

The faked trainer is a child process run through the dialog's own :class:`TrainerProcess`: it
writes the stage's checkpoint, says its step (and, in one case, its ``done`` event), then
waits; the test presses Stop, and on SIGTERM it prints the trainer's line and exits 143.
"""

from __future__ import annotations

from pathlib import Path

import pytest

from forensic_viewer.gui.training_dialog import TrainingDialog
from tests.conftest import HANG_MS, make_tiny_checkpoint
from trainer.plan import LAST_CHECKPOINT, RESUME_NAME, RunState
from trainer.progress import EXIT_TERMINATED, TrainingProgress

pytestmark = pytest.mark.gui

# sys.argv[1]: the checkpoint to leave, [2]: "done-event" or "line-only", then fit's arguments
FAKE_FIT = """
import json, shutil, signal, sys, time
from pathlib import Path

checkpoint, mode, argv = sys.argv[1], sys.argv[2], sys.argv[3:]
out = Path(argv[argv.index("--out") + 1])

def terminated(_signum, _frame):
    print(
        "forensic-train fit: terminated (SIGTERM) after 1 s, once the run had finished: "
        f"its checkpoint is {out / 'last.safetensors'}",
        file=sys.stderr,
        flush=True,
    )
    sys.exit(143)

signal.signal(signal.SIGTERM, terminated)
out.mkdir(parents=True, exist_ok=True)
shutil.copy(checkpoint, out / "last.safetensors")
(out / "last.resume.pt").write_bytes(b"")  # a finished run keeps its resume file
for event in [
    {"event": "step", "step": 3, "epoch": 0, "loss": 0.5, "lr": 1e-4, "total_steps": 3},
    {"event": "checkpoint", "step": 3, "epoch": 1, "path": str(out / "last.safetensors")},
    *([{"event": "done", "step": 3, "epoch": 1, "wall_seconds": 1.0}] if mode == "done-event"
      else []),
]:
    print(json.dumps(event), flush=True)
while True:  # the run is over; Stop arrives while it ends
    time.sleep(0.05)
"""


@pytest.fixture
def dialog(qtbot, tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> TrainingDialog:
    monkeypatch.setenv("FORENSIC_VIEWER_MODELS", str(tmp_path / "models"))
    d = TrainingDialog(runs_dir=tmp_path / "runs")
    qtbot.addWidget(d)
    d.arch.setCurrentText("crfd-net-compact")
    d.name.setText("just-done")
    d.set_data([tmp_path / "data"])
    d._check_timer.stop()  # no data check process: Resume does not wait for one
    d.show()
    yield d
    d.shutdown(5000)


def _fake_trainer(dialog: TrainingDialog, checkpoint: Path, mode: str) -> None:
    """The dialog's trainer process runs :data:`FAKE_FIT` instead of ``-m trainer.cli``."""
    process = dialog.runner.process
    start = process.start

    def fake_start(program: str, args: list[str]) -> None:
        assert args[:2] == ["-m", "trainer.cli"]
        start(program, ["-c", FAKE_FIT, str(checkpoint), mode, *args[2:]])

    process.start = fake_start  # type: ignore[method-assign]


def _said_all(dialog: TrainingDialog, mode: str) -> bool:
    """Whether the faked trainer's events have all arrived (it waits for Stop from then on)."""
    p = dialog.progress
    return p is not None and (p.done if mode == "done-event" else p.checkpoint is not None)


def _stop_once_trained(qtbot, dialog: TrainingDialog, mode: str, calibrate: bool) -> None:
    dialog.state = RunState(dialog.config(), [], calibrate)
    dialog._launch_next()
    qtbot.waitUntil(lambda: _said_all(dialog, mode), timeout=HANG_MS)
    dialog.stop()
    qtbot.waitUntil(lambda: not dialog.runner.running and not dialog.busy, timeout=HANG_MS)


@pytest.mark.parametrize("mode", ["done-event", "line-only"])
def test_stop_just_after_the_last_stage_finished_shows_the_review(
    qtbot, dialog: TrainingDialog, tmp_path: Path, mode: str
) -> None:
    _fake_trainer(dialog, make_tiny_checkpoint(tmp_path / "ckpt.safetensors"), mode)
    _stop_once_trained(qtbot, dialog, mode, calibrate=False)
    run = dialog.config().run_dir
    assert RunState.load(run).done == [str(run)]  # type: ignore[union-attr]
    assert "stopped" not in dialog.status.text()
    assert dialog.status.text().startswith("training finished: check the model's figures")
    assert dialog.review_box.isVisible() and dialog.install_button.isVisible()
    assert dialog.stage_label.text() == (
        "just-done: run finished — θ not calibrated (the run's split allowed no calibration)"
    )
    assert "training: finished before the stop reached it" in dialog.log.toPlainText()
    assert not dialog.resume_button.isEnabled()  # nothing of the run is left to resume


@pytest.mark.parametrize("mode", ["done-event", "line-only"])
def test_stop_just_after_training_finished_leaves_calibration_to_resume(
    qtbot, dialog: TrainingDialog, tmp_path: Path, mode: str
) -> None:
    _fake_trainer(dialog, make_tiny_checkpoint(tmp_path / "ckpt.safetensors"), mode)
    _stop_once_trained(qtbot, dialog, mode, calibrate=True)
    run = dialog.config().run_dir
    assert RunState.load(run).done == [str(run)]  # type: ignore[union-attr]
    assert (run / RESUME_NAME).is_file()
    assert dialog.status.text() == (
        f"training had finished before the stop: checkpoint {run / LAST_CHECKPOINT}; "
        "Resume continues the run with calibrating θ and the pixel threshold on the validation "
        "split"
    )
    assert not dialog.review_box.isVisible()
    assert dialog.resume_button.isEnabled()
    # Resume goes on with θ's calibration, not with training again
    argv: list[str] = []
    dialog.runner.start = argv.extend  # type: ignore[method-assign]
    dialog.resume()
    dialog._check_timer.stop()  # resume shows the run's settings: no data check needed here
    assert argv[0] == "calibrate"


def test_a_real_stop_before_the_end_still_reads_as_stopped(
    qtbot, dialog: TrainingDialog, tmp_path: Path
) -> None:
    """The trainer's line of a stop inside the loop names no finished run: still a stop."""
    dialog.state = RunState(dialog.config(), [], False)
    dialog._stage = dialog.config().stages()[0]
    dialog._phase = "train"
    dialog._stop_requested = True
    dialog.progress = TrainingProgress(4, 0)
    dialog._on_run_finished(EXIT_TERMINATED, "interrupted at step 2; continue with --resume")
    assert dialog.status.text().startswith("stopped at step")
    assert dialog.state.done == []


def _stop_calibration(dialog: TrainingDialog, tmp_path: Path, *, before: bool, after: bool):
    """The run's stage done, ``calibrate`` started (``before``: a calibrated file from an
    earlier run already there), then Stop, the trainer exiting 143 (``after``: once it had
    written this run's calibrated file)."""
    config = dialog.config()
    dialog.state = RunState(config, [str(s.out) for s in config.stages()], True)
    config.run_dir.mkdir(parents=True, exist_ok=True)
    dialog.state.save()
    make_tiny_checkpoint(config.final_checkpoint())
    calibrated = config.calibrated_path()
    if before:
        make_tiny_checkpoint(calibrated, seed=1)
    argv: list[str] = []
    dialog.runner.start = argv.extend  # type: ignore[method-assign]
    dialog._calibrate_or_install()
    assert argv[0] == "calibrate" and dialog.busy
    if after:
        written = make_tiny_checkpoint(tmp_path / "written.safetensors", seed=2)
        written.replace(calibrated)  # as AtomicFile writes it
    dialog._stop_requested = True
    dialog._on_run_finished(EXIT_TERMINATED, "forensic-train calibrate: terminated (SIGTERM)")
    return calibrated


@pytest.mark.parametrize("before", [False, True], ids=["new", "over-an-earlier-file"])
def test_stop_after_calibration_wrote_its_file_shows_the_review(
    dialog: TrainingDialog, tmp_path: Path, before: bool
) -> None:
    """It said "calibrate stopped; Resume runs it again" while Resume was off (the run
    folder counts as finished once the calibrated file is there)."""
    calibrated = _stop_calibration(dialog, tmp_path, before=before, after=True)
    assert "stopped" not in dialog.status.text()
    assert dialog.status.text().startswith("training finished: check the model's figures")
    assert dialog.review_box.isVisible() and dialog._pending is not None
    assert dialog._pending[0] == calibrated
    assert "calibrate: finished before the stop reached it" in dialog.log.toPlainText()
    assert not dialog.resume_button.isEnabled()


@pytest.mark.parametrize("before", [False, True], ids=["none", "an-earlier-file"])
def test_stop_before_calibration_wrote_its_file_is_resumed(
    dialog: TrainingDialog, tmp_path: Path, before: bool
) -> None:
    """A calibrated file left by an earlier run is not this run's: the stop is a stop, and
    Resume (which the words promise) is on and runs calibrate again."""
    calibrated = _stop_calibration(dialog, tmp_path, before=before, after=False)
    assert dialog.status.text() == "calibrate stopped; Resume runs it again and installs the model"
    assert not dialog.review_box.isVisible()
    assert dialog.resume_button.isEnabled()
    assert not calibrated.exists()
    # the earlier run's file is kept aside, never deleted
    assert calibrated.with_name(calibrated.name + ".earlier").is_file() == before
