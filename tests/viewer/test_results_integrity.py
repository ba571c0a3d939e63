"""A scan's own results cannot be edited or torn without the tool saying so (evidence-integrity
review 2026-12-05): a results.jsonl changed after its run ended is refused on resume (exit 2)
unless the analyst accepts it, and then scan.json, the report and the case log say so; lines
that are not whole rows are kept beside the file, named by number and recorded; the report
counts evidence changed between runs and map files not as written on its first page, and says
when a stacked verdict's recorded figures disagree."""

from __future__ import annotations

import hashlib
import json
from pathlib import Path
from typing import Any

import pytest
from PySide6.QtWidgets import QMessageBox

from forensic_viewer.audit import log_lines, parse_entry
from forensic_viewer.cli import main
from forensic_viewer.gui.batch_dialog import BatchDialog
from forensic_viewer.report import scan_source, write_report
from forensic_viewer.scan.integrity import EARLIER_ABSENT, ROW_FIELDS, ROW_REQUIRED, row_fault
from forensic_viewer.scan.results import ResultIndex, read_records
from forensic_viewer.scan.run import run_scan
from tests.conftest import HANG_MS, write_rgb
from tests.viewer.conftest import scan_args, without_sessions
from tests.viewer.test_scan_prefetch import StubAnalyzer, files_of, make_folder

SCHEMA = Path(__file__).resolve().parents[2] / "docs" / "results.schema.json"


def _rows(out: Path) -> list[dict[str, Any]]:
    return [json.loads(x) for x in (out / "results.jsonl").read_text().splitlines()]


def _write_rows(out: Path, rows: list[dict[str, Any]]) -> None:
    (out / "results.jsonl").write_text("".join(json.dumps(r) + "\n" for r in rows))


def _info(out: Path) -> dict[str, Any]:
    return json.loads((out / "scan.json").read_text())


def _entries(case: Path) -> list[Any]:
    return without_sessions(parse_entry(raw)[0] for _, raw, _ in log_lines(case / "audit.jsonl"))


@pytest.fixture
def stacked(tmp_path: Path, tiny_checkpoint: Path) -> tuple[list[str], Path]:
    """``analyze`` of one image with a stacked ensemble over the tiny checkpoint (its command
    line, and its output folder, run once)."""
    ensemble = tiny_checkpoint.parent / "stack.ensemble.json"
    stacking = {"bias": -0.5, "weights": {tiny_checkpoint.name: 0.3}}
    ensemble.write_text(
        json.dumps({"members": [{"model": tiny_checkpoint.name}], "stacking": stacking})
    )
    image = write_rgb(tmp_path / "photo.png", 120, 140, seed=3)
    out = tmp_path / "out"
    args = ["analyze", str(image), "--out", str(out), "--model", str(ensemble), "--no-faces"]
    assert main([*args, "--report", "json"]) == 0
    return args, out


def _turn_the_verdict(out: Path) -> None:
    """What the review did by hand: the ensemble says 0.1, authentic."""
    (row,) = _rows(out)
    for k in ("ensemble", "ensemble_details"):
        row[k]["score"], row[k]["verdict"] = 0.1, "authentic"
    _write_rows(out, [row])


def test_an_edited_results_file_is_refused_then_accepted_only_with_the_flag(
    stacked: tuple[list[str], Path], capsys: pytest.CaptureFixture[str]
) -> None:
    args, out = stacked
    assert isinstance(_info(out)["run"]["results_sha256"], str)  # as the run left it
    _turn_the_verdict(out)
    edited = (out / "results.jsonl").read_bytes()
    capsys.readouterr()
    assert main([*args, "--report", "json"]) == 2
    err = capsys.readouterr().err
    assert "results.jsonl changed since the run of" in err and "rows may have been edited" in err
    assert "--accept-edited-results" in err and "a new --out" in err
    assert (out / "results.jsonl").read_bytes() == edited  # nothing written over it

    assert main([*args, "--report", "json", "--accept-edited-results"]) == 0
    assert "taken as they read" in capsys.readouterr().err
    runs = _info(out)["earlier_runs"]
    assert runs[-1]["results_edited"]["accepted"] is True
    report = json.loads((out / "report.json").read_text())
    alerts = report["alerts"]
    assert any("changed since the run of" in a for a in alerts)
    assert any("recorded figures disagree" in a and "photo.png" in a for a in alerts)
    assert main([*args]) == 0  # the accepted file's hash is the new run's end: no question


def test_the_case_log_hash_is_checked_even_when_scan_json_was_edited_too(
    stacked: tuple[list[str], Path], tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    args, out = stacked
    case = tmp_path / "case"
    assert main([*args, "--case", str(case)]) == 0
    _turn_the_verdict(out)
    info = _info(out)  # the hash scan.json keeps, made to agree with the edit
    info["run"]["results_sha256"] = hashlib.sha256((out / "results.jsonl").read_bytes()).hexdigest()
    (out / "scan.json").write_text(json.dumps(info))
    capsys.readouterr()
    assert main([*args, "--case", str(case)]) == 2
    assert "recorded in the case log" in capsys.readouterr().err
    last = _entries(case)[-1]
    assert last.action == "results-edited" and last.details["accepted"] is False
    assert last.details["out"] == str(out.resolve())


def test_torn_and_overwritten_rows_are_kept_named_and_recorded(
    tmp_path: Path, tiny_checkpoint: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    folder = tmp_path / "ev"
    folder.mkdir()
    for i in range(4):
        write_rgb(folder / f"f{i}.png", 40, 48, seed=i)
    out, case = tmp_path / "out", tmp_path / "case"
    assert main(scan_args(folder, out, tiny_checkpoint)) == 0
    lines = (out / "results.jsonl").read_bytes().splitlines(keepends=True)
    garbage = b"GARBAGE" + lines[1][7:]
    torn = lines[3][: len(lines[3]) // 2]  # kill -9 in the middle of the last row
    (out / "results.jsonl").write_bytes(lines[0] + garbage + lines[2] + torn)
    info = _info(out)  # as a killed run leaves it: "running", no end recorded
    info["run"] = {k: info["run"][k] for k in ("started", "id")} | {"state": "running"}
    (out / "scan.json").write_text(json.dumps(info))
    capsys.readouterr()
    assert (
        main([*scan_args(folder, out, tiny_checkpoint), "--case", str(case), "--report", "json"])
        == 0
    )
    captured = capsys.readouterr()
    assert "2 analysed, 2 already done" in captured.out  # the bad rows' files again
    assert "lines 2, 4 are not a whole row" in captured.err
    (kept,) = out.glob("results.jsonl.torn-*")
    assert kept.read_bytes() == garbage + torn + b"\n"
    aside = _info(out)["run"]["rows_set_aside"]
    assert aside["lines"] == [2, 4] and aside["saved_as"] == str(kept.resolve())
    entry = next(e for e in _entries(case) if e.action == "rows-set-aside")
    assert entry.details["lines"] == [2, 4] and entry.details["sha256"] == aside["sha256"]
    report = json.loads((out / "report.json").read_text())
    assert any("lines 2, 4 are not a whole row" in a for a in report["alerts"])
    assert len(read_records(out)) == 4 and not ResultIndex(out).bad_lines


def test_a_row_whose_field_was_renamed_is_not_taken_as_done(tmp_path: Path) -> None:
    folder = make_folder(tmp_path / "ev", 3)
    out = tmp_path / "out"
    run_scan(files_of(folder), StubAnalyzer(), out, source="t")
    rows = _rows(out)
    rows[1]["f#le"] = rows[1].pop("file")
    _write_rows(out, rows)
    index = ResultIndex(out)
    assert index.keys() == ["f000.png", "f002.png"]
    (bad,) = index.bad_lines
    assert bad.number == 2 and '"f#le"' in bad.reason
    an = StubAnalyzer()
    run_scan(files_of(folder), an, out, source="t")
    assert an.calls == ["f001.png"]
    assert "f#le" in next(out.glob("results.jsonl.torn-*")).read_text()
    assert _info(out)["run"]["rows_set_aside"]["lines"] == [2]


def test_the_row_check_holds_the_schemas_fields() -> None:
    schema = json.loads(SCHEMA.read_text(encoding="utf-8"))["$defs"]
    for status, name in (("ok", "fileRow"), ("error", "errorRow")):
        assert ROW_FIELDS[status] == set(schema[name]["properties"])
        assert set(schema[name]["required"]) <= {*ROW_REQUIRED[status], *EARLIER_ABSENT}
    assert row_fault({"path": "a", "status": "error", "error": "bad"}) is None
    assert "lacks error" in (row_fault({"path": "a", "status": "error"}) or "")
    assert "neither" in (row_fault({"path": "a", "status": "done"}) or "")


def test_page_one_counts_bytes_changed_between_runs_and_replaced_maps(
    tmp_path: Path, tiny_checkpoint: Path
) -> None:
    folder = tmp_path / "ev"
    folder.mkdir()
    write_rgb(folder / "a.png", 40, 48, seed=1)
    write_rgb(folder / "b.png", 40, 48, seed=2)
    out = tmp_path / "out"
    assert main(scan_args(folder, out, tiny_checkpoint)) == 0
    write_rgb(folder / "a.png", 40, 48, seed=7)  # its bytes change between runs
    assert main(scan_args(folder, out, tiny_checkpoint)) == 0
    heatmap = out / next(r for r in _rows(out) if r["path"] == "b.png")["models"]["tiny"]["heatmap"]
    write_rgb(heatmap, 40, 48, seed=9)  # another picture put in the map's place
    paths = write_report(scan_source(out), tmp_path / "report", ["json", "html"])
    report = json.loads(paths["json"].read_text())
    assert report["counts"]["evidence_changed_between_runs"] == 1
    assert report["counts"]["map_files_changed"] == 1
    assert any("changed between runs" in a and "a.png" in a for a in report["alerts"])
    assert any(str(heatmap.resolve()) in a for a in report["alerts"])
    html = paths["html"].read_text(encoding="utf-8")
    assert "1 changed between runs; 1 map files not as the scan wrote them" in html


def test_page_one_counts_a_replaced_thumbnail(tmp_path: Path, tiny_checkpoint: Path) -> None:
    """A walk-through of 2026-12-06 replaced a thumbnail: the summary table showed 7 of 8, with
    one line on stderr and no word in the report. Page 1 now says so, as of a changed map."""
    folder = tmp_path / "ev"
    folder.mkdir()
    write_rgb(folder / "a.png", 40, 48, seed=1)
    write_rgb(folder / "b.png", 40, 48, seed=2)
    out = tmp_path / "out"
    assert main(scan_args(folder, out, tiny_checkpoint)) == 0
    thumb = out / next(r for r in _rows(out) if r["path"] == "b.png")["thumbnail"]
    thumb.write_bytes(
        (out / next(r for r in _rows(out) if r["path"] == "a.png")["thumbnail"]).read_bytes()
    )  # another file's picture in its place: a valid JPEG
    paths = write_report(scan_source(out), tmp_path / "report", ["json", "html"])
    report = json.loads(paths["json"].read_text())
    assert report["counts"]["thumbnail_files_changed"] == 1
    assert report["counts"]["map_files_changed"] == 0
    (alert,) = [a for a in report["alerts"] if str(thumb.resolve()) in a]
    assert alert.startswith("1 thumbnail file is not as the scan wrote it")
    html = paths["html"].read_text(encoding="utf-8")
    assert "1 thumbnail file is not as the scan wrote it" in html
    assert "; 1 thumbnail files not as the scan wrote them." in html  # the headline counts it


def _answer(monkeypatch: pytest.MonkeyPatch, answer: QMessageBox.StandardButton) -> list[str]:
    """Every question box answers ``answer``; returns the texts it asked."""
    asked: list[str] = []

    def exec_(box: QMessageBox) -> int:
        asked.append(box.text())
        return answer

    monkeypatch.setattr(QMessageBox, "exec", exec_)
    return asked


def _dialog_scan(qtbot: Any, dialog: BatchDialog, folder: Path, out: Path) -> None:
    """Start ``dialog`` on ``folder`` into ``out``, to the end of the scan."""
    dialog.folder.setText(str(folder))
    dialog.out.setText(str(out))
    dialog.summary = None
    dialog.start()
    qtbot.waitUntil(lambda: dialog.summary is not None and not dialog.running, timeout=HANG_MS)


@pytest.mark.gui
def test_the_batch_dialog_asks_before_resuming_over_an_edited_results_file(
    qtbot: Any, tmp_path: Path, tiny_checkpoint: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    folder = make_folder(tmp_path / "ev", 2)
    out = tmp_path / "out"
    dialog = BatchDialog(models=[str(tiny_checkpoint)], device="cpu")
    qtbot.addWidget(dialog)
    _dialog_scan(qtbot, dialog, folder, out)
    rows = _rows(out)
    rows[0]["models"]["tiny"]["verdict"] = "authentic"  # a verdict turned by hand
    _write_rows(out, rows)
    edited = (out / "results.jsonl").read_bytes()

    asked = _answer(monkeypatch, QMessageBox.StandardButton.No)
    dialog.start()
    assert not dialog.running  # nothing started
    (question,) = asked
    assert str((out / "results.jsonl").resolve()) in question and "scan.json" in question
    assert "--accept-edited-results" in question
    message = dialog.message.text()
    assert "changed since the run of" in message and "nothing was analysed" in message
    assert "\n" not in message
    assert (out / "results.jsonl").read_bytes() == edited
    assert "results_edited" not in _info(out)["run"]

    asked = _answer(monkeypatch, QMessageBox.StandardButton.Yes)
    _dialog_scan(qtbot, dialog, folder, out)
    assert len(asked) == 1 and dialog.summary is not None and dialog.summary.skipped == 2
    record = _info(out)["earlier_runs"][-1]["results_edited"]  # as the command line records it
    assert record["accepted"] is True and record["recorded_in"] == "scan.json"
    asked = _answer(monkeypatch, QMessageBox.StandardButton.No)
    _dialog_scan(qtbot, dialog, folder, out)  # the accepted file is the new run's end
    assert asked == []


@pytest.mark.gui
def test_the_batch_dialog_checks_the_case_logs_hash_and_logs_the_answer(
    qtbot: Any, case_window: Any, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    folder = make_folder(tmp_path / "ev", 2)
    out = tmp_path / "out"
    dialog = case_window.open_batch()
    _dialog_scan(qtbot, dialog, folder, out)
    rows = _rows(out)
    rows[1]["models"]["tiny"]["verdict"] = "authentic"
    _write_rows(out, rows)
    info = _info(out)  # the hash scan.json keeps, made to agree with the edit
    info["run"]["results_sha256"] = hashlib.sha256((out / "results.jsonl").read_bytes()).hexdigest()
    (out / "scan.json").write_text(json.dumps(info))

    asked = _answer(monkeypatch, QMessageBox.StandardButton.No)
    dialog.start()
    assert not dialog.running and "recorded in the case log" in asked[0]
    last = _entries(tmp_path / "case")[-1]
    assert last.action == "results-edited" and last.details["accepted"] is False
    assert last.details["out"] == str(out.resolve())
