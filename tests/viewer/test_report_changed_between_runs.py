"""A report of a scan says when a file was analysed again because its bytes had changed
between two runs of the scan: results.jsonl keeps the earlier SHA-256 (``replaces``), and the
report had shown only 'verified: unchanged since the analysis', hiding the change."""

from __future__ import annotations

import hashlib
import json
from pathlib import Path

from forensic_viewer.report import scan_source, write_report
from forensic_viewer.scan.run import run_scan
from tests.conftest import write_rgb
from tests.viewer.test_scan_prefetch import StubAnalyzer, files_of


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
