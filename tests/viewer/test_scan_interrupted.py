"""A scan stopped by Ctrl+C or SIGTERM leaves the files a finished scan leaves, marked partial.

The analyst who stops a long scan finds ``results.csv`` with the files it finished and
``scan.json`` saying the run was interrupted after N of M files (the same command resumes),
whichever way the scan ran (one process, worker processes). Subprocess tests run the command
as it is stopped; an interrupt unwound inside the test process would leave a real Analyzer's
half-finished objects to this process's garbage collector.
"""

from __future__ import annotations

import csv
import enum
import json
import signal
import subprocess
import sys
from pathlib import Path
from typing import Any

import pytest

from engine.ending import Terminated, signal_words
from forensic_viewer.report.build import stopped_scan_alert
from forensic_viewer.scan.results import CSV_NAME, SCAN_INFO
from forensic_viewer.scan.run import ScanSummary, run_scan
from tests.conftest import HANG_S
from tests.viewer.test_scan_prefetch import StubAnalyzer, files_of, make_folder

ROOT = Path(__file__).resolve().parents[2]


def _csv_paths(out: Path) -> list[str]:
    with (out / CSV_NAME).open(encoding="utf-8", newline="") as f:
        return [row["path"] for row in csv.DictReader(f)]


def _run_state(out: Path) -> dict[str, Any]:
    return json.loads((out / SCAN_INFO).read_text(encoding="utf-8"))["run"]


def _interrupt_after(n: int):
    """An ``on_file`` that raises KeyboardInterrupt (Ctrl+C) once ``n`` files are done."""
    seen: list[str] = []

    def on_file(_i: int, _total: int, row: dict[str, Any]) -> None:
        seen.append(row["path"])
        if len(seen) == n:
            raise KeyboardInterrupt

    return on_file


def test_an_interrupted_scan_writes_the_csv_of_its_finished_files_and_says_so(
    tmp_path: Path,
) -> None:
    """Ctrl+C after 2 of 5 files: the interrupt still ends the run (raised again, the run's
    summary on it), results.csv holds the 2 finished files, scan.json says "interrupted after
    2 of 5"; the same scan again resumes and then says "finished"."""
    folder = make_folder(tmp_path / "ev", 5)
    out = tmp_path / "out"
    with pytest.raises(KeyboardInterrupt) as caught:
        run_scan(files_of(folder), StubAnalyzer(), out, source="t", on_file=_interrupt_after(2))
    summary = caught.value.summary  # type: ignore[attr-defined]
    assert summary.cancelled and summary.done == 2 and summary.total == 5
    assert _csv_paths(out) == ["f000.png", "f001.png"]
    state = _run_state(out)
    assert state["state"] == "interrupted" and state["signal"] == "SIGINT"
    assert (state["files"], state["through"]) == (5, 2)
    assert "interrupted (Ctrl+C) after 2 of 5 files" in state["note"]  # the programs' words
    assert "resumes" in state["note"]
    again = run_scan(files_of(folder), StubAnalyzer(), out, source="t")
    assert (again.done, again.skipped) == (3, 2)
    assert _csv_paths(out) == [f"f{i:03d}.png" for i in range(5)]
    state = _run_state(out)
    assert state["state"] == "finished" and (state["files"], state["through"]) == (5, 5)


@pytest.mark.parametrize(
    ("stop", "status", "words"),
    [(KeyboardInterrupt, 130, "interrupted (Ctrl+C)"), (Terminated, 143, "terminated (SIGTERM)")],
    ids=["ctrl-c", "sigterm"],
)
def test_the_scan_words_its_stop_as_forensic_train_does(
    tmp_path: Path, tiny_checkpoint: Path, monkeypatch, capsys, stop: type, status: int, words: str
) -> None:
    """``forensic-viewer scan`` stopped as its third file starts: its summary, its last line,
    scan.json's note and the report's first page name the stop as ``engine.ending`` words it,
    as ``forensic-train`` does. Ctrl+C was a bare "interrupted", and the summary and the
    report said "interrupted" for SIGTERM too. Raised before the third analysis starts, so no
    network is left half-run in this process."""
    import forensic_viewer.scan.run as run
    from forensic_viewer.cli import main

    real, calls = run.analyse_item, []

    def analyse_then_stopped(*a, **kw):
        calls.append(1)
        if len(calls) == 3:
            raise stop
        return real(*a, **kw)

    monkeypatch.setattr(run, "analyse_item", analyse_then_stopped)
    folder, out = make_folder(tmp_path / "ev", 4), tmp_path / "out"
    args = ["scan", str(folder), "--out", str(out), "--model", str(tiny_checkpoint)]
    assert main([*args, "--no-faces", "--jobs", "1", "--report", "json"]) == status
    captured = capsys.readouterr()
    last = captured.err.strip().splitlines()[-1]
    assert last == f"{words}; results so far are kept (re-run to resume)"
    assert f"{words} after 2 of 4 files: 2 analysed" in captured.out
    assert _run_state(out)["note"].startswith(f"{words} after 2 of 4 files")
    report = json.loads((out / "report.json").read_text(encoding="utf-8"))
    assert report["partial_scan"].startswith(f"This scan was {words} after 2 of 4 files")


def _cancelled_after_one_file(folder: Path, out: Path) -> ScanSummary:
    """A scan of ``folder`` into ``out`` that the batch dialog's Cancel (the ``cancel`` hook)
    stopped once the first file was done."""
    done: list[str] = []
    return run_scan(
        files_of(folder),
        StubAnalyzer(),
        out,
        source="t",
        on_file=lambda _i, _t, row: done.append(row["path"]),
        cancel=lambda: len(done) >= 1,
    )


def test_a_cancelled_scan_says_so_in_scan_json(tmp_path: Path) -> None:
    """The batch dialog's Cancel (the ``cancel`` hook) is marked like an interrupt."""
    folder, out = make_folder(tmp_path / "ev", 4), tmp_path / "out"
    summary = _cancelled_after_one_file(folder, out)
    assert summary.cancelled and _csv_paths(out) == ["f000.png"]
    state = _run_state(out)
    assert state["state"] == "cancelled" and (state["files"], state["through"]) == (4, 1)
    assert "signal" not in state


def test_a_report_of_a_stopped_scan_says_on_its_first_page_that_it_covers_a_part(
    tmp_path: Path,
) -> None:
    """The batch dialog's report of a scan it cancelled (or a folder a Ctrl+C stopped) covers
    the files finished: its first page says so, since a report of a part reads like a whole.
    After the rerun that finishes, the alert is gone."""
    from forensic_viewer.report import scan_source, write_report

    folder, out = make_folder(tmp_path / "ev", 4), tmp_path / "out"
    _cancelled_after_one_file(folder, out)

    def report(dest: str) -> tuple[str | None, str]:
        paths = write_report(scan_source(out), tmp_path / dest, ["json", "html"])
        data = json.loads(paths["json"].read_text(encoding="utf-8"))
        return data["partial_scan"], paths["html"].read_text(encoding="utf-8")

    partial, html = report("partial")
    assert partial is not None and partial.startswith("This scan was cancelled after 1 of 4")
    assert "this report holds 1 evidence file," in partial
    assert 'id="partial-scan"' in html and "covers part of a scan" in html
    from pypdf import PdfReader

    pdf = write_report(scan_source(out), tmp_path / "pdf", ["pdf"])["pdf"]
    assert "covers part of a scan" in PdfReader(pdf).pages[0].extract_text()
    run_scan(files_of(folder), StubAnalyzer(), out, source="t")
    partial, html = report("whole")
    assert partial is None and 'id="partial-scan"' not in html


def test_a_report_begun_while_its_scan_runs_says_so_though_the_scan_ends_meanwhile(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """A report of a folder a scan is still writing holds the rows there when it read them.
    The scan ending right after that (scan.json rewritten "finished") must not make the
    report read as a whole: how the run stood is read before its rows, never after. The
    scan's end is simulated at the moment the rows have been indexed."""
    import forensic_viewer.report.model as model
    from forensic_viewer.report import scan_source
    from forensic_viewer.scan.lock import OutputLock
    from forensic_viewer.scan.results import ResultIndex
    from forensic_viewer.scan.settings import record_run

    folder, out = make_folder(tmp_path / "ev", 4), tmp_path / "out"
    _cancelled_after_one_file(folder, out)
    record_run(out, {"state": "running"})  # as a scan still at work leaves it
    scan = OutputLock(out, command="scan").acquire()  # and its lock, held until it ends

    class ScanEndsOnceIndexed(ResultIndex):
        def _load(self) -> None:
            super()._load()
            record_run(out, {"state": "finished", "files": 4, "through": 4})
            scan.release()

    monkeypatch.setattr(model, "ResultIndex", ScanEndsOnceIndexed)
    source = scan_source(out)
    assert source.count == 1
    partial = stopped_scan_alert(source.settings, source.count)
    assert partial is not None and "still running" in partial


def test_the_first_page_of_a_resumed_scan_stopped_again_counts_every_run_s_files(
    tmp_path: Path,
) -> None:
    """A scan folder keeps the rows of every run. Cancelled after 3 of 5 files, then resumed
    and cancelled again after 1 (a file skipped as done): the report holds the 3 files the
    runs recorded, and its first page said "after 1 of 5 files: the other files are not in
    this report", as if it held one."""
    from forensic_viewer.report import scan_source, write_report

    folder = make_folder(tmp_path / "ev", 5)
    out = tmp_path / "out"
    for n in (3, 1):
        seen: list[str] = []
        run_scan(
            files_of(folder),
            StubAnalyzer(),
            out,
            source="t",
            on_file=lambda _i, _t, row, seen=seen: seen.append(row["path"]),
            cancel=lambda seen=seen, n=n: len(seen) >= n,
        )
    assert (_run_state(out)["through"], _run_state(out)["files"]) == (1, 5)
    paths = write_report(scan_source(out), tmp_path / "r", ["json", "html"])
    data = json.loads(paths["json"].read_text(encoding="utf-8"))
    assert len(data["items"]) == 3
    partial = data["partial_scan"]
    assert partial.startswith("This scan was cancelled after 1 of 5 files in its last run")
    assert "this report holds 3 evidence files, recorded by that run or earlier ones" in partial
    assert "the other files are not in this report" not in partial
    assert "this report holds 3 evidence files" in paths["html"].read_text(encoding="utf-8")


@pytest.mark.parametrize("signum", [signal.SIGINT, signal.SIGTERM])
def test_the_command_stopped_by_a_signal_leaves_csv_and_summary(
    tmp_path: Path, tiny_checkpoint: Path, signum: signal.Signals
) -> None:
    """``forensic-viewer scan`` stopped as its third file starts: exit 130 (SIGINT) or 143
    (SIGTERM) with the one line on stderr; the summary says where it stopped; results.csv
    holds the two finished files and scan.json says the run was interrupted after 2 of 4;
    the report asked for covers those two and says the scan was stopped."""
    folder = make_folder(tmp_path / "ev", 4)
    out = tmp_path / "out"
    args = ["scan", str(folder), "--out", str(out), "--model", str(tiny_checkpoint)]
    child = (
        "import os, signal, sys\n"
        "import forensic_viewer.scan.run as run\n"
        "from forensic_viewer.cli import main\n"
        "real, calls = run.analyse_item, []\n"
        "def analyse_then_stopped(*a, **kw):\n"
        "    calls.append(1)\n"
        "    if len(calls) == 3:\n"
        f"        os.kill(os.getpid(), {int(signum)})\n"
        "    return real(*a, **kw)\n"
        "run.analyse_item = analyse_then_stopped\n"
        "sys.exit(main(sys.argv[1:]))\n"
    )
    res = subprocess.run(
        [sys.executable, "-c", child, *args, "--no-faces", "--jobs", "1", "--report", "json"],
        cwd=ROOT,
        capture_output=True,
        text=True,
        timeout=HANG_S,
    )
    assert res.returncode == 128 + signum, res.stderr[-2000:]
    assert "Traceback" not in res.stderr
    words = signal_words(signum)  # "interrupted (Ctrl+C)", "terminated (SIGTERM)"
    assert (
        res.stderr.strip().splitlines()[-1]
        == f"{words}; results so far are kept (re-run to resume)"
    )
    assert f"{words} after 2 of 4 files" in res.stdout
    assert _csv_paths(out) == ["f000.png", "f001.png"]
    state = _run_state(out)
    assert state["state"] == "interrupted"
    assert state["signal"] == signal.Signals(signum).name
    assert (state["files"], state["through"], state["analysed"]) == (4, 2, 2)
    report = json.loads((out / "report.json").read_text(encoding="utf-8"))
    assert report["partial_scan"].startswith(f"This scan was {words} after 2 of 4 files")
    assert report["counts"]["files"] == 2


@pytest.mark.slow
def test_a_pooled_scan_interrupted_writes_the_same_files(
    tmp_path: Path, tiny_checkpoint: Path
) -> None:
    """With worker processes (what ``scan`` uses by default for 30+ files on the CPU) the
    parent ends an interrupted run the same way: CSV of the finished files, scan.json marked."""
    from forensic_viewer.scan.pool import run_pool_scan
    from forensic_viewer.scan.pool_worker import AnalyzerRecipe

    folder = make_folder(tmp_path / "ev", 6)
    out = tmp_path / "out"
    recipe = AnalyzerRecipe(models=(str(tiny_checkpoint),), device="cpu", faces=False)
    with pytest.raises(KeyboardInterrupt) as caught:
        run_pool_scan(
            files_of(folder), recipe, out, jobs=2, source="t", on_file=_interrupt_after(2)
        )
    summary = caught.value.summary  # type: ignore[attr-defined]
    assert summary.cancelled and summary.interrupted == "SIGINT"
    finished = _csv_paths(out)
    assert len(finished) == summary.through >= 2
    state = _run_state(out)
    assert state["state"] == "interrupted" and state["files"] == 6
    assert state["through"] == summary.through


@pytest.mark.parametrize("gap", [0.02, 0.2])
def test_ctrl_c_pressed_three_times_still_exits_130_with_one_line(
    tmp_path: Path, tiny_checkpoint: Path, gap: float
) -> None:
    """An impatient analyst presses Ctrl+C three times. The second and third came while the
    program was already ending (its exit hooks, torch's teardown, which take seconds): they
    printed tracebacks from torch's exit hooks, or, once Python had put back the default
    handler, killed the process by SIGINT (status -2 for a parent process, not 130). Run as
    the program (``python -m``), as the console script runs it."""
    import os
    import time

    folder = make_folder(tmp_path / "ev", 8)
    out = tmp_path / "out"
    args = ["scan", str(folder), "--out", str(out), "--model", str(tiny_checkpoint)]
    scan = subprocess.Popen(
        [sys.executable, "-m", "forensic_viewer.cli", *args, "--no-faces", "--jobs", "1"],
        cwd=ROOT,
        env={**os.environ, "PYTHONPATH": str(ROOT)},
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
    )
    deadline = time.monotonic() + HANG_S
    while not ((out / "results.jsonl").exists() and (out / "results.jsonl").read_text()):
        assert scan.poll() is None, "the scan ended before it could be interrupted"
        assert time.monotonic() < deadline, "no row written"
        time.sleep(0.01)
    for _ in range(3):
        scan.send_signal(signal.SIGINT)
        time.sleep(gap)
    _out, err = scan.communicate(timeout=HANG_S)
    assert scan.returncode == 130, err[-3000:]
    assert "Traceback" not in err and "Exception ignored" not in err, err[-3000:]
    assert err.strip().splitlines()[-1].startswith("interrupted (Ctrl+C); results so far are kept")


def test_ground_truth_of_a_stopped_scan_says_it_covers_part_of_it(tmp_path: Path) -> None:
    """``scan --gt`` of a scan stopped after 2 of 5 files scores those 2 (as its reports do);
    groundtruth.json said nothing of the 3 others, and its figures read like the whole scan's.
    ``partial_scan`` says how it stopped, null once a rerun finished the scan."""
    import shutil

    from forensic_viewer.scan.groundtruth import GT_NAME, evaluate_scan, read_truth

    folder = make_folder(tmp_path / "ev", 5)
    (tmp_path / "gt").mkdir()
    shutil.copytree(folder, tmp_path / "gt" / "Au")  # every image authentic
    out = tmp_path / "out"
    with pytest.raises(KeyboardInterrupt):
        run_scan(files_of(folder), StubAnalyzer(), out, source="t", on_file=_interrupt_after(2))
    result = evaluate_scan(out, read_truth(tmp_path / "gt"))
    gt = json.loads((out / GT_NAME).read_text(encoding="utf-8"))
    assert gt["images"] == 2 and result.partial_scan == gt["partial_scan"]
    partial = gt["partial_scan"]
    assert (partial["state"], partial["signal"]) == ("interrupted", "SIGINT")
    assert (partial["through"], partial["files"]) == (2, 5)
    assert "interrupted (Ctrl+C) after 2 of 5 files" in partial["note"]
    run_scan(files_of(folder), StubAnalyzer(), out, source="t")
    evaluate_scan(out, read_truth(tmp_path / "gt"))
    gt = json.loads((out / GT_NAME).read_text(encoding="utf-8"))
    assert gt["images"] == 5 and gt["partial_scan"] is None


def _csv_rows(out: Path) -> dict[str, dict[str, str]]:
    with (out / CSV_NAME).open(encoding="utf-8", newline="") as f:
        return {row["path"]: row for row in csv.DictReader(f)}


@pytest.mark.parametrize("stop", ["cancel", "interrupt"])
def test_a_pooled_scan_stopped_with_a_file_in_flight_leaves_it_out_of_the_csv(
    tmp_path: Path, tiny_checkpoint: Path, stop: str
) -> None:
    """A file a worker holds when the scan is stopped (Cancel, Ctrl+C) was not gone through:
    results.csv leaves it out, as a one-process scan does. It showed the row of the run
    before, whose SHA-256 and verdict were of bytes the file no longer holds, as this run's;
    and scan.json said "after 2 of 3" under a CSV of three files."""
    import dataclasses
    import hashlib

    from forensic_viewer.scan.pool import run_pool_scan
    from tests.conftest import write_rgb
    from tests.viewer.scan_pool_helpers import FaultyRecipe

    folder = make_folder(tmp_path / "ev", 3)  # f000, f001, f002: the last is the one held
    out = tmp_path / "out"
    recipe = FaultyRecipe(models=(str(tiny_checkpoint),), device="cpu", faces=False)
    run_scan(files_of(folder), recipe.build(), out, source="t")
    write_rgb(folder / "f002.png", 24, 32, seed=99)  # changed since: analysed again
    held = tmp_path / "held"

    def stopped() -> bool:
        if held.exists() and stop == "interrupt":
            raise KeyboardInterrupt
        return held.exists()

    holding = dataclasses.replace(recipe, hold_on="f002.png", held=str(held))
    try:
        summary = run_pool_scan(
            files_of(folder), holding, out, jobs=2, source="t", threads=1, cancel=stopped
        )
    except KeyboardInterrupt as e:
        summary = e.summary  # type: ignore[attr-defined]
    assert held.exists() and summary.cancelled
    assert (summary.skipped, summary.done, summary.through) == (2, 0, 2)
    rows = _csv_rows(out)
    assert list(rows) == ["f000.png", "f001.png"]
    for key, row in rows.items():
        assert row["sha256"] == hashlib.sha256((folder / key).read_bytes()).hexdigest()
    state = _run_state(out)
    assert (state["files"], state["through"]) == (3, 2)


def test_a_report_words_a_hang_up_recorded_on_linux_where_there_is_no_sighup(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    """scan.json keeps the stop signal's name. A report of a folder a terminal's closing
    stopped on Linux, written where the signal module has no SIGHUP (Windows), looked the name
    up in ``signal.Signals`` and failed with a KeyError instead of writing its first page."""
    no_sighup = enum.IntEnum("Signals", {"SIGINT": 2, "SIGTERM": 15})
    monkeypatch.setattr(signal, "Signals", no_sighup)
    settings: dict[str, Any] = {
        "run": {"state": "interrupted", "signal": "SIGHUP", "files": 5, "through": 2}
    }
    alert = stopped_scan_alert(settings, 2)
    assert alert is not None and alert.startswith("This scan was hung up (SIGHUP) after 2 of 5")
    settings["run"]["signal"] = "SIGTERM"
    alert = stopped_scan_alert(settings, 2)
    assert alert is not None and signal_words(signal.SIGTERM) in alert


def _interrupted_while_opening(*_: Any, **__: Any) -> Any:
    raise KeyboardInterrupt


def test_ctrl_c_while_a_scan_reads_its_rows_versions_ends_the_run_as_a_stop(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """After scan.json said "running", a one-process scan read every row's classic-analysis
    versions (``recorded_rows``: seconds in a large folder) outside the part that ends an
    interrupted run: Ctrl+C there left scan.json saying "running", as of a scan killed. It
    says interrupted after 0 files now, the interrupt raised again with the summary on it."""
    import forensic_viewer.scan.run as run_module

    folder, out = make_folder(tmp_path / "ev", 3), tmp_path / "out"
    monkeypatch.setattr(run_module, "recorded_rows", _interrupted_while_opening)
    with pytest.raises(KeyboardInterrupt) as caught:
        run_scan(files_of(folder), StubAnalyzer(), out, source="t")
    assert caught.value.summary.through == 0  # type: ignore[attr-defined]
    state = _run_state(out)
    assert state["state"] == "interrupted" and (state["files"], state["through"]) == (3, 0)
    assert state["ended"] and _csv_paths(out) == []


def test_ctrl_c_while_a_pooled_scan_opens_its_results_ends_the_run_as_a_stop(
    tmp_path: Path, tiny_checkpoint: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """With worker processes, Ctrl+C after scan.json said "running" but before results.jsonl
    was open was taken for one before the settings were checked and raised on, scan.json
    left "running". The run ends as a stop does now."""
    from forensic_viewer.scan.pool import run_pool_scan
    from forensic_viewer.scan.pool_worker import AnalyzerRecipe
    from forensic_viewer.scan.results import ResultLog

    folder, out = make_folder(tmp_path / "ev", 3), tmp_path / "out"
    monkeypatch.setattr(ResultLog, "__init__", _interrupted_while_opening)
    recipe = AnalyzerRecipe(models=(str(tiny_checkpoint),), device="cpu", faces=False)
    with pytest.raises(KeyboardInterrupt) as caught:
        run_pool_scan(files_of(folder), recipe, out, jobs=2, source="t")
    assert caught.value.summary.through == 0  # type: ignore[attr-defined]
    state = _run_state(out)
    assert state["state"] == "interrupted" and (state["files"], state["through"]) == (3, 0)


def test_the_line_before_a_stopped_scans_reports_counts_its_files_in_words() -> None:
    """Read in an examiner's Ctrl+C of a scan after its first file: "writing the reports of
    the 1 files finished"."""
    from forensic_viewer.cli_scan import stopped_outputs_line

    one = stopped_outputs_line("reports", 1)
    assert one.startswith("writing the reports of the 1 file finished (they say the scan")
    assert stopped_outputs_line("scores and reports", 3).startswith(
        "writing the scores and reports of the 3 files finished"
    )
    assert one.endswith("Ctrl+C again skips them, leaving no half-written file")
