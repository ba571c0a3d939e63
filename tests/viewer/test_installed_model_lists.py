"""A model the training dialog installs is listed at once wherever the viewer offers models,
without a restart: the Models panel, and the batch dialog's "Models" row, which was filled once
when the dialog was first opened and kept (a scan of the new model needed the viewer restarted).
"""

from __future__ import annotations

from pathlib import Path

import pytest
from PySide6.QtCore import QSettings

from forensic_viewer.gui.main_window import MainWindow
from tests.conftest import make_tiny_checkpoint


def _resolved(paths: list[str]) -> set[str]:
    return {str(Path(p).resolve()) for p in paths}


@pytest.mark.gui
def test_a_model_installed_after_the_batch_dialog_opened_is_listed_there(
    qtbot, tmp_path: Path, tiny_checkpoint: Path, models_dir: Path
) -> None:
    settings = QSettings(str(tmp_path / "settings.ini"), QSettings.Format.IniFormat)
    window = MainWindow(models=[str(tiny_checkpoint)], device="cpu", settings=settings)
    qtbot.addWidget(window)
    window.show()
    batch = window.open_batch()
    rows = batch.model_list
    assert str(tiny_checkpoint.resolve()) in _resolved(rows.checked_paths())

    models_dir.mkdir()
    new = make_tiny_checkpoint(models_dir / "mine-ft.safetensors", name="mine-ft")
    window.open_training().modelInstalled.emit(str(new))  # Install for the viewer

    listed = rows.paths()
    assert str(new.resolve()) in _resolved(listed)
    assert str(new.resolve()) in _resolved(window.model_panel.paths())
    # what the analyst had checked stays checked; the new model is offered, not chosen
    assert _resolved(rows.checked_paths()) == {str(tiny_checkpoint.resolve())}
