"""A scan that fails still leaves the analyst something true: the report of the files it
went through, marked on its first page as from a failed run, and a scan.json whose "running"
no reader takes for a scan at work once no scan holds the folder.

``scan --report`` wrote no report at all when the run failed (a full disk, a worker's death, a
bug mid-scan): the part analysed had nothing to hand over. And when the full disk refused
scan.json's last write too, scan.json said "running" for ever: a report of the folder said
the scan was "still running, or was killed", nothing said why. A full disk is simulated as
in ``test_scan_disk_full.py`` (the results log's writes fail with ENOSPC after two rows).

The checkpoint has random weights: these tests check plumbing, never that a finding is right.
"""

from __future__ import annotations

import errno
import json
from pathlib import Path
from typing import Any

import pytest

from forensic_viewer.scan.lock import OutputLock
from tests.conftest import said_lines
from tests.viewer.conftest import scan_cli
from tests.viewer.test_scan_disk_full import (
    LINE_END,
    ROWS_BEFORE_FULL,
    evidence,
    fill_disk_after,
    rows_of,
    run_of,
)


def report_json(out: Path) -> dict[str, Any]:
    data: dict[str, Any] = json.loads((out / "report.json").read_text(encoding="utf-8"))
    return data


@pytest.mark.parametrize("jobs", ["1", "2"])
def test_a_failed_scan_writes_the_report_of_its_finished_files_saying_it_failed(
    tmp_path: Path, tiny_checkpoint: Path, monkeypatch: pytest.MonkeyPatch, capsys, jobs: str
) -> None:
    folder, out = evidence(tmp_path), tmp_path / "out"
    fill_disk_after(monkeypatch, ROWS_BEFORE_FULL)
    assert scan_cli(folder, out, tiny_checkpoint, "--jobs", jobs, "--report", "html") == 3
    said = capsys.readouterr()
    err = said_lines(said.err)
    assert err[0] == (
        "writing the reports of the 2 files finished (they say the scan failed); Ctrl+C skips "
        "them, leaving no half-written file"
    )
    assert err[-1] == (
        f"forensic-viewer: error: the scan failed: {out / 'results.jsonl'}: no space left on device; {LINE_END}"
    )
    assert f"report (html): {out / 'report.html'}" in said.out
    data = report_json(out)
    # the rows the log took before the disk filled: with two workers, whichever two finished
    # first (a CI run under load had f0 and f2), so the report is compared with the log
    finished = sorted(r["path"] for r in rows_of(out))
    assert len(finished) == 2 and (jobs == "2" or finished == ["f0.png", "f1.png"])
    assert sorted(i["path"] for i in data["items"]) == finished
    run = run_of(out)
    assert data["partial_scan"].startswith(
        f"This scan failed after {run['through']} of 4 files in its last run "
        f"({out / 'results.jsonl'}: no space left on device); this report holds 2 evidence files"
    )
    assert "covers part of a scan" in (out / "report.html").read_text(encoding="utf-8")


def test_a_scan_a_bug_ends_writes_the_report_naming_the_unexpected_error(
    tmp_path: Path, tiny_checkpoint: Path, monkeypatch: pytest.MonkeyPatch, capsys
) -> None:
    """Not only a full disk: an exception of the scan itself (here the results log, after
    two rows) ends the run, and the report of the two files says why in failure.py's words."""
    from forensic_viewer.scan.results import ResultLog

    folder, out = evidence(tmp_path), tmp_path / "out"
    append, written = ResultLog.append, []

    def broken_after_two(self: ResultLog, record: Any) -> dict[str, Any]:
        if len(written) >= ROWS_BEFORE_FULL:
            raise RuntimeError("the writer broke")
        written.append(record)
        return append(self, record)

    monkeypatch.setattr(ResultLog, "append", broken_after_two)
    assert scan_cli(folder, out, tiny_checkpoint, "--jobs", "1", "--report", "json") == 3
    err = capsys.readouterr().err
    assert "the scan failed: unexpected RuntimeError: the writer broke" in err
    data = report_json(out)
    assert len(data["items"]) == ROWS_BEFORE_FULL
    assert "(unexpected RuntimeError: the writer broke)" in data["partial_scan"]
    assert data["partial_scan"].startswith("This scan failed after 2 of 4 files")


def refuse_scan_json_once_results_are(monkeypatch: pytest.MonkeyPatch, out: Path) -> None:
    """scan.json's writes fail with ENOSPC once results.jsonl exists (the run's start is
    written before any row), as a full disk refuses the run's end."""
    import forensic_viewer.scan.settings as settings

    written = settings.atomic_write

    def full_once_results_are(path: Path, text: str) -> None:
        if (out / "results.jsonl").exists():
            raise OSError(errno.ENOSPC, "No space left on device", str(path))
        written(path, text)

    monkeypatch.setattr(settings, "atomic_write", full_once_results_are)


def test_a_run_end_scan_json_cannot_take_is_said_and_its_report_says_the_run_failed(
    tmp_path: Path, tiny_checkpoint: Path, monkeypatch: pytest.MonkeyPatch, capsys
) -> None:
    folder, out = evidence(tmp_path), tmp_path / "out"
    fill_disk_after(monkeypatch, ROWS_BEFORE_FULL)
    refuse_scan_json_once_results_are(monkeypatch, out)
    assert scan_cli(folder, out, tiny_checkpoint, "--jobs", "1", "--report", "json") == 3
    err = said_lines(capsys.readouterr().err)
    info = out / "scan.json"
    assert err[0] == (
        f"forensic-viewer: error: {info}: no space left on device; it could not record that "
        "the run failed: it says running, though it is not"
    )
    assert err[-1].endswith(
        f"the scan failed: {out / 'results.jsonl'}: no space left on device; {LINE_END}"
    )
    assert run_of(out)["state"] == "running"  # as the full disk left it
    partial = report_json(out)["partial_scan"]
    assert partial.startswith(
        f"This scan failed after 2 of 4 files in its last run ({out / 'results.jsonl'}: no space left on device) "
        f"(scan.json could not record it: {info}: no space left on device); "
        "this report holds 2 evidence files"
    )


def test_readers_take_running_for_a_dead_run_only_when_no_scan_holds_the_folder(
    tmp_path: Path, tiny_checkpoint: Path, monkeypatch: pytest.MonkeyPatch, capsys
) -> None:
    """scan.json left "running" by a run that could not record its end: a later report (and
    the ground truth's ``partial_scan``) said "still running, or was killed". With no scan
    holding the output folder's lock they say the run ended without recording its end; while
    a scan holds it, still running."""
    from forensic_viewer.report import scan_source
    from forensic_viewer.report.build import stopped_scan_alert
    from forensic_viewer.scan.settings import NOT_RUNNING_NOTE, stopped_run

    folder, out = evidence(tmp_path), tmp_path / "out"
    fill_disk_after(monkeypatch, ROWS_BEFORE_FULL)
    refuse_scan_json_once_results_are(monkeypatch, out)
    assert scan_cli(folder, out, tiny_checkpoint, "--jobs", "1") == 3
    capsys.readouterr()
    assert run_of(out)["state"] == "running"

    source = scan_source(out)
    alert = stopped_scan_alert(source.settings, source.count)
    assert alert is not None and alert.startswith(
        "scan.json says this scan is running, but no scan holds its output folder: its last "
        "run ended without recording its end"
    )
    found = stopped_run(out)
    assert found is not None and found["note"] == NOT_RUNNING_NOTE

    with OutputLock(out, command="forensic-viewer scan"):  # a scan at work there
        source = scan_source(out)
        alert = stopped_scan_alert(source.settings, source.count)
        assert alert is not None and alert.startswith("scan.json says this scan is still running")
        found = stopped_run(out)
        assert found is not None and "note" not in found


def test_the_resume_records_the_run_left_running_as_one_that_never_recorded_its_end(
    tmp_path: Path, tiny_checkpoint: Path, monkeypatch: pytest.MonkeyPatch, capsys
) -> None:
    """The resume moved the dead run into ``earlier_runs`` still saying "running", so
    scan.json kept calling it running for ever. It is marked there as a run that ended
    without recording its end."""
    from forensic_viewer.scan.settings import EARLIER_NOT_RUNNING, NOT_RUNNING

    folder, out = evidence(tmp_path), tmp_path / "out"
    fill_disk_after(monkeypatch, ROWS_BEFORE_FULL)
    refuse_scan_json_once_results_are(monkeypatch, out)
    assert scan_cli(folder, out, tiny_checkpoint, "--jobs", "1") == 3
    monkeypatch.undo()  # space freed
    assert scan_cli(folder, out, tiny_checkpoint, "--jobs", "1") == 0
    capsys.readouterr()
    info = json.loads((out / "scan.json").read_text(encoding="utf-8"))
    (dead,) = info["earlier_runs"]
    assert dead["state"] == "running" and dead[NOT_RUNNING] is True
    assert dead["note"] == EARLIER_NOT_RUNNING
    assert info["run"]["state"] == "finished"


def test_a_failed_resumes_report_names_the_files_gone_from_the_folder(
    tmp_path: Path, tiny_checkpoint: Path, monkeypatch: pytest.MonkeyPatch, capsys
) -> None:
    """The report of a failed run had no alert for the files an earlier run analysed that
    have left the folder, where a finished or stopped run's report has one. Its console
    said neither those files nor the decoders' warnings, which the dialog says of a failed
    run: it raised before printing them."""
    from tests.conftest import write_rgb

    folder, out = evidence(tmp_path), tmp_path / "out"
    assert scan_cli(folder, out, tiny_checkpoint, "--jobs", "1") == 0
    (folder / "f3.png").unlink()
    for i in range(3):  # changed since (TIFF data named .png: a warning each): analysed
        write_rgb(folder / f"f{i}.png", 40, 48, seed=10 + i, fmt="TIFF")  # again, disk full
    fill_disk_after(monkeypatch, ROWS_BEFORE_FULL)
    assert scan_cli(folder, out, tiny_checkpoint, "--jobs", "1", "--report", "json") == 3
    printed = capsys.readouterr().out.splitlines()
    assert (
        "1 file analysed earlier is no longer in the folder (its row stays in results.jsonl):"
        in printed
    )
    assert any(line.startswith("  f3.png (SHA-256 ") for line in printed)
    assert any(line.startswith("warnings: 2 on 2 files") for line in printed)
    data = report_json(out)
    assert data["partial_scan"].startswith("This scan failed after 2 of 3 files")
    assert [g["path"] for g in data["no_longer_in_folder"]] == ["f3.png"]
    assert any("f3.png (SHA-256" in a for a in data["alerts"])
