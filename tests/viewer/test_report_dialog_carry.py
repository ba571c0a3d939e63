"""What a new report dialog takes from the last: the analyst's examiner and case id always; the
folder (and notes) only for evidence of the same folder, else README's rule for the new one."""

from __future__ import annotations

from pathlib import Path

import pytest

from forensic_viewer.gui.report_dialog import ReportDialog
from forensic_viewer.gui.report_job import ReportJob, reports_folder
from tests.viewer.conftest import write_image
from tests.viewer.test_main_window import open_and_wait, shown_window

pytestmark = pytest.mark.gui


def test_report_dialogs_carry_the_analysts_fields_not_the_last_evidences_folder(
    qtbot, tmp_path: Path, tiny_checkpoint: Path
) -> None:
    first = tmp_path / "scene"
    other = tmp_path / "camera"
    first.mkdir()
    other.mkdir()
    a = write_image(first / "a.png")
    window = shown_window(qtbot, tmp_path, tiny_checkpoint, a)
    dialog = window.export_report()
    assert dialog is not None and Path(dialog.dest.text()) == reports_folder(a)
    dialog.examiner.setText("A. Examiner")
    dialog.case_id.setText("C-7")
    dialog.notes.setPlainText("seized disk")
    chosen = tmp_path / "chosen"
    dialog.dest.setText(str(chosen))
    again = window.export_report()  # the same evidence: what was typed stays
    assert Path(again.dest.text()) == chosen and again.notes.toPlainText() == "seized disk"
    b = write_image(other / "Nikon_D90.png", seed=4)
    open_and_wait(qtbot, window, b)
    dialog = window.export_report()
    assert Path(dialog.dest.text()) == reports_folder(b)  # its own rule, not chosen
    assert dialog.examiner.text() == "A. Examiner" and dialog.case_id.text() == "C-7"
    assert dialog.notes.toPlainText() == ""  # the notes were of the other evidence
    dialog.case_id.setText("C-8")
    # the scan's report dialog (batch dialog ▸ Write report…) starts with them too
    batch = window.open_batch()
    scan = ReportDialog(ReportJob(list, "scan in out", "report", tmp_path / "out"), batch)
    batch.reportOpened.emit(scan)
    assert scan.examiner.text() == "A. Examiner" and scan.case_id.text() == "C-8"
    scan.examiner.setText("B. Examiner")  # and what is typed there goes on to the next
    assert window.export_report().examiner.text() == "B. Examiner"
