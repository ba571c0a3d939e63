"""``forensic-viewer report OUT``: the report of a scan output folder without a run. A second
examiner given a copied folder could not write its report: reports came only from a run
(``scan --report``), and a resume with the evidence moved away is refused (task of
2026-12-06). The command checks results.jsonl as a resume does, writes the report into OUT as
a run's ``--report`` does, and names the evidence no longer at its recorded path."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from forensic_viewer.cli import main
from tests.conftest import write_rgb
from tests.viewer.conftest import scan_args


def _scanned(tmp_path: Path, model: Path) -> tuple[Path, Path]:
    """A scan of two images (with a JSON report) into ``out``: (evidence folder, out)."""
    folder = tmp_path / "evidence"
    folder.mkdir()
    for i in range(2):
        write_rgb(folder / f"f{i}.png", 40, 48, seed=i)
    out = tmp_path / "out"
    assert main([*scan_args(folder, out, model), "--jobs", "1", "--report", "json"]) == 0
    return folder, out


def test_a_copied_folder_is_reported_with_its_evidence_named_missing(
    tmp_path: Path, tiny_checkpoint: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    folder, out = _scanned(tmp_path, tiny_checkpoint)
    scan_json = (out / "scan.json").read_bytes()
    folder.rename(tmp_path / "elsewhere")  # the evidence is not at its recorded path
    capsys.readouterr()
    argv = ["report", str(out), "--format", "html,json", "--examiner", "B. Second"]
    assert main([*argv, "--case-id", "C-2"]) == 0
    said = capsys.readouterr().out
    assert f"report (html): {out / 'report.html'}" in said
    assert f"report (json): {out / 'report.json'}" in said
    assert "earlier-reports" in said  # the run's report moved aside, never written over
    (earlier,) = (out / "earlier-reports").iterdir()
    assert (earlier / "report.json").is_file()
    report = json.loads((out / "report.json").read_text())
    alerts = " ".join(report["alerts"])
    for i in range(2):  # the export check's words, not a failure
        assert f"{folder / f'f{i}.png'}: the evidence file no longer exists" in alerts
    assert report["counts"]["evidence_unreadable"] == 2
    assert "B. Second" in json.dumps(report) and "C-2" in json.dumps(report)
    assert (out / "scan.json").read_bytes() == scan_json


def test_an_edited_results_file_is_refused_unless_accepted(
    tmp_path: Path, tiny_checkpoint: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    _, out = _scanned(tmp_path, tiny_checkpoint)
    results = out / "results.jsonl"
    first, _second = results.read_text().splitlines()
    results.write_text(first + "\n")  # a row removed after the run ended
    scan_json = (out / "scan.json").read_bytes()
    earlier = (out / "report.json").read_bytes()
    capsys.readouterr()
    assert main(["report", str(out), "--format", "json"]) == 2
    err = capsys.readouterr().err.strip().splitlines()
    assert len(err) == 1 and str(results) in err[0] and "rows may have been edited" in err[0]
    assert "--accept-edited-results" in err[0]
    assert (out / "report.json").read_bytes() == earlier  # nothing written, nothing moved
    assert not (out / "earlier-reports").exists()

    assert main(["report", str(out), "--format", "json", "--accept-edited-results"]) == 0
    alerts = json.loads((out / "report.json").read_text())["alerts"]
    assert any("rows may have been edited (this report took its rows" in a for a in alerts)
    assert (out / "scan.json").read_bytes() == scan_json  # the run's record stays as it was


def test_a_folder_that_is_no_scan_output_is_one_line_exit_2(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    folder = tmp_path / "photos"
    folder.mkdir()
    write_rgb(folder / "a.png", 20, 20)
    assert main(["report", str(folder)]) == 2
    (line,) = capsys.readouterr().err.strip().splitlines()
    assert f"{folder}: not a scan output folder" in line
    assert sorted(p.name for p in folder.iterdir()) == ["a.png"]  # nothing made there
