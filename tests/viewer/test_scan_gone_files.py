"""A file an earlier run analysed, which has left the folder since, is named when the scan is
run again: on the command line and in the report, with the SHA-256 its row recorded.

An analyst's walk-through (2026-12-05) moved ``multi.tif`` out of a scanned folder and ran the
scan again into the same --out: "of 22", nothing said; it was gone from results.csv and
report.json (``alerts []``) while its row stayed in results.jsonl.
"""

from __future__ import annotations

import hashlib
import json
import shutil
from pathlib import Path

from forensic_viewer.scan.results import ResultIndex
from tests.conftest import write_rgb
from tests.viewer.conftest import scan_cli


def _sha(path: Path) -> str:
    return hashlib.sha256(path.read_bytes()).hexdigest()


def test_a_resume_names_the_files_that_left_the_folder(
    tmp_path: Path, tiny_checkpoint: Path, capsys
) -> None:
    ev = tmp_path / "ev"
    (ev / "sub").mkdir(parents=True)
    for i, name in enumerate(("a.png", "b.png", "c.png", "sub/d.png")):
        write_rgb(ev / name, 40, 48, seed=i)
    (ev / "bad.png").write_bytes(b"")  # an error row: gone too once removed
    out = tmp_path / "out"
    assert scan_cli(ev, out, tiny_checkpoint, "--recursive") == 1
    b_sha = _sha(ev / "b.png")
    shutil.move(ev / "b.png", tmp_path / "b.png")
    (ev / "bad.png").unlink()
    capsys.readouterr()
    # sub/d.png is not listed without --recursive, but it is still there: not gone
    assert scan_cli(ev, out, tiny_checkpoint, "--report", "json") == 0
    printed = capsys.readouterr().out.splitlines()
    at = printed.index(
        "2 files analysed earlier are no longer in the folder (their rows stay in results.jsonl):"
    )
    assert printed[at + 1 : at + 3] == [
        f"  b.png (SHA-256 {b_sha})",
        f"  bad.png (SHA-256 {hashlib.sha256(b'').hexdigest()}, could not be analysed)",
    ]
    assert not any("sub/d.png" in line and "SHA-256" in line for line in printed)
    assert {"b.png", "bad.png", "sub/d.png"} <= set(ResultIndex(out).keys())  # rows kept
    report = json.loads((out / "report.json").read_text(encoding="utf-8"))
    assert report["no_longer_in_folder"] == [
        {"path": "b.png", "sha256": b_sha, "file": str(ev / "b.png"), "status": "ok"},
        {"path": "bad.png", "sha256": hashlib.sha256(b"").hexdigest(),
         "file": str(ev / "bad.png"), "status": "error"},
    ]  # fmt: skip
    (alert,) = [a for a in report["alerts"] if "no longer in the folder" in a]
    assert alert.startswith("2 files analysed earlier are no longer in the folder: analysed by")
    assert f"b.png (SHA-256 {b_sha})" in alert and "results.jsonl" in alert
    # a run with nothing gone says nothing of it
    shutil.move(tmp_path / "b.png", ev / "b.png")
    (ev / "bad.png").write_bytes(b"")
    capsys.readouterr()
    assert scan_cli(ev, out, tiny_checkpoint, "--report", "json") == 1
    assert "no longer in the folder" not in capsys.readouterr().out
    report = json.loads((out / "report.json").read_text(encoding="utf-8"))
    assert report["no_longer_in_folder"] == []
    assert not any("no longer in the folder" in a for a in report["alerts"])


def test_gone_lines_are_capped_and_the_report_names_every_file() -> None:
    """Past GONE_LINES gone files, the HTML and PDF alert said "report.json's
    no_longer_in_folder lists each" with no report.json written, and the dialog showed the
    CLI's "(a --report's report.json lists each)": the report's alert names every file now,
    and the dialog's line names its own button."""
    from forensic_viewer.gui.batch_end import RunEnd
    from forensic_viewer.scan.gone import GONE_LINES, GoneFile, gone_alert, gone_lines

    gone = [
        GoneFile(f"f{i}.jpg", f"{i:064x}", f"/ev/f{i}.jpg", "ok") for i in range(GONE_LINES + 3)
    ]
    lines = gone_lines(gone)
    assert len(lines) == GONE_LINES + 2
    assert lines[-1] == "  … and 3 more (a --report lists each)"
    alert = gone_alert(gone, {"started": "2026-12-05T20:08:27+00:00"})
    assert alert is not None and all(f"f{i}.jpg (SHA-256 {i:064x})" in alert for i in range(13))
    assert "before this one (which began 2026-12-05T20:08:27+00:00)" in alert
    assert "report.json" not in alert and "more" not in alert
    end = RunEnd()
    end.gone = tuple(gone)
    assert end.lines()[-1] == "  … and 3 more (the report Write report… makes lists each)"
    assert gone_lines([]) == [] and gone_alert([]) is None
