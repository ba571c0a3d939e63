"""The case audit log in use: the viewer records opening, analysing, thresholds, layer and
report exports and notes (pytest-qt, offscreen); ``analyze --case`` logs its run; reports print
the head hash."""

from __future__ import annotations

import argparse
import hashlib
import json
import os
from pathlib import Path

import cv2
import numpy as np
import pytest
from pypdf import PdfReader
from PySide6.QtCore import QSettings
from PySide6.QtWidgets import QPlainTextEdit

from engine.environ import result_variables
from engine.types import PartialMap
from forensic_viewer.audit import LOG_NAME, AuditLog, verify_log
from forensic_viewer.casework import log_started
from forensic_viewer.cli import main
from forensic_viewer.gui.batch_dialog import BatchDialog
from forensic_viewer.gui.main_window import MainWindow
from forensic_viewer.model_layers import MaskLayer
from forensic_viewer.scan.command import variables_prefix
from tests.conftest import HANG_MS, write_rgb
from tests.viewer.conftest import open_listed, without_sessions
from tests.viewer.test_main_window import open_and_wait


def _sha(path: Path) -> str:
    return hashlib.sha256(path.read_bytes()).hexdigest()


def _entries(case: Path) -> list:
    result = verify_log(case / LOG_NAME)
    assert result.ok, result.message()
    return without_sessions(result.entries)


def _actions(case: Path) -> list[str]:
    return [e.action for e in _entries(case)]


@pytest.mark.gui
def test_opening_analysing_and_a_note_are_logged(
    qtbot, case_window: MainWindow, image_path: Path, tiny_checkpoint: Path, tmp_path: Path
) -> None:
    case = tmp_path / "case"
    open_and_wait(qtbot, case_window, image_path)
    qtbot.waitUntil(lambda: "analysis-finished" in _actions(case), timeout=HANG_MS)
    entries = _entries(case)
    assert [e.action for e in entries] == [
        "log-opened",
        "evidence-opened",
        "analysis-started",
        "analysis-finished",
        "result-kept",  # kept in the case folder (tests/viewer/test_case_results.py)
    ]
    opened, started, finished = entries[1].details, entries[2].details, entries[3].details
    assert opened["path"] == str(image_path) and opened["sha256"] == _sha(image_path)
    assert started["models"] == [str(tiny_checkpoint)] and started["path_kind"] == "fast"
    tiny = finished["models"]["tiny"]
    assert tiny["checkpoint_sha256"] == _sha(tiny_checkpoint)
    assert tiny["threshold"] == pytest.approx(0.1)
    assert tiny["verdict"] == case_window.current_analysis().results["tiny"].verdict

    dialog = case_window.case.open_note_dialog()
    assert dialog is not None
    dialog.text.setPlainText("the sky looks pasted\nsee the left edge")
    dialog.accept()
    note = _entries(case)[-1]
    assert note.action == "note" and note.examiner == "A. Examiner"
    assert note.details == {
        "text": "the sky looks pasted\nsee the left edge",
        "path": str(image_path),
        "sha256": _sha(image_path),
    }
    shown = case_window.case.show_log()  # Case ▸ Show and verify the case log
    assert shown is not None
    text = shown.findChild(QPlainTextEdit).toPlainText().splitlines()
    assert text[0] == f"{case / LOG_NAME}: OK, 6 entries, head {note.hash}"
    assert "text=the sky looks pasted" in text[-1]  # a note's text first, hashes cut short
    assert f"sha256={_sha(image_path)[:12]}…" in text[-1]
    count = len(_entries(case))
    empty = case_window.case.open_note_dialog()
    assert empty is not None
    empty.accept()  # an empty note is not an entry
    assert len(_entries(case)) == count


@pytest.mark.gui
def test_a_failed_file_and_classic_analyses_are_logged(
    qtbot, case_window: MainWindow, image_path: Path, corrupt_path: Path, tmp_path: Path
) -> None:
    case = tmp_path / "case"
    open_listed(qtbot, case_window, [corrupt_path])
    qtbot.waitUntil(lambda: "analysis-failed" in _actions(case), timeout=HANG_MS)
    failed = _entries(case)[-1].details
    assert failed["path"] == str(corrupt_path) and str(corrupt_path) in failed["error"]
    assert failed["sha256"] == _sha(corrupt_path)  # the bytes that were tried
    assert "evidence-opened" not in _actions(case)  # it was never decoded
    open_and_wait(qtbot, case_window, image_path)
    case_window.analysis_panel.set_checked(["ela"])
    assert case_window.run_classic() is not None
    qtbot.waitUntil(lambda: "classic-analyses" in _actions(case), timeout=HANG_MS)
    classic = next(e for e in _entries(case) if e.action == "classic-analyses").details
    assert classic["path"] == str(image_path) and set(classic["analyses"]) == {"ela"}
    ela = classic["analyses"]["ela"]
    assert ela["sha256"] == _sha(image_path) and ela["params"]


@pytest.mark.gui
def test_the_window_forgets_a_job_once_it_ended_after_the_log_named_its_file(
    qtbot, case_window: MainWindow, image_path: Path, corrupt_path: Path, tmp_path: Path
) -> None:
    """A job's path, models and start time are kept while it runs, not for the session (one
    entry per file opened): they go after every slot of its last signal ran, so the case log
    still names the file; a message of the job that comes later is dropped."""
    w, case = case_window, tmp_path / "case"
    open_and_wait(qtbot, w, corrupt_path)
    open_and_wait(qtbot, w, image_path)
    job = w.entries[str(image_path)].job
    qtbot.waitUntil(lambda: "analysis-finished" in _actions(case), timeout=HANG_MS)
    qtbot.waitUntil(lambda: not w._job_paths, timeout=HANG_MS)
    assert w._job_models == {} and w._job_started == {}
    ended = {e.action: e.details["path"] for e in _entries(case) if "path" in e.details}
    assert ended["analysis-failed"] == str(corrupt_path)
    assert ended["analysis-finished"] == str(image_path)
    shown = [la.name for la in w.layers]
    w._on_partial(job, PartialMap("tiny", np.zeros((96, 128), np.float32), 0.5))  # late
    assert [la.name for la in w.layers] == shown
    w.analyse()  # the same file again: a new job, forgotten in turn
    qtbot.waitUntil(
        lambda: w.entries[str(image_path)].job != job and not w._job_paths, timeout=HANG_MS
    )
    assert len([a for a in _actions(case) if a == "analysis-finished"]) == 2


@pytest.mark.gui
def test_a_probe_from_the_viewer_is_logged(
    qtbot, case_window: MainWindow, image_path: Path, tmp_path: Path
) -> None:
    open_and_wait(qtbot, case_window, image_path)
    dialog = case_window.open_probe()
    assert dialog.run() is not None
    qtbot.waitUntil(lambda: "probe-run" in _actions(tmp_path / "case"), timeout=HANG_MS)
    probe = next(e for e in _entries(tmp_path / "case") if e.action == "probe-run").details
    assert probe["path"] == str(image_path) and probe["sha256"] == _sha(image_path)
    assert probe["copies"] and all(len(c["sha256"]) == 64 for c in probe["copies"])
    assert set(probe["models"]) == set(case_window.current_analysis().results)
    assert "probe_json" not in probe  # the viewer keeps the table for the report, no file


@pytest.mark.gui
def test_threshold_changes_and_a_layer_export_are_logged(
    qtbot, case_window: MainWindow, image_path: Path, tmp_path: Path
) -> None:
    case = tmp_path / "case"
    open_and_wait(qtbot, case_window, image_path)
    mask = next(la for la in case_window.layers if isinstance(la, MaskLayer))
    calibrated = mask.threshold
    for value in (0.2, 0.3, 0.45):  # a slider drag: one entry once it rests
        mask.threshold = value
    qtbot.waitUntil(lambda: "threshold-changed" in _actions(case), timeout=HANG_MS)
    changed = [e for e in _entries(case) if e.action == "threshold-changed"]
    assert len(changed) == 1
    assert changed[0].details["from"] == pytest.approx(calibrated)
    assert changed[0].details["to"] == pytest.approx(0.45)
    assert changed[0].details["layer"] == mask.name
    assert changed[0].details["sha256"] == _sha(image_path)
    mask.threshold = 0.5
    case_window.case.flush_thresholds()  # e.g. the window closes before the timer fires
    last = _entries(case)[-1]
    assert last.action == "threshold-changed" and last.details["from"] == pytest.approx(0.45)

    qtbot.waitUntil(lambda: mask.is_current, timeout=HANG_MS)
    out = tmp_path / "exports" / "mask.png"
    entry = case_window.case.export_layer(mask, out)
    assert entry is not None and entry.action == "layer-exported"
    assert entry.details["file_sha256"] == _sha(out)
    assert entry.details["threshold"] == pytest.approx(0.5)
    png = cv2.imread(str(out), cv2.IMREAD_UNCHANGED)
    assert png.shape == (96, 128, 4)


@pytest.mark.gui
def test_a_map_of_cells_is_exported_at_the_evidence_size_as_drawn(
    qtbot, case_window: MainWindow, tmp_path: Path
) -> None:
    # 100 x 150 pixels: the noise level's 32-pixel cells are not whole (4 x 5 cells, the
    # last row and column cut by the border); exported as its cells, the PNG was 4 x 5
    image = write_rgb(tmp_path / "odd.png", h=100, w=150)
    open_and_wait(qtbot, case_window, image)
    case_window.analysis_panel.set_checked(["noise"])
    assert case_window.run_classic() is not None
    qtbot.waitUntil(
        lambda: "noise: noise-sigma" in [la.name for la in case_window.layers], timeout=HANG_MS
    )
    layer = case_window.layers["noise: noise-sigma"]
    qtbot.waitUntil(lambda: layer.is_current, timeout=HANG_MS)
    assert layer.cell == 32
    entry = case_window.case.export_layer(layer, tmp_path / "sigma.png")
    assert entry is not None
    png = cv2.imread(str(tmp_path / "sigma.png"), cv2.IMREAD_UNCHANGED)
    assert png.shape == (100, 150, 4)
    raster = layer.raster()
    assert raster is not None
    # each evidence pixel carries its own cell's colour: the cell of pixel (99, 149) is the
    # last one, (3, 4), cut by the border; pixel (31, 32) is in cell (0, 1)
    for row, col in ((0, 0), (31, 32), (32, 31), (99, 149)):
        bgra = raster[row // 32, col // 32].astype(np.float64)
        alpha = bgra[3]
        want = np.rint(bgra[:3] * 255.0 / alpha) if alpha else np.zeros(3)
        assert png[row, col, 3] == alpha
        assert np.abs(png[row, col, :3].astype(np.float64) - want).max() <= 1


@pytest.mark.gui
def test_a_report_prints_the_head_and_is_logged(
    qtbot, case_window: MainWindow, image_path: Path, tmp_path: Path
) -> None:
    case = tmp_path / "case"
    open_and_wait(qtbot, case_window, image_path)
    qtbot.waitUntil(lambda: "analysis-finished" in _actions(case), timeout=HANG_MS)
    dialog = case_window.export_report()
    assert dialog is not None
    dialog.format_boxes["pdf"].setChecked(False)
    dialog.dest.setText(str(tmp_path / "reports"))
    head_before = _entries(case)[-1].hash
    dialog.write()
    qtbot.waitUntil(lambda: "report-exported" in _actions(case), timeout=HANG_MS)
    entries = _entries(case)
    logged = entries[-1].details
    assert entries[-1].prev == head_before == logged["head_in_report"]
    assert logged["entries_in_report"] == len(entries) - 1
    sidecar = Path(logged["files"]["json"]["path"])
    html = Path(logged["files"]["html"]["path"])
    assert logged["files"]["json"]["sha256"] == _sha(sidecar)
    report = json.loads(sidecar.read_text(encoding="utf-8"))
    assert report["case"]["audit_log"] == {
        "log": str(case / LOG_NAME),
        "entries": len(entries) - 1,
        "head": head_before,
    }
    assert head_before in html.read_text(encoding="utf-8")
    # the head a report printed is what `audit verify --head` checks the log against
    assert verify_log(case / LOG_NAME, expect_head=head_before).ok


def test_a_command_line_scan_logs_its_truth_folder_and_recursion(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """scan-started of the command line records --gt (as an absolute path) and --recursive,
    as the batch dialog's does: which truth a scan was scored against belongs in the log."""
    monkeypatch.chdir(tmp_path)
    (tmp_path / "truth").mkdir()
    log = AuditLog(tmp_path / "case", program="test", examiner="A. Examiner")
    args = argparse.Namespace(
        command="scan",
        folder="evidence",
        out="out",
        model=None,
        device="cpu",
        exact=False,
        analyses="",
        jobs=1,
        recursive=True,
        gt=Path("truth"),
    )
    log_started(log, args, [])
    log.close()
    started = _entries(tmp_path / "case")[-1]
    assert started.action == "scan-started"
    assert started.details["gt"] == str(tmp_path / "truth") and started.details["recursive"]


def test_analyze_with_a_case_logs_the_run_and_its_report(
    tmp_path: Path, tiny_checkpoint: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    image = write_rgb(tmp_path / "a.png", 40, 40, seed=1)
    out, case = tmp_path / "out", tmp_path / "case"
    args = ["analyze", str(image), "--out", str(out), "--model", str(tiny_checkpoint)]
    args += ["--window", "32", "--stride", "16", "--no-faces", "--case", str(case)]
    given = [*args, "--report", "html,pdf", "--examiner", "B. Examiner", "--gt", "Negative"]
    assert main(given) == 0
    entries = _entries(case)
    assert [e.action for e in entries] == [
        "log-opened",
        "scan-started",
        "scan-finished",
        "report-exported",
    ]
    assert entries[0].details["program"] == "forensic-viewer analyze"
    assert entries[1].examiner == "B. Examiner"
    assert entries[1].details["images"] == [str(image)] and entries[1].details["files"] == 1
    assert entries[1].details["gt"] == "Negative"  # the truth it was scored against, as given
    finished = entries[2].details
    assert finished["analysed"] == 1 and finished["failed"] == 0
    assert finished["settings"]["models"] == {"tiny": _sha(tiny_checkpoint)}
    assert finished["results_sha256"]["results.jsonl"] == _sha(out / "results.jsonl")
    # logged after --gt added its columns: the CSV as it stays
    assert "gt.label" in (out / "results.csv").read_text(encoding="utf-8").splitlines()[0]
    assert finished["results_sha256"]["results.csv"] == _sha(out / "results.csv")
    report = entries[3].details
    assert report["head_in_report"] == entries[2].hash
    html = out / "report.html"
    assert report["files"]["html"] == {"path": str(html), "sha256": _sha(html)}
    assert entries[2].hash in html.read_text(encoding="utf-8")
    sidecar = json.loads((out / "report.json").read_text(encoding="utf-8"))
    assert sidecar["case"]["audit_log"]["head"] == entries[2].hash
    first_page = PdfReader(str(out / "report.pdf")).pages[0].extract_text()
    assert entries[2].hash in "".join(first_page.split())
    assert report["files"]["pdf"]["sha256"] == _sha(out / "report.pdf")
    capsys.readouterr()
    # a broken case log is refused before anything runs (one line, exit 2)
    lines = (case / LOG_NAME).read_bytes().splitlines(keepends=True)
    (case / LOG_NAME).write_bytes(b"".join([lines[0], *lines[2:]]))
    assert main([*args, "--out", str(tmp_path / "out2")]) == 2
    err = capsys.readouterr().err
    assert "refusing to write to a broken log" in err and err.count("\n") == 1
    assert not (tmp_path / "out2" / "results.jsonl").exists()


def test_the_viewer_case_log_comes_from_case_env_or_the_user_default(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    from forensic_viewer.gui.app import open_case_log

    monkeypatch.setenv("XDG_DATA_HOME", str(tmp_path / "data"))
    monkeypatch.delenv("FORENSIC_VIEWER_CASE", raising=False)
    log, problem = open_case_log(None)
    assert problem == "" and log is not None
    assert log.path == tmp_path / "data" / "forensic-viewer" / "default-case" / LOG_NAME
    log.close()
    monkeypatch.setenv("FORENSIC_VIEWER_CASE", str(tmp_path / "env-case"))
    log, _ = open_case_log(None)
    assert log is not None and log.case_dir == tmp_path / "env-case"
    log.close()
    log, _ = open_case_log(str(tmp_path / "given"))  # --case wins over the environment
    assert log is not None and log.case_dir == tmp_path / "given"
    log.close()
    lines = log.path.read_bytes().splitlines(keepends=True)
    log.path.write_bytes(lines[0].replace(b"log-opened", b"log-closed"))
    log, problem = open_case_log(str(tmp_path / "given"))
    assert log is None
    assert problem.startswith(f"no case audit log: {tmp_path / 'given' / LOG_NAME}: refusing")
    assert "edited" in problem and "\n" not in problem


def _batch_scan(window: MainWindow, tmp_path: Path, files: int) -> tuple[Path, Path, BatchDialog]:
    """The batch dialog of ``window`` started on a folder of ``files`` small images:
    (the folder, the output folder, the dialog)."""
    folder, out = tmp_path / "evidence", tmp_path / "scan"
    folder.mkdir()
    for i in range(files):
        write_rgb(folder / f"{i}.png", 40, 48, seed=i)
    dialog = window.open_batch()
    dialog.folder.setText(str(folder))
    dialog.out.setText(str(out))
    dialog.start()
    return folder, out, dialog


@pytest.mark.gui
def test_a_scan_and_its_report_from_the_batch_dialog_are_logged(
    qtbot, case_window: MainWindow, tmp_path: Path, tiny_checkpoint: Path
) -> None:
    case = tmp_path / "case"
    folder, out, dialog = _batch_scan(case_window, tmp_path, 2)
    qtbot.waitUntil(lambda: dialog.summary is not None and not dialog.running, timeout=HANG_MS)
    started, finished = _entries(case)[-2:]
    assert started.action == "scan-started" and started.details["source"] == str(folder)
    assert started.details["models_asked"] == [str(tiny_checkpoint)]
    assert finished.action == "scan-finished" and finished.details["analysed"] == 2
    assert finished.details["settings"]["models"] == {"tiny": _sha(tiny_checkpoint)}
    assert finished.details["results_sha256"]["results.jsonl"] == _sha(out / "results.jsonl")
    assert finished.details["rows"]["made"] == 2 and finished.details["rows"]["kept"] == 0
    assert finished.details["gone"] == {"count": 0, "files": []}
    report = dialog.open_report()
    assert report is not None
    report.format_boxes["pdf"].setChecked(False)
    report.write()
    qtbot.waitUntil(lambda: _entries(case)[-1].action == "report-exported", timeout=HANG_MS)
    logged = _entries(case)[-1].details
    assert logged["head_in_report"] == finished.hash
    sidecar = json.loads(Path(logged["files"]["json"]["path"]).read_text(encoding="utf-8"))
    assert sidecar["case"]["audit_log"]["head"] == finished.hash


@pytest.mark.gui
def test_without_a_case_log_nothing_is_recorded_and_the_menu_says_so(qtbot, tmp_path: Path) -> None:
    settings = QSettings(str(tmp_path / "settings.ini"), QSettings.Format.IniFormat)
    window = MainWindow(models=[], device="cpu", settings=settings)
    qtbot.addWidget(window)
    assert window.case.log is None
    assert not window.case.note_action.isEnabled() and not window.case.show_action.isEnabled()
    assert not window.case.export_action.isEnabled()  # no layer to export yet
    open_listed(qtbot, window, [write_rgb(tmp_path / "a.png")])
    qtbot.waitUntil(lambda: window.layers is not None, timeout=HANG_MS)
    window.layers.selected = window.layers[0]
    assert window.case.export_action.isEnabled()  # exporting a layer needs no log
    assert window.case.open_note_dialog() is None and window.case.add_note("x") is None
    menu = next(a.menu() for a in window.menuBar().actions() if a.text() == "&Case")
    assert menu.actions()[0].text() == "no case log (see docs/AUDIT.md)"
    assert list(tmp_path.rglob("audit.jsonl")) == []


@pytest.mark.gui
def test_closing_the_window_during_a_batch_scan_logs_the_scans_end(
    qtbot, case_window: MainWindow, tmp_path: Path, monkeypatch
) -> None:
    """Closing the viewer cancels a running batch scan; the case log then ends that scan with
    its ``scan-finished`` entry (``cancelled``), before the log is closed. It had stopped at
    ``scan-started``: the end was posted to the dialog after the window had closed the log."""
    from forensic_viewer.gui.batch_dialog import ScanWorker

    original = ScanWorker._on_file

    def pause_after_first(self: ScanWorker, index: int, total: int, record: dict) -> None:
        original(self, index, total, record)
        self.pause()  # the scan waits here, still running, until the window closes

    monkeypatch.setattr(ScanWorker, "_on_file", pause_after_first)
    case = tmp_path / "case"
    _, out, dialog = _batch_scan(case_window, tmp_path, 3)
    qtbot.waitUntil(lambda: dialog.tally.done == 1, timeout=HANG_MS)
    assert dialog.running
    case_window.close()
    assert not dialog.worker.isRunning()
    entries = _entries(case)
    assert [e.action for e in entries][-2:] == ["scan-started", "scan-finished"]
    finished = entries[-1].details
    assert finished["cancelled"] is True and finished["analysed"] == 1
    assert finished["results_sha256"]["results.jsonl"] == _sha(out / "results.jsonl")


def test_scan_started_names_the_evidence_by_absolute_paths(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """The log keeps no working folder: ``scan evidence`` or ``analyze a.jpg`` run from a case
    folder must be recorded as the files they were, as ``out`` and ``gt`` are."""
    monkeypatch.chdir(tmp_path)
    here = Path(os.path.realpath(tmp_path))
    log = AuditLog(tmp_path / "case", program="test", examiner="A. Examiner")
    common = dict(out="out", model=None, device="cpu", exact=False, analyses="", jobs=1)
    log_started(log, argparse.Namespace(command="scan", folder="evidence", **common), [])
    images = ["a.jpg", "sub/b.png"]
    log_started(log, argparse.Namespace(command="analyze", images=images, **common), [])
    log.close()
    scan, analyze = _entries(tmp_path / "case")[-2:]
    assert scan.details["source"] == str(here / "evidence")
    assert analyze.details["images"] == [str(here / "a.jpg"), str(here / "sub" / "b.png")]
    assert analyze.details["source"] == ""


@pytest.mark.gui
def test_the_batch_dialog_logs_scan_started_as_the_command_line_does(
    qtbot, case_window: MainWindow, tmp_path: Path, tiny_checkpoint: Path, monkeypatch
) -> None:
    """The same scan asked for from the batch dialog and from ``scan --case`` gives the same
    ``scan-started`` but for the command and the output folder: the files counted, the models
    asked for under ``models_asked`` and the ground-truth folder absolute (the dialog's had no
    ``files``, named the models ``models`` and kept ``gt`` as typed)."""
    monkeypatch.chdir(tmp_path)
    data = Path("data")  # typed relative, in the dialog and on the command line
    (tmp_path / data / "Tp").mkdir(parents=True)
    for i in range(2):
        write_rgb(tmp_path / data / "Tp" / f"{i}.png", 40, 48, seed=i)
    mask = np.zeros((40, 48), np.uint8)
    mask[5:20, 10:30] = 255
    (tmp_path / data / "Gt").mkdir()
    cv2.imwrite(str(tmp_path / data / "Gt" / "0_gt.png"), mask)
    case = tmp_path / "case"
    dialog = case_window.open_batch()
    dialog.folder.setText(str(tmp_path / data / "Tp"))
    dialog.out.setText(str(tmp_path / "out-dialog"))
    dialog.device.setCurrentText("cpu")
    dialog.jobs.setValue(1)
    dialog.truth.enabled.setChecked(True)
    dialog.truth.folder.setText(str(data))
    dialog.start()
    qtbot.waitUntil(lambda: dialog.summary is not None and not dialog.running, timeout=HANG_MS)
    from_dialog = next(e for e in reversed(_entries(case)) if e.action == "scan-started")
    args = ["scan", str(data / "Tp"), "--out", "out-cli", "--model", str(tiny_checkpoint)]
    args += ["--device", "cpu", "--jobs", "1", "--gt", str(data), "--case", str(case)]
    assert main(args) == 0
    from_cli = next(e for e in reversed(_entries(case)) if e.action == "scan-started")
    assert from_cli.seq > from_dialog.seq
    dialog_details, cli_details = from_dialog.details, from_cli.details
    assert dialog_details["command"] == "batch dialog" and cli_details["command"] == "scan"
    assert dialog_details["out"] == str(Path(os.path.realpath(tmp_path)) / "out-dialog")
    # the line that was typed, and the dialog's equivalent: the same scan but for its --out
    # (and --jobs, whose 1 is the command line's default as the dialog writes it)
    typed, equivalent = cli_details["command_line"], dialog_details["command_line"]
    assert typed["origin"] == "command line" and equivalent["origin"] == "viewer"
    prefix = variables_prefix(result_variables())  # the tests run FORENSIC_VIEWER_RUNTIME=torch
    assert typed["line"].startswith(f"{prefix}forensic-viewer scan data/Tp --out out-cli")
    assert equivalent["line"].startswith(f"{prefix}forensic-viewer scan ")
    assert "--gt" in equivalent["line"]
    assert typed["cwd"] == equivalent["cwd"] == str(tmp_path)
    for d in (dialog_details, cli_details):
        del d["command"], d["out"], d["command_line"]
    assert dialog_details == cli_details
    real = Path(os.path.realpath(tmp_path))
    assert dialog_details["files"] == 2 and dialog_details["gt"] == str(real / data)
    assert dialog_details["models_asked"] == [str(tiny_checkpoint)]
    assert dialog_details["source"] == str(real / data / "Tp")


@pytest.mark.gui
def test_the_viewer_logs_files_given_relative_by_their_absolute_path(
    qtbot, case_window: MainWindow, tmp_path: Path, monkeypatch
) -> None:
    """``forensic-viewer a.jpg`` (or a folder typed relative) was logged as ``a.jpg``: the
    log keeps no working folder, so that named no file a second examiner could find. The
    viewer's entries name it absolute, as scans and probes do."""
    monkeypatch.chdir(tmp_path)
    (tmp_path / "ev").mkdir()
    write_rgb(tmp_path / "ev" / "a.png", 40, 48, seed=1)
    open_listed(qtbot, case_window, ["ev"])  # a folder, typed relative
    real = str(Path(os.path.realpath(tmp_path)) / "ev" / "a.png")
    qtbot.waitUntil(lambda: "analysis-finished" in _actions(tmp_path / "case"), timeout=HANG_MS)
    logged = [e for e in _entries(tmp_path / "case") if "path" in e.details]
    assert {e.action for e in logged} >= {"evidence-opened", "analysis-started"}
    folder = [e.details["path"] for e in logged if e.action == "folder-opened"]
    assert folder == [str(Path(real).parent)]  # the folder too
    assert {e.details["path"] for e in logged if e.action != "folder-opened"} == {real}


@pytest.mark.gui
def test_a_read_only_user_folder_leaves_the_viewer_open_saying_the_work_is_not_logged(
    qtbot, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """The per-user folder read-only (a locked-down lab account): the default case cannot be
    opened. The line saying why was a status message, gone at the next one, and the window
    then recorded nothing with nothing on the screen saying so. Now the status bar says "Not
    logged" for as long as the window is open, with the reason, and the Case menu says it;
    the user's models in that folder are still listed.

    Run as root a read-only folder is still written, so the log's open then fails as on a
    read-only file system (EROFS) instead of through chmod; the assertion message says which."""
    import errno
    import stat

    import forensic_viewer.audit as audit
    from engine.catalog import discover
    from forensic_viewer.gui.app import open_case_log
    from tests.conftest import make_tiny_checkpoint

    data = tmp_path / "data"
    folder = data / "forensic-viewer"
    make_tiny_checkpoint(folder / "models" / "mine.safetensors", "mine")
    monkeypatch.setenv("XDG_DATA_HOME", str(data))
    for name in ("FORENSIC_VIEWER_CASE", "FORENSIC_VIEWER_MODELS"):
        monkeypatch.delenv(name, raising=False)
    for path in (folder / "models", folder, data):
        path.chmod(stat.S_IRUSR | stat.S_IXUSR)
    as_root = os.access(folder, os.W_OK)
    how = "simulated EROFS (running as root)" if as_root else "chmod 0500"

    def read_only(path: object, *args: object, **kwargs: object) -> int:
        raise OSError(errno.EROFS, os.strerror(errno.EROFS), str(path))

    try:
        with pytest.MonkeyPatch.context() as mp:
            if as_root:  # folders made and the log opened as on a read-only file system
                mp.setattr(audit, "open_append_fd", read_only)
                mp.setattr(Path, "mkdir", read_only)
            log, problem = open_case_log(None)
            entries, problems = discover()
    finally:
        for path in (data, folder, folder / "models"):
            path.chmod(stat.S_IRWXU)
    assert log is None, how
    assert problem.startswith(f"no case audit log: {folder / 'default-case' / LOG_NAME}: "), how
    assert "\n" not in problem, (how, problem)
    assert [e.name for e in entries if e.origin == "user"] == ["mine"], (how, problems)
    settings = QSettings(str(tmp_path / "settings.ini"), QSettings.Format.IniFormat)
    window = MainWindow(models=[], device="cpu", settings=settings, case_problem=problem)
    qtbot.addWidget(window)
    window.show()
    mark = window.case.not_logged
    assert mark is not None and mark.text().startswith("Not logged")
    assert mark.toolTip() == problem
    window.show_error("another message")  # the start's line goes; the mark stays
    assert mark.isVisible() and window.statusBar().currentMessage() == "another message"
    menu = next(a.menu() for a in window.menuBar().actions() if a.text() == "&Case")
    assert menu.actions()[0].text() == problem.replace("&", "&&")


def test_a_user_folder_variable_naming_a_file_is_said_of_that_file(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    # $XDG_DATA_HOME naming a file: the default case's line said "(Not a directory)" of the
    # log, naming nothing that was wrong
    from forensic_viewer.gui.app import open_case_log

    not_a_folder = tmp_path / "data"
    not_a_folder.write_text("a file")
    monkeypatch.setenv("XDG_DATA_HOME", str(not_a_folder))
    monkeypatch.delenv("FORENSIC_VIEWER_CASE", raising=False)
    log, problem = open_case_log(None)
    assert log is None
    assert problem.endswith(f"cannot make the case folder: {not_a_folder} is a file"), problem
