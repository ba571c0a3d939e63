"""File ▸ Open scan results… in the case log (yesterday's review: the dialog logged nothing, so
an examiner's case log showed neither that a scan's results were opened nor that edited results
were accepted for a report, which ``forensic-viewer report OUT`` logs as ``results-edited``;
and its report's ``report-exported`` named no scan.json, which the command line's records)."""

from __future__ import annotations

import hashlib
from pathlib import Path
from typing import Any

import pytest

from forensic_viewer.audit import LOG_NAME, AuditEntry, verify_log
from forensic_viewer.gui.scan_results import ScanResultsDialog
from tests.conftest import HANG_MS
from tests.viewer.conftest import scan_cli, without_sessions, write_image

pytestmark = pytest.mark.gui


def _sha(path: Path) -> str:
    return hashlib.sha256(path.read_bytes()).hexdigest()


@pytest.fixture
def scanned_in_case(tmp_path: Path, tiny_checkpoint: Path) -> Path:
    """A --no-faces scan of two images, logged (``scan-finished``) in the case folder the
    ``case_window`` fixture opens after it."""
    folder = tmp_path / "evidence"
    folder.mkdir()
    for i in range(2):
        write_image(folder / f"{i}.png", 64, 80, seed=i)
    out = tmp_path / "out"
    assert scan_cli(folder, out, tiny_checkpoint, "--case", str(tmp_path / "case")) == 0
    return out


def _entries(tmp_path: Path, action: str) -> list[AuditEntry]:
    result = verify_log(tmp_path / "case" / LOG_NAME)
    assert result.ok
    return [e for e in without_sessions(result.entries) if e.action == action]


def _opened(qtbot, window: Any, out: Path) -> ScanResultsDialog:
    dialog = window.open_scan_results(out)
    assert dialog is not None
    qtbot.waitUntil(lambda: dialog.loaded, timeout=HANG_MS)
    return dialog


def test_opening_a_scans_results_is_logged_with_what_was_read(
    qtbot, tmp_path: Path, scanned_in_case: Path, case_window
) -> None:
    out = scanned_in_case
    dialog = _opened(qtbot, case_window, out)
    (opened,) = _entries(tmp_path, "folder-opened")
    assert opened.details == {
        "path": str(out.resolve()),
        "scan_results": "read-only",
        "results_sha256": {
            "results.jsonl": _sha(out / "results.jsonl"),
            "results.csv": _sha(out / "results.csv"),
        },
        "scan_json_sha256": _sha(out / "scan.json"),
        "edited": None,
    }
    dialog.shutdown()


def test_edited_results_opened_then_declined_and_accepted_are_logged_as_report_logs_them(
    qtbot, tmp_path: Path, scanned_in_case: Path, case_window, monkeypatch
) -> None:
    from forensic_viewer.audit_scan import check_files

    out = scanned_in_case
    results = out / "results.jsonl"
    lines = results.read_text(encoding="utf-8").splitlines()  # the same rows, another order
    results.write_text("\n".join(reversed(lines)) + "\n", "utf-8")
    dialog = _opened(qtbot, case_window, out)
    (opened,) = _entries(tmp_path, "folder-opened")
    edited = opened.details["edited"]
    assert edited["sha256"] == _sha(results) and edited["recorded_in"] == "the case log"
    # what the opening saw is no new record of the file: verify --files still finds the edit
    checked = check_files(tmp_path / "case" / LOG_NAME)
    assert any(line.startswith("CHANGED") and str(results) in line for line in checked.lines)

    answers = iter([False, True])
    monkeypatch.setattr(dialog, "_accept_edited", lambda: next(answers))
    assert dialog.open_report() is None
    assert dialog.open_report() is not None
    declined, accepted = _entries(tmp_path, "results-edited")
    for entry, answer in ((declined, False), (accepted, True)):
        assert entry.details["out"] == str(out.resolve())
        assert entry.details["accepted"] is answer
        assert entry.details["sha256"] == _sha(results)
        assert entry.details["recorded_sha256"] == edited["recorded_sha256"]
        assert "rows may have been edited" in entry.details["note"]
    dialog.shutdown()


def test_its_report_is_logged_with_the_scans_scan_json(
    qtbot, tmp_path: Path, scanned_in_case: Path, case_window
) -> None:
    out = scanned_in_case
    dialog = _opened(qtbot, case_window, out)
    report = dialog.open_report()
    assert report is not None
    for fmt in ("html", "pdf"):
        report.format_boxes[fmt].setChecked(False)
    report.write()
    qtbot.waitUntil(lambda: bool(report.paths) and not report.running, timeout=HANG_MS)
    (exported,) = _entries(tmp_path, "report-exported")
    assert exported.details["scan_json"] == {
        "path": str(out.resolve() / "scan.json"),
        "sha256": _sha(out / "scan.json"),
    }
    assert exported.details["files"]["json"]["sha256"] == _sha(out / "report.json")
    dialog.shutdown()
