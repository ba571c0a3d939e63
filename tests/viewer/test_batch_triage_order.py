"""The batch dialog as an analyst reads it (found driving the real viewer under Xvfb): the
triage table opened in reverse alphabetical order under the thumbnail column's arrow, the
default verdict's column was past the dialog's right edge, a failed file's Status cell showed
the folder's path and cut the problem off, "1 failed" did not say which, and the line naming
the models left out the face model that ran."""

from __future__ import annotations

from pathlib import Path

import pytest
from PySide6.QtCore import Qt

from forensic_viewer.gui.batch_dialog import BatchDialog
from forensic_viewer.gui.batch_end import failed_words, scanning_line
from forensic_viewer.gui.triage_table import TriageModel
from tests.conftest import HANG_MS
from tests.viewer.conftest import write_image

pytestmark = pytest.mark.gui


@pytest.fixture
def folder(tmp_path: Path) -> Path:
    d = tmp_path / "folder"
    d.mkdir()
    for i, name in enumerate(["a.png", "b.png", "c.png", "d.png"]):
        write_image(d / name, 64, 80, seed=i)
    (d / "broken.png").write_bytes(b"\x89PNG\r\n\x1a\n" + b"garbage" * 8)
    return d


def test_a_scan_opens_sorted_by_its_verdict_with_failures_in_view(
    qtbot, folder: Path, tmp_path: Path, tiny_checkpoint: Path, monkeypatch
) -> None:
    from tests.engine.test_face_models import _save_face_checkpoint

    face = _save_face_checkpoint(tmp_path / "facer.safetensors", name="facer")
    dialog = BatchDialog(models=[str(tiny_checkpoint), str(face)], device="cpu")
    qtbot.addWidget(dialog)
    dialog.folder.setText(str(folder))
    dialog.out.setText(str(tmp_path / "out"))
    shown: list[str] = []
    monkeypatch.setattr(
        dialog, "show_message", lambda text: (shown.append(text), dialog.message.setText(text))
    )
    dialog.show()
    qtbot.mouseClick(dialog.start_button, Qt.MouseButton.LeftButton)
    qtbot.waitUntil(lambda: dialog.summary is not None and not dialog.running, timeout=HANG_MS)
    model = dialog.table_model
    # the default verdict (no ensemble: the only whole-image model) and the status lead
    assert [c.id for c in model.columns[:4]] == ["thumbnail", "file", "model", "status"]
    header = dialog.table.horizontalHeader()
    assert header.sortIndicatorSection() == 2
    assert header.sortIndicatorOrder() == Qt.SortOrder.DescendingOrder
    rows = [dialog.proxy.row_at(i) for i in range(dialog.proxy.rowCount())]
    assert rows[0].key == "broken.png"  # a failed file first, where it is seen
    scores = [r.cell("tiny").score for r in rows[1:]]
    assert scores == sorted(scores, reverse=True)
    # its status says the problem, not the folder; the tooltip has the whole line
    status = dialog.proxy.index(0, model.column_of("status"))
    assert status.data().startswith("error: ") and str(folder) not in status.data()
    assert str(folder / "broken.png") in status.data(Qt.ItemDataRole.ToolTipRole)
    # the closing message names the failed file; the first names every model that ran
    assert "1 failed (broken.png)" in dialog.message.text()
    scanning = next(m for m in shown if m.startswith("scanning with"))
    assert "tiny" in scanning and "facer" in scanning, scanning


def test_before_a_scan_the_table_is_sorted_by_file_name() -> None:
    model = TriageModel()
    assert model.default_sort() == (1, Qt.SortOrder.AscendingOrder)
    model.set_models(["a", "b"], "ens")
    assert [c.id for c in model.columns[:4]] == ["thumbnail", "file", "ensemble", "status"]
    assert model.default_sort() == (2, Qt.SortOrder.DescendingOrder)


def test_failed_files_are_named_the_first_few_then_counted() -> None:
    assert failed_words([("x.png", "e")]) == "1 failed (x.png)"
    many = [(f"{c}.png", "e") for c in "abcde"]
    assert failed_words(many) == "5 failed (a.png, b.png, c.png and 2 more)"


def test_the_models_line_names_face_models_and_the_ensemble() -> None:
    line = scanning_line(["crfd", "diff"], "bundled", ["faces-model"], "cpu")
    assert line == (
        "scanning with crfd, diff; face model faces-model; default verdict: ensemble bundled on cpu"
    )
