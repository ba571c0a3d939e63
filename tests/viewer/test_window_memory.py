"""What the window keeps across a restart (pytest-qt, offscreen; a settings file per test).

The window came back at its default size and docks, with Exact unticked and the bundled
models; the report dialog started with no examiner although the case log names one, and no
case id; the pickers' start folder followed only Open… and Open Folder…."""

from __future__ import annotations

import os
from pathlib import Path
from typing import Any

import pytest
from PySide6.QtCore import QByteArray, QSettings

from forensic_viewer.audit import AuditLog
from forensic_viewer.gui.main_window import MainWindow
from forensic_viewer.gui.window_memory import MODELS_KEY, remembered_models
from forensic_viewer.gui.window_opening import LAST_FOLDER_KEY
from tests.conftest import HANG_MS
from tests.viewer.conftest import write_image
from tests.viewer.test_main_window import open_and_wait

pytestmark = pytest.mark.gui


def _window(qtbot, tmp_path: Path, models: list[str], case: str = "case") -> MainWindow:
    settings = QSettings(str(tmp_path / "settings.ini"), QSettings.Format.IniFormat)
    log = AuditLog(tmp_path / case, program="test viewer", examiner="A. Examiner")
    window = MainWindow(models=models, device="cpu", settings=settings, case_log=log)
    qtbot.addWidget(window)
    window.show()
    qtbot.waitUntil(lambda: window._models_known, timeout=HANG_MS)
    return window


def test_layout_and_exact_come_back_after_a_restart(
    qtbot, tmp_path: Path, tiny_checkpoint: Path
) -> None:
    window = _window(qtbot, tmp_path, [str(tiny_checkpoint)])
    window.resize(640, 480)
    window.docks["Metadata"].hide()
    window.exact_action.trigger()
    qtbot.waitUntil(lambda: window._models_known, timeout=HANG_MS)
    assert window.close()
    again = _window(qtbot, tmp_path, [str(tiny_checkpoint)])
    assert (again.width(), again.height()) == (640, 480)
    assert again.docks["Metadata"].isHidden() and not again.docks["Verdict"].isHidden()
    assert again.exact_action.isChecked()


def test_models_chosen_in_the_panel_are_kept_and_a_file_gone_is_dropped_and_said(
    qtbot, tmp_path: Path, tiny_checkpoint: Path
) -> None:
    window = _window(qtbot, tmp_path, [])
    assert window.close()
    assert remembered_models(window.settings) == ([], [])  # nothing chosen: nothing pinned
    window = _window(qtbot, tmp_path, [])
    window._on_models_chosen([str(tiny_checkpoint)], "cpu")
    qtbot.waitUntil(lambda: window._models_known, timeout=HANG_MS)
    assert window.close()
    assert remembered_models(window.settings) == ([str(tiny_checkpoint)], [])
    gone = tmp_path / "gone.safetensors"
    kept = [QByteArray(os.fsencode(p)) for p in (str(tiny_checkpoint), str(gone))]
    window.settings.setValue(MODELS_KEY, kept)
    there, said = remembered_models(window.settings)
    assert there == [str(tiny_checkpoint)]
    assert said == [f"{gone}: no longer there; dropped from the models last chosen"]


def test_the_report_examiner_is_the_case_logs_and_the_case_id_is_kept_per_case_folder(
    qtbot, tmp_path: Path, tiny_checkpoint: Path, image_path: Path
) -> None:
    def report(window: MainWindow) -> Any:
        open_and_wait(qtbot, window, image_path)
        qtbot.waitUntil(lambda: window.current_analysis() is not None, timeout=HANG_MS)
        return window.export_report()

    window = _window(qtbot, tmp_path, [str(tiny_checkpoint)])
    dialog = report(window)
    assert dialog.examiner.text() == "A. Examiner"  # the case log's
    dialog.case_id.setText("CASE-42")
    dialog.hide()  # not to be asked about at the close: kept as typed
    assert window.close()
    again = report(_window(qtbot, tmp_path, [str(tiny_checkpoint)]))
    assert again.case_id.text() == "CASE-42"
    other = report(_window(qtbot, tmp_path, [str(tiny_checkpoint)], case="other case"))
    assert other.case_id.text() == ""  # another case folder's is its own


def test_every_way_of_opening_sets_where_the_pickers_start(qtbot, tmp_path: Path) -> None:
    window = _window(qtbot, tmp_path, [])
    (tmp_path / "a").mkdir()
    (tmp_path / "b").mkdir()
    first = write_image(tmp_path / "a" / "x.png", 16, 16)
    window.open_paths([first])  # the command line and a drop
    assert window.settings.value(LAST_FOLDER_KEY) == str(first.parent)
    qtbot.waitUntil(lambda: window.lister.idle, timeout=HANG_MS)
    second = write_image(tmp_path / "b" / "y.png", 16, 16)
    window.recent.remember(str(second))
    window.recent_menu.actions()[0].trigger()  # File ▸ Open Recent
    assert window.settings.value(LAST_FOLDER_KEY) == str(second.parent)
    qtbot.waitUntil(lambda: window.lister.idle, timeout=HANG_MS)
