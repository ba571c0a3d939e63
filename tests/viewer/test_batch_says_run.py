"""The batch dialog says of a run what the command line says of it (2026-12-05).

The command line's scan gained that day: the decoders' warnings on the console and in
results.csv, the files an earlier run analysed that have left the folder named on the console
and in the report, a failed run's report of the files it went through marked failed, and a
line when scan.json could not record the failure. The batch dialog, which runs the same scans
for analysts who do not use the command line, said none of it: its closing message and table
had no warnings, its report listed the gone files' old sections without a word, and after a
full disk that refused scan.json too its report said the run "ended without recording its end".

The checkpoint has random weights: these tests check plumbing, never that a finding is right.
"""

from __future__ import annotations

import hashlib
import json
import shutil
from pathlib import Path
from typing import Any

import pytest
from PySide6.QtCore import Qt

from forensic_viewer.gui.batch_dialog import BatchDialog
from forensic_viewer.scan.triage import WARNINGS_NOTE
from tests.conftest import HANG_MS, write_rgb
from tests.viewer.test_batch_stopped import _write_report
from tests.viewer.test_scan_disk_full import LINE_END, ROWS_BEFORE_FULL, evidence, fill_disk_after
from tests.viewer.test_scan_failed_report import refuse_scan_json_once_results_are
from tests.viewer.test_scan_warnings_said import _evidence as warning_evidence

pytestmark = pytest.mark.gui


def _run(qtbot, dialog: BatchDialog, folder: Path, out: Path) -> None:
    """One run of ``dialog`` over ``folder`` into ``out``, in this process, to its end."""
    dialog.folder.setText(str(folder))
    dialog.out.setText(str(out))
    dialog.jobs.setValue(1)  # in this process, where the tests' patches apply
    dialog.start()
    qtbot.waitUntil(lambda: not dialog.running, timeout=HANG_MS)


@pytest.fixture
def dialog(qtbot, tiny_checkpoint: Path) -> BatchDialog:
    d = BatchDialog(models=[str(tiny_checkpoint)], device="cpu")
    qtbot.addWidget(d)
    d.show()
    return d


def _report_json(out: Path, report: Any) -> dict[str, Any]:
    (path,) = [p for f, p in report.paths.items() if f == "json"]
    data: dict[str, Any] = json.loads(Path(path).read_text(encoding="utf-8"))
    return data


def test_the_decoders_warnings_are_counted_and_each_is_in_the_warnings_column(
    qtbot, dialog: BatchDialog, tmp_path: Path
) -> None:
    warning_evidence(tmp_path / "ev")  # plain.png; really-png.jpg: 1 warning; pages.png: 2
    _run(qtbot, dialog, tmp_path / "ev", tmp_path / "out")
    assert dialog.summary is not None
    lines = dialog.message.text().splitlines()
    assert "3 warnings on 2 files: see the Warnings column" in lines
    model = dialog.table_model
    col = model.column_of("warnings")
    assert model.headerData(col, Qt.Orientation.Horizontal) == "Warnings"
    tip = Qt.ItemDataRole.ToolTipRole
    assert model.headerData(col, Qt.Orientation.Horizontal, tip) == WARNINGS_NOTE
    where = {model.row_at(i).key: i for i in range(model.rowCount())}
    assert model.index(where["plain.png"], col).data() == ""
    assert model.index(where["plain.png"], col).data(tip) is None
    assert model.index(where["really-png.jpg"], col).data() == "1 warning"
    pages = model.index(where["pages.png"], col)
    assert pages.data() == "2 warnings"
    assert pages.data(tip) == (
        "named .png but holds TIFF data: analysed as TIFF\n3 frames: only the first is analysed"
    )
    # the filter finds a file by its warning's words
    dialog.filter_text.setText("frames")
    assert dialog.proxy.rowCount() == 1 and dialog.proxy.row_at(0).key == "pages.png"


def test_a_folder_without_warnings_says_none(qtbot, dialog: BatchDialog, tmp_path: Path) -> None:
    folder = tmp_path / "ev"
    folder.mkdir()
    write_rgb(folder / "a.png", 40, 48, seed=1)
    _run(qtbot, dialog, folder, tmp_path / "out")
    assert dialog.summary is not None
    assert len(dialog.message.text().splitlines()) == 1  # "done — ..." alone
    assert dialog.table_model.index(0, dialog.table_model.column_of("warnings")).data() == ""


def test_files_gone_from_the_folder_are_named_and_the_report_has_the_alert(
    qtbot, dialog: BatchDialog, tmp_path: Path
) -> None:
    ev, out = tmp_path / "ev", tmp_path / "out"
    ev.mkdir()
    for i, name in enumerate(("a.png", "b.png", "c.png")):
        write_rgb(ev / name, 40, 48, seed=i)
    _run(qtbot, dialog, ev, out)
    assert dialog.summary is not None and "no longer in the folder" not in dialog.message.text()
    b_sha = hashlib.sha256((ev / "b.png").read_bytes()).hexdigest()
    shutil.move(ev / "b.png", tmp_path / "b.png")
    _run(qtbot, dialog, ev, out)  # Start again: a resume into the same folder
    assert dialog.summary is not None
    lines = dialog.message.text().splitlines()
    at = lines.index(
        "1 file analysed earlier is no longer in the folder (its row stays in results.jsonl):"
    )
    assert lines[at + 1] == f"  b.png (SHA-256 {b_sha})"
    data = _report_json(out, _write_report(qtbot, dialog))
    assert data["no_longer_in_folder"] == [
        {"path": "b.png", "sha256": b_sha, "file": str(ev / "b.png"), "status": "ok"}
    ]
    (alert,) = [a for a in data["alerts"] if "no longer in the folder" in a]
    assert f"b.png (SHA-256 {b_sha})" in alert and "in no section of this report" in alert
    assert sorted(i["path"] for i in data["items"]) == ["a.png", "c.png"]  # as the alert says


def test_a_failed_run_says_scan_json_could_not_record_it_and_its_report_says_it_failed(
    qtbot, dialog: BatchDialog, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    folder, out = evidence(tmp_path), tmp_path / "out"  # 4 files; the disk full after 2 rows
    fill_disk_after(monkeypatch, ROWS_BEFORE_FULL)
    refuse_scan_json_once_results_are(monkeypatch, out)
    _run(qtbot, dialog, folder, out)
    info = out / "scan.json"
    assert dialog.message.text().splitlines() == [
        f"the scan failed: {out / 'results.jsonl'}: no space left on device; {LINE_END}",
        f"{info}: no space left on device; it could not record that the run failed: it says "
        "running, though it is not",
    ]
    assert json.loads(info.read_text(encoding="utf-8"))["run"]["state"] == "running"
    report = _write_report(qtbot, dialog)
    data = _report_json(out, report)
    assert sorted(i["path"] for i in data["items"]) == ["f0.png", "f1.png"]
    assert data["partial_scan"].startswith(
        f"This scan failed after 2 of 4 files in its last run ({out / 'results.jsonl'}: no space left on device) "
        f"(scan.json could not record it: {info}: no space left on device); "
        "this report holds 2 evidence files"
    )
    assert "This scan failed after 2 of 4 files" in report.message.text()


def test_a_failed_runs_report_holds_the_files_it_went_through_marked_failed(
    qtbot, dialog: BatchDialog, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """scan.json recorded the failure: the report says so, of the files this run went
    through, not of a row an earlier run left for a file this run's listing lacks."""
    folder, out = evidence(tmp_path), tmp_path / "out"
    extra = folder / "sub"
    extra.mkdir()
    write_rgb(extra / "deep.png", 40, 48, seed=9)
    dialog.recursive.setChecked(True)
    _run(qtbot, dialog, folder, out)  # every file, sub/deep.png too
    assert dialog.summary is not None
    for f in folder.glob("f*.png"):  # changed since: analysed again, and the disk fills up
        write_rgb(f, 40, 48, seed=20 + int(f.stem[1:]))
    dialog.recursive.setChecked(False)  # sub/deep.png not listed, but still there
    fill_disk_after(monkeypatch, ROWS_BEFORE_FULL)
    _run(qtbot, dialog, folder, out)
    assert dialog.failed_summary is not None
    assert (
        dialog.message.text()
        == f"the scan failed: {out / 'results.jsonl'}: no space left on device; {LINE_END}"
    )
    data = _report_json(out, _write_report(qtbot, dialog))
    assert sorted(i["path"] for i in data["items"]) == ["f0.png", "f1.png"]
    assert data["partial_scan"].startswith(
        f"This scan failed after 2 of 4 files in its last run ({out / 'results.jsonl'}: no space left on device)"
    )


def test_a_run_that_fails_before_any_file_finished_leaves_no_report_to_write(
    qtbot, dialog: BatchDialog, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """Write report…, enabled by an earlier run's files, made a report of 0 files after a
    run that failed before any file finished (the command line writes none): disabled."""
    folder, out = evidence(tmp_path), tmp_path / "out"
    _run(qtbot, dialog, folder, out)
    assert dialog.report_button.isEnabled()
    for f in folder.glob("f*.png"):  # changed since: analysed again, and the disk is full
        write_rgb(f, 40, 48, seed=20 + int(f.stem[1:]))
    fill_disk_after(monkeypatch, 0)
    _run(qtbot, dialog, folder, out)
    assert dialog.failed_summary is not None and dialog.run_end.keys == []
    assert not dialog.report_button.isEnabled()
