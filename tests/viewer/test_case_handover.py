"""The case log when a case changes hands (walk-through 2026-12-06): a resumed scan's
``scan-finished`` says what changed, and the resume check of an edited results.jsonl finds the
case log's record of a copied output folder."""

from __future__ import annotations

import hashlib
import json
import shutil
from pathlib import Path

import pytest

from forensic_viewer.audit import AuditEntry, log_lines, parse_entry
from forensic_viewer.cli import main
from tests.conftest import write_rgb
from tests.viewer.conftest import scan_args, without_sessions


def entries(case: Path) -> list[AuditEntry]:
    found = [parse_entry(raw)[0] for _n, raw, _c in log_lines(case / "audit.jsonl")]
    return without_sessions(e for e in found if e is not None)


def sha_of(out: Path, key: str) -> str:
    rows = [json.loads(line) for line in (out / "results.jsonl").read_text().splitlines()]
    return next(r["sha256"] for r in reversed(rows) if r["path"] == key)


def test_scan_finished_records_the_files_replaced_gone_and_the_rows_kept(
    tmp_path: Path, tiny_checkpoint: Path
) -> None:
    """It held only counts, settings and hashes: not the file replaced, those gone, nor which
    rows an earlier run made."""
    folder, out, case = tmp_path / "ev", tmp_path / "out", tmp_path / "case"
    folder.mkdir()
    for i, name in enumerate(("a.png", "b.png", "c.png")):
        write_rgb(folder / name, 40, 48, seed=i)
    assert main([*scan_args(folder, out, tiny_checkpoint), "--case", str(case)]) == 0
    first = entries(case)[-1].details
    assert first["rows"]["made"] == 3 and first["rows"]["kept"] == 0
    assert first["replaced"] == {"count": 0, "files": []}
    b_before, c_sha = sha_of(out, "b.png"), sha_of(out, "c.png")
    write_rgb(folder / "b.png", 40, 48, seed=9)  # replaced
    (folder / "c.png").unlink()  # gone
    write_rgb(folder / "d.png", 40, 48, seed=4)  # new
    assert main([*scan_args(folder, out, tiny_checkpoint), "--case", str(case)]) == 0
    finished = entries(case)[-1]
    assert finished.action == "scan-finished"
    details = finished.details
    run = json.loads((out / "scan.json").read_text())["run"]["id"]
    assert details["rows"] == {"made": 2, "kept": 2, "run": run}  # b and d now; a and c kept
    assert details["replaced"] == {
        "count": 1,
        "files": [
            {
                "path": "b.png",
                "file": str((folder / "b.png").resolve()),
                "sha256_before": b_before,
                "sha256_now": sha_of(out, "b.png"),
            }
        ],
    }
    assert b_before != sha_of(out, "b.png")
    assert details["gone"]["count"] == 1
    assert details["gone"]["files"][0]["path"] == "c.png"
    assert details["gone"]["files"][0]["sha256"] == c_sha


def _flip_and_rehash(out: Path) -> None:
    """A verdict turned by hand in results.jsonl, and its new SHA-256 put in scan.json."""
    rows = [json.loads(x) for x in (out / "results.jsonl").read_text().splitlines()]
    rows[0]["models"]["tiny"]["verdict"] = "authentic"
    data = "".join(json.dumps(r) + "\n" for r in rows).encode()
    (out / "results.jsonl").write_bytes(data)
    info = json.loads((out / "scan.json").read_text())
    info["run"]["results_sha256"] = hashlib.sha256(data).hexdigest()
    (out / "scan.json").write_text(json.dumps(info))


def test_a_copied_folders_resume_checks_the_case_logs_record_of_its_original(
    tmp_path: Path, tiny_checkpoint: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    """The copy's rows edited and scan.json made to agree: the case log's entry names the
    first examiner's folder, not the copy's, and the check fell back to scan.json: "already
    done", no warning."""
    folder = tmp_path / "ev"
    folder.mkdir()
    write_rgb(folder / "a.png", 40, 48, seed=1)
    original = tmp_path / "a"
    assert (
        main(
            [
                *scan_args(folder, original / "out", tiny_checkpoint),
                "--case",
                str(original / "case"),
            ]
        )
        == 0
    )
    copies = {name: tmp_path / name for name in ("b", "c", "d")}
    for copy in copies.values():
        shutil.copytree(original, copy)
    out_a = (original / "out").resolve()

    b = copies["b"]
    _flip_and_rehash(b / "out")
    capsys.readouterr()
    assert main([*scan_args(folder, b / "out", tiny_checkpoint), "--case", str(b / "case")]) == 2
    err = capsys.readouterr().err
    assert "recorded in the case log (entry 3, of " + str(out_a) in err
    assert f"of which this folder is a copy: its scan.json's command scanned into {out_a}" in err
    assert "scan.json records" in err  # the other record, which disagrees, named too
    last = entries(b / "case")[-1]
    assert last.action == "results-edited" and last.details["recorded_in"] == "the case log"
    assert last.details["record"].startswith(f"entry 3, of {out_a}")

    c = copies["c"]  # rows edited, scan.json left as the run wrote it
    rows = (c / "out" / "results.jsonl").read_text()
    (c / "out" / "results.jsonl").write_text(rows.replace('"verdict": ', '"verdict":  ', 1))
    assert main([*scan_args(folder, c / "out", tiny_checkpoint), "--case", str(c / "case")]) == 2
    err = capsys.readouterr().err
    assert "the results.jsonl its scan.json records is the one entry 3 recorded" in err

    d = copies["d"]  # an untouched copy resumes, and says which record vouched for it
    assert main([*scan_args(folder, d / "out", tiny_checkpoint), "--case", str(d / "case")]) == 0
    assert "results.jsonl is as the case log's entry 3, of " + str(out_a) in capsys.readouterr().err

    # a scan of the same evidence elsewhere, without the case log (the same results.csv, byte
    # for byte), resumed with it: no copy of the logged folder, not refused
    other = tmp_path / "e" / "out"
    assert main(scan_args(folder, other, tiny_checkpoint)) == 0
    assert main([*scan_args(folder, other, tiny_checkpoint), "--case", str(d / "case")]) == 0
    assert "checked against scan.json alone" in capsys.readouterr().err
