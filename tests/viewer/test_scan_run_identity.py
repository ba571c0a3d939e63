"""Which run made a row, when runs begin within the same second.

Rows (``run``) and scan.json named a run by its start to the second, so two runs begun within
one second (a quick resume after a refusal, scripted scans) stamped alike: an earlier run's
rows were credited to the last run (the report's "Analysed by", the case log's rows made and
files replaced). The clock is held at one instant here, so every run begins in the same second
(the same microsecond, even). Folders written before keep second stamps and still compare.
"""

from __future__ import annotations

import json
from datetime import datetime
from html import unescape
from pathlib import Path
from typing import Any

import pytest

from engine import formatting
from forensic_viewer.cli import main
from forensic_viewer.scan.run_id import run_identity, shown_start
from tests.conftest import write_rgb
from tests.viewer.conftest import scan_args
from tests.viewer.test_case_handover import entries

INSTANT = datetime(2026, 12, 6, 9, 0, 0, 250000)


class _OneInstant(datetime):
    """``datetime`` whose ``now`` never moves (time_text's clock)."""

    @classmethod
    def now(cls, tz: Any = None) -> datetime:
        return INSTANT if tz is None else INSTANT.astimezone(tz)


@pytest.fixture
def one_instant(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(formatting, "datetime", _OneInstant)


def _rows(out: Path) -> dict[str, dict[str, Any]]:
    lines = (out / "results.jsonl").read_text(encoding="utf-8").splitlines()
    return {r["path"]: r for r in map(json.loads, lines)}


def _finished(case: Path) -> dict[str, Any]:
    return [e for e in entries(case) if e.action == "scan-finished"][-1].details


def _sections(out: Path) -> dict[str, str]:
    html = unescape((out / "report.html").read_text(encoding="utf-8"))
    a_at, b_at, c_at = (html.index(f"<h2>{i}. {n}.png</h2>") for i, n in enumerate("abc", 1))
    return {"a": html[a_at:b_at], "b": html[b_at:c_at], "c": html[c_at:]}


def test_runs_begun_within_one_second_are_told_apart(
    one_instant: None, tmp_path: Path, tiny_checkpoint: Path
) -> None:
    ev, out, case = tmp_path / "ev", tmp_path / "out", tmp_path / "case"
    ev.mkdir()
    write_rgb(ev / "a.png", 40, 48, seed=1)
    write_rgb(ev / "b.png", 40, 48, seed=2)

    def scan(*extra: str) -> None:
        assert main([*scan_args(ev, out, tiny_checkpoint), "--case", str(case), *extra]) == 0

    scan()
    write_rgb(ev / "b.png", 40, 48, seed=9)  # run 2 analyses b again: its bytes changed
    scan()
    assert _finished(case)["replaced"]["count"] == 1
    write_rgb(ev / "c.png", 40, 48, seed=3)  # run 3 analyses c alone
    scan("--report", "html")
    info = json.loads((out / "scan.json").read_text(encoding="utf-8"))
    runs = [*info["earlier_runs"], info["run"]]
    assert len({r["started"] for r in runs}) == 1  # one second: the stamps of before collide
    rows = _rows(out)
    assert len({rows[k]["run"] for k in ("a.png", "b.png", "c.png")}) == 3
    assert [rows[k]["run"] for k in ("a.png", "b.png", "c.png")] == list(map(run_identity, runs))
    # run 3 made c's row alone and replaced nothing (b's row is run 2's)
    now = _finished(case)
    assert now["rows"] == {"made": 1, "kept": 2, "run": rows["c.png"]["run"]}
    assert now["replaced"] == {"count": 0, "files": []}
    shown = shown_start(rows["c.png"]["run"])
    assert shown == info["run"]["started"]  # to the second, as scan.json's started
    said = _sections(out)
    earlier = f"the run that began {shown} (an earlier run than the last, which began {shown})"
    assert earlier in said["a"] and earlier in said["b"]
    assert f"the run that began {shown} (the last run)" in said["c"]
    assert "the last run" not in said["a"] + said["b"]


def test_second_stamps_of_a_folder_written_before_stay_readable_and_comparable(
    tmp_path: Path, tiny_checkpoint: Path
) -> None:
    """A folder whose runs have no ``id`` and whose rows hold ``started`` to the second."""
    ev, out, case = tmp_path / "ev", tmp_path / "out", tmp_path / "case"
    ev.mkdir()
    write_rgb(ev / "a.png", 40, 48, seed=1)
    write_rgb(ev / "b.png", 40, 48, seed=2)
    assert main(scan_args(ev, out, tiny_checkpoint)) == 0
    old = "2026-12-05T10:00:00+00:00"
    info = json.loads((out / "scan.json").read_text(encoding="utf-8"))
    del info["run"]["id"]
    info["run"]["started"] = old
    rows = _rows(out)
    for row in rows.values():
        row["run"] = old
    data = "".join(json.dumps(r) + "\n" for r in rows.values()).encode()
    (out / "results.jsonl").write_bytes(data)
    info["run"].pop("results_sha256")  # as a folder written before it was recorded
    (out / "scan.json").write_text(json.dumps(info), encoding="utf-8")
    write_rgb(ev / "b.png", 40, 48, seed=9)  # replaced by the new run
    write_rgb(ev / "c.png", 40, 48, seed=3)
    scan = [*scan_args(ev, out, tiny_checkpoint), "--case", str(case), "--report", "html"]
    assert main(scan) == 0
    info = json.loads((out / "scan.json").read_text(encoding="utf-8"))
    assert run_identity(info["earlier_runs"][0]) == old == _rows(out)["a.png"]["run"]
    assert _rows(out)["b.png"]["run"] == run_identity(info["run"]) != old
    finished = _finished(case)
    assert finished["rows"]["made"] == 2 and finished["rows"]["kept"] == 1
    assert [f["path"] for f in finished["replaced"]["files"]] == ["b.png"]
    last = info["run"]["started"]
    said = _sections(out)
    assert (
        f"the run that began {old} (an earlier run than the last, which began {last})"
        in (said["a"])
    )
    assert f"the run that began {last} (the last run)" in said["b"]
