"""Issue 21's rough edges in the training dialog (offscreen, no child process): markers on short
curves, header and ETA after Stop, and the review a trained model needs before installation."""

from __future__ import annotations

from pathlib import Path

import pytest

from forensic_viewer.gui.training_dialog import MARKED_POINTS, TrainingDialog
from tests.conftest import make_tiny_checkpoint
from trainer.plan import RunState
from trainer.progress import EXIT_INTERRUPTED, TrainingProgress
from trainer.review import FEW_STEPS, review_checkpoint

pytestmark = pytest.mark.gui


@pytest.fixture
def models_dir(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    """The user models folder of the test: the analyst's own is never touched."""
    folder = tmp_path / "models"
    monkeypatch.setenv("FORENSIC_VIEWER_MODELS", str(folder))
    return folder


@pytest.fixture
def dialog(qtbot, tmp_path: Path, models_dir: Path) -> TrainingDialog:
    d = TrainingDialog(runs_dir=tmp_path / "runs")
    qtbot.addWidget(d)
    d.arch.setCurrentText("crfd-net-compact")
    d.name.setText("short-run")
    d.show()
    return d


def _step(dialog: TrainingDialog, step: int) -> None:
    dialog._on_event(
        {
            "event": "step", "step": step, "epoch": 0, "loss": 0.7 - 0.001 * step,
            "bce": 0.6, "lr": 1e-4 * step, "samples_per_s": 10.0, "eta_s": 120.0,
        }
    )  # fmt: skip
    dialog._redraw()


def _running(dialog: TrainingDialog) -> None:
    """The dialog as it is during a run's training stage (without a child process)."""
    config = dialog.config()
    dialog.state = RunState(config, [], False)
    dialog._stage = config.stages()[0]
    dialog._phase = "train"
    dialog._set_header(f"{config.name}: {dialog._stage.title}")
    dialog.progress = TrainingProgress(config.batch_size, 0)


def _yellow_pixels(widget) -> int:
    from tests.viewer.test_main_window import pixels

    bgr = pixels(widget)[..., :3].astype(int)
    return int(((bgr[..., 2] > 200) & (bgr[..., 1] > 200) & (bgr[..., 0] < 80)).sum())


def test_a_single_step_is_drawn_with_a_marker(qtbot, dialog: TrainingDialog) -> None:
    _running(dialog)
    _step(dialog, 1)
    qtbot.wait(50)
    assert dialog.plotted()["lr"] == 1 and dialog.plotted()["loss:loss"] == 1
    assert dialog.lr_curve.opts["symbol"] == "o"
    assert _yellow_pixels(dialog.lr_plot) > 0  # the one learning-rate point is visible
    for step in range(2, MARKED_POINTS + 5):
        _step(dialog, step)
    assert dialog.lr_curve.opts["symbol"] is None  # a long curve is a plain line
    assert dialog.curves["loss:loss"].opts["symbol"] is None


def test_header_and_eta_say_stopped_after_stop(qtbot, dialog: TrainingDialog) -> None:
    _running(dialog)
    _step(dialog, 3)
    assert dialog.eta_label.text().startswith("ETA ")
    assert dialog.eta_label.text() != "ETA " and "training" in dialog.stage_label.text()
    dialog._stop_requested = True
    dialog._on_run_finished(EXIT_INTERRUPTED, "")
    assert not dialog.busy
    assert dialog.stage_label.text().endswith("— stopped at step 3")
    assert dialog.eta_label.text() == "stopped"
    dialog._dirty = True
    dialog._redraw()  # a late redraw does not bring an estimate back
    assert dialog.eta_label.text() == "stopped"


def _checkpoint(path: Path, steps: int, metrics: dict[str, float]) -> Path:
    from engine.checkpoints import load_checkpoint, save_checkpoint

    loaded = load_checkpoint(make_tiny_checkpoint(path, name="short-run"))
    loaded.meta.training = {"step": steps}
    loaded.meta.metrics = metrics
    return save_checkpoint(path, loaded.model, loaded.meta)


def test_review_warns_about_a_short_unvalidated_run(tmp_path: Path) -> None:
    short = review_checkpoint(_checkpoint(tmp_path / "a.safetensors", 9, {}))
    assert short.steps == 9 and short.figures == {}
    text = short.text()
    assert "trained for 9 steps" in text and "validation: none recorded" in text
    assert any(f"only 9 steps (fewer than {FEW_STEPS})" in w for w in short.warnings)
    assert any("no validation figures" in w for w in short.warnings)
    figures = {"val_pixel_f1": 0.41, "val_image_auc": 0.8, "val_images": 12.0}
    good = review_checkpoint(_checkpoint(tmp_path / "b.safetensors", 20_000, figures))
    assert good.warnings == [] and good.figures == {"val_pixel_f1": 0.41, "val_image_auc": 0.8}
    assert "validation: pixel_f1 0.410, image_auc 0.800" in good.text()


def test_a_trained_model_is_installed_only_after_the_analyst_confirms(
    qtbot, dialog: TrainingDialog, tmp_path: Path, models_dir: Path
) -> None:
    installed: list[str] = []
    dialog.modelInstalled.connect(installed.append)
    _running(dialog)
    _step(dialog, 9)
    model = _checkpoint(tmp_path / "run" / "final.safetensors", 9, {})
    dialog._install(model, "θ not calibrated")
    assert installed == [] and not (models_dir / "short-run.safetensors").exists()
    assert dialog.review_box.isVisible() and dialog.install_button.isVisible()
    review = dialog.review_label.text()
    assert "only 9 steps" in review and "no validation figures" in review
    assert "finished" in dialog.stage_label.text() and dialog.eta_label.text() == "finished"
    dialog.discard_install()
    assert installed == []
    assert not models_dir.exists() or not any(models_dir.iterdir())
    assert "not installed" in dialog.status.text() and not dialog.review_box.isVisible()

    dialog._install(model, "θ not calibrated")
    dialog.install_button.click()
    assert installed == [str(models_dir / "short-run.safetensors")]
    assert (models_dir / "short-run.safetensors").read_bytes() == model.read_bytes()
    assert not dialog.review_box.isVisible()
