"""The case log when a case changes hands (walk-through 2026-12-06): a resumed scan's
``scan-finished`` says what changed, and the resume check of an edited results.jsonl finds the
case log's record of a copied output folder."""

from __future__ import annotations

import json
from pathlib import Path

from forensic_viewer.audit import AuditEntry, log_lines, parse_entry
from forensic_viewer.cli import main
from tests.conftest import write_rgb
from tests.viewer.conftest import scan_args


def entries(case: Path) -> list[AuditEntry]:
    found = [parse_entry(raw)[0] for _n, raw, _c in log_lines(case / "audit.jsonl")]
    return [e for e in found if e is not None]


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
    run = json.loads((out / "scan.json").read_text())["run"]["started"]
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
