"""The kept results and the close, as two reviewers found them (rvb findings 1-4, rva finding
1): a close that stops waiting records what it did not keep, the close question counts the
writes still going, a row whose scan.json update did not happen is not read as edited, the
case log's ``result-kept`` is written while the folder's lock is held, and the writer works on
a snapshot of the analysis."""

from __future__ import annotations

import threading
from collections.abc import Iterator
from pathlib import Path
from types import SimpleNamespace
from typing import Any

import pytest

from forensic_viewer.audit import LOG_NAME, verify_log
from forensic_viewer.gui import case_results as gcr
from forensic_viewer.gui.window_closing import work_in_progress
from forensic_viewer.scan import case_results as scr
from forensic_viewer.scan.case_results import CASE_RESULTS, keep_result
from forensic_viewer.scan.integrity import RESULTS_SHA256, edited_results, file_sha256
from forensic_viewer.scan.lock import OutputLock, OutputLocked
from forensic_viewer.scan.results import RESULTS, SCAN_INFO
from tests.conftest import HANG_MS, HANG_S
from tests.viewer.conftest import open_listed, write_image
from tests.viewer.test_main_window import open_and_wait

pytestmark = pytest.mark.gui


@pytest.fixture
def held(monkeypatch: pytest.MonkeyPatch) -> Iterator[threading.Event]:
    """Each write waits until the event is set (HANG_S at the latest): a 100 MP file on a
    network share, or another viewer holding the folder's lock."""
    event = threading.Event()
    real = gcr.keep_result
    monkeypatch.setattr(gcr, "CLOSE_WAIT_S", 0.3)  # a test failing while held closes soon

    def slow(*args: Any, **kw: Any) -> Any:
        event.wait(HANG_S)
        return real(*args, **kw)

    monkeypatch.setattr(gcr, "keep_result", slow)
    yield event
    event.set()


def _actions(case: Path) -> list[Any]:
    result = verify_log(case / LOG_NAME)
    assert result.ok
    return result.entries


def _opened_and_waiting(qtbot, window: Any, image: Path) -> None:
    open_listed(qtbot, window, [image])
    entry = window.entries[str(image)]
    qtbot.waitUntil(lambda: not entry.running and window.case.results.busy, timeout=HANG_MS)


def test_a_close_that_stops_waiting_asks_first_and_records_what_it_did_not_keep(
    qtbot,
    case_window: Any,
    tmp_path: Path,
    held: threading.Event,
    monkeypatch,
    _closing_answers_quit_anyway,
) -> None:
    image = write_image(tmp_path / "a.png")
    _opened_and_waiting(qtbot, case_window, image)
    (said,) = work_in_progress(case_window)
    assert said.startswith("1 finished analysis still being written to the case folder")
    writer = case_window.case.results._thread  # held: the close gives up after 0.3 s
    assert case_window.close()
    assert _closing_answers_quit_anyway == [[said]]  # asked, and the close said why it waits
    assert (
        case_window.statusBar()
        .currentMessage()
        .startswith("closing: writing 1 finished analysis into")
    )

    entries = _actions(tmp_path / "case")
    actions = [e.action for e in entries]
    assert "result-kept" not in actions
    assert actions[-2:] == ["results-not-kept", "log-closed"]
    details = entries[-2].details
    assert details["analyses"] == [{"path": str(image), "sha256": file_sha256(image)}]
    assert details["out"] == str((tmp_path / "case" / CASE_RESULTS).resolve())

    held.set()  # the write it gave up on goes no further: the entry stays true
    writer.join(HANG_S)
    assert not writer.is_alive()
    rows = tmp_path / "case" / CASE_RESULTS / RESULTS
    assert not rows.exists() or rows.read_bytes() == b""  # no row


def test_the_writer_gets_a_snapshot_of_the_analysis(
    qtbot, case_window: Any, tmp_path: Path, held: threading.Event
) -> None:
    image = write_image(tmp_path / "a.png")
    _opened_and_waiting(qtbot, case_window, image)
    shown = case_window.entries[str(image)].analysis
    (queued,) = case_window.case.results._waiting
    assert queued.evidence is shown.evidence
    shown.analyses["added later"] = object()  # a classic analysis finishing meanwhile
    assert "added later" not in queued.analyses
    assert queued.results == shown.results and queued.results is not shown.results
    del shown.analyses["added later"]
    held.set()
    qtbot.waitUntil(lambda: not case_window.case.results.busy, timeout=HANG_MS)


def test_a_row_whose_scan_json_update_did_not_happen_is_not_read_as_edited(
    qtbot, case_window: Any, tmp_path: Path, monkeypatch
) -> None:
    image = write_image(tmp_path / "a.png")
    open_and_wait(qtbot, case_window, image)
    qtbot.waitUntil(lambda: not case_window.case.results.busy, timeout=HANG_MS)
    analysis = case_window.entries[str(image)].analysis
    out = tmp_path / "case" / CASE_RESULTS
    results, info = out / RESULTS, out / SCAN_INFO
    assert edited_results(results, info) is None

    def full(*_args: Any) -> None:
        raise OSError(28, "No space left on device")

    monkeypatch.setattr(scr, "_record_info", full)
    kept = keep_result(out, analysis, "run-2")  # the row went in, scan.json did not follow
    assert f"{info}: not brought up to date" in kept.lag and "\n" not in kept.lag
    assert kept.results_sha256 == file_sha256(results)
    assert edited_results(results, info) is None

    class Killed(BaseException):
        """A kill -9 between the row and scan.json."""

    def killed(*_args: Any) -> None:
        raise Killed

    monkeypatch.setattr(scr, "_record_info", killed)
    with pytest.raises(Killed):
        keep_result(out, analysis, "run-2")
    assert edited_results(results, info) is None

    monkeypatch.undo()
    keep_result(out, analysis, "run-2")  # the next write brings scan.json up to date
    import json

    run = json.loads(info.read_text("utf-8"))["run"]
    assert run[RESULTS_SHA256] == file_sha256(results) and "results_sha256_pending" not in run
    assert len(results.read_text("utf-8").splitlines()) == 4
    with results.open("ab") as f:  # an edit still reads as one
        f.write(b"\n")
    assert edited_results(results, info) is not None


def test_result_kept_is_logged_while_the_folder_lock_is_held(
    qtbot, case_window: Any, tmp_path: Path
) -> None:
    """rva finding 1: logged after the lock was let go, a second viewer's write and entry
    could come between, and ``audit verify --files`` then called the file CHANGED."""
    image = write_image(tmp_path / "a.png")
    open_and_wait(qtbot, case_window, image)
    qtbot.waitUntil(lambda: not case_window.case.results.busy, timeout=HANG_MS)
    out = tmp_path / "case" / CASE_RESULTS
    seen: list[str] = []

    def logged(kept: Any) -> None:
        with pytest.raises(OutputLocked):
            OutputLock(out, command="a second viewer").acquire()
        seen.append(kept.results_sha256)

    keep_result(out, case_window.entries[str(image)].analysis, "run-2", logged=logged)
    assert seen == [file_sha256(out / RESULTS)]


def test_report_dialogs_of_scans_are_asked_about_at_the_close() -> None:
    """rvb finding 5: only the image's report dialog was asked about."""
    from forensic_viewer.report import CaseInfo

    def report(typed: str) -> SimpleNamespace:
        return SimpleNamespace(
            isVisible=lambda: True,
            case=lambda: CaseInfo(examiner=typed),
            written_case=None,
            case_offered=CaseInfo(),
        )

    window = SimpleNamespace(
        case=SimpleNamespace(note_dialog=None, results=SimpleNamespace(waiting=0)),
        report_dialog=None,
        batch=SimpleNamespace(running=False, _report=report("A. Examiner")),
        results_dialogs=[SimpleNamespace(_report=report("")), SimpleNamespace(_report=None)],
        training=None,
    )
    assert work_in_progress(window) == ["a report whose typed fields were not written"]
    window.results_dialogs[0]._report = report("B. Examiner")
    assert work_in_progress(window) == ["2 reports whose typed fields were not written"]
