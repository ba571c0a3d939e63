"""The dialogs' folder pickers (Browse…): opened at the folder typed, the folder chosen typed
into the field, a closed picker leaving the field as it was; read-only where they choose
evidence or other input (Qt's own picker renames and deletes from its context menu), not where
they choose an output folder (which may need making)."""

from __future__ import annotations

from pathlib import Path

import pytest
from PySide6.QtWidgets import QFileDialog, QLineEdit, QWidget

from forensic_viewer.gui.batch_dialog import BatchDialog
from forensic_viewer.gui.model_panel import ModelPanel
from forensic_viewer.gui.panels import pick_input_folder, pick_output_folder
from forensic_viewer.gui.report_dialog import ReportDialog
from forensic_viewer.gui.report_job import ReportJob
from forensic_viewer.gui.start_from import CHOOSE, StartFromBox
from forensic_viewer.gui.training_dialog import TrainingDialog
from forensic_viewer.gui.truth_choice import TruthChoice

pytestmark = pytest.mark.gui


@pytest.fixture
def picker(monkeypatch: pytest.MonkeyPatch) -> tuple[list[str], list[tuple]]:
    """The folder dialog replaced: it answers the folders queued (``""``: closed) and records
    each (parent, title, folder it opened at, read-only or not)."""
    answers: list[str] = []
    asked: list[tuple] = []

    def answer(parent: QWidget, title: str, start: str = "", options=None) -> str:
        read_only = options is not None and bool(options & QFileDialog.Option.ReadOnly)
        asked.append((parent, title, start, read_only))
        return answers.pop(0)

    monkeypatch.setattr(QFileDialog, "getExistingDirectory", answer)
    return answers, asked


@pytest.mark.parametrize(
    ("pick", "read_only"), [(pick_input_folder, True), (pick_output_folder, False)]
)
def test_a_folder_picker_opens_at_the_typed_folder_and_keeps_it_when_closed(
    qtbot, picker, pick, read_only: bool
) -> None:
    answers, asked = picker
    parent = QWidget()
    qtbot.addWidget(parent)
    field = QLineEdit("/typed")
    answers += ["/chosen", ""]
    assert pick(parent, "Some folder", field) == "/chosen"
    assert field.text() == "/chosen" and asked == [(parent, "Some folder", "/typed", read_only)]
    assert pick(parent, "Some folder", field) is None  # closed: nothing changes
    assert field.text() == "/chosen" and asked[-1] == (parent, "Some folder", "/chosen", read_only)


def test_every_browse_button_picks_into_its_own_field(qtbot, picker, tmp_path: Path) -> None:
    answers, asked = picker
    batch = BatchDialog(device="cpu")
    report = ReportDialog(ReportJob(list, "a test"), default_dir=tmp_path)
    training = TrainingDialog(runs_dir=tmp_path / "runs")
    truth = TruthChoice()
    for w in (batch, report, training, truth):
        qtbot.addWidget(w)
    # the folder read (evidence, ground truth) read-only; the folders written to not
    cases = [
        (batch, batch._pick_folder, batch.folder, "Folder to scan", True),
        (batch, batch._pick_out, batch.out, "Output folder", False),
        (report, report._pick_dest, report.dest, "Report folder", False),
        (training, training._pick_runs_dir, training.runs_dir, "Folder for run folders", False),
        (truth, truth._pick, truth.folder, "Ground-truth folder", True),
    ]
    for i, (owner, pick, field, title, read_only) in enumerate(cases):
        before = field.text()
        answers += [str(tmp_path / f"chosen{i}"), ""]
        pick()
        assert asked[-1] == (owner, title, before, read_only)
        assert field.text() == str(tmp_path / f"chosen{i}")
        pick()
        assert field.text() == str(tmp_path / f"chosen{i}")


def test_the_pickers_of_training_data_and_models_are_read_only(
    qtbot, picker, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """The training dialog's data folder, data-set list and pretrained weights, Start from's
    Choose file… and the Models panel's Add checkpoint…: each chooses something read, in a
    picker that renamed and deleted files from its context menu (the batch dialog's Folder to
    scan did too, above)."""
    answers, asked = picker
    opened: list[tuple[str, bool]] = []

    def open_file(parent: QWidget, title: str, *args: object, options=None) -> tuple[str, str]:
        opened.append((title, options is not None and bool(options & QFileDialog.Option.ReadOnly)))
        return "", ""

    monkeypatch.setattr(QFileDialog, "getOpenFileName", open_file)
    training = TrainingDialog(runs_dir=tmp_path / "runs")
    start, models = StartFromBox(), ModelPanel()
    for w in (training, start, models):
        qtbot.addWidget(w)
    answers.append("")
    training._pick_folder()  # Add folder…
    assert [a[1:] for a in asked] == [("Data folder (Tp/, Gt/, Au/)", "", True)]
    training._pick_json()
    training._pick_pretrained()
    start.combo.setCurrentIndex(start.combo.findText(CHOOSE))
    models._pick_file()
    assert opened == [
        ("Data set list", True),
        ("Pretrained weights", True),
        ("Start from a checkpoint", True),
        ("Add a checkpoint", True),
    ]
