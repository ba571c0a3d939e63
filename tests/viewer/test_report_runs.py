"""A report of a scan resumed over several runs says which runs its analyses come from and
which ended without recording their end. The intake walk-through of 2026-12-06: scan.json
said of the first run "its end was never recorded (killed ...)", and the report said only
"Runs 3: the results come from all of them", counting the last run, a rerun for the reports
that analysed no file."""

from __future__ import annotations

from typing import Any

from forensic_viewer.report.text import command_rows
from forensic_viewer.scan.settings import EARLIER_NOT_RUNNING, NOT_RUNNING

COMMAND = {"argv": ["forensic-viewer", "scan", "--out", "o", "ev"], "cwd": "/w"}


def _run(started: str, **counts: Any) -> dict[str, Any]:
    return {"state": "finished", "started": started, "command": COMMAND, **counts}


def _runs_row(earlier: list[dict[str, Any]], last: dict[str, Any]) -> str:
    settings = {"source": "/ev", "run": last, "earlier_runs": earlier}
    return dict(command_rows(settings))["Runs"]


def test_a_killed_run_is_named_and_a_run_that_analysed_nothing_is_not_counted() -> None:
    killed = {
        "state": "running",
        "started": "2026-12-06T01:46:20+00:00",
        "command": COMMAND,
        NOT_RUNNING: True,
        "note": EARLIER_NOT_RUNNING,
    }
    second = _run("2026-12-06T01:46:39+00:00", analysed=6, failed=2, skipped=4)
    report_only = _run("2026-12-06T01:46:59+00:00", analysed=0, failed=2, skipped=10)
    said = _runs_row([killed, second], report_only)
    assert said.startswith("3: the analyses come from 2 of them (1 analysed no file")
    assert "one ended without recording its end (killed" in said
    assert "started 2026-12-06T01:46:20+00:00" in said
    assert "from all of them" not in said


def test_runs_that_each_analysed_files_are_all_counted_and_none_called_killed() -> None:
    first = _run("2026-12-06T01:00:00+00:00", analysed=3, failed=0, skipped=0)
    upgraded = _run("2026-12-06T02:00:00+00:00", analysed=0, failed=0, upgraded={"ela": {}})
    said = _runs_row([first], upgraded)  # an upgrade ran the analyses again on old rows
    assert said.startswith("2: the analyses come from all of them;") and "killed" not in said
    idle = _run("2026-12-06T03:00:00+00:00", analysed=0, failed=1, skipped=0)
    assert _runs_row([idle], idle).startswith("2: none of them analysed a file")
