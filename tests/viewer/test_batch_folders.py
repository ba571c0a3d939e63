"""The batch dialog's folders typed relative: made absolute at start, the output folder as the
scanned folder already was, so the field, the files written and every message name the same
place whatever the current directory becomes.

The checkpoint has random weights: these tests check plumbing, never that a finding is right.
"""

from __future__ import annotations

import os
from pathlib import Path

import pytest

from forensic_viewer.gui.batch_dialog import BatchDialog
from forensic_viewer.scan.proposed_out import proposed_output
from tests.conftest import HANG_MS
from tests.viewer.conftest import write_image

pytestmark = pytest.mark.gui


def test_an_output_folder_typed_relative_is_made_absolute_at_start(
    qtbot, tmp_path: Path, tiny_checkpoint: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """The output folder was shown, written to and named as typed ("results in out"), where
    the scanned folder was already named by its absolute path."""
    folder = tmp_path / "evidence"
    folder.mkdir()
    write_image(folder / "a.png", 48, 56, seed=0)
    monkeypatch.chdir(tmp_path)
    dialog = BatchDialog(models=[str(tiny_checkpoint)], device="cpu")
    qtbot.addWidget(dialog)
    dialog.folder.setText(folder.name)
    dialog.out.setText("out")
    dialog.start()
    out = tmp_path / "out"
    assert dialog.out.text() == str(out)  # shown absolute from the start
    qtbot.waitUntil(lambda: dialog.summary is not None and not dialog.running, timeout=HANG_MS)
    assert (out / "results.jsonl").is_file()
    assert dialog.message.text().endswith(f"results in {out}")

    elsewhere = tmp_path / "elsewhere"
    elsewhere.mkdir()
    os.chdir(elsewhere)  # monkeypatch.chdir puts the first directory back at the end
    assert dialog.output_folder() == out  # double-click and reports read the same folder
    dialog.out.setText("")
    assert dialog.output_folder() == proposed_output(elsewhere / "evidence")  # absolute too


@pytest.mark.parametrize("recursive", [False, True])
def test_a_folder_without_images_is_refused_before_any_model_loads(
    qtbot, tmp_path: Path, tiny_checkpoint: Path, monkeypatch: pytest.MonkeyPatch, recursive: bool
) -> None:
    """The batch scan of a folder without images said "no image files found" and went on to
    load the models (up to half a minute with Ray) for nothing; the command line refuses it
    before loading anything. The dialog now does too, in the command line's words, and before
    it takes the output folder's lock, which made the folder: a refused scan left it behind."""
    import engine.assembly

    loaded: list[object] = []

    def no_models(*a: object, **kw: object) -> None:
        loaded.append(a)
        raise AssertionError("models loaded for a folder without images")

    monkeypatch.setattr(engine.assembly, "assemble_analyzer", no_models)
    folder = tmp_path / "evidence"
    (folder / "sub").mkdir(parents=True)
    (folder / "notes.txt").write_text("no image")
    dialog = BatchDialog(models=[str(tiny_checkpoint)], device="cpu")
    qtbot.addWidget(dialog)
    dialog.folder.setText(str(folder))
    dialog.out.setText(str(tmp_path / "out"))
    dialog.recursive.setChecked(recursive)
    dialog.start()
    qtbot.waitUntil(lambda: not dialog.running, timeout=HANG_MS)
    text = dialog.message.text()
    assert loaded == [] and dialog.summary is None
    assert text.startswith(f"{folder}: no images to analyse") and "\n" not in text
    assert "no model loaded" in text and ".png" in text
    assert ("include sub-folders: sub-folders" in text) != recursive
    assert not (tmp_path / "out").exists()
