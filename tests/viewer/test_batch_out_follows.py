"""The batch dialog's Output field after Start holds the folder it used; when the analyst then
chose another Folder, the next Start reused it and the scan was refused ("only the folder's
path differs"). Now the proposal Start wrote follows the Folder; an output folder the analyst
typed or browsed stays (forensic_viewer/gui/out_field.py).

The checkpoint has random weights: these tests check plumbing, never that a finding is right.
"""

from __future__ import annotations

import json
from pathlib import Path

import pytest
from PySide6.QtWidgets import QFileDialog

from forensic_viewer.gui.batch_dialog import BatchDialog
from forensic_viewer.scan.proposed_out import proposed_output
from tests.conftest import HANG_MS
from tests.viewer.conftest import write_image

pytestmark = pytest.mark.gui


def _folder(tmp_path: Path, name: str) -> Path:
    folder = tmp_path / name
    folder.mkdir()
    write_image(folder / "a.png", 48, 56, seed=0)
    return folder


def _scan(qtbot, dialog: BatchDialog) -> None:
    dialog.start()
    qtbot.waitUntil(lambda: not dialog.running, timeout=HANG_MS)


def test_the_proposed_output_follows_a_new_folder_and_its_scan_runs(
    qtbot, tmp_path: Path, tiny_checkpoint: Path
) -> None:
    first, second = _folder(tmp_path, "first"), _folder(tmp_path, "second")
    dialog = BatchDialog(models=[str(tiny_checkpoint)], device="cpu")
    qtbot.addWidget(dialog)
    dialog.folder.setText(str(first))
    _scan(qtbot, dialog)
    assert dialog.out.text() == str(proposed_output(first))  # shown after Start, as before
    qtbot.keyClicks(dialog.folder, "x")  # typed: each keystroke changes the folder
    assert dialog.out.text() == ""  # the placeholder: the new folder's proposal at Start
    dialog.folder.setText(str(second))
    assert dialog.output_folder() == proposed_output(second)
    _scan(qtbot, dialog)
    assert dialog.summary is not None and dialog.summary.done == 1, dialog.message.text()
    assert dialog.out.text() == str(proposed_output(second))
    info = json.loads((proposed_output(second) / "scan.json").read_text("utf-8"))
    assert info["source"] == str(second.resolve())


def test_an_output_folder_typed_or_browsed_stays_when_the_folder_changes(
    qtbot, tmp_path: Path, tiny_checkpoint: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    first = _folder(tmp_path, "first")
    dialog = BatchDialog(models=[str(tiny_checkpoint)], device="cpu")
    qtbot.addWidget(dialog)
    dialog.folder.setText(str(first))
    qtbot.keyClicks(dialog.out, str(tmp_path / "typed"))
    dialog.folder.setText(str(tmp_path / "other"))
    assert dialog.out.text() == str(tmp_path / "typed")
    # the proposal shown after a Start, then an output browsed in its place: the analyst's
    dialog.folder.setText(str(first))
    dialog.out.clear()
    _scan(qtbot, dialog)
    assert dialog.out.text() == str(proposed_output(first))
    browsed = str(tmp_path / "browsed")
    monkeypatch.setattr(QFileDialog, "getExistingDirectory", lambda *a, **k: browsed)
    dialog.browse_out.click()
    dialog.folder.setText(str(tmp_path / "other"))
    assert dialog.out.text() == browsed
    # browsed to the very folder that was proposed: chosen by hand all the same
    dialog.folder.setText(str(first))
    dialog.out.clear()
    _scan(qtbot, dialog)
    monkeypatch.setattr(
        QFileDialog, "getExistingDirectory", lambda *a, **k: str(proposed_output(first))
    )
    dialog.browse_out.click()
    dialog.folder.setText(str(tmp_path / "other"))
    assert dialog.out.text() == str(proposed_output(first))
