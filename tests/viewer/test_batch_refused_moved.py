"""A scan the batch dialog refuses for its settings says nothing of files gone from the folder.

A hand-over walk-through (2026-12-06, minor finding): the evidence folder moved, the dialog
refused the scan ("holds results made with other models or settings (source differ …)") and
still added "N files analysed earlier are no longer in the folder": posted before the
settings were checked, of a run that never began.
"""

from __future__ import annotations

from pathlib import Path

import pytest
from PySide6.QtCore import Qt

from forensic_viewer.gui.batch_dialog import BatchDialog
from tests.conftest import HANG_MS, write_rgb

pytestmark = pytest.mark.gui


def test_a_refused_scan_names_no_file_as_gone(qtbot, tmp_path: Path, tiny_checkpoint: Path) -> None:
    ev, out = tmp_path / "ev", tmp_path / "out"
    ev.mkdir()
    for i, name in enumerate(("a.png", "b.png")):
        write_rgb(ev / name, 40, 48, seed=i)
    dialog = BatchDialog(models=[str(tiny_checkpoint)], device="cpu")
    qtbot.addWidget(dialog)
    dialog.out.setText(str(out))
    dialog.show()

    def run(folder: Path) -> str:
        dialog.folder.setText(str(folder))
        qtbot.mouseClick(dialog.start_button, Qt.MouseButton.LeftButton)
        qtbot.waitUntil(lambda: not dialog.running, timeout=HANG_MS)
        return dialog.message.text()

    run(ev)
    assert dialog.summary is not None
    (ev / "b.png").unlink()
    assert "1 file analysed earlier is no longer in the folder" in run(ev)  # a run: said
    moved = ev.rename(tmp_path / "moved")
    text = run(moved)
    assert "choose another output folder" in text or "--moved-from" in text
    assert "no longer in the folder" not in text
