"""The Verdict panel says the decoding warnings that limit what was analysed, in the loader's
words (as the command line and the reports print them); a file decoded whole says none."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pytest
from PIL import Image
from PySide6.QtCore import QSettings

from forensic_viewer.gui.main_window import MainWindow
from forensic_viewer.gui.verdict_panel import LIMITS_HEAD
from tests.conftest import HANG_MS
from tests.viewer.conftest import open_listed, write_image

pytestmark = pytest.mark.gui


def test_frames_and_cmyk_are_said_on_the_verdict_panel(
    qtbot, tmp_path: Path, tiny_checkpoint: Path
) -> None:
    settings = QSettings(str(tmp_path / "settings.ini"), QSettings.Format.IniFormat)
    window = MainWindow(models=[str(tiny_checkpoint)], device="cpu", settings=settings)
    qtbot.addWidget(window)
    window.show()
    qtbot.waitUntil(lambda: window._models_known, timeout=HANG_MS)
    rgb = np.asarray(Image.open(write_image(tmp_path / "base.png", 64, 80)))
    frames = [Image.fromarray(rgb // (i + 1)) for i in range(3)]
    frames[0].save(tmp_path / "anim.gif", save_all=True, append_images=frames[1:])
    Image.fromarray(rgb).convert("CMYK").save(tmp_path / "cmyk.jpg")
    files = [tmp_path / "anim.gif", tmp_path / "cmyk.jpg", tmp_path / "base.png"]
    open_listed(qtbot, window, files)
    qtbot.waitUntil(lambda: all(not e.running for e in window.entries.values()), timeout=HANG_MS)
    said = {}
    for path in files:
        window.show_entry(str(path))
        assert window.current_analysis() is not None
        said[path.name] = window.verdict_panel.text()
    assert f"{LIMITS_HEAD}\n• 3 frames: only the first is analysed" in said["anim.gif"]
    assert "• CMYK converted to RGB without colour management" in said["cmyk.jpg"]
    assert LIMITS_HEAD not in said["base.png"]  # decoded whole: nothing limits it
    assert window.verdict_panel.limits.isHidden()
