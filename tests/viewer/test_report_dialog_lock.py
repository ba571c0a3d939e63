"""The report dialog holds the output folder's lock while it writes, as ``forensic-viewer
report OUT`` holds OUT's (yesterday's review: its writing thread took no lock, so Write report…
into a scan folder could overlap a batch-dialog run or a command-line resume writing there)."""

from __future__ import annotations

import os
from pathlib import Path
from typing import Any

import pytest
from PySide6.QtWidgets import QMessageBox

from forensic_viewer.gui import report_dialog
from forensic_viewer.gui.report_dialog import ReportDialog
from forensic_viewer.gui.report_job import ReportJob
from forensic_viewer.report import SUFFIX
from forensic_viewer.scan.lock import LOCK_NAME, OutputLock, OutputLocked
from tests.conftest import HANG_MS

pytestmark = pytest.mark.gui


def _dialog(qtbot, dest: Path, scan: Path | None = None) -> ReportDialog:
    dialog = ReportDialog(ReportJob(list, "a test", scan=scan), default_dir=dest)
    qtbot.addWidget(dialog)
    return dialog


def _refusal(folder: Path) -> str:
    """The line the dialog says while ``forensic-viewer report`` holds ``folder``."""
    return (
        f"cannot write the report: {folder}: another scan is writing into this folder (PID "
        f"{os.getpid()} on "
    )


def _held_by_the_command_line(folder: Path) -> OutputLock:
    """``folder``'s lock as ``forensic-viewer report`` takes it (another holder: flock locks
    are per open file, so the dialog's own lock is refused as another process's is)."""
    return OutputLock(folder, command="forensic-viewer report").acquire()


def test_a_folder_held_by_another_writer_is_refused_in_one_line_and_nothing_is_written(
    qtbot, tmp_path: Path, monkeypatch
) -> None:
    written: list[Any] = []
    monkeypatch.setattr(report_dialog, "write_report", lambda *a, **k: written.append(a) or {})
    asked: list[str] = []
    monkeypatch.setattr(QMessageBox, "exec", lambda box: asked.append(box.text()) or 0)
    dest = tmp_path / "scan"
    dest.mkdir()
    (dest / "report.json").write_text("old json", encoding="utf-8")  # an earlier report
    held = _held_by_the_command_line(dest)
    try:
        dialog = _dialog(qtbot, dest)
        failed: list[str] = []
        dialog.failed.connect(failed.append)
        dialog.write()
        said = dialog.message.text()
        assert said.startswith(_refusal(dest)) and "\n" not in said and failed == [said]
        assert said.endswith(
            ", forensic-viewer report); wait for it to end or choose another output folder"
        )
        assert not dialog.running and dialog.worker is None and written == [] and asked == []
        assert sorted(p.name for p in dest.iterdir()) == [LOCK_NAME, "report.json"]
        assert (dest / "report.json").read_text(encoding="utf-8") == "old json"
    finally:
        held.release()
    monkeypatch.setattr(QMessageBox, "exec", lambda box: QMessageBox.StandardButton.Yes)
    dialog.write()  # the holder gone: written, the earlier report moved aside
    qtbot.waitUntil(lambda: not dialog.running, timeout=HANG_MS)
    assert len(written) == 1 and dialog.message.text().startswith("written: ")


def test_the_lock_is_held_while_the_report_is_written_and_freed_after(
    qtbot, tmp_path: Path, monkeypatch
) -> None:
    """A resume started during the write is refused; after it, the folder is free and a
    folder the dialog made its lock file in is left without one."""
    refused: list[str] = []

    def write_report(source: Any, dest: Path, formats: Any, *, basename: str, **_: Any) -> dict:
        try:
            OutputLock(dest, command="forensic-viewer scan").acquire().release()
        except OutputLocked as e:  # what a resume into the folder meets now
            refused.append(str(e))
        path = Path(dest) / f"{basename}{SUFFIX['json']}"
        path.write_text("new", encoding="utf-8")
        return {"json": path}

    monkeypatch.setattr(report_dialog, "write_report", write_report)
    dest = tmp_path / "reports"
    dialog = _dialog(qtbot, dest)
    dialog.write()
    qtbot.waitUntil(lambda: bool(dialog.paths) and not dialog.running, timeout=HANG_MS)
    assert len(refused) == 1 and "the viewer's report dialog" in refused[0]
    assert sorted(p.name for p in dest.iterdir()) == ["report.json"]  # no .scan.lock left
    OutputLock(dest).acquire().release()  # free again


def test_the_scan_reported_on_is_held_too_when_the_report_goes_elsewhere(
    qtbot, tmp_path: Path, monkeypatch
) -> None:
    written: list[Any] = []
    monkeypatch.setattr(report_dialog, "write_report", lambda *a, **k: written.append(a))
    scan, dest = tmp_path / "scan", tmp_path / "elsewhere"
    scan.mkdir()
    held = _held_by_the_command_line(scan)
    try:
        dialog = _dialog(qtbot, dest, scan=scan)
        dialog.write()
        assert dialog.message.text().startswith(_refusal(scan))
        assert dialog.worker is None and written == []
        assert not (dest / LOCK_NAME).exists()  # the destination's lock let go, its file too
        OutputLock(dest).acquire().release()
    finally:
        held.release()
