"""``audit verify`` given a file that is no case log says so (exit 2), not "BROKEN at line 1";
``audit verify --files`` re-hashes the files the entries name; the case log's report paths and
a report's stamp of the log are absolute (evidence-integrity review 2026-12-05)."""

from __future__ import annotations

import json
import os
import shutil
from pathlib import Path

import pytest

from forensic_viewer.audit import AuditLog, log_lines, parse_entry
from forensic_viewer.casework import log_report
from forensic_viewer.cli import main
from tests.conftest import write_rgb
from tests.viewer.conftest import scan_args


def test_a_file_that_is_no_audit_log_is_named_so(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    report = tmp_path / "report.json"
    report.write_text(json.dumps({"format": "report", "alerts": []}, indent=2))
    assert main(["audit", "verify", str(report)]) == 2
    err = capsys.readouterr().err
    assert "not an audit log" in err and "BROKEN" not in err
    log = AuditLog(tmp_path / "case")
    log.append("note", {"text": "x"})
    log.close()
    lines = (tmp_path / "case" / "audit.jsonl").read_bytes().splitlines(keepends=True)
    (tmp_path / "case" / "audit.jsonl").write_bytes(b"GARBAGE\n" + b"".join(lines[1:]))
    assert main(["audit", "verify", str(tmp_path / "case")]) == 1  # a damaged log stays broken
    assert "BROKEN at line 1" in capsys.readouterr().out


def test_verify_files_names_each_changed_or_missing_file(
    tmp_path: Path, tiny_checkpoint: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    folder = tmp_path / "ev"
    folder.mkdir()
    write_rgb(folder / "a.png", 40, 48, seed=1)
    out, case = tmp_path / "out", tmp_path / "case"
    assert (
        main([*scan_args(folder, out, tiny_checkpoint), "--case", str(case), "--report", "json"])
        == 0
    )
    capsys.readouterr()
    assert main(["audit", "verify", str(case), "--files"]) == 0
    assert "0 changed or missing" in capsys.readouterr().out
    (out / "report.json").write_text("{}")
    (out / "results.csv").unlink()
    assert main(["audit", "verify", str(case), "--files"]) == 1
    text = capsys.readouterr().out
    assert f"CHANGED {out.resolve() / 'report.json'}: SHA-256 now" in text
    assert f"MISSING {out.resolve() / 'results.csv'}" in text
    assert "2 changed or missing" in text
    (out / "results.jsonl").unlink()
    os.mkfifo(out / "results.jsonl")  # a pipe in a logged file's place: refused, not waited on
    assert main(["audit", "verify", str(case), "--files"]) == 1
    assert f"UNREADABLE {out.resolve() / 'results.jsonl'}" in capsys.readouterr().out


def test_the_reports_stamp_and_report_paths_are_absolute(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.chdir(tmp_path)
    (tmp_path / "out").mkdir()
    (tmp_path / "out" / "report.html").write_text("<html></html>")
    log = AuditLog("case")
    stamp = log.stamp()
    assert stamp.log == str(tmp_path / "case" / "audit.jsonl")
    log_report(log, {"html": Path("out/report.html")}, stamp)
    log.close()
    *_, (_, raw, _), _closed = log_lines(tmp_path / "case" / "audit.jsonl")
    entry = parse_entry(raw)[0]
    assert entry is not None
    assert entry.details["files"]["html"]["path"] == str(tmp_path / "out" / "report.html")


def test_verify_files_names_the_path_read_and_checks_a_moved_copy(
    tmp_path: Path, tiny_checkpoint: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    """A case handed over as a copy (walk-through 2026-12-06): ``--files`` from the copy hashed
    the first examiner's originals and said OK; ``--moved OLD=NEW`` reads the copy instead."""
    folder = tmp_path / "ev"
    folder.mkdir()
    write_rgb(folder / "a.png", 40, 48, seed=1)
    out, case = tmp_path / "a" / "out", tmp_path / "a" / "case"
    args = [*scan_args(folder, out, tiny_checkpoint), "--case", str(case), "--report", "json"]
    assert main(args) == 0
    copy = tmp_path / "b"
    shutil.copytree(tmp_path / "a", copy)
    (copy / "out" / "report.json").write_text("{}")  # the copy altered, the original not
    capsys.readouterr()
    assert main(["audit", "verify", str(copy / "case"), "--files"]) == 0
    text = capsys.readouterr().out
    assert f"OK {out.resolve() / 'report.json'}" in text  # it says it read the original
    assert "each at the path the log recorded" in text
    moved = f"{out.resolve()}={copy / 'out'}"
    assert main(["audit", "verify", str(copy / "case"), "--moved", moved]) == 1
    text = capsys.readouterr().out
    assert (
        f"CHANGED {copy / 'out' / 'report.json'} (recorded as {out.resolve() / 'report.json'}: "
        "read under --moved)" in text
    )
    assert f"OK {copy / 'out' / 'results.jsonl'}" in text
    assert str(out.resolve() / "report.json") + " " not in text.replace("recorded as ", "")
    shutil.rmtree(tmp_path / "a")  # a second machine: the originals are not there
    assert main(["audit", "verify", str(copy / "case"), "--files"]) == 1
    text = capsys.readouterr().out
    assert f"MISSING {out.resolve() / 'results.jsonl'}" in text and "give --moved OLD=NEW" in text
    assert main(["audit", "verify", str(copy / "case"), "--moved", str(copy)]) == 2
    assert "--moved needs OLD=NEW" in capsys.readouterr().err


def test_verify_files_checks_a_scans_evidence_against_its_rows(
    tmp_path: Path, tiny_checkpoint: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    """Scan entries record results.jsonl's SHA-256, not the evidence's (walk-through
    2026-12-06): a file replaced and one gone from the scanned folder went unseen, "0 changed
    or missing". The rows of the recorded results.jsonl hold each file's SHA-256."""
    folder = tmp_path / "ev"
    folder.mkdir()
    for i, name in enumerate(("a.png", "b.png", "c.png")):
        write_rgb(folder / name, 40, 48, seed=i)
    out, case = tmp_path / "out", tmp_path / "case"
    assert main([*scan_args(folder, out, tiny_checkpoint), "--case", str(case)]) == 0
    capsys.readouterr()
    assert main(["audit", "verify", str(case), "--files"]) == 0
    text = capsys.readouterr().out
    row = f"its row in {out.resolve() / 'results.jsonl'}"
    assert f"OK {folder.resolve() / 'a.png'}: as {row}" in text
    assert "3 of them the evidence of 1 scan" in text
    write_rgb(folder / "b.png", 40, 48, seed=9)  # replaced
    (folder / "c.png").unlink()  # gone
    assert main(["audit", "verify", str(case), "--files"]) == 1
    text = capsys.readouterr().out
    assert f"CHANGED {folder.resolve() / 'b.png'}: SHA-256 now" in text and row in text
    assert f"MISSING {folder.resolve() / 'c.png'} ({row}" in text
    assert "2 changed or missing" in text
    shutil.copytree(folder, tmp_path / "mnt")  # the evidence at another mount point
    moved = f"{folder.resolve()}={tmp_path / 'mnt'}"
    assert main(["audit", "verify", str(case), "--moved", moved]) == 1
    text = capsys.readouterr().out
    assert f"OK {tmp_path / 'mnt' / 'a.png'} (recorded as {folder.resolve() / 'a.png'}" in text
    rows = (out / "results.jsonl").read_text()
    (out / "results.jsonl").write_text(rows.replace('"status": "ok"', '"status":  "ok"', 1))
    assert main(["audit", "verify", str(case), "--files"]) == 1
    text = capsys.readouterr().out
    assert f"NOT CHECKED the evidence, maps and thumbnails of the scan into {out.resolve()}" in text
    assert "b.png" not in text  # rows edited since vouch for nothing


def test_verify_files_checks_a_scans_maps_thumbnails_and_model_files(
    tmp_path: Path, tiny_checkpoint: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    """A walk-through of 2026-12-06 zeroed a scan's mask in a copy: ``--files`` said "0 changed
    or missing", though the recorded rows hold each map's SHA-256 (``files_sha256``); the
    model files the rows name with path and SHA-256 were never checked either."""
    folder = tmp_path / "ev"
    folder.mkdir()
    write_rgb(folder / "a.png", 40, 48, seed=1)
    out, case = tmp_path / "out", tmp_path / "case"
    assert main([*scan_args(folder, out, tiny_checkpoint), "--case", str(case)]) == 0
    capsys.readouterr()
    assert main(["audit", "verify", str(case), "--files"]) == 0
    text = capsys.readouterr().out
    heat, thumb = out.resolve() / "maps" / "a.png.tiny.png", out.resolve() / "thumbs" / "a.png.jpg"
    row = f"its row in {out.resolve() / 'results.jsonl'}"
    assert f"OK {heat}: as {row}" in text and f"OK {thumb}: as {row}" in text
    assert f"OK model {tiny_checkpoint.resolve()}: as {row}" in text
    assert "2 its maps and thumbnails, 1 its model files" in text
    heat.write_bytes(b"\0" * heat.stat().st_size)  # the mask zeroed
    thumb.unlink()
    assert main(["audit", "verify", str(case), "--files"]) == 1
    text = capsys.readouterr().out
    assert f"CHANGED {heat}: SHA-256 now" in text and f"MISSING {thumb} ({row}" in text
    assert "2 changed or missing" in text
    thumb.symlink_to(folder / "a.png")  # a link out of the folder: never read
    assert main(["audit", "verify", str(case), "--files"]) == 1
    assert f"OUTSIDE {thumb}" in capsys.readouterr().out
    thumb.unlink()
    shutil.copytree(out, tmp_path / "copy")  # the scan handed over: its maps read in the copy
    moved = f"{out.resolve()}={tmp_path / 'copy'}"
    assert main(["audit", "verify", str(case), "--moved", moved]) == 1
    text = capsys.readouterr().out
    assert f"CHANGED {tmp_path / 'copy' / 'maps' / 'a.png.tiny.png'} (recorded as {heat}" in text
    tiny_checkpoint.write_bytes(tiny_checkpoint.read_bytes() + b"x")
    assert main(["audit", "verify", str(case), "--files"]) == 1
    assert f"CHANGED model {tiny_checkpoint.resolve()}" in capsys.readouterr().out
    tiny_checkpoint.unlink()  # the checkpoint not with the case: said, not a failure
    assert main(["audit", "verify", str(case), "--files"]) == 1
    text = capsys.readouterr().out
    assert f"NOT AT HAND model {tiny_checkpoint.resolve()}" in text
    assert "1 model file(s) the scans' rows name not at hand" in text
    assert "3 changed or missing" not in text and "2 changed or missing" in text


def test_verify_files_checks_scan_json_against_its_last_record(
    tmp_path: Path, tiny_checkpoint: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    """A walk-through of 2026-12-06 edited a copy's scan.json (``exact`` true, a checkpoint's
    SHA-256 zeroed) and nothing noticed: no entry recorded its SHA-256. ``scan-finished`` and a
    scan's ``report-exported`` record it now; a resume rewrites it, and its last record holds."""
    folder = tmp_path / "ev"
    folder.mkdir()
    write_rgb(folder / "a.png", 40, 48, seed=1)
    out, case = tmp_path / "out", tmp_path / "case"
    assert main([*scan_args(folder, out, tiny_checkpoint), "--case", str(case)]) == 0
    write_rgb(folder / "b.png", 40, 48, seed=2)
    assert main([*scan_args(folder, out, tiny_checkpoint), "--case", str(case)]) == 0  # resume
    assert main(["report", str(out), "--case", str(case), "--format", "json"]) == 0
    capsys.readouterr()
    entries = [parse_entry(raw)[0] for _n, raw, _c in log_lines(case / "audit.jsonl")]
    recorded = [e.details["scan_json"] for e in entries if e and "scan_json" in e.details]
    assert [e.action for e in entries if e and "scan_json" in e.details] == [
        "scan-finished",
        "scan-finished",
        "report-exported",
    ]
    assert recorded[-1]["path"] == str(out.resolve() / "scan.json")
    assert main(["audit", "verify", str(case), "--files"]) == 0
    assert f"OK {out.resolve() / 'scan.json'}: as entry" in capsys.readouterr().out
    info = json.loads((out / "scan.json").read_text())
    (out / "scan.json").write_text(json.dumps({**info, "exact": True}))
    assert main(["audit", "verify", str(case), "--files"]) == 1
    assert f"CHANGED {out.resolve() / 'scan.json'}: SHA-256 now" in capsys.readouterr().out
    finished = next(e for e in entries if e and e.action == "scan-finished")
    old = AuditLog(tmp_path / "old")  # a log of before 2026-12-06: no record of scan.json
    old.append("scan-finished", {k: v for k, v in finished.details.items() if k != "scan_json"})
    old.close()
    main(["audit", "verify", str(tmp_path / "old"), "--files"])
    text = capsys.readouterr().out
    assert f"NOT CHECKED {out.resolve() / 'scan.json'}: scan.json: not recorded by this log" in text


def test_audit_md_says_what_files_checks_and_what_it_does_not(
    capsys: pytest.CaptureFixture[str],
) -> None:
    """Neither docs/AUDIT.md nor the help said which of a scan's files ``--files`` leaves out
    (walk-through 2026-12-06): every kind of line it prints is explained there, and the list of
    what it does not check is there."""
    text = (Path(__file__).parents[2] / "docs" / "AUDIT.md").read_text(encoding="utf-8")
    for word in ("OK", "CHANGED", "MISSING", "UNREADABLE", "OUTSIDE", "NOT AT HAND model"):
        assert f"`{word}" in text, word
    assert "`NOT CHECKED the evidence, maps\nand thumbnails of the scan" in text
    assert "scan.json: not recorded by this log" in text
    assert "Not checked: the face models of a scan" in text
    assert main(["audit", "verify", "--help"]) == 0
    helped = " ".join(capsys.readouterr().out.split())
    assert "maps, thumbnails and model files" in helped and "docs/AUDIT.md" in helped


def test_the_head_after_the_reports_own_entry_is_printed_and_guards_it(
    tmp_path: Path, tiny_checkpoint: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    """QA walk-through (2026-12-06): the head a report prints is the one before its own
    ``report-exported`` entry, so a log cut back to just before that entry passed
    ``verify --head`` of it. The closing line gives the head after the entry, which does not."""
    folder = tmp_path / "ev"
    folder.mkdir()
    write_rgb(folder / "a.png", 40, 48, seed=1)
    out, case = tmp_path / "out", tmp_path / "case"
    capsys.readouterr()
    assert main([*scan_args(folder, out, tiny_checkpoint), "--case", str(case)]) == 0
    capsys.readouterr()
    assert main(["report", str(out), "--case", str(case), "--format", "json"]) == 0
    said = capsys.readouterr().out.splitlines()
    log = case / "audit.jsonl"
    lines = log.read_bytes().splitlines(keepends=True)
    last, closed = parse_entry(lines[-2])[0], parse_entry(lines[-1])[0]
    assert last is not None and last.action == "report-exported"
    assert closed is not None and closed.action == "log-closed"  # the run's end, after it
    printed = json.loads((out / "report.json").read_text())["case"]["audit_log"]["head"]
    assert printed == last.prev  # the report's own head: the entry before its own
    assert said[-1] == (
        f"case audit log head after this report: {last.hash} (entry {last.seq}); write this "
        f"value down outside this computer: `forensic-viewer audit verify {log} --head "
        f"{last.hash}` then shows that the log still holds the report's own entry"
    )
    log.write_bytes(b"".join(lines[:-2]))  # the report's own entry cut off (and the end)
    assert main(["audit", "verify", str(case), "--head", printed]) == 0  # not seen by it
    assert main(["audit", "verify", str(case), "--head", last.hash]) == 1  # seen by this one
