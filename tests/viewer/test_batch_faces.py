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
    again.folder.editingFinished.emit()
    assert again.faces.isChecked()
    again.out.setText(str(out))
    again.out.editingFinished.emit()  # the field left: its folder's record is read
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

    def typed(out: Path) -> None:
        dialog.out.setText(str(out))
        dialog.out.editingFinished.emit()  # Enter, or the field left

    typed(without)
    assert not dialog.faces.isChecked()
    dialog.faces.click()  # the analyst's own choice for this folder
    dialog.faces.follow(without)
    assert dialog.faces.isChecked()
    typed(with_faces)
    typed(without)  # another folder, then this one again: its record
    assert not dialog.faces.isChecked()
    assert recorded_faces(tmp_path) is None  # no scan.json: nothing recorded


def test_typing_a_folder_reads_no_scan_json_until_the_field_is_left(
    qtbot, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """The switch followed every keystroke of the Folder and Output fields, each reading
    ``<folder>-scan``'s and OUT's scan.json: a hung network mount froze the dialog while a path
    was typed. It follows a folder once typed (Enter, the field left) or browsed."""
    import forensic_viewer.gui.batch_dialog as batch_dialog
    import forensic_viewer.gui.faces_choice as faces_choice

    reads: list[Path] = []
    real_info, real_proposed = faces_choice.scan_info, batch_dialog.proposed_scan_output

    def counted_info(out: Path) -> dict:
        reads.append(out)
        return real_info(out)

    def counted_proposed(folder: str) -> Path:
        reads.append(Path(folder))
        return real_proposed(folder)

    monkeypatch.setattr(faces_choice, "scan_info", counted_info)
    monkeypatch.setattr(batch_dialog, "proposed_scan_output", counted_proposed)
    out = tmp_path / "out"
    out.mkdir()
    (out / "scan.json").write_text(json.dumps({"faces": None}), encoding="utf-8")
    dialog = BatchDialog(models=[], device="cpu")
    qtbot.addWidget(dialog)
    dialog.show()
    qtbot.keyClicks(dialog.folder, str(tmp_path / "evidence"))
    qtbot.keyClicks(dialog.out, str(out))
    assert reads == []  # not one read per character typed
    assert dialog.faces.isChecked()
    qtbot.keyClick(dialog.out, Qt.Key.Key_Return)
    assert reads == [out] and not dialog.faces.isChecked()  # read once, when typed


def test_a_browsed_output_folder_sets_the_switch_to_its_record(
    qtbot, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    from PySide6.QtWidgets import QFileDialog

    out = tmp_path / "out"
    out.mkdir()
    (out / "scan.json").write_text(json.dumps({"faces": None}), encoding="utf-8")
    monkeypatch.setattr(QFileDialog, "getExistingDirectory", lambda *a, **k: str(out))
    dialog = BatchDialog(models=[], device="cpu")
    qtbot.addWidget(dialog)
    dialog.browse_out.click()
    assert dialog.out.text() == str(out) and not dialog.faces.isChecked()
