"""The batch dialog's face-detection switch (walk-through of a 10,000-file scan, 2026-12-06):
without one every scan it started detected faces, so a ``--no-faces`` scan was refused there
("faces differ: scan.json") and could never be resumed or opened in the dialog."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
from PySide6.QtCore import Qt

from forensic_viewer.cli import build_parser
from forensic_viewer.gui.batch_dialog import BatchDialog
from forensic_viewer.gui.faces_choice import recorded_faces
from tests.conftest import HANG_MS
from tests.viewer.conftest import write_image

pytestmark = pytest.mark.gui


def _scan(qtbot, dialog: BatchDialog) -> None:
    dialog.show()
    qtbot.mouseClick(dialog.start_button, Qt.MouseButton.LeftButton)
    qtbot.waitUntil(lambda: not dialog.running and dialog.worker is not None, timeout=HANG_MS)


def test_a_scan_without_faces_is_recorded_so_and_resumed_with_its_setting(
    qtbot, tmp_path: Path, tiny_checkpoint: Path
) -> None:
    folder = tmp_path / "evidence"
    folder.mkdir()
    for i in range(2):
        write_image(folder / f"{i}.png", 64, 80, seed=i)
    out = tmp_path / "out"
    first = BatchDialog(models=[str(tiny_checkpoint)], device="cpu")
    qtbot.addWidget(first)
    first.folder.setText(str(folder))
    first.out.setText(str(out))
    first.jobs.setValue(1)
    assert first.faces.isChecked()  # the command line's default
    first.faces.click()
    _scan(qtbot, first)
    assert first.summary is not None and first.summary.done == 2
    info = json.loads((out / "scan.json").read_text(encoding="utf-8"))
    assert info["faces"] is None and recorded_faces(out) is False
    args = build_parser().parse_args(info["run"]["command"]["argv"][1:])
    assert args.no_faces

    # a new dialog pointed at the folder takes its recorded setting, and the resume goes on
    again = BatchDialog(models=[str(tiny_checkpoint)], device="cpu")
    qtbot.addWidget(again)
    again.folder.setText(str(folder))
    assert again.faces.isChecked()
    again.out.setText(str(out))
    assert not again.faces.isChecked()
    again.jobs.setValue(1)
    _scan(qtbot, again)
    assert again.summary is not None, again.message.text()
    assert again.summary.skipped == 2 and again.summary.done == 0


def test_the_analysts_choice_stands_until_the_output_folder_changes(qtbot, tmp_path: Path) -> None:
    with_faces, without = tmp_path / "with", tmp_path / "without"
    for out, faces in ((with_faces, {"kind": "x"}), (without, None)):
        out.mkdir()
        (out / "scan.json").write_text(json.dumps({"faces": faces}), encoding="utf-8")
    dialog = BatchDialog(models=[], device="cpu")
    qtbot.addWidget(dialog)
    dialog.out.setText(str(without))
    assert not dialog.faces.isChecked()
    dialog.faces.click()  # the analyst's own choice for this folder
    dialog.faces.follow(without)
    assert dialog.faces.isChecked()
    dialog.out.setText(str(with_faces))
    dialog.out.setText(str(without))  # another folder, then this one again: its record
    assert not dialog.faces.isChecked()
    assert recorded_faces(tmp_path) is None  # no scan.json: nothing recorded
