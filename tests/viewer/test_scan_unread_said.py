"""What a scan could not read (scan.json's ``run.unread``) said where each reader looks.

scan.json, the case log and the HTML/PDF report's "Not covered" row recorded the folders a
scan could not list; report.json (a machine reading the report), the report dialog's closing
message (the analyst who wrote it from the viewer) and groundtruth.json (figures that read
as the whole folder's) said nothing of them. Each says it now.

Permission denied is simulated as ``test_scan_unread_folders`` does (tests may run as root).
The checkpoint has random weights: these tests check plumbing, never that a finding is right.
"""

from __future__ import annotations

import json
from pathlib import Path

import numpy as np
import pytest
from PIL import Image

from tests.conftest import HANG_MS
from tests.viewer.conftest import scan_cli, write_image
from tests.viewer.test_scan_unread_folders import denied


def _evidence(root: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    """root/Tp/ holding a.png and locked/, a folder whose listing is denied."""
    folder = root / "Tp"
    (folder / "locked").mkdir(parents=True)
    write_image(folder / "a.png", 48, 56)
    denied(monkeypatch, folder / "locked")
    return folder


def _said(folder: Path, after: str) -> str:
    return (
        f"1 folder(s) could not be read by the scan: {folder / 'locked'} (Permission denied). "
        + after
    )


def test_report_json_says_what_the_scan_did_not_cover(
    tmp_path: Path, tiny_checkpoint: Path, monkeypatch: pytest.MonkeyPatch, capsys
) -> None:
    folder, out = _evidence(tmp_path, monkeypatch), tmp_path / "out"
    args = ("--recursive", "--jobs", "1", "--report", "json")
    assert scan_cli(folder, out, tiny_checkpoint, *args) == 0
    report = json.loads((out / "report.json").read_text(encoding="utf-8"))
    assert report["not_covered"] == {
        "folders": 1,
        "files": 0,
        "first": [{"path": str(folder / "locked"), "folder": True, "reason": "Permission denied"}],
        "note": _said(folder, "Their files are in no row of this report."),
    }
    capsys.readouterr()


def test_groundtruth_json_says_what_the_scan_did_not_cover(
    tmp_path: Path, tiny_checkpoint: Path, monkeypatch: pytest.MonkeyPatch, capsys
) -> None:
    folder, out = _evidence(tmp_path, monkeypatch), tmp_path / "out"
    (tmp_path / "Gt").mkdir()
    mask = np.zeros((48, 56), np.uint8)
    mask[4:12, 4:12] = 255
    Image.fromarray(mask).save(tmp_path / "Gt" / "a_gt.png")
    args = ("--recursive", "--jobs", "1", "--no-faces", "--gt", str(tmp_path))
    assert scan_cli(folder, out, tiny_checkpoint, *args) == 0
    truth = json.loads((out / "groundtruth.json").read_text(encoding="utf-8"))
    note = _said(folder, "Their files are in no row of the scan and were not scored.")
    assert truth["images"] == 1 and truth["not_covered"]["note"] == note
    assert truth["not_covered"]["folders"] == 1
    assert f"  not covered: {note}" in capsys.readouterr().out.splitlines()


@pytest.mark.gui
def test_the_report_dialog_says_what_the_scan_did_not_cover(
    qtbot, tmp_path: Path, tiny_checkpoint: Path, monkeypatch: pytest.MonkeyPatch, capsys
) -> None:
    from forensic_viewer.gui.report_dialog import ReportDialog
    from forensic_viewer.gui.report_job import scan_report_job

    folder, out = _evidence(tmp_path, monkeypatch), tmp_path / "out"
    assert scan_cli(folder, out, tiny_checkpoint, "--recursive", "--jobs", "1") == 0
    capsys.readouterr()
    dialog = ReportDialog(scan_report_job(out))
    qtbot.addWidget(dialog)
    dialog.write()
    qtbot.waitUntil(lambda: not dialog.running, timeout=HANG_MS)
    lines = dialog.message.text().splitlines()
    assert lines[0].startswith("written: ")
    assert lines[1:] == [
        "Not covered: " + _said(folder, "Their files are in no row of this report.")
    ]
