"""A file the loader refuses over a size limit (a decompression bomb) is badged as refused by
the size limit in the evidence list, not "cannot be read": the file may be sound. A damaged
file still cannot be read."""

from __future__ import annotations

from pathlib import Path

import pytest
from PySide6.QtCore import QSettings

from engine.bomb_guards import MAX_PIXELS_ENV
from forensic_viewer.gui.main_window import MainWindow
from forensic_viewer.gui.panels import BADGE_ERROR, BADGE_REFUSED
from tests.conftest import HANG_MS
from tests.viewer.conftest import open_listed, write_image

pytestmark = pytest.mark.gui


def test_a_file_over_the_pixel_limit_is_badged_refused_not_unreadable(
    qtbot, tmp_path: Path, corrupt_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv(MAX_PIXELS_ENV, "3000")
    big = write_image(tmp_path / "big.png", 60, 70)  # 4,200 pixels: beyond the limit
    settings = QSettings(str(tmp_path / "settings.ini"), QSettings.Format.IniFormat)
    window = MainWindow(models=[], device="cpu", settings=settings)
    qtbot.addWidget(window)
    window.show()
    qtbot.waitUntil(lambda: window._models_known, timeout=HANG_MS)
    open_listed(qtbot, window, [big, corrupt_path])
    qtbot.waitUntil(lambda: all(not e.running for e in window.entries.values()), timeout=HANG_MS)
    assert window.evidence_list.badge_text(str(big)) == BADGE_REFUSED.text
    assert "size limit" in BADGE_REFUSED.text and "cannot be read" not in BADGE_REFUSED.text
    row = window.evidence_list.entry(str(big))
    assert "beyond the 3,000-pixel limit" in row.toolTip()  # the loader's line, its detail
    assert window.evidence_list.badge_text(str(corrupt_path)) == BADGE_ERROR.text
