"""The report dialog refuses a folder where a name the program writes is a symbolic link, as
the command line's report does under the folder's lock (forensic_viewer.scan.outfolder).

The dialog took no lock and checked no link: ``earlier-reports`` in the folder made a link to
another folder had Write (on Yes) move the earlier report there, out of the folder."""

from __future__ import annotations

from pathlib import Path

import pytest
from PySide6.QtWidgets import QMessageBox

from forensic_viewer.gui import report_dialog
from forensic_viewer.gui.report_dialog import ReportDialog
from forensic_viewer.gui.report_job import ReportJob
from forensic_viewer.report.earlier import EARLIER_REPORTS
from forensic_viewer.scan.outfolder import FOLDER_LINK

pytestmark = pytest.mark.gui


def test_a_link_at_earlier_reports_is_refused_in_one_line_before_anything_moves(
    qtbot, tmp_path: Path, monkeypatch
) -> None:
    written: list[Path] = []
    monkeypatch.setattr(report_dialog, "write_report", lambda *a, **k: written.append(a[1]))
    asked: list[str] = []

    def yes(box: QMessageBox) -> QMessageBox.StandardButton:  # the analyst says move it
        asked.append(box.text())
        return QMessageBox.StandardButton.Yes

    monkeypatch.setattr(QMessageBox, "exec", yes)
    dest = tmp_path / "reports"
    dest.mkdir()
    (dest / "report.json").write_text("old json", encoding="utf-8")
    elsewhere = tmp_path / "evidence"
    elsewhere.mkdir()
    (dest / EARLIER_REPORTS).symlink_to(elsewhere, target_is_directory=True)
    dialog = ReportDialog(ReportJob(list, "a test"), default_dir=dest)
    qtbot.addWidget(dialog)
    failed: list[str] = []
    dialog.failed.connect(failed.append)
    dialog.write()
    line = f"cannot write the report: {dest / EARLIER_REPORTS}: {FOLDER_LINK}"
    assert dialog.message.text() == line and failed == [line]
    assert not dialog.running and dialog.worker is None and written == [] and asked == []
    assert list(elsewhere.iterdir()) == []
    assert (dest / "report.json").read_text(encoding="utf-8") == "old json"
