"""The training dialog: real tiny runs of ``forensic-train`` launched from the dialog (offscreen):
complete and install, stop, bad data, trainer errors. The plan of a run and the progress stream
are plain Python, tested without Qt in tests/trainer/test_plan.py and test_progress.py."""

from __future__ import annotations

import dataclasses
import json
import os
from pathlib import Path

import pytest
from PySide6.QtCore import QSettings, Qt

from engine.checkpoints import read_meta
from engine.models import registry
from engine.models.registry import get_spec
from forensic_viewer.gui.trainer_process import TrainerProcess
from forensic_viewer.gui.training_dialog import EXIT_CRASHED, TrainingDialog
from forensic_viewer.gui.training_live import pin_constant
from tests.conftest import HANG_MS, make_tiny_checkpoint
from tests.trainer.conftest import make_folder
from tests.trainer.test_run_lock import held_run_folder
from trainer.plan import PROGRESS_LOG, RESUME_NAME, RunState, default_runs_dir


def test_failure_texts_carry_the_trainers_last_message() -> None:
    crashed = TrainingDialog._failure_text(EXIT_CRASHED, "")
    assert "stopped unexpectedly" in crashed and "out of memory" in crashed
    oom = "forensic-train fit: error: out of memory; try a smaller --batch-size or --window"
    assert TrainingDialog._failure_text(1, oom) == f"training failed (exit status 1): {oom}"


# --- the dialog with real child processes ----------------------------------------------------


@pytest.fixture
def data(tmp_path: Path) -> Path:
    """Six 48x48 forgeries with masks and two authentic images."""
    return make_folder(tmp_path / "data", 6, 2, seed=0, size=48)


def _configure(
    dialog: TrainingDialog,
    data: Path,
    *,
    name: str,
    epochs: int,
    max_steps: int,
    val_fraction: float = 0.3,
) -> None:
    dialog.arch.setCurrentText("crfd-net-compact")
    dialog.model_config.setText("channels=8,16,32")
    dialog.window.setValue(32)
    dialog.epochs.setValue(epochs)
    dialog.max_steps.setValue(max_steps)
    ready_to_check(dialog, data, name, val_fraction)


def ready_to_check(
    dialog: TrainingDialog, data: Path, name: str, val_fraction: float = 0.3
) -> None:
    """The split, device and name of a tiny run, then the data (which starts the check)."""
    # 0.3 of data: 3 tampered validation images, 2 authentic training ones (too few for θ)
    dialog.val_fraction.setValue(val_fraction)
    dialog.split_by.setCurrentText("seed")
    dialog.device.setCurrentText("cpu")
    dialog.threads.setValue(1)
    dialog.name.setText(name)
    dialog.set_data([data])


def _new_dialog(qtbot, tmp_path: Path) -> TrainingDialog:
    dialog = TrainingDialog(runs_dir=tmp_path / "runs")
    qtbot.addWidget(dialog)
    dialog.show()
    return dialog


@pytest.mark.gui
def test_pretrained_field_follows_the_architecture(qtbot, tmp_path: Path) -> None:
    dialog = _new_dialog(qtbot, tmp_path)
    dialog.arch.setCurrentText("diffforensics-effl0")
    assert dialog.pretrained.isEnabled() and dialog.pretrained.text() == "imagenet"
    assert dialog.config().pretrained == "imagenet"
    dialog.arch.setCurrentText("crfd-net-compact")
    assert not dialog.pretrained.isEnabled() and dialog.config().pretrained == ""
    dialog.arch.setCurrentText("m2f-swin-nano")
    assert dialog.pretrained.isEnabled() and dialog.pretrained.text() == ""  # no Swin shorthand
    dialog.arch.setCurrentText("m2f-effl0")
    assert dialog.pretrained.text() == "imagenet"


def test_only_architectures_with_a_training_family_are_offered(
    qtbot, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    # One registered without a family would start a child that exits 2 at once (dev
    # walk-through, finding 12); one declaring a family is offered whatever its name.
    crfd = get_spec("crfd-net-compact")
    for name, family in (("m2f-tiny-fcn", None), ("tiny-fcn", "crfd-net")):
        spec = dataclasses.replace(crfd, name=name, family=family)
        monkeypatch.setitem(registry._REGISTRY, name, spec)
    dialog = _new_dialog(qtbot, tmp_path)
    offered = [dialog.arch.itemText(i) for i in range(dialog.arch.count())]
    assert "tiny-fcn" in offered and "m2f-tiny-fcn" not in offered
    assert {"crfd-net-compact", "m2f-effl0", "diffforensics-effl0"} <= set(offered)


@pytest.mark.gui
def test_the_settings_open_at_their_full_width(qtbot, tmp_path: Path) -> None:
    """The settings pane opened at its minimum width: the form was cut at its right edge
    (the start-from list, the Browse… buttons) behind a horizontal scroll bar."""
    dialog = _new_dialog(qtbot, tmp_path)
    qtbot.waitExposed(dialog)
    assert dialog.settings_pane.horizontalScrollBar().maximum() == 0


@pytest.mark.gui
def test_start_stop_and_resume_are_in_view_without_scrolling(qtbot, tmp_path: Path) -> None:
    """At the dialog's own 1200x800 (all a 1280x800 screen has) the buttons and the readiness
    line were at the end of the scrolled form, below the fold: Stop was out of sight while a
    run went on, and why Start was off was hidden."""
    dialog = _new_dialog(qtbot, tmp_path)
    qtbot.waitExposed(dialog)
    assert dialog.height() <= 800 and dialog.settings_pane.verticalScrollBar().value() == 0
    for widget in (dialog.start_button, dialog.stop_button, dialog.resume_button):
        assert widget.visibleRegion().boundingRect().size() == widget.size()
    assert not dialog.readiness_label.visibleRegion().isEmpty()


@pytest.mark.gui
def test_the_data_checks_counts_are_shown_whole(qtbot, tmp_path: Path) -> None:
    """The counts of two data sets and the split wrap onto several lines in the settings pane:
    the scroll area gave the form the height of their unwrapped lines, and the label was cut
    at its top and bottom (the totals and the split's authentic counts unreadable)."""
    dialog = _new_dialog(qtbot, tmp_path)
    qtbot.waitExposed(dialog)
    sets = [
        {"path": f"/data/lab-{k}", "tampered": 20, "masks": 20, "authentic": 0}
        for k in ("casework-2026", "reference-set")
    ]
    split = {"train_tampered": 32, "train_authentic": 0, "val_tampered": 8, "val_authentic": 0}
    answer = {"tampered": 40, "masks": 40, "authentic": 0, "unreadable": 1, "datasets": sets}
    dialog._show_check_summary({**answer, "split": split, "calibration": False})
    label = dialog.data_summary
    qtbot.waitUntil(lambda: label.height() >= label.heightForWidth(label.width()), timeout=2000)
    assert label.heightForWidth(label.width()) > label.fontMetrics().lineSpacing() * 6  # wraps


@pytest.mark.gui
def test_a_problem_is_shown_whole_file_and_reason(qtbot, tmp_path: Path) -> None:
    """A problem line is the file, then what is wrong with it: the list showed as much as the
    pane's width held (the folder and the file's name) and cut the reason behind a horizontal
    scroll bar."""
    from PIL import Image

    data = make_folder(tmp_path / "casework-2026-lab-reference" / "data", 3, 2, seed=0, size=48)
    mask = data / "Tp" / "t001.png"
    Image.open(mask).resize((24, 24)).save(data / "Gt" / "t001.png")  # another size
    dialog = _new_dialog(qtbot, tmp_path)
    qtbot.waitExposed(dialog)
    dialog.name.setText("whole")
    dialog.set_data([data])
    problems = dialog.data_problems
    qtbot.waitUntil(lambda: problems.count() > 0, timeout=HANG_MS)
    item = problems.item(0)
    assert "mask is 24x24 but its image" in item.text()
    assert problems.horizontalScrollBar().maximum() == 0
    rect = problems.visualItemRect(item)
    assert rect.width() <= problems.viewport().width()
    assert rect.height() > 2 * problems.fontMetrics().lineSpacing()  # wrapped, not cut


def _problems(dialog: TrainingDialog) -> str:
    return "\n".join(
        dialog.data_problems.item(i).text() for i in range(dialog.data_problems.count())
    )


@pytest.mark.gui
@pytest.mark.slow
def test_tiny_run_completes_and_the_model_appears_in_the_selector(
    qtbot, tmp_path: Path, models_dir: Path
) -> None:
    from forensic_viewer.gui.main_window import MainWindow

    # calibrate sets θ on 5 authentic training and 5 tampered validation images at least
    data = make_folder(tmp_path / "big", 22, 14, seed=0, size=48)
    settings = QSettings(str(tmp_path / "settings.ini"), QSettings.Format.IniFormat)
    window = MainWindow(models=[], device="cpu", settings=settings)
    qtbot.addWidget(window)
    dialog = window.open_training()
    _configure(dialog, data, name="tiny-run", epochs=2, max_steps=0, val_fraction=0.5)
    qtbot.waitUntil(dialog.start_button.isEnabled, timeout=HANG_MS)
    assert "22 tampered images, 22 masks, 14 authentic images" in dialog.data_summary.text()
    assert "θ will be calibrated" in dialog.data_summary.text()

    qtbot.mouseClick(dialog.start_button, Qt.MouseButton.LeftButton)
    assert dialog.busy and not dialog.start_button.isEnabled()
    # nothing is installed before the analyst has seen the model's figures and confirmed
    qtbot.waitUntil(dialog.install_button.isVisible, timeout=HANG_MS)
    assert not models_dir.exists() or not any(models_dir.iterdir())
    assert "validation: " in dialog.review_label.text()
    with qtbot.waitSignal(dialog.modelInstalled, timeout=HANG_MS) as installed:
        qtbot.mouseClick(dialog.install_button, Qt.MouseButton.LeftButton)
    path = Path(installed.args[0])
    assert path == models_dir / "tiny-run.safetensors"
    meta = read_meta(path)
    assert meta.name == "tiny-run" and meta.architecture == "crfd-net-compact"
    assert meta.decision.details["strategy"] == "midpoint"  # θ measured by calibrate
    # a fresh run: its pixel threshold chosen on its validation split, not fit's untuned 0.5
    assert meta.decision.details["pixel_threshold_choice"] == "auto"
    assert "val_pixel_f1" in meta.metrics
    plotted = dialog.plotted()
    assert plotted["loss:loss"] >= 1 and plotted["loss:bce"] >= 1 and plotted["lr"] >= 1
    assert plotted["val:pixel_f1"] == 2  # one point per epoch
    assert dialog.progress_bar.value() == dialog.progress_bar.maximum()
    panel = window.model_panel
    row = panel.paths().index(str(path.resolve()))  # listed, so it can be checked and compared
    tooltip = panel.list.item(row).toolTip()
    assert (
        "θ = " in tooltip
        and "\ntraining-run validation split: " in tooltip
        and "pixel F1 " in tooltip  # named as the training log names it
    )
    assert "installed tiny-run.safetensors" in dialog.status.text()
    events = (default_runs_dir() / "tiny-run" / "progress.jsonl").read_text().splitlines()
    assert json.loads(events[-1])["event"] == "done"
    assert not dialog.start_button.isEnabled() and not dialog.resume_button.isEnabled()


@pytest.mark.gui
def test_stop_saves_a_checkpoint_and_offers_resume(
    qtbot, tmp_path: Path, models_dir: Path, data: Path
) -> None:
    dialog = _new_dialog(qtbot, tmp_path)
    _configure(dialog, data, name="long-run", epochs=100_000, max_steps=0)
    qtbot.waitUntil(dialog.start_button.isEnabled, timeout=HANG_MS)
    dialog.start()
    qtbot.waitUntil(
        lambda: dialog.progress is not None and dialog.progress.step >= 1, timeout=HANG_MS
    )
    assert dialog.stop_button.isEnabled()
    qtbot.mouseClick(dialog.stop_button, Qt.MouseButton.LeftButton)
    qtbot.waitUntil(lambda: not dialog.busy, timeout=HANG_MS)
    run = tmp_path / "runs" / "long-run"
    assert not dialog.runner.running
    assert (run / "last.safetensors").is_file() and (run / RESUME_NAME).is_file()
    assert "stopped at step" in dialog.status.text() and "Resume" in dialog.status.text()
    assert dialog.resume_button.isEnabled() and not dialog.start_button.isEnabled()
    assert not models_dir.exists() or not any(models_dir.iterdir())
    argv = dialog.state.config.stage_argv(dialog.state.config.stages()[0], resume=True)
    assert argv[-1] == "--resume" and argv[argv.index("--out") + 1] == str(run)


@pytest.mark.gui
def test_bad_folder_shows_the_problem_and_never_starts(
    qtbot, tmp_path: Path, models_dir: Path, data: Path
) -> None:
    (data / "Gt" / "t001.png").unlink()
    dialog = _new_dialog(qtbot, tmp_path)
    _configure(dialog, data, name="bad", epochs=1, max_steps=1)
    qtbot.waitUntil(lambda: dialog.data_problems.count() > 0, timeout=HANG_MS)
    assert "t001.png: tampered image has no mask" in _problems(dialog)
    assert "6 tampered images, 5 masks, 2 authentic images" in dialog.data_summary.text()
    assert not dialog.start_button.isEnabled()
    dialog.start()
    assert not dialog.busy and not dialog.runner.running
    assert not (tmp_path / "runs" / "bad").exists()

    dialog.set_data([tmp_path / "nowhere"])
    qtbot.waitUntil(lambda: "no such data folder" in _problems(dialog), timeout=HANG_MS)
    assert not dialog.start_button.isEnabled()


@pytest.mark.gui
def test_a_trainer_error_is_shown_with_its_last_message(
    qtbot, tmp_path: Path, models_dir: Path, data: Path
) -> None:
    dialog = _new_dialog(qtbot, tmp_path)
    _configure(dialog, data, name="refused", epochs=1, max_steps=1)
    dialog.extra.setText("--no-such-option")
    qtbot.waitUntil(dialog.start_button.isEnabled, timeout=HANG_MS)
    dialog.start()
    qtbot.waitUntil(lambda: not dialog.busy, timeout=HANG_MS)
    text = dialog.status.text()
    assert "the trainer refused the data or settings" in text
    assert "unrecognized arguments: --no-such-option" in text
    assert dialog.start_button.isEnabled()  # nothing was trained: a corrected run can start


@pytest.mark.gui
def test_a_run_folder_another_trainer_holds_is_refused_naming_it(
    qtbot, tmp_path: Path, models_dir: Path, data: Path
) -> None:
    """A second viewer window, or ``forensic-train fit --resume`` in a shell, trains in the run
    folder: this dialog's trainer is refused at once and the dialog says so, naming the
    holder, instead of both writing the same checkpoints."""
    from trainer.run_folder import RunLock

    dialog = _new_dialog(qtbot, tmp_path)
    _configure(dialog, data, name="busy", epochs=1, max_steps=1)
    qtbot.waitUntil(dialog.start_button.isEnabled, timeout=HANG_MS)
    with RunLock(tmp_path / "runs" / "busy", command="forensic-train fit"):
        dialog.start()
        qtbot.waitUntil(lambda: not dialog.busy, timeout=HANG_MS)
    text = dialog.status.text()
    assert "the run folder is in use by another trainer" in text, text
    assert f"PID {os.getpid()}" in text and "forensic-train fit" in text, text
    assert not (tmp_path / "runs" / "busy" / RESUME_NAME).exists()


def _records(folder: Path) -> dict[str, tuple[bytes, int]]:
    """Every file under ``folder``: its bytes and modification time."""
    return {
        str(p.relative_to(folder)): (p.read_bytes(), p.stat().st_mtime_ns)
        for p in sorted(folder.rglob("*"))
        if p.is_file()
    }


def _refused_untouched(
    dialog: TrainingDialog, run: Path, pid: int, before: dict, state: RunState | None = None
) -> None:
    """The dialog said the refusal as for a trainer's exit status 3, started no trainer, and
    left every record of the run folder as the holder's window wrote it."""
    assert _records(run) == before
    text = dialog.status.text()
    assert "the run folder is in use by another trainer" in text, text
    assert f"PID {pid}" in text and "forensic-train fit" in text, text
    assert not dialog.busy and not dialog.runner.running
    assert "$ forensic-train" not in dialog.log.toPlainText()
    # a run that never started did not fail: the header says so, the dialog's run unchanged
    assert dialog.stage_label.text() == (
        f"not started: the run folder is in use by another trainer (PID {pid})"
    )
    assert "failed" not in dialog.eta_label.text() and dialog.state is state


@pytest.mark.gui
def test_a_second_window_starting_a_held_run_leaves_its_records_untouched(
    qtbot, tmp_path: Path, models_dir: Path, data: Path
) -> None:
    """The first window's run has not reached its first checkpoint (Start is offered for it);
    a second window's Start asks the lock first and writes neither ``training-dialog.json``
    nor ``progress.jsonl``, which it overwrote before its trainer was refused."""
    dialog = _new_dialog(qtbot, tmp_path)
    _configure(dialog, data, name="shared", epochs=1, max_steps=1)
    qtbot.waitUntil(dialog.start_button.isEnabled, timeout=HANG_MS)
    run = tmp_path / "runs" / "shared"
    RunState(dialog.config(), [], True).save()  # the first window's, and its trainer's events
    (run / PROGRESS_LOG).write_text('{"event": "data", "train": 6}\n', encoding="utf-8")
    earlier = RunState(dialog.config(), [str(run)], True)  # this window's finished run
    dialog.state = earlier
    with held_run_folder(run) as pid:
        before = _records(run)
        dialog.start()
        _refused_untouched(dialog, run, pid, before, earlier)


@pytest.mark.gui
def test_a_second_window_resuming_a_held_run_leaves_its_records_untouched(
    qtbot, tmp_path: Path, models_dir: Path, data: Path
) -> None:
    """A two-stage run whose first window trains stage 2 (no checkpoint yet): a second
    window's Resume would begin stage 2 anew, removing its ``progress.jsonl``; it asks the
    lock of every folder of the run first."""
    dialog = _new_dialog(qtbot, tmp_path)
    _configure(dialog, data, name="shared2", epochs=1, max_steps=1)
    run = tmp_path / "runs" / "shared2"
    config = dataclasses.replace(dialog.config(), arch="diffforensics-effl0")
    one, two = (stage.out for stage in config.stages())
    two.mkdir(parents=True)
    RunState(config, [str(one)], True).save()
    (two / PROGRESS_LOG).write_text('{"event": "data", "train": 6}\n', encoding="utf-8")
    with held_run_folder(two) as pid:
        before = _records(run)
        dialog.resume()
        _refused_untouched(dialog, run, pid, before)


@pytest.mark.gui
def test_a_calibrate_refused_for_a_trainer_in_the_run_folder_offers_no_install(
    qtbot, tmp_path: Path, models_dir: Path, data: Path
) -> None:
    """The run's stage ended and a ``fit --resume`` from a shell took its folder before the
    dialog's calibrate: calibrate is refused (exit status 3) and the dialog says so, with
    Resume to run it again, instead of offering the checkpoint the trainer is replacing as a
    model with θ not calibrated."""
    dialog = _new_dialog(qtbot, tmp_path)
    _configure(dialog, data, name="cal", epochs=1, max_steps=1)
    config = dialog.config()
    config.run_dir.mkdir(parents=True)
    (config.run_dir / "run.json").write_text("{}", encoding="utf-8")
    make_tiny_checkpoint(config.final_checkpoint())
    dialog.state = RunState(config, [str(config.run_dir)], True)
    with held_run_folder(config.run_dir) as pid:
        dialog._calibrate_or_install()  # what follows the last stage's end
        qtbot.waitUntil(lambda: not dialog.busy, timeout=HANG_MS)
    text = dialog.status.text()
    assert "the run folder is in use by another trainer" in text and f"PID {pid}" in text, text
    assert "Resume runs it again" in text and not dialog.review_box.isVisible()
    assert not config.calibrated_path().exists()


@pytest.mark.gui
def test_the_processes_box_reaches_the_command_and_a_resumed_config(qtbot, tmp_path: Path) -> None:
    dialog = _new_dialog(qtbot, tmp_path)
    assert dialog.processes.value() == 1 and "--nproc" not in _stage_argv(dialog)
    dialog.processes.setValue(2)
    argv = _stage_argv(dialog)
    assert argv[argv.index("--nproc") + 1] == "2"
    config = dialog.config()
    dialog.processes.setValue(1)
    dialog.set_config(config)
    assert dialog.processes.value() == 2


def _stage_argv(dialog: TrainingDialog) -> list[str]:
    config = dialog.config()
    return config.stage_argv(config.stages()[0], resume=False)


@pytest.mark.gui
def test_masks_as_given_reaches_the_check_fit_and_calibrate_and_a_resumed_config(
    qtbot, tmp_path: Path
) -> None:
    """A set of large removals or inpainting is refused by the data check as inverted masks:
    the dialog's box passes --masks-as-given to every command that applies the rule, so the
    check lets Start go and fit and calibrate measure the same masks; each command takes it."""
    from trainer.cli import build_parser

    dialog = _new_dialog(qtbot, tmp_path)
    dialog.set_data([str(tmp_path / "d")])
    flag = "--masks-as-given"
    assert flag not in dialog.config().check_argv() and flag not in _stage_argv(dialog)
    dialog.masks_as_given.setChecked(True)
    config = dialog.config()
    model = tmp_path / "m.safetensors"
    argvs = [config.check_argv(), _stage_argv(dialog), config.calibrate_argv(model)]
    for argv in argvs:
        assert flag in argv
        assert build_parser().parse_args(argv).masks_as_given
    dialog.masks_as_given.setChecked(False)
    dialog.set_config(config)
    assert dialog.masks_as_given.isChecked()


def test_the_trainer_is_told_to_stop_with_the_viewer() -> None:
    """The dialog's child process carries the viewer's process id, by which ``forensic-train``
    stops with a checkpoint when the viewer dies without quitting (tests/trainer/
    test_parent_death.py)."""
    from engine.ending import PARENT_ENV

    child = TrainerProcess()
    assert child.process.processEnvironment().value(PARENT_ENV) == str(os.getpid())


def test_the_data_check_counts_the_test_half_apart_from_validation(tmp_path: Path) -> None:
    """fit and calibrate choose on the held-out part's validation half: the dialog's split
    line said "validation" for the whole held-out part, test half included."""
    from forensic_viewer.gui.training_form import summarize_check
    from trainer.check import check

    root = make_folder(tmp_path / "d", 6, 2, seed=0, size=48)
    result = check([str(root)], split_by="seed", val_fraction=0.3)
    split = result["split"]
    assert split["test_tampered"] + split["test_authentic"] > 0
    text = summarize_check(result)
    assert (
        f"validation {split['val_tampered']} tampered + {split['val_authentic']} authentic, "
        f"test {split['test_tampered']} tampered + {split['test_authentic']} authentic "
        "(chooses nothing)"
    ) in text


@pytest.mark.gui
def test_a_finished_run_picked_in_a_new_session_shows_its_review_and_installs(
    qtbot, tmp_path: Path, models_dir: Path, data: Path
) -> None:
    """A run that finished in an earlier session, its dialog closed without Install: picked
    among the earlier runs, it showed "no run" and offered no review or Install."""
    first = _new_dialog(qtbot, tmp_path)
    _configure(first, data, name="done1", epochs=1, max_steps=2)
    config = first.config()
    (stage,) = config.stages()
    make_tiny_checkpoint(stage.out / "last.safetensors", name="done1")
    (stage.out / PROGRESS_LOG).write_text(
        '{"event": "step", "step": 1, "epoch": 0, "loss": 0.7, "lr": 0.0001}\n'
        '{"event": "step", "step": 2, "epoch": 0, "loss": 0.6, "lr": 0.0001}\n',
        encoding="utf-8",
    )
    RunState(config, [str(stage.out)], calibrate=False).save()
    first.close()

    dialog = _new_dialog(qtbot, tmp_path)  # the next session's
    dialog.list_earlier_runs()
    labels = [dialog.earlier.itemText(i) for i in range(dialog.earlier.count())]
    index = next(i for i, text in enumerate(labels) if text.startswith("done1 — finished"))
    dialog._on_run_picked(index)
    assert dialog.name.text() == "done1"
    assert not dialog.review_box.isHidden() and dialog.install_button.isEnabled()
    assert dialog.stage_label.text().startswith("done1: run finished")
    assert "θ not calibrated" in dialog.review_label.text()
    assert dialog.progress is not None and dialog.progress.step == 2  # its curves back
    dialog.install_button.click()
    assert (models_dir / "done1.safetensors").is_file()
    assert not dialog.resume_button.isEnabled()


def test_loss_curves_are_told_apart_without_hue_and_a_constant_lr_is_readable(
    qtbot, tmp_path: Path
) -> None:
    """Walk-through cvd (2026-12-06), finding 5: nine loss curves of one solid style in a hue
    wheel's colours merged for a deuteranope; and a constant learning rate of 1e-4 was drawn
    as a flat line at "0" on an axis from -0.4 to 0.5."""
    dialog = _new_dialog(qtbot, tmp_path)
    names = ["loss", "seg", "seg_wbce", "seg_dice", "edge", "edge_1", "edge_2", "edge_3", "d"]
    curves = [dialog._curve(dialog.loss_plot, f"loss:{n}", n) for n in names]
    styles = [c.opts["pen"].style() for c in curves]
    assert len(set(styles[:4])) == 4  # consecutive curves differ by line style
    looks = {
        (c.opts["pen"].color().getRgb(), s, c.opts["symbol"])
        for c, s in zip(curves, styles, strict=True)
    }
    assert len(looks) == len(names)
    assert len({c.opts["symbol"] for c in curves}) == len(names)  # a marker each, while few
    dialog.lr_plot.plot([1.0, 2.0, 3.0], [1e-4] * 3)
    pin_constant(dialog.lr_plot, [1e-4] * 3)
    low, high = dialog.lr_plot.viewRange()[1]
    assert 0 < low < 1e-4 < high < 2e-4
