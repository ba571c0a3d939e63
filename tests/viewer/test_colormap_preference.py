"""View ▸ Heatmap colormap (walk-through cvd, findings 2 and 7): chosen once, the analyst's
colormap is every heatmap's on the next file and in the next session, the probe's, the report
dialog's default; a value in the settings that is no colormap is ignored and said once; jet and
turbo are named not perceptually ordered where they are chosen."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import numpy as np
import pytest
from PySide6.QtCore import QSettings

from forensic_viewer.gui import report_dialog
from forensic_viewer.gui.colormap_menu import SETTINGS_KEY
from forensic_viewer.gui.main_window import MainWindow
from forensic_viewer.gui.probe_dialog import map_picture
from forensic_viewer.gui.report_dialog import ReportDialog
from forensic_viewer.gui.report_job import ReportJob
from forensic_viewer.overlays import colorize
from tests.conftest import HANG_MS
from tests.viewer.conftest import write_image
from tests.viewer.test_main_window import open_and_wait

pytestmark = pytest.mark.gui


def _settings(tmp_path: Path) -> QSettings:
    return QSettings(str(tmp_path / "settings.ini"), QSettings.Format.IniFormat)


def _window(qtbot, tmp_path: Path, models: list[str]) -> MainWindow:
    window = MainWindow(models=models, device="cpu", settings=_settings(tmp_path))
    qtbot.addWidget(window)
    window.show()
    qtbot.waitUntil(lambda: window._models_known, timeout=HANG_MS)
    return window


def _heatmap_colormaps(window: MainWindow) -> set[str]:
    assert window.layers is not None
    return {la.colormap for la in window.layers.of_kind("heatmap")}  # type: ignore[attr-defined]


def test_the_chosen_colormap_is_kept_for_the_next_file_and_the_next_session(
    qtbot, tmp_path: Path, tiny_checkpoint: Path
) -> None:
    a, b = write_image(tmp_path / "a.png"), write_image(tmp_path / "b.png", seed=1)
    window = _window(qtbot, tmp_path, [str(tiny_checkpoint)])
    open_and_wait(qtbot, window, a)
    assert _heatmap_colormaps(window) == {"inferno"}
    labels = [act.text() for act in window.colormap_menu.menu.actions()]
    assert "cividis" in labels and "jet (not perceptually ordered)" in labels
    window.colormap_menu.actions["cividis"].trigger()  # the menu's entry, as clicked
    assert _heatmap_colormaps(window) == {"cividis"}  # the file shown takes it at once
    assert window.layer_panel.controls.colormap.currentText() == "cividis"
    open_and_wait(qtbot, window, b)
    assert _heatmap_colormaps(window) == {"cividis"}
    assert _settings(tmp_path).value(SETTINGS_KEY) == "cividis"
    window.close()

    again = _window(qtbot, tmp_path, [str(tiny_checkpoint)])
    assert again.colormap_menu.actions["cividis"].isChecked()
    open_and_wait(qtbot, again, a)
    assert _heatmap_colormaps(again) == {"cividis"}
    assert again.preferred_colormap == "cividis"
    # a file's own choice in the layer panel, then a new preference: the preference wins
    again.layer_panel.controls.colormap.setCurrentIndex(
        again.layer_panel.controls.colormap.findData("jet")
    )
    assert again.layer_panel.controls.colormap.currentText() == "jet (not perceptually ordered)"
    assert _heatmap_colormaps(again) == {"jet"}
    again.colormap_menu.actions["magma"].trigger()
    open_and_wait(qtbot, again, b)
    open_and_wait(qtbot, again, a)
    assert _heatmap_colormaps(again) == {"magma"}


@pytest.mark.parametrize(("kept", "said"), [("rainbow", "'rainbow'"), (["a", "b"], "a list")])
def test_a_kept_value_that_is_no_colormap_is_ignored_and_said_once(
    qtbot, tmp_path: Path, kept: Any, said: str
) -> None:
    settings = _settings(tmp_path)
    settings.setValue(SETTINGS_KEY, kept)
    settings.sync()
    window = _window(qtbot, tmp_path, [])
    assert window.preferred_colormap == "inferno"
    assert window.colormap_menu.actions["inferno"].isChecked()
    lines = [m.text for m in window.statusBar().history.messages() if SETTINGS_KEY in m.text]
    assert lines == [
        f"settings: {SETTINGS_KEY} holds {said}, not one of inferno, magma, viridis, cividis, "
        "turbo, hot, jet, gray; ignored, heatmaps in inferno"
    ]


def test_the_probe_and_the_report_dialog_take_the_preference(
    qtbot, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    window = _window(qtbot, tmp_path, [])
    window.colormap_menu.actions["viridis"].trigger()
    probe = window.open_probe()
    assert probe.colormap == "viridis"
    window.colormap_menu.actions["hot"].trigger()  # an open probe follows
    assert probe.colormap == "hot"
    heat = np.linspace(0, 1, 12, dtype=np.float32).reshape(3, 4)
    assert np.array_equal(map_picture(heat, probe.colormap), colorize(heat, "hot"))

    written: list[Any] = []

    def write(source: Any, dest: Path, formats: Any, *, options: Any, **_: Any) -> dict:
        written.append(options)
        return {}

    monkeypatch.setattr(report_dialog, "write_report", write)
    dialog = ReportDialog(ReportJob(list, "a test"), window, default_dir=tmp_path / "r")
    qtbot.addWidget(dialog)
    assert dialog.colormap.currentData() == "hot"
    dialog.colormap.setCurrentIndex(dialog.colormap.findData("turbo"))
    assert dialog.colormap.currentText() == "turbo (not perceptually ordered)"
    dialog.write()
    qtbot.waitUntil(lambda: not dialog.running, timeout=HANG_MS)
    assert [o.style.colormap for o in written] == ["turbo"]
