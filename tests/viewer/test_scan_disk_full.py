"""A scan whose output folder fills up in the middle of a run: the rows written are kept, one
line names the file and the problem, and running the scan again resumes.

The line said ``the scan failed: [Errno 28] No space left on device`` (the batch dialog: the
errno text alone), naming no folder: an analyst with several scans running did not know which
disk was full. A write to an open file carries no file name; the output folder was named
until 2026-12-06, when the results log began naming itself (a walk-through on a 3 MB tmpfs).
A full disk is simulated by the results log's descriptor taking half a row and then failing
with ENOSPC, as the kernel does; the half row is cut back off, never left torn.

The checkpoint has random weights: these tests check plumbing, never that a finding is right.
"""

from __future__ import annotations

import errno
import json
import os
from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest

from engine.environ import result_variables
from forensic_viewer.scan.command import variables_prefix
from forensic_viewer.scan.results import ResultLog
from tests.conftest import HANG_MS, said_lines
from tests.viewer.conftest import scan_cli, without_sessions, write_image

ROWS_BEFORE_FULL = 2
LINE_END = "finished results are kept, run again to resume"


def evidence(tmp_path: Path) -> Path:
    folder = tmp_path / "evidence"
    folder.mkdir()
    for i in range(4):
        write_image(folder / f"f{i}.png", 40, 48, seed=i)
    return folder


def fill_disk_after(monkeypatch: pytest.MonkeyPatch, rows: int) -> Callable[[], None]:
    """The results log's writes fail with ENOSPC once ``rows`` rows are written: the failing
    row's first half reaches the file, then the write fails, as on a full disk (other
    descriptors write as before); returns what frees space."""
    append = ResultLog.append
    written = 0

    def append_until_full(self: ResultLog, record: Any) -> dict[str, Any]:
        nonlocal written
        if written < rows:
            written += 1
            return append(self, record)
        real, log = os.write, self._log.fileno()
        halves: list[int] = []

        def full(fd: int, data: Any) -> int:
            if fd != log:
                return real(fd, data)
            if halves:
                raise OSError(errno.ENOSPC, "No space left on device")
            halves.append(real(fd, bytes(data)[: len(data) // 2]))
            return halves[0]

        with monkeypatch.context() as m:
            m.setattr(os, "write", full)
            return append(self, record)

    monkeypatch.setattr(ResultLog, "append", append_until_full)
    return lambda: monkeypatch.setattr(ResultLog, "append", append)


def rows_of(out: Path) -> list[dict[str, Any]]:
    text = (out / "results.jsonl").read_text()
    assert text.endswith("\n")  # the row the disk took half of was cut back, never left torn
    return [json.loads(line) for line in text.splitlines()]


def test_a_full_disk_ends_the_scan_in_one_line_naming_the_results_file_and_resume_works(
    tmp_path: Path, tiny_checkpoint: Path, monkeypatch: pytest.MonkeyPatch, capsys
) -> None:
    """stdout said nothing of a failed scan: how many files its kept rows hold is said now,
    as a stopped scan says it."""
    folder, out = evidence(tmp_path), tmp_path / "out"
    free_space = fill_disk_after(monkeypatch, ROWS_BEFORE_FULL)
    assert scan_cli(folder, out, tiny_checkpoint, "--jobs", "1") == 3
    said = capsys.readouterr()
    assert said.out.splitlines()[-1].startswith(
        "failed after 2 of 4 files: 2 analysed, 0 already done, 0 failed of 4 in "
    )
    assert said.out.splitlines()[-1].endswith(f" s; results in {out}")
    err = said_lines(said.err)
    assert err == [
        f"forensic-viewer: error: the scan failed: {out / 'results.jsonl'}: no space left on device; {LINE_END}"
    ]
    assert [r["path"] for r in rows_of(out)] == ["f0.png", "f1.png"]

    free_space()
    assert scan_cli(folder, out, tiny_checkpoint, "--jobs", "1") == 0
    said = capsys.readouterr().out
    assert "2 analysed, 2 already done, 0 failed of 4" in said
    assert sorted(r["path"] for r in rows_of(out)) == [f"f{i}.png" for i in range(4)]
    assert not [p for p in out.rglob("*") if ".tmp" in p.name]
    assert run_of(out)["state"] == "finished"


def run_of(out: Path) -> dict[str, Any]:
    run: dict[str, Any] = json.loads((out / "scan.json").read_text(encoding="utf-8"))["run"]
    return run


@pytest.mark.parametrize("jobs", ["1", "2"])
def test_scan_json_says_the_run_failed_and_why_when_it_can_be_written(
    tmp_path: Path, tiny_checkpoint: Path, monkeypatch: pytest.MonkeyPatch, capsys, jobs: str
) -> None:
    """After a full disk ended a scan, scan.json still said ``"running"``, as of a scan killed
    or running now, and a report of the folder said so. It says ``failed`` now, after how
    many of how many files and why, as a stopped run's ``run`` says where it stopped; the
    report's first page says the same. One process and worker processes alike."""
    from forensic_viewer.report.build import stopped_scan_alert
    from forensic_viewer.scan.settings import stopped_run

    folder, out = evidence(tmp_path), tmp_path / "out"
    fill_disk_after(monkeypatch, ROWS_BEFORE_FULL)
    assert scan_cli(folder, out, tiny_checkpoint, "--jobs", jobs) == 3
    run = run_of(out)
    reason = f"{out / 'results.jsonl'}: no space left on device"
    assert {k: run[k] for k in ("state", "reason", "files", "analysed")} == {
        "state": "failed",
        "reason": reason,
        "files": 4,
        "analysed": ROWS_BEFORE_FULL,
    }
    assert run["note"].startswith(f"failed after {run['through']} of 4 files ({reason})")
    assert run["ended"] and run["command"]["line"].startswith(
        variables_prefix(result_variables()) + "forensic-viewer scan"
    )
    assert stopped_run(out) == {k: run[k] for k in ("state", "reason", "through", "files", "note")}
    alert = stopped_scan_alert({"run": run}, ROWS_BEFORE_FULL)
    assert alert is not None
    assert alert.startswith(f"This scan failed after {run['through']} of 4 files in its last run")
    assert f"({reason})" in alert
    capsys.readouterr()


def test_a_full_disk_that_refuses_scan_json_too_ends_the_scan_in_the_same_line(
    tmp_path: Path, tiny_checkpoint: Path, monkeypatch: pytest.MonkeyPatch, capsys
) -> None:
    """When the disk is full, recording the failure in scan.json fails too: the scan ends as
    before, its line last, exit 3, scan.json left as it was (``"running"``). Nothing said that
    scan.json now says "running" of a run that is no more; one line names it now (its readers
    find the run dead by its lock: test_scan_failed_report.py)."""
    import forensic_viewer.scan.settings as settings

    folder, out = evidence(tmp_path), tmp_path / "out"
    fill_disk_after(monkeypatch, ROWS_BEFORE_FULL)
    written = settings.atomic_write

    def full_once_results_are(path: Path, text: str) -> None:
        if (out / "results.jsonl").exists():  # the run's start is written before any row
            raise OSError(errno.ENOSPC, "No space left on device", str(path))
        written(path, text)

    monkeypatch.setattr(settings, "atomic_write", full_once_results_are)
    assert scan_cli(folder, out, tiny_checkpoint, "--jobs", "1") == 3
    err = said_lines(capsys.readouterr().err)
    assert err == [
        f"forensic-viewer: error: {out / 'scan.json'}: no space left on device; it could not "
        "record that the run failed: it says running, though it is not",
        f"forensic-viewer: error: the scan failed: {out / 'results.jsonl'}: no space left on device; {LINE_END}",
    ]
    assert run_of(out)["state"] == "running"


@pytest.mark.gui
def test_the_batch_dialog_says_a_full_disk_in_the_command_lines_words(
    qtbot, tmp_path: Path, tiny_checkpoint: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    from forensic_viewer.gui.batch_dialog import BatchDialog

    folder, out = evidence(tmp_path), tmp_path / "out"
    fill_disk_after(monkeypatch, ROWS_BEFORE_FULL)
    dialog = BatchDialog(models=[str(tiny_checkpoint)], device="cpu")
    qtbot.addWidget(dialog)
    dialog.folder.setText(str(folder))
    dialog.out.setText(str(out))
    dialog.jobs.setValue(1)  # in this process, where the full disk is simulated
    dialog.start()
    qtbot.waitUntil(lambda: not dialog.running, timeout=HANG_MS)
    assert dialog.message.text() == (
        f"the scan failed: {out / 'results.jsonl'}: no space left on device; {LINE_END}"
    )
    assert [r["path"] for r in rows_of(out)] == ["f0.png", "f1.png"]
    # what the case log's scan-finished counts (casework.scan_failed_details)
    assert dialog.failed_summary is not None and dialog.failed_summary.done == ROWS_BEFORE_FULL


def _csv_paths(out: Path) -> list[str]:
    import csv

    with (out / "results.csv").open(encoding="utf-8", newline="") as f:
        return [r["path"] for r in csv.DictReader(f)]


@pytest.mark.parametrize("jobs", ["1", "2"])
def test_a_failed_scan_leaves_the_csv_of_its_rows_and_its_end_in_the_case_log(
    tmp_path: Path, tiny_checkpoint: Path, monkeypatch: pytest.MonkeyPatch, capsys, jobs: str
) -> None:
    """A failed scan wrote no results.csv of the rows that did finish (an examiner reporting
    the partial run had an earlier run's CSV, or none, beside rows it did not hold) and no
    ``scan-finished`` in the case log (``scan-started`` then read as a scan killed or running).
    It ends as a stop does now, as far as it can write: results.csv of the files it went
    through, scan.json's note saying so, and ``scan-finished`` with the error line, the counts
    so far and the results files' SHA-256 as left."""
    from forensic_viewer.audit import LOG_NAME, file_sha256, verify_log

    folder, out, case = evidence(tmp_path), tmp_path / "out", tmp_path / "case"
    fill_disk_after(monkeypatch, ROWS_BEFORE_FULL)
    assert scan_cli(folder, out, tiny_checkpoint, "--jobs", jobs, "--case", str(case)) == 3
    capsys.readouterr()
    assert sorted(_csv_paths(out)) == sorted(r["path"] for r in rows_of(out))
    assert len(_csv_paths(out)) == ROWS_BEFORE_FULL
    run = run_of(out)
    assert "): the rows written are kept; results.csv covers those; running" in run["note"]
    entries = without_sessions(verify_log(case / LOG_NAME).entries)
    assert [e.action for e in entries][-2:] == ["scan-started", "scan-finished"]
    finished = entries[-1].details
    line = f"the scan failed: {out / 'results.jsonl'}: no space left on device; {LINE_END}"
    assert finished["error"] == line and finished["analysed"] == ROWS_BEFORE_FULL
    assert finished["total"] == 4 and finished["through"] == run["through"]
    assert finished["results_sha256"] == {
        n: file_sha256(out / n) for n in ("results.jsonl", "results.csv")
    }


@pytest.mark.parametrize("jobs", ["1", "2"])
def test_a_failed_scans_end_in_the_case_log_has_the_seconds_and_settings_a_finished_ones_has(
    tmp_path: Path, tiny_checkpoint: Path, monkeypatch: pytest.MonkeyPatch, capsys, jobs: str
) -> None:
    """A failed run's ``scan-finished`` had no ``seconds`` and no ``settings`` (models with
    their checkpoint SHA-256, window, path, analyses): which models wrote the rows it hashes
    was only in an earlier entry. Now it has both, the settings as the finished run's entry
    of the same scan records them, the seconds from the run's start to the failure."""
    from forensic_viewer.audit import LOG_NAME, verify_log

    folder, out, case = evidence(tmp_path), tmp_path / "out", tmp_path / "case"
    free_space = fill_disk_after(monkeypatch, ROWS_BEFORE_FULL)
    assert scan_cli(folder, out, tiny_checkpoint, "--jobs", jobs, "--case", str(case)) == 3
    free_space()
    assert scan_cli(folder, out, tiny_checkpoint, "--jobs", jobs, "--case", str(case)) == 0
    capsys.readouterr()
    ends = [e.details for e in verify_log(case / LOG_NAME).entries if e.action == "scan-finished"]
    failed, finished = ends
    assert "error" in failed and "error" not in finished
    assert failed["settings"] == finished["settings"]
    assert set(finished["settings"]) >= {"models", "window", "stride", "exact", "analyses"}
    assert isinstance(failed["seconds"], float) and failed["seconds"] > 0


def test_a_csv_the_full_disk_refuses_is_said_in_scan_json(
    tmp_path: Path, tiny_checkpoint: Path, monkeypatch: pytest.MonkeyPatch, capsys
) -> None:
    import forensic_viewer.scan.run as run_module

    folder, out = evidence(tmp_path), tmp_path / "out"
    fill_disk_after(monkeypatch, ROWS_BEFORE_FULL)

    def full(out_: Path, *args: Any, **kw: Any) -> None:
        raise OSError(errno.ENOSPC, "No space left on device", str(out_ / "results.csv"))

    monkeypatch.setattr(run_module, "write_csv", full)
    assert scan_cli(folder, out, tiny_checkpoint, "--jobs", "1") == 3
    capsys.readouterr()
    assert run_of(out)["note"].endswith(
        "the rows written are kept; results.csv was not rewritten: it is an earlier run's, if "
        f"any ({out / 'results.csv'}: no space left on device); running the same scan again "
        "resumes"
    )
    assert not (out / "results.csv").exists()


@pytest.mark.parametrize("jobs", ["1", "2"])
def test_a_results_log_that_cannot_be_opened_once_the_run_began_is_recorded_as_failed(
    tmp_path: Path, tiny_checkpoint: Path, monkeypatch: pytest.MonkeyPatch, capsys, jobs: str
) -> None:
    """With worker processes, a failure after scan.json said "running" but before
    results.jsonl was open (the disk full as it is created) left it saying "running": the
    failure was recorded only once the results were open. One process and workers alike now."""
    folder, out = evidence(tmp_path), tmp_path / "out"

    def full(self: ResultLog, *args: Any, **kw: Any) -> None:
        raise OSError(errno.ENOSPC, "No space left on device", str(out / "results.jsonl"))

    monkeypatch.setattr(ResultLog, "__init__", full)
    assert scan_cli(folder, out, tiny_checkpoint, "--jobs", jobs) == 3
    capsys.readouterr()
    run = run_of(out)
    assert (
        run["state"] == "failed"
        and run["reason"] == f"{out / 'results.jsonl'}: no space left on device"
    )
    assert run["ended"] and run["through"] == 0
    assert "results.csv was not rewritten" in run["note"]
