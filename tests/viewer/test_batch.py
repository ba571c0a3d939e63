"""The batch dialog (offscreen): a scan to completion, the triage table, pause, cancel and resume,
double-click into the viewer with the scan's result, and report export from the viewer.

The checkpoint has random weights: these tests check plumbing (rows, files, states), never that a
finding is right.
"""

from __future__ import annotations

import html
import json
import multiprocessing
import os
import time
from collections.abc import Iterator
from pathlib import Path

import numpy as np
import pytest
from PIL import Image
from PySide6.QtCore import QSettings, Qt

from engine.ensemble import ENSEMBLE_SUFFIX
from engine.errors import ForensicError
from forensic_viewer.gui import scan_worker
from forensic_viewer.gui.batch_dialog import BatchDialog
from forensic_viewer.gui.main_window import MainWindow
from forensic_viewer.gui.scan_progress import RateMeter
from forensic_viewer.model_layers import HeatmapLayer
from forensic_viewer.scan.jobs import AUTO_JOBS, cpu_cores
from forensic_viewer.scan.lock import OutputLock, read_holder
from forensic_viewer.scan.replay import ScanAnalysis
from forensic_viewer.scan.walk import parse_types, scan_files
from tests.conftest import HANG_MS
from tests.viewer.conftest import open_listed, stop_batch_after, write_image

pytestmark = pytest.mark.gui

GOOD = ["a.png", "b.png", "c.png", "d.png"]
CORRUPT = "broken.png"


@pytest.fixture
def folder(tmp_path: Path) -> Path:
    d = tmp_path / "evidence"
    d.mkdir()
    for i, name in enumerate(GOOD):
        write_image(d / name, 64 + 8 * i, 80, seed=i)
    (d / CORRUPT).write_bytes(b"\x89PNG\r\n\x1a\n" + b"\x00\x00\x00\rIHDR" + b"garbage" * 8)
    (d / "notes.txt").write_text("not an image")
    return d


def _dialog(qtbot, folder: Path, out: Path, checkpoint: Path) -> BatchDialog:
    dialog = BatchDialog(models=[str(checkpoint)], device="cpu")
    qtbot.addWidget(dialog)
    dialog.folder.setText(str(folder))
    dialog.out.setText(str(out))
    dialog.show()
    return dialog


def _finish(qtbot, dialog: BatchDialog) -> None:
    qtbot.waitUntil(lambda: dialog.summary is not None and not dialog.running, timeout=HANG_MS)


def _records(out: Path) -> list[dict]:
    return [json.loads(line) for line in (out / "results.jsonl").read_text().splitlines()]


def _visible_keys(dialog: BatchDialog) -> list[str]:
    return [dialog.proxy.row_at(i).key for i in range(dialog.proxy.rowCount())]


def test_scan_to_completion_fills_a_sortable_filterable_table(
    qtbot, folder: Path, tmp_path: Path, tiny_checkpoint: Path
) -> None:
    out = tmp_path / "out"
    dialog = _dialog(qtbot, folder, out, tiny_checkpoint)
    qtbot.mouseClick(dialog.start_button, Qt.MouseButton.LeftButton)
    assert dialog.running and not dialog.start_button.isEnabled()
    _finish(qtbot, dialog)
    summary = dialog.summary
    assert summary is not None and not summary.cancelled
    assert (summary.done, summary.skipped, len(summary.failed)) == (4, 0, 1)
    model = dialog.table_model
    assert sorted(r.key for r in model.rows()) == sorted([*GOOD, CORRUPT])
    assert [c.header for c in model.columns][2] == "tiny"  # one column per model
    status_col = model.column_of("status")
    broken = next(i for i, r in enumerate(model.rows()) if r.key == CORRUPT)
    text = model.index(broken, status_col).data()
    # the problem without the file's path (the file has its column), the whole line in the tip
    assert text.startswith("error: ") and str(folder) not in text
    assert CORRUPT in model.index(broken, status_col).data(Qt.ItemDataRole.ToolTipRole)
    assert model.index(broken, model.column_of("model", "tiny")).data() == "not run"
    ok = next(i for i, r in enumerate(model.rows()) if r.key == "a.png")
    # thumbnails are read off the GUI thread when first asked for
    qtbot.waitUntil(
        lambda: model.index(ok, 0).data(Qt.ItemDataRole.DecorationRole) is not None, timeout=HANG_MS
    )
    thumb = model.index(ok, 0).data(Qt.ItemDataRole.DecorationRole)
    assert max(thumb.width(), thumb.height()) == 64
    assert model.index(broken, 0).data(Qt.ItemDataRole.DecorationRole) is None
    # the speed of the four files analysed (not the damaged one); no ETA once the scan is over
    text = dialog.progress_text.text()
    assert "5 / 5 files" in text and "4 analysed at" in text and "ETA" not in text
    assert dialog.progress.value() == dialog.progress.maximum() == 5

    # sorting: by file name descending, then by the model's score
    dialog.table.sortByColumn(model.column_of("file"), Qt.SortOrder.DescendingOrder)
    assert _visible_keys(dialog) == sorted([*GOOD, CORRUPT], reverse=True)
    dialog.table.sortByColumn(model.column_of("model", "tiny"), Qt.SortOrder.DescendingOrder)
    scores = [
        -1.0 if (c := dialog.proxy.row_at(i).cell("tiny")).score is None else c.score
        for i in range(dialog.proxy.rowCount())
    ]
    # a failed file (not run) above every score: the analyst sees it; then the scores
    assert scores[0] == -1.0 and scores[1:] == sorted(scores[1:], reverse=True)

    # filtering: text, then flagged only (a file that could not be analysed is never flagged)
    qtbot.keyClicks(dialog.filter_text, "BROKEN")
    assert _visible_keys(dialog) == [CORRUPT]
    dialog.filter_text.setText("d.p")
    assert _visible_keys(dialog) == ["d.png"]
    dialog.filter_text.clear()
    assert dialog.proxy.rowCount() == 5
    dialog.flagged_only.setChecked(True)
    flagged = {r.key for r in model.rows() if r.flagged}
    assert set(_visible_keys(dialog)) == flagged and CORRUPT not in flagged
    dialog.flagged_only.setChecked(False)
    assert dialog.proxy.rowCount() == 5


def test_the_closing_message_names_byte_identical_copies(
    qtbot, folder: Path, tmp_path: Path, tiny_checkpoint: Path
) -> None:
    """The same evidence under two names is analysed twice; the dialog's closing message says
    which file is a copy of which, as the command line's summary does (it said nothing)."""
    (folder / "z-copy.png").write_bytes((folder / "a.png").read_bytes())
    dialog = _dialog(qtbot, folder, tmp_path / "out", tiny_checkpoint)
    qtbot.mouseClick(dialog.start_button, Qt.MouseButton.LeftButton)
    _finish(qtbot, dialog)
    assert dialog.summary is not None and dialog.summary.copies == {"z-copy.png": "a.png"}
    last = dialog.message.text().splitlines()[-1]
    assert (
        last.startswith("1 file is a byte-identical copy of another")
        and "z-copy.png = a.png" in last
    )


def test_pause_blocks_the_scan_and_resume_completes_it(
    qtbot, folder: Path, tmp_path: Path, tiny_checkpoint: Path, monkeypatch
) -> None:
    stop_batch_after(monkeypatch, 0, "pause")
    out = tmp_path / "out"
    dialog = _dialog(qtbot, folder, out, tiny_checkpoint)
    dialog.start()
    qtbot.waitUntil(lambda: dialog.pause_button.text() == "Resume", timeout=HANG_MS)
    assert "paused" in dialog.message.text()
    # a running scan's folders cannot be changed, by typing or by Browse…
    assert not dialog.out.isEnabled() and not dialog.browse_out.isEnabled()
    assert not dialog.browse_in.isEnabled()
    first = out / "maps" / "a.png.tiny.png"
    mtime = first.stat().st_mtime_ns
    assert [r["path"] for r in _records(out)] == ["a.png"]
    time.sleep(0.5)  # paused means paused: nothing more is written
    qtbot.wait(50)
    assert len(_records(out)) == 1 and dialog.running
    assert dialog.table_model.rowCount() == 1
    qtbot.mouseClick(dialog.pause_button, Qt.MouseButton.LeftButton)
    _finish(qtbot, dialog)
    assert dialog.summary is not None and not dialog.summary.cancelled
    assert (dialog.summary.done, len(dialog.summary.failed)) == (4, 1)
    keys = [r["path"] for r in _records(out)]
    assert sorted(keys) == sorted([*GOOD, CORRUPT])  # one record per file: none redone
    assert first.stat().st_mtime_ns == mtime
    assert dialog.table_model.rowCount() == 5


def test_cancel_stops_and_start_again_resumes_into_the_same_folder(
    qtbot, folder: Path, tmp_path: Path, tiny_checkpoint: Path, monkeypatch
) -> None:
    resume_fully = stop_batch_after(monkeypatch, 1, "cancel")
    out = tmp_path / "out"
    dialog = _dialog(qtbot, folder, out, tiny_checkpoint)
    dialog.start()
    _finish(qtbot, dialog)
    assert dialog.summary is not None and dialog.summary.cancelled
    assert [r["path"] for r in _records(out)] == ["a.png", "b.png"]
    assert dialog.start_button.text() == "Resume" and dialog.start_button.isEnabled()
    assert "cancelled" in dialog.message.text()
    assert "2 analysed at" in dialog.progress_text.text()
    assert "ETA" not in dialog.progress_text.text()  # nothing runs: no time left to show
    mtimes = {k: (out / "maps" / f"{k}.tiny.png").stat().st_mtime_ns for k in ("a.png", "b.png")}

    resume_fully()
    qtbot.mouseClick(dialog.start_button, Qt.MouseButton.LeftButton)
    _finish(qtbot, dialog)
    summary = dialog.summary
    assert summary is not None and not summary.cancelled
    assert (summary.skipped, summary.done, len(summary.failed)) == (2, 2, 1)
    assert sorted(r["path"] for r in _records(out)) == sorted([*GOOD, CORRUPT])
    for k, m in mtimes.items():
        assert (out / "maps" / f"{k}.tiny.png").stat().st_mtime_ns == m
    assert dialog.table_model.rowCount() == 5  # skipped files keep one row each


def test_a_resume_that_analyses_nothing_shows_no_speed_and_no_eta(
    qtbot, folder: Path, tmp_path: Path, tiny_checkpoint: Path
) -> None:
    """The files re-analysed because they changed keep ``replaces`` in their rows, and the
    damaged file is retried (and fails at once) on every resume: neither is an analysis of
    this run when nothing changed."""
    out = tmp_path / "out"
    dialog = _dialog(qtbot, folder, out, tiny_checkpoint)
    dialog.start()
    _finish(qtbot, dialog)
    for i, name in enumerate(GOOD):  # new bytes: the next run analyses them again
        write_image(folder / name, 64, 80, seed=10 + i)
    dialog.start()
    _finish(qtbot, dialog)
    assert dialog.summary is not None and sorted(dialog.summary.changed) == GOOD
    assert "4 analysed at" in dialog.progress_text.text()
    dialog.start()
    _finish(qtbot, dialog)
    summary = dialog.summary
    assert summary is not None and (summary.done, summary.skipped) == (0, 4)
    text = dialog.progress_text.text()
    assert text == "5 / 5 files · none analysed in this run", text


@pytest.mark.parametrize("screen", [(1920, 1080), (1280, 720)])
def test_the_results_table_shows_eight_rows_or_more_at_the_dialogs_size(
    qtbot, monkeypatch: pytest.MonkeyPatch, screen: tuple[int, int]
) -> None:
    """At its own size, and on a 1280 x 720 screen, which it now fits (offscreen's own screen,
    800 x 800, is narrower than the dialog: test_dialogs_small_screen.py)."""
    from PySide6.QtCore import QRect
    from PySide6.QtGui import QScreen

    monkeypatch.setattr(QScreen, "availableGeometry", lambda _screen: QRect(0, 0, *screen))
    dialog = BatchDialog(device="cpu")
    qtbot.addWidget(dialog)
    dialog.show()
    qtbot.waitExposed(dialog)
    rows = dialog.table.viewport().height() / dialog.table.verticalHeader().defaultSectionSize()
    assert rows >= 8, f"{rows:.1f} rows of the table visible"
    assert dialog.table.viewport().width() >= 600  # room for the file name and a model or two


def test_a_scan_with_other_models_into_the_same_folder_is_refused(
    qtbot, folder: Path, tmp_path: Path, tiny_checkpoint: Path
) -> None:
    out = tmp_path / "out"
    out.mkdir()
    (out / "scan.json").write_text(json.dumps({"source": "elsewhere", "models": {}}))
    dialog = _dialog(qtbot, folder, out, tiny_checkpoint)
    dialog.start()
    qtbot.waitUntil(lambda: not dialog.running, timeout=HANG_MS)
    assert dialog.summary is None
    text = dialog.message.text()
    assert "choose another output folder" in text
    assert "source, models" in text  # the settings that differ are named
    assert not (out / "results.jsonl").exists()


def test_a_folder_another_scan_is_writing_is_refused_at_once_naming_it(
    qtbot, folder: Path, tmp_path: Path, tiny_checkpoint: Path, monkeypatch
) -> None:
    import engine.assembly

    def no_models(*a: object, **kw: object) -> None:
        raise AssertionError("models loaded although the folder is locked")

    monkeypatch.setattr(engine.assembly, "assemble_analyzer", no_models)
    out = tmp_path / "out"
    dialog = _dialog(qtbot, folder, out, tiny_checkpoint)
    with OutputLock(out, command="forensic-viewer scan"):
        started = read_holder(out)["started"]
        dialog.start()
        qtbot.waitUntil(lambda: not dialog.running, timeout=HANG_MS)
    text = dialog.message.text()
    assert dialog.summary is None
    assert f"PID {os.getpid()}" in text and started in text and "forensic-viewer scan" in text
    assert not (out / "results.jsonl").exists()


def test_helpers_types_rate_and_output_folder_inside_the_scanned_one(tmp_path: Path) -> None:
    every = (".jpg", ".jpeg", ".png", ".tif", ".tiff", ".webp", ".bmp", ".gif")
    assert parse_types("") == (*every, ".heic", ".heif", ".hif")
    assert parse_types("heic") == (".heic",)
    assert parse_types("JPG, *.png png") == (".jpg", ".png")
    with pytest.raises(ValueError, match="file types are"):
        parse_types("png eps")
    now = [0.0]
    meter = RateMeter(clock=lambda: now[0])
    meter.start()
    now[0] = 2.0
    meter.file_done(True)
    meter.file_done(False)  # skipped on resume: no time, not counted
    meter.pause()
    now[0] = 100.0  # paused time is not scanning time
    assert meter.rate == pytest.approx(0.5) and meter.eta(3) == pytest.approx(6.0)
    d = tmp_path / "ev"
    (d / "out" / "maps").mkdir(parents=True)
    write_image(d / "x.png")
    write_image(d / "out" / "maps" / "x.png.tiny.png")
    write_image(d / "y.png")
    Image.new("RGB", (8, 8)).save(d / "z.jpg")
    assert [k for _, k in scan_files(d, True, exclude=d / "out")] == ["x.png", "y.png", "z.jpg"]
    assert [k for _, k in scan_files(d, True, (".jpg",), exclude=d / "out")] == ["z.jpg"]


def test_a_scan_finds_images_whose_names_hide_them_and_counts_what_it_passes_over(
    tmp_path: Path,
) -> None:
    """Renaming a photograph must not take it out of a triage: files not named like images
    are taken when their content is one; the rest are counted, and the output folder's own
    files are neither."""
    d = tmp_path / "ev"
    (d / "out").mkdir(parents=True)
    Image.new("RGB", (8, 8)).save(d / "holiday.dat", format="JPEG")
    Image.new("RGB", (8, 8)).save(d / "noext", format="PNG")
    Image.new("RGB", (8, 8)).save(d / "a.jpeg")
    (d / "notes.txt").write_text("hello")
    (d / "BMnotes").write_text("BM is not a bitmap header in plain text")
    (d / "out" / "scan.json").write_text("{}")
    os.mkfifo(d / "pipe")  # never opened: reading it would wait for a writer forever
    left_out: list[Path] = []
    keys = [k for _, k in scan_files(d, False, exclude=d / "out", left_out=left_out)]
    assert keys == ["a.jpeg", "holiday.dat", "noext"]
    assert sorted(p.name for p in left_out) == ["BMnotes", "notes.txt", "pipe"]
    # a type filter applies to what the content says, and .jpeg is the type jpg
    assert [k for _, k in scan_files(d, False, (".jpg",), exclude=d / "out")] == [
        "a.jpeg",
        "holiday.dat",
    ]
    assert [k for _, k in scan_files(d, False, (".png",), exclude=d / "out")] == ["noext"]


# --- with the main window -----------------------------------------------------------------


@pytest.fixture
def window(qtbot, tmp_path: Path, tiny_checkpoint: Path) -> Iterator[MainWindow]:
    settings = QSettings(str(tmp_path / "settings.ini"), QSettings.Format.IniFormat)
    w = MainWindow(models=[str(tiny_checkpoint)], device="cpu", settings=settings)
    qtbot.addWidget(w)
    w.show()
    qtbot.waitUntil(lambda: w._models_known, timeout=HANG_MS)
    yield w


def test_double_click_opens_the_file_with_the_scans_result_without_analysing_again(
    qtbot, window: MainWindow, folder: Path, tmp_path: Path
) -> None:
    file_menu = window.menuBar().actions()[0].menu()
    entries = [a.text() for a in file_menu.actions()]
    assert "&Scan a folder…" in entries and "&Export report…" in entries
    assert not window.export_action.isEnabled()
    dialog = window.open_batch()
    assert dialog.model_list.checked_paths() == window.model_paths
    dialog.device.setCurrentText("cpu")
    dialog.folder.setText(str(folder))
    out = tmp_path / "out"
    dialog.out.setText(str(out))
    dialog.start()
    _finish(qtbot, dialog)
    analysed: list[int] = []
    window.worker.loaded.connect(lambda job, ev: analysed.append(job))
    dialog.table.sortByColumn(dialog.table_model.column_of("file"), Qt.SortOrder.AscendingOrder)
    row = _visible_keys(dialog).index("b.png")
    index = dialog.proxy.index(row, dialog.table_model.column_of("file"))
    rect = dialog.table.visualRect(index)
    # a view emits doubleClicked only for the index pressed first, as a real double-click does
    qtbot.mouseClick(dialog.table.viewport(), Qt.MouseButton.LeftButton, pos=rect.center())
    qtbot.mouseDClick(dialog.table.viewport(), Qt.MouseButton.LeftButton, pos=rect.center())
    path = str(folder / "b.png")
    qtbot.waitUntil(
        lambda: window.current == path and window.current_analysis() is not None, timeout=HANG_MS
    )
    analysis = window.current_analysis()
    assert isinstance(analysis, ScanAnalysis) and analysis.scan_key == "b.png"
    # "opening b.png…" stayed under the table once it had opened
    assert dialog.message.text() == "b.png: opened in the viewer with this scan's result"
    heat = window.layers["tiny heatmap"]
    assert isinstance(heat, HeatmapLayer)
    saved = np.asarray(Image.open(out / "maps" / "b.png.tiny.png"), dtype=np.float32) / 255
    np.testing.assert_array_equal(analysis.results["tiny"].heatmap, saved)
    record = next(r for r in _records(out) if r["path"] == "b.png")
    assert analysis.results["tiny"].score == record["models"]["tiny"]["score"]
    assert f"score {record['models']['tiny']['score']:.3f}" in window.verdict_panel.text()
    assert window.export_action.isEnabled()
    qtbot.wait(200)
    assert analysed == []  # the viewer's worker never decoded nor analysed the file

    # the corrupt file has no result: it opens as a new file and the viewer says why
    broken = _visible_keys(dialog).index(CORRUPT)
    dialog.open_row(dialog.proxy.row_at(broken))
    qtbot.waitUntil(lambda: window.entries.get(str(folder / CORRUPT)) is not None, timeout=HANG_MS)
    entry = window.entries[str(folder / CORRUPT)]
    qtbot.waitUntil(lambda: not entry.running, timeout=HANG_MS)
    assert CORRUPT in entry.error


def test_export_report_of_the_current_image_writes_three_files(
    qtbot, window: MainWindow, tmp_path: Path
) -> None:
    name = 'case <b>&"x".png'
    path = write_image(tmp_path / name)
    open_listed(qtbot, window, [path])
    qtbot.waitUntil(lambda: window.current_analysis() is not None, timeout=HANG_MS)
    assert window.export_action.isEnabled()
    dialog = window.export_report()
    assert dialog is not None
    dest = tmp_path / "reports"
    dialog.dest.setText(str(dest))
    dialog.examiner.setText("A. Examiner")
    dialog.case_id.setText("C-17")
    dialog.notes.setPlainText("seized laptop, folder DCIM")
    qtbot.mouseClick(dialog.write_button, Qt.MouseButton.LeftButton)
    qtbot.waitUntil(lambda: bool(dialog.paths) and not dialog.running, timeout=HANG_MS)
    assert set(dialog.paths) == {"html", "pdf", "json"}
    for p in dialog.paths.values():
        assert Path(p).is_file() and Path(p).parent == dest
    text = Path(dialog.paths["html"]).read_text(encoding="utf-8")
    assert html.escape(name, quote=True) in text and "<b>&" not in text
    assert "C-17" in text and "A. Examiner" in text
    sidecar = json.loads(Path(dialog.paths["json"]).read_text(encoding="utf-8"))
    assert "C-17" in json.dumps(sidecar)
    assert dialog.write_button.isEnabled() and not dialog.cancel_button.isEnabled()


def test_scan_report_from_the_dialog_is_written_off_the_gui_thread_and_can_be_cancelled(
    qtbot, folder: Path, tmp_path: Path, tiny_checkpoint: Path, monkeypatch
) -> None:
    from forensic_viewer.gui.report_dialog import ReportWorker

    out = tmp_path / "out"
    dialog = _dialog(qtbot, folder, out, tiny_checkpoint)
    dialog.start()
    _finish(qtbot, dialog)
    assert dialog.report_button.isEnabled()
    report = dialog.open_report()
    assert report is not None and Path(report.dest.text()) == out
    report.case_id.setText("C-9")

    # cancelled on its first progress step (on the report thread): no report file is left
    original = ReportWorker._on_progress
    monkeypatch.setattr(ReportWorker, "_on_progress", lambda self, p: self.requestInterruption())
    report.write()
    assert report.running and not report.write_button.isEnabled()
    qtbot.waitUntil(lambda: not report.running, timeout=HANG_MS)
    assert "cancelled" in report.message.text() and report.paths == {}
    assert not any(out.glob("report.*"))

    monkeypatch.setattr(ReportWorker, "_on_progress", original)
    report.write()
    qtbot.waitUntil(lambda: bool(report.paths), timeout=HANG_MS)
    assert set(report.paths) == {"html", "pdf", "json"}
    sidecar = json.loads((out / "report.json").read_text(encoding="utf-8"))
    text = json.dumps(sidecar)
    assert "C-9" in text
    for name in [*GOOD, CORRUPT]:
        assert name in text
    assert "not run" in text  # the corrupt file: no model ran on it, and the report says so


def test_image_report_jobs_list_models_that_did_not_run_and_use_the_scan_record(
    qtbot, folder: Path, tmp_path: Path, tiny_checkpoint: Path
) -> None:
    from engine.checkpoints import load_checkpoint, save_checkpoint
    from engine.io import load_evidence
    from engine.pipeline import Analyzer
    from forensic_viewer.gui.report_job import image_report_job
    from forensic_viewer.scan.replay import analysis_from_record

    loaded = load_checkpoint(tiny_checkpoint)
    loaded.meta.name = "other"
    other = save_checkpoint(tmp_path / "other.safetensors", loaded.model, loaded.meta)
    analyzer = Analyzer([str(tiny_checkpoint)], device="cpu")
    analysis = analyzer.analyze(load_evidence(folder / "a.png"))
    job = image_report_job(
        analysis, analyzer=analyzer, model_paths=[str(tiny_checkpoint), str(other)]
    )
    source = job.source()
    (item,) = list(source.items())
    by_name = {m.name: m for m in item.models}
    assert by_name["tiny"].ran and by_name["tiny"].card is not None
    assert not by_name["other"].ran and "not run on this image" in by_name["other"].note
    assert job.basename == "a.png.report"
    # the viewer's models are not those that ran: no equivalent command is claimed
    assert "command" not in source.settings

    out = tmp_path / "out"
    dialog = _dialog(qtbot, folder, out, tiny_checkpoint)
    dialog.start()
    _finish(qtbot, dialog)
    record = next(r for r in _records(out) if r["path"] == "a.png")
    from_scan = analysis_from_record(record, out, load_evidence(folder / "a.png"))
    job = image_report_job(from_scan, model_paths=[str(tiny_checkpoint)])
    source = job.source()
    (item,) = list(source.items())
    assert source.kind == "scan" and item.key == "a.png"
    assert item.models[0].heatmap_file == out / "maps" / "a.png.tiny.png"  # the 8-bit map
    assert item.models[0].viewer_threshold is None and item.notes == []
    moved = 0.25 if item.models[0].figures["pixel_threshold"] != 0.25 else 0.75
    job = image_report_job(from_scan, viewer_thresholds={"tiny": moved})  # the slider moved
    (item,) = list(job.source().items())
    assert item.models[0].viewer_threshold == moved and "threshold slider" in item.notes[0]
    changed = load_evidence(folder / "b.png")
    with pytest.raises(ForensicError, match="changed since the scan"):
        analysis_from_record(record, out, changed)


def test_a_second_export_keeps_the_case_fields_and_folder(
    qtbot, window: MainWindow, tmp_path: Path
) -> None:
    for name in ("one.png", "two.png"):
        open_listed(qtbot, window, [write_image(tmp_path / name)])
        qtbot.waitUntil(lambda: window.current_analysis() is not None, timeout=HANG_MS)
        dialog = window.export_report()
        assert dialog is not None and dialog.basename.text() == f"{name}.report"
        if name == "one.png":
            assert Path(dialog.dest.text()) != tmp_path  # never next to the evidence by default
            dialog.case_id.setText("C-3")
            dialog.dest.setText(str(tmp_path / "reports"))
    assert dialog.case_id.text() == "C-3" and dialog.dest.text() == str(tmp_path / "reports")


def test_two_models_and_an_ensemble_columns_disagreement_and_layers_from_the_scan(
    qtbot, folder: Path, tmp_path: Path, tiny_checkpoint: Path
) -> None:
    import torch

    from engine.checkpoints import load_checkpoint, save_checkpoint
    from engine.io import load_evidence
    from forensic_viewer.layers import build_layers
    from forensic_viewer.scan.replay import analysis_from_record

    loaded = load_checkpoint(tiny_checkpoint)
    loaded.meta.name = "tiny2"
    with torch.no_grad():  # other weights, so the two models disagree a little
        for p in loaded.model.parameters():
            p.mul_(0.5)
    second = save_checkpoint(tmp_path / "tiny2.safetensors", loaded.model, loaded.meta)
    ensemble = tmp_path / f"duo{ENSEMBLE_SUFFIX}"
    members = [{"model": "tiny.safetensors"}, {"model": "tiny2.safetensors"}]
    ensemble.write_text(json.dumps({"name": "duo", "members": members}))
    out = tmp_path / "out"
    dialog = BatchDialog(models=[str(ensemble)], device="cpu")  # the members come along
    qtbot.addWidget(dialog)
    dialog.folder.setText(str(folder))
    dialog.out.setText(str(out))
    dialog.start()
    _finish(qtbot, dialog)
    model = dialog.table_model
    # the default verdict and the status first (the walk-through's 46.png), then the members
    headers = [c.header for c in model.columns[2:6]]
    assert headers == ["duo (ensemble)", "Status", "tiny", "tiny2"]
    a = next(i for i, r in enumerate(model.rows()) if r.key == "a.png")
    row = model.row_at(a)
    assert row.disagreement is not None and row.disagreement > 0
    text = model.index(a, model.column_of("disagreement")).data()
    assert text.startswith(f"{row.disagreement:.2f}")
    broken = next(i for i, r in enumerate(model.rows()) if r.key == CORRUPT)
    assert model.index(broken, model.column_of("ensemble")).data() == "not run"

    record = next(r for r in _records(out) if r["path"] == "a.png")
    analysis = analysis_from_record(record, out, load_evidence(folder / "a.png"))
    assert analysis.ensemble is not None and analysis.ensemble.name == "duo"
    assert analysis.ensemble.score == record["ensemble"]["score"]
    names = [la.name for la in build_layers(analysis.evidence, analysis)]
    assert {"tiny heatmap", "tiny2 heatmap", "duo heatmap", "model agreement"} <= set(names)
    assert str(second) not in dialog.model_list.checked_paths()  # only what was checked


def test_mailbox_delivers_in_order_on_the_gui_thread_once_per_round(qtbot) -> None:
    import threading

    from forensic_viewer.gui.mailbox import Mailbox

    got: list[tuple[str, int, bool]] = []
    rounds: list[int] = []
    box = Mailbox(interval_ms=10, after=lambda: rounds.append(len(got)))
    gui = threading.get_ident()
    box.on("n", lambda i: got.append(("n", i, threading.get_ident() == gui)))
    box.on("end", lambda: got.append(("end", -1, threading.get_ident() == gui)))

    def worker() -> None:
        for i in range(100):
            box.post("n", i)
        box.post("unknown kind", 1)  # no handler: dropped
        box.post("end")

    t = threading.Thread(target=worker)
    t.start()
    t.join()
    assert got == []  # nothing is delivered before the GUI thread runs a round
    box.start()
    qtbot.waitUntil(lambda: len(got) == 101, timeout=HANG_MS)
    assert [g[1] for g in got] == [*range(100), -1] and all(g[2] for g in got)
    assert rounds == [101]  # one round took them all, and `after` ran once
    box.stop()
    box.post("n", 7)
    assert len(got) == 101  # stopped: waits for drain()
    box.drain()
    assert got[-1][:2] == ("n", 7) and rounds == [101, 102]


@pytest.mark.skipif(cpu_cores() < 2, reason="the dialog offers one worker per core")
@pytest.mark.slow
def test_worker_processes_cancel_at_once_and_a_resume_in_one_process_completes(
    qtbot, tmp_path: Path, tiny_checkpoint: Path, monkeypatch
) -> None:
    folder = tmp_path / "many"
    folder.mkdir()
    names = [f"f{i:02d}.png" for i in range(8)]
    for i, name in enumerate(names):
        write_image(folder / name, 48, 64, seed=i)
    resume_fully = stop_batch_after(monkeypatch, 0, "cancel")
    out = tmp_path / "out"
    asked: list[tuple[int, str]] = []

    def two_workers(files: int, device: str) -> int:  # what auto gives a large folder on 2 cores
        asked.append((files, device))
        return 2

    monkeypatch.setattr(scan_worker, "auto_jobs", two_workers)
    dialog = _dialog(qtbot, folder, out, tiny_checkpoint)
    assert (dialog.jobs.minimum(), dialog.jobs.maximum()) == (AUTO_JOBS, cpu_cores())
    assert dialog.jobs.value() == AUTO_JOBS and dialog.jobs.text() == "auto"  # the default
    dialog.exact.setChecked(True)
    dialog.start()
    assert not dialog.jobs.isEnabled() and not dialog.exact.isEnabled()
    _finish(qtbot, dialog)
    summary = dialog.summary
    assert summary is not None and summary.cancelled
    first = _records(out)
    # the file reported, and at most the two the workers held if they ended before the cancel
    assert 1 <= len(first) <= 3
    assert not multiprocessing.active_children()  # the workers ended with the scan
    info = json.loads((out / "scan.json").read_text())
    assert (info["exact"], info["jobs"]) == (True, 2)
    assert asked == [(len(names), dialog.device.currentText())]
    assert dialog.table_model.rowCount() == len(first)

    resume_fully()
    dialog.jobs.setValue(1)
    dialog.start()  # the same settings (exact still checked): a resume
    _finish(qtbot, dialog)
    summary = dialog.summary
    assert summary is not None and not summary.cancelled
    assert (summary.skipped, summary.done) == (len(first), len(names) - len(first))
    assert sorted(r["path"] for r in _records(out)) == names
    assert dialog.table_model.rowCount() == len(names)


@pytest.mark.gui
def test_run_on_a_ray_cluster_hands_the_address_to_the_ray_scan(
    qtbot, folder: Path, tmp_path: Path, tiny_checkpoint: Path, monkeypatch
) -> None:
    import forensic_viewer.scan.ray_pool as ray_pool
    from forensic_viewer.scan.run import ScanSummary

    asked: list[dict] = []

    def fake_ray_scan(files: list, recipe: object, out: Path, **kw: object) -> ScanSummary:
        asked.append({"files": len(files), "models": recipe.models, "out": out, **kw})  # type: ignore[attr-defined]
        return ScanSummary(total=len(files))

    monkeypatch.setattr(ray_pool, "run_ray_scan", fake_ray_scan)
    monkeypatch.setattr(ray_pool, "ray_available", lambda: True)
    out = tmp_path / "out"
    dialog = _dialog(qtbot, folder, out, tiny_checkpoint)
    assert (
        dialog.run_on.choice.currentText() == "this machine"
        and not dialog.run_on.address_field.isEnabled()
    )
    dialog.run_on.choice.setCurrentIndex(1)
    assert dialog.run_on.address_field.isEnabled()
    dialog.run_on.address_field.setText(" head.lab:6379 ")
    dialog.start()
    assert not dialog.run_on.isEnabled() and not dialog.run_on.address_field.isEnabled()
    _finish(qtbot, dialog)
    (call,) = asked
    assert (call["address"], call["jobs"], call["out"]) == ("head.lab:6379", None, out)
    assert call["models"] == (str(tiny_checkpoint),) and call["files"] == len(GOOD) + 1
    dialog.run_on.address_field.setText("")
    dialog.start()
    _finish(qtbot, dialog)
    assert asked[1]["address"] is None  # empty: a local Ray instance
    assert dialog.run_on.address_field.isEnabled()


def test_a_scan_a_bug_ends_is_worded_as_the_command_line_words_it_naming_the_folder(
    qtbot, folder: Path, tmp_path: Path, tiny_checkpoint: Path, monkeypatch, capsys
) -> None:
    """The dialog said "evidence: unexpected error (RuntimeError: ...)" where the command line
    says "the scan failed: unexpected RuntimeError: ...", and named a folder typed relative as
    typed. Both now say it in one line (``scan.failure.failure_line``), naming the folder by
    its absolute path; the command line says where the traceback went on a line of its own."""
    import sys

    import forensic_viewer.scan.run as scan_run
    from forensic_viewer.cli import main

    def broken(*a: object, **kw: object) -> None:
        raise RuntimeError("the results\n  index broke")

    monkeypatch.setattr(scan_run, "run_scan", broken)
    hooked: list[object] = []
    monkeypatch.setattr(sys, "excepthook", lambda *a: hooked.append(a))  # the one hook logs it
    monkeypatch.chdir(folder.parent)
    dialog = _dialog(qtbot, Path(folder.name), tmp_path / "out", tiny_checkpoint)
    dialog.start()
    qtbot.waitUntil(lambda: not dialog.running, timeout=HANG_MS)
    said = dialog.message.text()
    assert said == f"{folder}: the scan failed: unexpected RuntimeError: the results index broke"
    assert len(hooked) == 1 and dialog.summary is None

    capsys.readouterr()
    scan = ["scan", folder.name, "--out", "cli-out", "--model", str(tiny_checkpoint)]
    assert main([*scan, "--jobs", "1", "--no-faces"]) == 3
    err = capsys.readouterr().err
    (line,) = [ln for ln in err.splitlines() if ln.startswith("forensic-viewer: error: ")]
    assert line == f"forensic-viewer: error: {said}"
    assert f"the traceback of the unexpected error: {folder.parent / 'cli-out' / 'scan.log'}" in err


def test_the_window_progress_of_each_file_reaches_the_dialog_with_its_end(
    qtbot, folder: Path, tmp_path: Path, tiny_checkpoint: Path, monkeypatch
) -> None:
    windows: list[tuple[str, int, int]] = []
    shown = BatchDialog._on_windows

    def recorded(self: BatchDialog, model: str, done: int, total: int) -> None:
        windows.append((model, done, total))
        shown(self, model, done, total)

    monkeypatch.setattr(BatchDialog, "_on_windows", recorded)
    dialog = _dialog(qtbot, folder, tmp_path / "out", tiny_checkpoint)
    dialog.start()
    _finish(qtbot, dialog)
    ends = [model for model, done, total in windows if done == total]
    assert ends.count("tiny") == len(GOOD)  # throttled, but a network's last report always goes


def test_the_tables_headers_are_whole_at_the_dialogs_size(qtbot) -> None:
    """Before a scan, at 100 px a column, "Model disagreement" read "odel disagreeme"."""
    dialog = BatchDialog(None, models=[], device="cpu")
    qtbot.addWidget(dialog)
    dialog.show()
    header = dialog.table.horizontalHeader()
    metrics = header.fontMetrics()
    for i, col in enumerate(dialog.table_model.columns):
        if col.header:
            assert header.sectionSize(i) > metrics.horizontalAdvance(col.header), col.header
