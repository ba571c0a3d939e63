"""A case's finished analyses survive a restart (restart walk-through, finding 2): each one is
written into ``<case>/viewer-results/`` in a scan's format as it finishes, before any close,
and File ▸ Reopen the case's results opens them through Open scan results…, which re-checks
each evidence file's SHA-256."""

from __future__ import annotations

import hashlib
import json
from pathlib import Path
from typing import Any

import pytest
from PySide6.QtCore import QSettings

from forensic_viewer.audit import LOG_NAME, AuditLog, verify_log
from forensic_viewer.gui.main_window import MainWindow
from forensic_viewer.scan.case_results import CASE_RESULTS, SOURCE
from forensic_viewer.scan.records import FileRecord
from forensic_viewer.scan.replay import ScanAnalysis
from forensic_viewer.scan.results import ResultIndex
from tests.conftest import HANG_MS
from tests.viewer.conftest import write_image
from tests.viewer.test_main_window import open_and_wait

pytestmark = pytest.mark.gui


def _sha(path: Path) -> str:
    return hashlib.sha256(path.read_bytes()).hexdigest()


def _kept_entries(case: Path) -> list[Any]:
    result = verify_log(case / LOG_NAME)
    assert result.ok
    return [e for e in result.entries if e.action == "result-kept"]


def _kept(qtbot, window: MainWindow, case: Path, count: int) -> list[Any]:
    # the writer logs result-kept under the folder's lock, before it is done: wait for both
    qtbot.waitUntil(
        lambda: len(_kept_entries(case)) == count and not window.case.results.busy,
        timeout=HANG_MS,
    )
    return _kept_entries(case)


@pytest.fixture
def evidence(tmp_path: Path) -> Path:
    """An image alone in its folder (nothing may be written beside it)."""
    folder = tmp_path / "evidence"
    folder.mkdir()
    return write_image(folder / "a.png")


def test_a_finished_analysis_is_kept_in_the_case_folder_without_closing(
    qtbot, case_window: MainWindow, evidence: Path, tmp_path: Path
) -> None:
    case, out = tmp_path / "case", tmp_path / "case" / CASE_RESULTS
    before = sorted(evidence.parent.iterdir())
    open_and_wait(qtbot, case_window, evidence)
    (entry,) = _kept(qtbot, case_window, case, 1)  # the window still open: a kill -9 keeps it

    index = ResultIndex(out)
    assert index.keys() == ["a.png"]
    record = index.record("a.png")
    assert isinstance(record, FileRecord)
    assert record.sha256 == _sha(evidence) and record.file == str(evidence)
    assert [m.name for m in record.models] == ["tiny"]
    for name, sha in record.files_sha256.items():  # every map and the thumbnail, as recorded
        assert _sha(out / name) == sha
    info = json.loads((out / "scan.json").read_text("utf-8"))
    assert info["source"] == SOURCE and list(info["models"]) == ["tiny"]
    assert info["run"]["results_sha256"] == _sha(out / "results.jsonl")
    assert entry.details["out"] == str(out.resolve())
    assert entry.details["sha256"] == _sha(evidence)
    assert entry.details["results_sha256"] == {
        "results.jsonl": _sha(out / "results.jsonl"),
        "scan.json": _sha(out / "scan.json"),
    }
    assert sorted(evidence.parent.iterdir()) == before  # nothing beside the evidence


def test_the_kept_results_are_reported_as_a_scan_folder_is(
    qtbot, case_window: MainWindow, evidence: Path, tmp_path: Path
) -> None:
    from forensic_viewer.cli import main

    open_and_wait(qtbot, case_window, evidence)
    _kept(qtbot, case_window, tmp_path / "case", 1)
    out = tmp_path / "case" / CASE_RESULTS
    assert main(["report", str(out), "--format", "json"]) == 0  # no edit said, nothing refused
    report = json.loads((out / "report.json").read_text("utf-8"))
    assert [i["path"] for i in report["items"]] == ["a.png"] and report["alerts"] == []


def test_a_new_window_reopens_the_kept_result_without_analysing_again(
    qtbot, case_window: MainWindow, evidence: Path, tmp_path: Path
) -> None:
    case = tmp_path / "case"
    open_and_wait(qtbot, case_window, evidence)
    _kept(qtbot, case_window, case, 1)

    settings = QSettings(str(tmp_path / "day2.ini"), QSettings.Format.IniFormat)
    log = AuditLog(case, program="test viewer, day 2", examiner="A. Examiner")
    day2 = MainWindow(models=[], device="cpu", settings=settings, case_log=log)
    qtbot.addWidget(day2)
    day2.show()
    dialog = day2.case.results.reopen()
    assert dialog is not None
    qtbot.waitUntil(lambda: dialog.loaded, timeout=HANG_MS)
    (row,) = dialog.table_model.rows()
    dialog.open_row(row)
    key = str(evidence)
    qtbot.waitUntil(
        lambda: key in day2.entries and day2.entries[key].analysis is not None, timeout=HANG_MS
    )
    shown = day2.entries[key].analysis
    assert isinstance(shown, ScanAnalysis)  # the kept result, its SHA-256 checked; no model ran
    assert shown.scan_out == case / CASE_RESULTS
    assert list(shown.results) == ["tiny"]
    dialog.shutdown()


def test_analysed_again_the_files_last_row_wins_and_names_the_bytes_it_replaces(
    qtbot, case_window: MainWindow, evidence: Path, tmp_path: Path
) -> None:
    case, out = tmp_path / "case", tmp_path / "case" / CASE_RESULTS
    open_and_wait(qtbot, case_window, evidence)
    _kept(qtbot, case_window, case, 1)
    first = _sha(evidence)
    write_image(evidence, seed=7)  # the file changed on disk, then Analyse again
    case_window.analyse(str(evidence))
    qtbot.waitUntil(lambda: not case_window.entries[str(evidence)].running, timeout=HANG_MS)
    _kept(qtbot, case_window, case, 2)

    assert len((out / "results.jsonl").read_text("utf-8").splitlines()) == 2  # appended
    index = ResultIndex(out)
    assert index.keys() == ["a.png"]  # one file, one key: its last row wins
    record = index.record("a.png")
    assert record.sha256 == _sha(evidence) and record.replaces == first
    on_disk = {p.relative_to(out).as_posix() for p in out.glob("*/**/*") if p.is_file()}
    assert on_disk == set(record.files())  # the first row's maps went once the second was in


def test_a_case_folder_that_cannot_hold_the_results_is_said_in_one_line(
    qtbot, case_window: MainWindow, evidence: Path, tmp_path: Path, monkeypatch
) -> None:
    said: list[str] = []
    monkeypatch.setattr(case_window, "show_error", said.append)
    (tmp_path / "case" / CASE_RESULTS).write_text("not a folder", "utf-8")
    open_and_wait(qtbot, case_window, evidence)
    qtbot.waitUntil(lambda: not case_window.case.results.busy, timeout=HANG_MS)
    (line,) = [s for s in said if "not kept for a restart" in s]
    assert CASE_RESULTS in line and "\n" not in line
    assert _kept_entries(tmp_path / "case") == []


def test_open_scan_results_starts_in_the_per_user_scans_folder(
    case_window: MainWindow, monkeypatch
) -> None:
    """Finding 6: its picker opened at the working directory, and the scans' folder is hidden."""
    from PySide6.QtWidgets import QFileDialog

    from engine.environ import user_data_dir

    scans = user_data_dir() / "scans"
    scans.mkdir(parents=True)
    asked: list[str] = []

    def closed(_parent: Any, _title: str, start: str = "", _options: Any = None) -> str:
        asked.append(start)
        return ""

    monkeypatch.setattr(QFileDialog, "getExistingDirectory", closed)
    assert case_window.open_scan_results() is None
    assert asked == [str(scans)]


def test_the_case_log_verifies_its_kept_folder_as_the_last_keep_left_it(
    qtbot, case_window: MainWindow, evidence: Path, tmp_path: Path
) -> None:
    """Every keep rewrites scan.json; a record of it made before (a report's ``scan_json``)
    made ``audit verify --files`` call an intact case CHANGED once another file was kept
    (walk-through hand, 4). Each ``result-kept`` records scan.json as it left it."""
    from forensic_viewer.audit_scan import check_files

    case, out = tmp_path / "case", tmp_path / "case" / CASE_RESULTS
    open_and_wait(qtbot, case_window, evidence)
    _kept(qtbot, case_window, case, 1)
    first = _sha(out / "scan.json")
    open_and_wait(qtbot, case_window, write_image(evidence.parent / "b.png", seed=3))
    _kept(qtbot, case_window, case, 2)
    assert _sha(out / "scan.json") != first  # the second keep rewrote it
    check = check_files(case / LOG_NAME)
    assert check.problems == 0, check.lines
    scan_json = str((out / "scan.json").resolve())
    assert any(line.startswith("OK ") and scan_json in line for line in check.lines), check.lines


def test_a_map_swapped_in_the_kept_folder_fails_verify_files(
    qtbot, case_window: MainWindow, evidence: Path, tmp_path: Path
) -> None:
    """The kept folder's maps and thumbnails are checked against its rows as a scan's are
    (walk-through hand, 2: a heatmap swapped for another file's passed)."""
    from forensic_viewer.audit_scan import check_files

    case, out = tmp_path / "case", tmp_path / "case" / CASE_RESULTS
    open_and_wait(qtbot, case_window, evidence)
    _kept(qtbot, case_window, case, 1)
    assert check_files(case / LOG_NAME).problems == 0
    (name, _sha256), *_ = ResultIndex(out).record("a.png").files_sha256.items()
    (out / name).write_bytes((out / name).read_bytes() + b"\0")
    check = check_files(case / LOG_NAME)
    assert check.problems == 1 and check.outputs >= 1, check.lines
    assert any(name in line and line.startswith("CHANGED") for line in check.lines), check.lines
