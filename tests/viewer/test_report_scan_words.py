"""What a report of a scan says of its files: a file analysed again because its bytes had
changed between two runs of the scan (results.jsonl keeps the earlier SHA-256, ``replaces``;
the report had shown only 'verified: unchanged since the analysis', hiding the change), and
why a failed file's Faces cell reads 'not run'."""

from __future__ import annotations

import hashlib
import json
from html import unescape
from pathlib import Path

from forensic_viewer.report import scan_source, write_report
from forensic_viewer.scan.run import run_scan
from tests.conftest import write_rgb
from tests.viewer.test_scan_prefetch import StubAnalyzer, files_of, make_folder


def test_the_report_names_the_earlier_sha256_of_a_file_changed_between_runs(
    tmp_path: Path,
) -> None:
    folder = tmp_path / "ev"
    folder.mkdir()
    for i in range(2):
        write_rgb(folder / f"f{i}.png", 24, 32, seed=i)
    out = tmp_path / "out"
    run_scan(files_of(folder), StubAnalyzer(), out, source=str(folder))
    old = hashlib.sha256((folder / "f1.png").read_bytes()).hexdigest()
    write_rgb(folder / "f1.png", 24, 32, seed=7)  # other bytes under the same name
    run_scan(files_of(folder), StubAnalyzer(), out, source=str(folder))

    paths = write_report(scan_source(out), out / "report", ["html", "json"])
    doc = json.loads(paths["json"].read_text(encoding="utf-8"))
    items = {i["path"]: i for i in doc["items"]}
    assert items["f1.png"]["replaces"] == {"sha256": old}
    assert "replaces" not in items["f0.png"]
    html = paths["html"].read_text(encoding="utf-8")
    assert html.count("Changed since an earlier run") == 1 and old in html


def test_the_summary_note_explains_a_failed_files_faces_cell(tmp_path: Path) -> None:
    """Face detection ran on the scan, yet a file that could not be analysed has 'not run'
    in its Faces cell: the note under the table had said only 'face detection was off'."""
    folder = make_folder(tmp_path / "ev", 2, corrupt={1})
    out = tmp_path / "out"
    run_scan(files_of(folder), StubAnalyzer(), out, source=str(folder))
    paths = write_report(scan_source(out), out / "report", ["html", "json"])
    doc = json.loads(paths["json"].read_text(encoding="utf-8"))
    (failed,) = [row for row in doc["summary"] if row["status"] == "error"]
    assert failed["faces"] is None  # its Faces cell: 'not run'
    html = " ".join(unescape(paths["html"].read_text(encoding="utf-8")).split())
    assert "'not run': face detection was off, or the file could not be analysed" in html
