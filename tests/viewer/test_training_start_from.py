"""The training dialog's "start from" row (offscreen): fine-tuning a bundled, installed or
chosen checkpoint. What a choice means for the run (one ``fit --init`` stage, the checkpoint's
configuration, the problems that stop it) is tested without Qt in tests/trainer/test_plan.py;
here, that the dialog lists the right models, locks its settings to the one chosen, shows
what stops it, and that a fine-tune started from the dialog trains the checkpoint's network."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
from PySide6.QtCore import Qt
from PySide6.QtWidgets import QFileDialog

from engine.checkpoints import read_meta
from forensic_viewer.gui.start_from import CHOOSE, INITIAL
from forensic_viewer.gui.training_dialog import TrainingDialog
from tests.conftest import HANG_MS, make_tiny_checkpoint
from tests.trainer.conftest import make_folder
from tests.trainer.test_plan import write_checkpoint
from tests.viewer.test_training_dialog import ready_to_check


@pytest.fixture
def models_dir(models_dir: Path) -> Path:
    """The test's user models folder (tests/viewer/conftest.py), made: checkpoints go in."""
    models_dir.mkdir()
    return models_dir


def _dialog(qtbot, tmp_path: Path) -> TrainingDialog:
    dialog = TrainingDialog(runs_dir=tmp_path / "runs")
    qtbot.addWidget(dialog)
    dialog.show()
    return dialog


def _items(dialog: TrainingDialog) -> list[str]:
    combo = dialog.start_from.combo
    return [combo.itemText(i) for i in range(combo.count())]


def _choose(dialog: TrainingDialog, path: str | Path) -> None:
    """Pick ``path`` in the list as the analyst does ("" : the initial weights)."""
    combo = dialog.start_from.combo
    index = combo.findData(str(path) if path else "")
    assert index >= 0, (path, _items(dialog))
    combo.setCurrentIndex(index)


@pytest.mark.gui
def test_the_list_holds_the_catalogs_whole_image_and_face_models(
    qtbot, tmp_path: Path, models_dir: Path
) -> None:
    make_tiny_checkpoint(models_dir / "mine.safetensors", name="mine")
    write_checkpoint(models_dir / "my-faces.safetensors", "crfd-net-compact", scope="faces")
    dialog = _dialog(qtbot, tmp_path)
    items = _items(dialog)
    assert items[0] == INITIAL and items[-1] == CHOOSE
    assert dialog.start_from.path == "" and dialog.config().init == ""
    assert "mine (installed: crfd-net-compact, window 64)" in items
    assert "my-faces (installed: crfd-net-compact, window 64)" in items
    dialog.hide()  # a model installed meanwhile is listed when the dialog is shown again
    later = make_tiny_checkpoint(models_dir / "later.safetensors", name="later")
    dialog.show()
    assert "later (installed: crfd-net-compact, window 64)" in _items(dialog)
    _choose(dialog, later)
    dialog.hide()  # the chosen model removed meanwhile stays the one shown and configured
    later.unlink()
    dialog.show()
    assert dialog.start_from.combo.currentData() == str(later)
    assert dialog.config().init == str(later) and "later (installed" not in _items(dialog)


@pytest.mark.gui
def test_choosing_a_model_locks_the_architecture_and_makes_one_fit_init_stage(
    qtbot, tmp_path: Path, models_dir: Path
) -> None:
    ckpt = write_checkpoint(models_dir / "df.safetensors", "diffforensics-compact")  # window 64
    dialog = _dialog(qtbot, tmp_path)
    dialog.arch.setCurrentText("m2f-swin-nano")
    dialog.model_config.setText("depths=1,1,1,1")
    assert dialog.window.value() == 128 and dialog.pretrained.isEnabled()

    _choose(dialog, ckpt)
    assert dialog.arch.currentText() == "diffforensics-compact" and not dialog.arch.isEnabled()
    assert dialog.window.value() == 64  # the checkpoint's window, proposed
    assert not dialog.pretrained.isEnabled() and not dialog.pick_pretrained.isEnabled()
    assert not dialog.model_config.isEnabled()
    # emptied, not greyed: the typed configuration and pretrained weights are not used
    assert dialog.model_config.text() == "" and dialog.pretrained.text() == ""
    assert dialog.stages_label.text() == (
        "one stage: fine-tuning df.safetensors (fit --init; no pretrain stage: the checkpoint "
        "holds it); then calibrate sets θ (the best validation balanced accuracy of Table 3's "
        "three) on the validation split, keeping the starting model's pixel threshold"
    )
    assert dialog.start_note.text() == ""
    config = dialog.config()
    assert (config.init, config.pretrained, config.model_config) == (str(ckpt), "", [])
    (stage,) = config.stages()
    argv = config.stage_argv(stage, resume=False)
    assert argv[0] == "fit" and argv[argv.index("--init") + 1] == str(ckpt)
    dialog.window.setValue(96)  # only a proposal
    assert dialog.config().window == 96

    _choose(dialog, "")  # back to the architecture's initial weights
    assert dialog.arch.isEnabled() and dialog.pretrained.isEnabled()
    assert dialog.model_config.isEnabled() and dialog.config().model_config == ["depths=1,1,1,1"]
    assert dialog.model_config.text() == "depths=1,1,1,1"  # what was typed comes back
    assert dialog.stages_label.text().startswith("two stages")
    # a fresh run's pixel threshold is chosen on the validation split, not fit's untuned 0.5
    assert dialog.stages_label.text().endswith(
        "; then calibrate chooses θ (the best validation balanced accuracy of Table 3's three) "
        "and the pixel threshold on the validation split"
    )
    assert [s.command for s in dialog.config().stages()] == ["pretrain", "fit"]


@pytest.mark.gui
def test_a_face_model_is_fine_tuned_then_decided_by_face_model_and_a_missing_file_refused(
    qtbot, tmp_path: Path, models_dir: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    face = write_checkpoint(
        tmp_path / "faces.safetensors", "crfd-net-compact", scope="faces", channels=(8, 16, 32)
    )
    answers = iter([(str(face), ""), ("", "")])  # the file chosen, then a cancelled choice
    monkeypatch.setattr(QFileDialog, "getOpenFileName", lambda *a, **k: next(answers))
    data = make_folder(tmp_path / "data", 6, 2, seed=0, size=48)
    dialog = _dialog(qtbot, tmp_path)
    dialog.arch.setCurrentText("m2f-swin-nano")
    ready_to_check(dialog, data, "from-faces")
    combo = dialog.start_from.combo

    combo.setCurrentIndex(combo.count() - 1)  # "Choose file…"
    assert dialog.start_from.path == str(face) and combo.currentData() == str(face)
    assert dialog.start_note.text() == ""  # a face model is no longer refused
    assert dialog.arch.currentText() == "crfd-net-compact" and not dialog.arch.isEnabled()
    assert dialog.stages_label.text() == (
        "one stage: fine-tuning faces.safetensors (fit --init); then face-model sets θ on its faces"
    )
    config = dialog.config()
    steps = [config.stage_argv(s, resume=False)[0] for s in config.stages()]
    assert [*steps, config.calibrate_argv(config.final_checkpoint())[0]] == ["fit", "face-model"]
    qtbot.waitUntil(lambda: dialog.check_result is not None, timeout=HANG_MS)
    assert dialog.check_result["ok"] and dialog.start_button.isEnabled()

    combo.setCurrentIndex(combo.count() - 1)  # "Choose file…" cancelled: the choice stays
    assert dialog.start_from.path == str(face) and combo.currentData() == str(face)

    gone = tmp_path / "gone.safetensors"
    dialog.start_from.set_path(str(gone))  # e.g. a saved run whose model was removed since
    assert dialog.start_note.text() == f"start from {gone}: no such checkpoint file"
    assert not dialog.start_button.isEnabled()
    assert dialog.arch.isEnabled()  # not a model the run can take the architecture of


@pytest.mark.gui
def test_a_resumed_runs_settings_bring_back_its_starting_point(
    qtbot, tmp_path: Path, models_dir: Path
) -> None:
    tiny = make_tiny_checkpoint(models_dir / "mine.safetensors", name="mine")
    dialog = _dialog(qtbot, tmp_path)
    _choose(dialog, tiny)
    dialog.window.setValue(48)
    config = dialog.config()
    _choose(dialog, "")
    dialog.arch.setCurrentText("m2f-swin-nano")
    dialog.set_config(config)
    assert dialog.config() == config and not dialog.arch.isEnabled()


@pytest.mark.gui
def test_a_fine_tune_started_from_the_dialog_trains_the_checkpoints_network(
    qtbot, tmp_path: Path, models_dir: Path
) -> None:
    tiny = make_tiny_checkpoint(models_dir / "mine.safetensors", name="mine")  # channels 8,16,32
    data = make_folder(tmp_path / "data", 6, 2, seed=0, size=48)
    dialog = _dialog(qtbot, tmp_path)
    _choose(dialog, tiny)
    ready_to_check(dialog, data, "tuned")
    dialog.window.setValue(32)  # the images are 48 pixels
    dialog.epochs.setValue(1)
    dialog.max_steps.setValue(2)
    qtbot.waitUntil(dialog.start_button.isEnabled, timeout=HANG_MS)
    qtbot.mouseClick(dialog.start_button, Qt.MouseButton.LeftButton)
    assert f"--init {tiny}" in dialog.log.toPlainText()
    qtbot.waitUntil(dialog.install_button.isVisible, timeout=HANG_MS)

    run = tmp_path / "runs" / "tuned"
    assert not (run / "stage1").exists()
    meta = read_meta(run / "last.safetensors")
    assert meta.training["init"] == str(tiny) and meta.config["channels"] == [8, 16, 32]
    # built with the checkpoint's channels, so every tensor came from it (the architecture's
    # default channels would have left most of the network freshly initialised)
    assert meta.training["init_tensors"]["left_initialised"] == 0
    assert meta.training["init_tensors"]["skipped"] == 0
    saved = json.loads((run / "training-dialog.json").read_text())
    assert saved["config"]["init"] == str(tiny)


@pytest.mark.gui
@pytest.mark.slow
def test_a_face_model_fine_tuned_from_the_dialog_is_decided_on_the_runs_faces(
    qtbot, tmp_path: Path, models_dir: Path
) -> None:
    from tests.trainer.test_face_model import _crops

    face = write_checkpoint(
        models_dir / "faces.safetensors", "crfd-net-compact", scope="faces", channels=(8, 16, 32)
    )
    data = _crops(tmp_path / "crops", 0, n=6)  # 64-pixel face crops, forged and untouched
    dialog = _dialog(qtbot, tmp_path)
    _choose(dialog, face)
    ready_to_check(dialog, data, "tuned-faces")
    dialog.val_fraction.setValue(0.5)  # forged and untouched faces on both sides
    assert dialog.window.value() == 64  # the face model's window: the crops' size
    dialog.epochs.setValue(1)
    dialog.max_steps.setValue(2)
    qtbot.waitUntil(dialog.start_button.isEnabled, timeout=HANG_MS)
    qtbot.mouseClick(dialog.start_button, Qt.MouseButton.LeftButton)
    qtbot.waitUntil(dialog.install_button.isVisible, timeout=HANG_MS)

    run = tmp_path / "runs" / "tuned-faces"
    commands = [
        line.split()[2] for line in dialog.log.toPlainText().splitlines() if line.startswith("$ ")
    ]
    assert commands[-2:] == ["fit", "face-model"]
    assert "θ chosen on the validation split's faces (face-model)" in dialog.review_label.text()
    meta = read_meta(run / "calibrated.safetensors")
    assert meta.scope == "faces" and meta.name == "tuned-faces"
    assert "validation split (seed) of the run's data" in meta.decision.provenance
    assert (run / "face-model.json").is_file()
    qtbot.mouseClick(dialog.install_button, Qt.MouseButton.LeftButton)
    assert read_meta(models_dir / "tuned-faces.safetensors").scope == "faces"


@pytest.mark.gui
def test_the_checks_calibration_line_follows_the_starting_point(
    qtbot, tmp_path: Path, models_dir: Path
) -> None:
    """θ after training needs 5 authentic training and 5 tampered validation images for a
    whole-image model (calibrate) but tampered and authentic validation faces for a face model
    (face-model): choosing a face model after the check left the whole-image model's answer.
    (Until calibrate refused fewer than 5 of a side, a split of 2 authentic training images
    passed for a whole-image model and this test chose a face model on a split without
    authentic validation faces; the data split keeps one in validation once 5 train.)"""
    face = write_checkpoint(
        models_dir / "faces.safetensors", "crfd-net-compact", scope="faces", channels=(8, 16, 32)
    )
    data = make_folder(tmp_path / "data", 6, 2, seed=0, size=48)
    dialog = _dialog(qtbot, tmp_path)
    dialog.arch.setCurrentText("crfd-net-compact")
    ready_to_check(dialog, data, "follows")
    qtbot.waitUntil(lambda: dialog.check_result is not None, timeout=HANG_MS)
    split = dialog.check_result["split"]
    assert 0 < split["train_authentic"] < 5 and split["val_authentic"] > 0, split
    assert "θ cannot be calibrated on this split (only " in dialog.data_summary.text()
    _choose(dialog, face)
    assert "θ will be calibrated after training" in dialog.data_summary.text()
    _choose(dialog, "")
    assert "of the 5 needed" in dialog.data_summary.text()


@pytest.mark.gui
def test_the_output_name_proposed_follows_the_start_past_taken_names_until_one_is_typed(
    qtbot, tmp_path: Path, models_dir: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """The dialog opened as "my-model" whatever the start, the name of the last run, whose
    folder then refused Start."""
    import datetime

    import engine.catalog
    import trainer.runs

    monkeypatch.setattr(trainer.runs, "_today", lambda: datetime.date(2026, 12, 5))
    (tmp_path / "runs" / "crfd-net-compact-20261205").mkdir(parents=True)  # an earlier run
    bundled = engine.catalog.bundled_names()
    monkeypatch.setattr(  # as if a bundled model had the next name
        engine.catalog, "bundled_names", lambda: bundled | {"crfd-net-compact-20261205-2"}
    )
    mine = make_tiny_checkpoint(models_dir / "mine.safetensors", name="mine")
    make_tiny_checkpoint(models_dir / "mine-ft-20261205.safetensors", name="installed-already")
    dialog = _dialog(qtbot, tmp_path)
    assert dialog.name.text() == "crfd-net-compact-20261205-3"
    _choose(dialog, mine)
    assert dialog.name.text() == "mine-ft-20261205-2"  # an installed model has the first
    _choose(dialog, "")
    assert dialog.name.text() == "crfd-net-compact-20261205-3"
    dialog.name.setText("case-42")  # the analyst's own: kept whatever the start
    _choose(dialog, mine)
    assert dialog.name.text() == "case-42"
    dialog.runs_dir.setText(str(tmp_path / "other-runs"))
    assert dialog.name.text() == "case-42"
