"""The dialogs' folder pickers (Browse…): one helper, opened at the folder typed, the folder
chosen typed into the field, a closed picker leaving the field as it was."""

from __future__ import annotations

from pathlib import Path

import pytest
from PySide6.QtWidgets import QFileDialog, QLineEdit, QWidget

from forensic_viewer.gui.batch_dialog import BatchDialog
from forensic_viewer.gui.panels import pick_folder
from forensic_viewer.gui.report_dialog import ReportDialog, ReportJob
from forensic_viewer.gui.training_dialog import TrainingDialog
from forensic_viewer.gui.truth_choice import TruthChoice

pytestmark = pytest.mark.gui


@pytest.fixture
def picker(monkeypatch: pytest.MonkeyPatch) -> tuple[list[str], list[tuple]]:
    """The folder dialog replaced: it answers the folders queued (``""``: closed) and records
    each (parent, title, folder it opened at)."""
    answers: list[str] = []
    asked: list[tuple] = []

    def answer(parent: QWidget, title: str, start: str = "") -> str:
        asked.append((parent, title, start))
        return answers.pop(0)

    monkeypatch.setattr(QFileDialog, "getExistingDirectory", answer)
    return answers, asked


def test_pick_folder_opens_at_the_typed_folder_and_keeps_it_when_closed(qtbot, picker) -> None:
    answers, asked = picker
    parent = QWidget()
    qtbot.addWidget(parent)
    field = QLineEdit("/typed")
    answers += ["/chosen", ""]
    assert pick_folder(parent, "Some folder", field) == "/chosen"
    assert field.text() == "/chosen" and asked == [(parent, "Some folder", "/typed")]
    assert pick_folder(parent, "Some folder", field) is None  # closed: nothing changes
    assert field.text() == "/chosen" and asked[-1] == (parent, "Some folder", "/chosen")


def test_every_browse_button_picks_into_its_own_field(qtbot, picker, tmp_path: Path) -> None:
    answers, asked = picker
    batch = BatchDialog(device="cpu")
    report = ReportDialog(ReportJob(list, "a test"), default_dir=tmp_path)
    training = TrainingDialog(runs_dir=tmp_path / "runs")
    truth = TruthChoice()
    for w in (batch, report, training, truth):
        qtbot.addWidget(w)
    cases = [
        (batch, batch._pick_folder, batch.folder, "Folder to scan"),
        (batch, batch._pick_out, batch.out, "Output folder"),
        (report, report._pick_dest, report.dest, "Report folder"),
        (training, training._pick_runs_dir, training.runs_dir, "Folder for run folders"),
        (truth, truth._pick, truth.folder, "Ground-truth folder"),
    ]
    for i, (owner, pick, field, title) in enumerate(cases):
        before = field.text()
        answers += [str(tmp_path / f"chosen{i}"), ""]
        pick()
        assert asked[-1] == (owner, title, before) and field.text() == str(tmp_path / f"chosen{i}")
        pick()
        assert field.text() == str(tmp_path / f"chosen{i}")
