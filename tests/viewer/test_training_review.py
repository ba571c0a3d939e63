"""Issue 21's rough edges in the training dialog (offscreen, no child process): markers on short
curves, header and ETA after Stop, and the review a trained model needs before installation;
then what an audit of its use found: Resume on a finished run, the last validation after Stop,
a log in words, the step total, validation figures told apart."""

from __future__ import annotations

import json
import os
from pathlib import Path

import pyqtgraph as pg
import pytest

from forensic_viewer.gui.training_dialog import TrainingDialog
from forensic_viewer.gui.training_live import MARKED_POINTS, last_points
from tests.conftest import HANG_S, make_tiny_checkpoint
from trainer.plan import PROGRESS_LOG, RESUME_NAME, RunState
from trainer.progress import (
    EXIT_INTERRUPTED,
    EXIT_TERMINATED,
    Series,
    TrainingProgress,
    describe_event,
    figure_words,
)
from trainer.review import FEW_STEPS, review_checkpoint

pytestmark = pytest.mark.gui


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
    dialog.resize(1200, 800)  # the offscreen default left the chart 120 pixels for a wider scene
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
    assert "validation: pixel F1 0.410, image AUC 0.800" in good.text()


def test_the_review_names_the_figures_as_the_training_log_does(tmp_path: Path) -> None:
    """The review had its own order and the raw names (``pixel_f1``, ``image_bacc``) while the
    log and the status said ``pixel F1``, ``image balanced accuracy``: one wording for both."""
    figures = {"image_eer": 0.2, "image_bacc": 0.75, "pixel_f1_best": 0.5, "pixel_f1": 0.41}
    recorded = {f"val_{k}": v for k, v in figures.items()}
    review = review_checkpoint(_checkpoint(tmp_path / "c.safetensors", 20_000, recorded))
    line = next(ln for ln in review.text().splitlines() if ln.startswith("validation: "))
    logged = describe_event({"event": "val", "epoch": 1, "step": 3, **figures})
    assert line == f"validation: {figure_words(figures)}"
    assert logged.endswith(": " + line.removeprefix("validation: "))
    assert line == (
        "validation: pixel F1 0.410, pixel F1 at the best threshold 0.500, "
        "image balanced accuracy 0.750, image EER 0.200"
    )


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


# --- what an audit of the ML engineer's use found ----------------------------------------------


def _val(dialog: TrainingDialog, epoch: int, **figures: float) -> None:
    dialog._on_event({"event": "val", "epoch": epoch, "step": 3, "images": 12, **figures})
    dialog._redraw()


def test_resume_is_disabled_for_a_finished_run_and_says_why(
    dialog: TrainingDialog, tmp_path: Path
) -> None:
    dialog.set_data([tmp_path / "data"])
    dialog._check_timer.stop()  # no data check process: Resume does not wait for one
    config = dialog.config()
    (stage,) = config.stages()
    stage.out.mkdir(parents=True)
    (stage.out / RESUME_NAME).write_bytes(b"")  # fit leaves it beside every checkpoint
    RunState(config, [], calibrate=False).save()  # stopped during training
    dialog._update_buttons()
    assert dialog.resume_button.isEnabled()
    assert dialog.resume_button.toolTip().startswith("continue the stopped run")
    RunState(config, [str(stage.out)], calibrate=False).save()  # trained to the end
    dialog._update_buttons()
    assert not dialog.resume_button.isEnabled() and not dialog.start_button.isEnabled()
    assert (
        dialog.resume_button.toolTip() == f"nothing to resume: the run in {config.run_dir} finished"
    )
    assert "holds a finished run" in dialog.readiness_label.text()


def test_a_stop_keeps_the_last_validation_in_view(dialog: TrainingDialog) -> None:
    """Stop at an epoch's end: the status said only "stopped at step N" and the figures just
    received were nowhere to read but a log line; SIGTERM's 143 reads as a stop too."""
    _running(dialog)
    _step(dialog, 3)
    _val(dialog, 1, pixel_f1=0.4123, image_auc=0.8, pixel_images=9)
    assert "; last validation (epoch 1): pixel F1 0.412, image AUC 0.800" in dialog.status.text()
    dialog._stop_requested = True
    dialog._on_run_finished(EXIT_TERMINATED, "")
    status = dialog.status.text()
    assert status.startswith("stopped at step 3; last validation (epoch 1): pixel F1 0.412")
    assert dialog.stage_label.text().endswith("— stopped at step 3")


def test_the_log_reads_in_words_and_the_raw_events_stay_on_disk(
    dialog: TrainingDialog, tmp_path: Path
) -> None:
    _running(dialog)
    raw = tmp_path / "progress.jsonl"
    dialog._events_file = open(raw, "w", encoding="utf-8")  # closed by _close_events below
    events = [
        {"event": "step", "step": 3, "epoch": 0, "loss": 0.697, "bce": 0.6, "lr": 1e-4,
         "samples_per_s": 10.0, "eta_s": 120.0, "total_steps": 40},
        {"event": "val", "epoch": 1, "step": 3, "images": 12, "pixel_f1": 0.4123},
        {"event": "checkpoint", "step": 3, "epoch": 1, "path": "/runs/r/last.safetensors"},
    ]  # fmt: skip
    for event in events:
        dialog._on_event(event)
    dialog._close_events()
    log = dialog.log.toPlainText()
    assert "step 3 of 40 (epoch 1): loss 0.6970 (bce 0.6000), learning rate 1.00e-04" in log
    assert "validation after epoch 1 (step 3) on 12 images: pixel F1 0.412" in log
    assert "checkpoint at step 3: /runs/r/last.safetensors" in log
    assert "{" not in log
    assert [json.loads(line) for line in raw.read_text().splitlines()] == events


def test_the_status_gives_the_trainers_step_total(dialog: TrainingDialog) -> None:
    _running(dialog)
    dialog._on_event(
        {"event": "step", "step": 120, "epoch": 1, "loss": 0.5, "lr": 1e-4,
         "samples_per_s": 10.0, "eta_s": 120.0, "total_steps": 3198}
    )  # fmt: skip
    dialog._redraw()
    assert dialog.status.text().startswith("step 120 of 3198, epoch 2")
    assert dialog.progress.total_steps() == 3198


def test_each_validation_figure_has_its_own_colour_marker_and_legend_entry(
    dialog: TrainingDialog,
) -> None:
    _running(dialog)
    _val(dialog, 1, pixel_f1=0.4, image_auc=0.8, pixel_iou=0.3)
    curves = [dialog.curves[f"val:{k}"] for k in ("pixel_f1", "image_auc", "pixel_iou")]
    symbols = [c.opts["symbol"] for c in curves]
    brushes = [pg.mkBrush(c.opts["symbolBrush"]).color().name() for c in curves]
    assert None not in symbols and len(set(symbols)) == 3
    assert len(set(brushes)) == 3  # the dots were all pyqtgraph's default colour
    assert brushes == [pg.mkPen(c.opts["pen"]).color().name() for c in curves]
    legend = dialog.val_plot.plotItem.legend
    assert sorted(label.text for _, label in legend.items) == ["image AUC", "pixel F1", "pixel IoU"]
    _val(dialog, 2, pixel_f1=0.5, image_auc=0.85, pixel_iou=0.35)
    assert [c.opts["symbol"] for c in curves] == symbols  # a figure keeps its marker


@pytest.mark.skipif(not hasattr(os, "mkfifo"), reason="named pipes are POSIX")
@pytest.mark.timeout(HANG_S)
def test_a_pipe_as_a_stages_event_log_is_worded_without_nested_brackets(
    dialog: TrainingDialog,
) -> None:
    """Resuming a stage whose ``progress.jsonl`` is a named pipe said "cannot write the run
    folder (not a regular file (a device, pipe or socket))": the reason once, after a colon."""
    config = dialog.config()
    (stage,) = config.stages()
    stage.out.mkdir(parents=True)
    (stage.out / RESUME_NAME).write_bytes(b"")  # the stage resumes: its events are kept
    os.mkfifo(events := stage.out / PROGRESS_LOG)
    dialog.state = RunState(config, [], False)
    dialog._launch_next()
    assert not dialog.busy and not dialog.runner.running
    assert dialog.status.text() == (
        f"{events}: cannot write the run folder: not a regular file (a device, pipe or socket)"
    )


def test_a_link_as_a_stages_event_log_is_refused_never_appended_through(
    dialog: TrainingDialog, tmp_path: Path
) -> None:
    """A resumed stage appended its events through a symbolic link at ``progress.jsonl`` (a
    run folder copied from elsewhere, or planted): the file it names, an evidence file here,
    grew by the dialog's event lines. The link is refused in one line, the file untouched."""
    config = dialog.config()
    (stage,) = config.stages()
    stage.out.mkdir(parents=True)
    (stage.out / RESUME_NAME).write_bytes(b"")  # the stage resumes: its events are kept
    evidence = tmp_path / "evidence.txt"
    evidence.write_bytes(b"evidence\n")
    (events := stage.out / PROGRESS_LOG).symlink_to(evidence)
    dialog.state = RunState(config, [], False)
    dialog._launch_next()
    assert not dialog.busy and not dialog.runner.running
    assert dialog.status.text() == (
        f"{events}: cannot write the run folder: a symbolic link, not a regular file"
    )
    assert evidence.read_bytes() == b"evidence\n"


def _trained(path: Path, training: dict, name: str = "short-run") -> Path:
    from engine.checkpoints import load_checkpoint, save_checkpoint

    loaded = load_checkpoint(make_tiny_checkpoint(path, name=name))
    loaded.meta.training = training
    return save_checkpoint(path, loaded.model, loaded.meta)


def test_a_short_fine_tune_is_said_to_be_close_to_its_starting_model(tmp_path: Path) -> None:
    """A fine-tune of a bundled model (the dialog's "start from") for a few steps was said to
    have heatmaps "close to an untrained network's": it is close to the trained model it
    started from. A stage 2 started from DiffForensics' pretraining (no masks learnt) is not."""
    base = _trained(tmp_path / "base.safetensors", {"stage": "fit", "step": 20_000}, "base")
    tuned = review_checkpoint(
        _trained(tmp_path / "t.safetensors", {"stage": "fit", "step": 8, "init": str(base)})
    )
    assert tuned.text().startswith("short-run: fine-tuned from base for 8 steps")
    warning = next(w for w in tuned.warnings if "steps" in w)
    assert "only 8 steps" in warning and "close to those of base, the model it started" in warning
    assert "untrained" not in tuned.text()
    stage1 = _trained(tmp_path / "s1.safetensors", {"stage": "pretrain", "step": 500})
    stage2 = review_checkpoint(
        _trained(tmp_path / "s2.safetensors", {"stage": "fit", "step": 8, "init": str(stage1)})
    )
    assert stage2.text().startswith("short-run: trained for 8 steps")
    assert any("close to an untrained network's" in w for w in stage2.warnings)


def test_closing_the_dialog_during_a_run_is_said_and_so_is_its_end(
    qtbot, tmp_path: Path, models_dir: Path
) -> None:
    """Closing the dialog hides it and the run goes on; nothing said so, nor that quitting the
    viewer stops it, nor later that the hidden run had stopped, failed or finished."""
    from PySide6.QtCore import QSettings

    from forensic_viewer.gui.main_window import MainWindow

    settings = QSettings(str(tmp_path / "settings.ini"), QSettings.Format.IniFormat)
    window = MainWindow(models=[], device="cpu", settings=settings)
    qtbot.addWidget(window)
    dialog = window.open_training()
    dialog.name.setText("bg-run")
    _running(dialog)
    dialog.close()
    assert not dialog.isVisible() and dialog.busy  # hidden, still running
    said = window.statusBar().currentMessage()
    assert said.startswith("training bg-run goes on in the background (Models ▸ Train a model")
    assert "quitting the viewer stops it with a checkpoint, which Resume continues" in said
    dialog._stop_requested = True
    dialog._on_run_finished(EXIT_INTERRUPTED, "")
    assert window.statusBar().currentMessage() == (
        "training bg-run: training — stopped; Models ▸ Train a model… shows it"
    )


def test_the_review_says_how_many_images_the_figures_were_measured_on(tmp_path: Path) -> None:
    """A user's split can hold six validation images: 'image accuracy 0.667' read as a rate,
    with nothing saying it was four of six."""
    counts = {"images": 6, "tampered": 4, "authentic": 2, "pixel_f1": 0.27, "image_acc": 2 / 3}
    path = _trained(tmp_path / "v.safetensors", {"stage": "fit", "step": 20_000, "metrics": counts})
    from engine.checkpoints import load_checkpoint, save_checkpoint

    loaded = load_checkpoint(path)
    loaded.meta.metrics = {"val_pixel_f1": 0.27, "val_image_acc": 2 / 3}
    review = review_checkpoint(save_checkpoint(path, loaded.model, loaded.meta))
    line = next(ln for ln in review.text().splitlines() if ln.startswith("validation: "))
    assert line.endswith("image accuracy 0.667 (on 6 images: 4 tampered, 2 authentic)")


def test_a_best_checkpoint_from_earlier_in_the_run_is_said_to_be_so(
    dialog: TrainingDialog, tmp_path: Path
) -> None:
    """A run of 22 steps whose best validation came at step 8 installs that checkpoint: the
    review said "fine-tuned ... for 8 steps" alone, which read as a run cut short."""
    _running(dialog)
    _step(dialog, 22)
    model = _checkpoint(tmp_path / "run" / "best.safetensors", 8, {"val_pixel_f1": 0.4})
    dialog._install(model, "θ calibrated on the validation split")
    review = dialog.review_label.text()
    assert (
        "for 8 steps (best.safetensors: the checkpoint of its best validation; the run went on to step 22)"
        in review
    )
    _running(dialog)  # a checkpoint of the run's last step: nothing more to say
    _step(dialog, 8)
    dialog._install(model, "θ calibrated on the validation split")
    assert "for 8 steps (best.safetensors)" in dialog.review_label.text()


def test_the_status_never_says_a_step_past_its_total(dialog: TrainingDialog) -> None:
    """A validation at step 19 after step events counting to 18 read "step 19 of 18"."""
    _running(dialog)
    dialog._on_event({"event": "step", "step": 18, "epoch": 1, "loss": 0.5, "total_steps": 18})
    dialog._on_event({"event": "val", "epoch": 2, "step": 19, "pixel_f1": 0.25})
    dialog._redraw()
    assert dialog.status.text().startswith("step 19, past the 18 estimated, epoch 2")


def test_a_charts_words_give_each_curve_the_x_it_was_measured_at() -> None:
    """Every curve's last value was said "at" the latest x of any curve: a validation figure
    measured at epoch 2 was read as epoch 3's."""
    f1, auc = Series(), Series()
    for epoch in (1, 2, 3):
        f1.add(epoch, 0.1 * epoch)
    auc.add(1, 0.7)
    auc.add(2, 0.8)
    said = last_points({"pixel F1": f1, "AUC": auc}, "epoch")
    assert said == "at epoch 3: pixel F1 0.3; at epoch 2: AUC 0.8", said
    assert last_points({"pixel F1": f1}, "epoch") == "at epoch 3: pixel F1 0.3"
