"""An earlier report in an output folder is moved aside whole, never written over
(:mod:`forensic_viewer.report.earlier`).

``scan --report`` replaced OUT/report.* on every run without asking, though a report may have
been handed over; only the case log kept the old report's SHA-256. Now its files go together
into ``OUT/earlier-reports/<UTC time it was written>/``, one line says where and the case log
records the move.

The checkpoint has random weights: these tests check plumbing, never that a finding is right.
"""

from __future__ import annotations

import hashlib
import json
import os
from pathlib import Path

import pytest

from forensic_viewer.report.earlier import EARLIER_REPORTS, move_earlier_report
from tests.viewer.conftest import scan_cli, without_sessions, write_image


def sha(path: Path) -> str:
    return hashlib.sha256(path.read_bytes()).hexdigest()


def earlier_report(out: Path, generated: str = "2026-12-05T14:02:09+01:00") -> dict[str, str]:
    """A large report's files as the writers leave them (its HTML naming report_files.2/,
    written beside an older report_files/), and what is not a report; their contents."""
    (out / "report_files").mkdir(parents=True)
    (out / "report_files.2").mkdir()
    files = {
        "report.json": json.dumps({"format": "forensic-viewer report", "generated": generated}),
        "report.html": '<a href="report_files.2/page-0001.html">files 1 to 100</a>',
        "report.pdf": "%PDF-1.4",
        "report_files/SHA256SUMS": "older",
        "report_files.2/page-0001.html": "page",
        "results.jsonl": "{}\n",
        "probe-report.html": "another report",
        "report.json.~0123abcd.tmp": "a writer's",
    }
    for name, text in files.items():
        (out / name).write_text(text, encoding="utf-8")
    return files


def test_an_earlier_report_goes_whole_to_a_folder_named_by_the_utc_time_it_was_written(
    tmp_path: Path,
) -> None:
    out = tmp_path / "out"
    files = earlier_report(out)
    moved = move_earlier_report(out)
    assert moved is not None
    folder = out / EARLIER_REPORTS / "20261205T130209Z"  # 14:02:09 at +01:00
    assert moved.folder == folder
    assert moved.names == (
        "report.html",
        "report.json",
        "report.pdf",
        "report_files",
        "report_files.2",
    )
    for name in ("report.html", "report.json", "report.pdf", "report_files/SHA256SUMS"):
        assert (folder / name).read_text(encoding="utf-8") == files[name]
        assert not (out / name).exists()
    assert (folder / "report_files.2/page-0001.html").is_file()  # the HTML's link still holds
    left = sorted(p.name for p in out.iterdir())
    assert left == [
        EARLIER_REPORTS,
        "probe-report.html",
        "report.json.~0123abcd.tmp",
        "results.jsonl",
    ]
    assert moved.line() == (
        "the earlier report (report.html, report.json, report.pdf, report_files, "
        f"report_files.2) moved to {folder}"
    )

    earlier_report_again = {"report.json": '{"generated": "2026-12-05T13:02:09Z"}'}
    for name, text in earlier_report_again.items():
        (out / name).write_text(text, encoding="utf-8")
    second = move_earlier_report(out)  # the same time: never into the first one's folder
    assert second is not None and second.folder == folder.with_name("20261205T130209Z.2")
    assert (folder / "report.json").read_text(encoding="utf-8") == files["report.json"]
    assert move_earlier_report(out) is None  # nothing left to move


def test_without_its_json_an_earlier_reports_time_is_its_files(tmp_path: Path) -> None:
    out = tmp_path / "out"
    (out / "probe-report.html").mkdir(parents=True)  # no report: left in the new one's way
    (out / "probe-report.pdf").write_bytes(b"%PDF-1.4")
    os.utime(out / "probe-report.pdf", (0, 86_400 + 61))
    assert move_earlier_report(out) is None  # another report's name
    moved = move_earlier_report(out, "probe-report")
    assert moved is not None and moved.folder.name == "19700102T000101Z"
    assert moved.names == ("probe-report.pdf",) and (out / "probe-report.html").is_dir()


@pytest.mark.parametrize("what", ["file", "link"])
def test_an_earlier_reports_folder_that_is_not_one_leaves_the_report_where_it_is(
    tmp_path: Path, what: str
) -> None:
    out = tmp_path / "out"
    earlier_report(out)
    if what == "file":
        (out / EARLIER_REPORTS).write_text("in the way")
    else:
        (tmp_path / "elsewhere").mkdir()
        (out / EARLIER_REPORTS).symlink_to(tmp_path / "elsewhere")
    with pytest.raises(OSError) as raised:
        move_earlier_report(out)
    assert raised.value.filename == str(out / EARLIER_REPORTS)
    assert (out / "report.html").is_file() and (out / "report_files.2").is_dir()
    assert not any((tmp_path / "elsewhere").iterdir()) if what == "link" else True


def test_scan_report_twice_keeps_the_first_report_and_logs_where_it_went(
    tmp_path: Path, tiny_checkpoint: Path, capsys
) -> None:
    from forensic_viewer.audit import LOG_NAME, verify_log

    folder, out, case = tmp_path / "evidence", tmp_path / "out", tmp_path / "case"
    folder.mkdir()
    for i in range(2):
        write_image(folder / f"f{i}.png", 40, 48, seed=i)
    report = ("--report", "html", "--case", str(case), "--jobs", "1")
    assert scan_cli(folder, out, tiny_checkpoint, *report) == 0
    first = {name: sha(out / name) for name in ("report.html", "report.json")}
    generated = json.loads((out / "report.json").read_text(encoding="utf-8"))["generated"]
    capsys.readouterr()

    assert scan_cli(folder, out, tiny_checkpoint, *report) == 0
    said = capsys.readouterr().out.splitlines()
    (kept,) = (out / EARLIER_REPORTS).iterdir()
    from datetime import UTC, datetime

    assert kept.name == datetime.fromisoformat(generated).astimezone(UTC).strftime("%Y%m%dT%H%M%SZ")
    assert {name: sha(kept / name) for name in first} == first  # the first report, whole
    assert f"the earlier report (report.html, report.json) moved to {kept}" in said
    assert (out / "report.html").is_file() and (out / "report.json").is_file()

    entries = without_sessions(verify_log(case / LOG_NAME).entries)
    exported = [e.details for e in entries if e.action == "report-exported"]
    moves = [e for e in entries if e.action == "report-moved"]
    assert len(exported) == 2 and len(moves) == 1
    assert {f["sha256"] for f in exported[0]["files"].values()} == set(first.values())
    assert moves[0].details == {
        "from": str(out),
        "to": str(kept),
        "files": first,
    }
    # moved before the second report was written: that report's head counts the move
    assert moves[0].seq <= exported[1]["entries_in_report"]


def test_a_report_file_that_was_a_link_is_logged_as_the_link_never_its_targets_hash(
    tmp_path: Path,
) -> None:
    """An earlier ``report.pdf`` that was a symbolic link is moved as a link, but the case
    log's ``report-moved`` recorded its target's SHA-256, as if the link were the report file.
    It records the link as a link now: its target as written, nothing followed."""
    from forensic_viewer.audit import file_sha256

    out, elsewhere = tmp_path / "out", tmp_path / "elsewhere.pdf"
    out.mkdir()
    elsewhere.write_bytes(b"%PDF-1.4 not the report")
    (out / "report.json").write_text("{}", encoding="utf-8")
    (out / "report.pdf").symlink_to(elsewhere)
    moved = move_earlier_report(out)
    assert moved is not None and (moved.folder / "report.pdf").is_symlink()
    assert moved.to_json(file_sha256)["files"] == {
        "report.json": sha(moved.folder / "report.json"),
        "report.pdf": {"link": str(elsewhere)},
    }
