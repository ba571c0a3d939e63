"""The report dialog (offscreen): the folder it offers first, an earlier report moved aside
(never replaced) only when the analyst says so, and failures as one line naming the file."""

from __future__ import annotations

import hashlib
from pathlib import Path
from typing import Any

import pytest
from PySide6.QtWidgets import QMessageBox

from engine.io import load_evidence
from forensic_viewer.gui import report_dialog
from forensic_viewer.gui.report_dialog import ReportDialog
from forensic_viewer.gui.report_job import (
    ReportJob,
    image_report_job,
    reports_folder,
    scan_report_job,
)
from forensic_viewer.report import SUFFIX
from forensic_viewer.report.earlier import EARLIER_REPORTS
from tests.conftest import HANG_MS
from tests.viewer.conftest import open_listed, without_sessions, write_image

pytestmark = pytest.mark.gui


def _dialog(qtbot, dest: Path) -> ReportDialog:
    dialog = ReportDialog(ReportJob(list, "a test"), default_dir=dest)
    qtbot.addWidget(dialog)
    return dialog


def _write_new(source: Any, dest: Path, formats: Any, *, basename: str, **_: Any) -> dict:
    """write_report's stand-in: each format's file holds "new"."""
    paths = {f: Path(dest) / f"{basename}{SUFFIX[f]}" for f in formats}
    for p in paths.values():
        p.write_text("new", encoding="utf-8")
    return paths


def _answer(monkeypatch, answer: QMessageBox.StandardButton) -> list[str]:
    """The question's box answers ``answer``; returns the texts it was asked with."""
    asked: list[str] = []

    def exec_(box: QMessageBox) -> int:
        asked.append(box.text())
        return answer

    monkeypatch.setattr(QMessageBox, "exec", exec_)
    return asked


def _earlier(dest: Path) -> dict[str, str]:
    """An earlier report in ``dest``: its files as the writers leave them, each holding "old"
    and its name; their contents by name."""
    (dest / "report_files").mkdir(parents=True)
    files = {"report.json": "old json", "report.html": "old html", "report_files/a.png": "png"}
    for name, text in files.items():
        (dest / name).write_text(text, encoding="utf-8")
    return files


def test_an_earlier_report_is_moved_aside_only_when_the_analyst_says_so(
    qtbot, tmp_path: Path, monkeypatch
) -> None:
    """Never replaced: a handed-over report is evidence of what was said. Yes moved (it
    replaced the files, as the command line's --report did before it moved them too)."""
    monkeypatch.setattr(report_dialog, "write_report", _write_new)
    dest = tmp_path / "reports"
    earlier = _earlier(dest)
    dialog = _dialog(qtbot, dest)
    asked = _answer(monkeypatch, QMessageBox.StandardButton.No)
    dialog.write()
    assert len(asked) == 1 and str(dest / "report.json") in asked[0]
    assert f"into a folder of its own in {dest / EARLIER_REPORTS}" in asked[0]
    assert "not replaced" in asked[0]
    assert not dialog.running and dialog.worker is None
    assert dialog.message.text() == (
        f"not written: an earlier report (report.html, report.json, report_files) is in {dest}; "
        "choose another file name or folder"
    )
    assert all((dest / n).read_text(encoding="utf-8") == t for n, t in earlier.items())
    assert not (dest / EARLIER_REPORTS).exists()

    asked = _answer(monkeypatch, QMessageBox.StandardButton.Yes)
    dialog.write()
    qtbot.waitUntil(lambda: bool(dialog.paths) and not dialog.running, timeout=HANG_MS)
    (kept,) = (dest / EARLIER_REPORTS).iterdir()
    assert len(asked) == 1
    assert all((kept / n).read_text(encoding="utf-8") == t for n, t in earlier.items())
    assert (dest / "report.json").read_text(encoding="utf-8") == "new"
    assert not (dest / "report_files").exists()  # the HTML's folder went with it
    said = dialog.message.text().splitlines()
    assert said[0].startswith("written: ") and said[1] == (
        f"the earlier report (report.html, report.json, report_files) moved to {kept}"
    )

    dialog.basename.setText("other")  # no earlier report of that name: nothing to ask
    asked = _answer(monkeypatch, QMessageBox.StandardButton.No)
    dialog.write()
    qtbot.waitUntil(lambda: not dialog.running, timeout=HANG_MS)
    assert asked == [] and (dest / "other.json").read_text(encoding="utf-8") == "new"
    assert "moved" not in dialog.message.text()


def test_the_move_is_logged_before_the_head_the_new_report_prints(
    qtbot, tmp_path: Path, monkeypatch
) -> None:
    from forensic_viewer.audit import LOG_NAME, AuditLog, verify_log

    monkeypatch.setattr(report_dialog, "write_report", _write_new)
    dest = tmp_path / "scan"
    _earlier(dest)
    old_json = hashlib.sha256(b"old json").hexdigest()
    log = AuditLog(tmp_path / "case", program="test")
    try:
        dialog = _dialog(qtbot, dest)
        dialog.audit_log = log  # as the case recorder attaches it (the batch dialog's too)
        _answer(monkeypatch, QMessageBox.StandardButton.Yes)
        dialog.write()
        qtbot.waitUntil(lambda: bool(dialog.paths) and not dialog.running, timeout=HANG_MS)
    finally:
        log.close()
    (kept,) = (dest / EARLIER_REPORTS).iterdir()
    moved = without_sessions(verify_log(tmp_path / "case" / LOG_NAME).entries)[-1]
    assert moved.action == "report-moved"
    assert moved.details["from"] == str(dest) and moved.details["to"] == str(kept)
    assert moved.details["files"] == {
        "report.html": hashlib.sha256(b"old html").hexdigest(),
        "report.json": old_json,
        "report_files": None,
    }
    stamp = dialog.written_case.audit if dialog.written_case is not None else None
    assert stamp is not None and (stamp.head, stamp.entries) == (moved.hash, moved.seq)


def test_an_earlier_report_that_cannot_be_moved_stays_and_nothing_is_written(
    qtbot, tmp_path: Path, monkeypatch
) -> None:
    monkeypatch.setattr(report_dialog, "write_report", _write_new)
    dest = tmp_path / "reports"
    earlier = _earlier(dest)
    (dest / EARLIER_REPORTS).write_text("in the way", encoding="utf-8")
    dialog = _dialog(qtbot, dest)
    _answer(monkeypatch, QMessageBox.StandardButton.Yes)
    dialog.write()
    assert not dialog.running and dialog.worker is None
    text = dialog.message.text()
    assert text.startswith(f"cannot write the report: {dest / EARLIER_REPORTS}: "), text
    assert "\n" not in text and "Errno" not in text
    assert all((dest / n).read_text(encoding="utf-8") == t for n, t in earlier.items())


def test_a_failure_is_one_line_naming_the_file_and_the_problem(
    qtbot, tmp_path: Path, monkeypatch
) -> None:
    dest = tmp_path / "reports"

    def denied(*_a: Any, **_kw: Any) -> dict:  # as AtomicFile meets a read-only folder
        raise PermissionError(13, "Permission denied", str(dest / "report.html.tmp"))

    monkeypatch.setattr(report_dialog, "write_report", denied)
    dialog = _dialog(qtbot, dest)
    dialog.write()
    qtbot.waitUntil(lambda: not dialog.running, timeout=HANG_MS)
    text = dialog.message.text()
    assert text == f"cannot write the report: {dest / 'report.html'}: permission denied", text

    monkeypatch.undo()  # the real writer, into a "folder" that is a file
    in_the_way = tmp_path / "notes.txt"
    in_the_way.write_text("not a folder", encoding="utf-8")
    dialog = _dialog(qtbot, in_the_way)
    dialog.dest.setText(str(in_the_way))  # offered the per-user folder instead; chosen again
    dialog.write()
    qtbot.waitUntil(lambda: not dialog.running, timeout=HANG_MS)
    text = dialog.message.text()
    assert text == f"cannot write the report: {in_the_way}: a file, not a folder", text
    assert "Errno" not in text


def test_the_folder_offered_first_is_off_the_evidence_medium_or_the_scans(
    qtbot, tmp_path: Path, tiny_checkpoint: Path
) -> None:
    from engine.pipeline import Analyzer

    scan = tmp_path / "evidence-scan"
    dialog = ReportDialog(scan_report_job(scan))
    qtbot.addWidget(dialog)
    assert Path(dialog.dest.text()) == scan

    folder = tmp_path / "evidence"
    folder.mkdir()
    analyzer = Analyzer([str(tiny_checkpoint)], device="cpu")
    analysis = analyzer.analyze(load_evidence(write_image(folder / "a.png")))
    dialog = ReportDialog(image_report_job(analysis))
    qtbot.addWidget(dialog)
    offered = Path(dialog.dest.text())  # off the evidence medium: the per-user folder's
    assert offered == reports_folder(folder / "a.png") and offered.name.startswith("evidence-")
    assert offered.parent == tmp_path / "user-data" / "forensic-viewer" / "reports"
    chosen = ReportDialog(image_report_job(analysis), default_dir=scan)  # the last one used
    qtbot.addWidget(chosen)
    assert Path(chosen.dest.text()) == scan
    assert reports_folder("mem.png") is None  # an image no file backs: the home folder


def _read_only(monkeypatch, folder: Path) -> None:
    """``folder`` as on a medium mounted read-only: ``statvfs`` says ``ST_RDONLY`` for it and
    what lies under it, and it is made read-only (chmod 555) as well. Root may write wherever
    the permissions say no, and ``os.access`` tells root yes even on a read-only mount, so
    only the mount's flag refuses it there (the old ``os.access`` check offered it)."""
    import os
    from types import SimpleNamespace

    folder.chmod(0o555)
    real = os.statvfs

    def statvfs(path: Any) -> Any:
        flags = real(path).f_flag
        if Path(path) == folder or folder in Path(path).parents:
            flags |= os.ST_RDONLY
        return SimpleNamespace(f_flag=flags)

    monkeypatch.setattr(os, "statvfs", statvfs)


def test_a_folder_on_read_only_evidence_is_not_offered_and_not_written(
    qtbot, tmp_path: Path, monkeypatch
) -> None:
    """A scan's output folder on a read-only medium (an image's report is no longer offered
    beside the evidence: test_the_folder_offered_first_is_off...): its report cannot be written
    there. The dialog offers the viewer's per-user reports folder instead and says why in
    one line; Write into the read-only folder is refused in one line naming it, before any
    thread starts, the fields as typed. (It had offered that folder and failed on Write.)"""
    monkeypatch.setenv("XDG_DATA_HOME", str(tmp_path / "data"))
    medium = tmp_path / "medium"
    (medium / "evidence").mkdir(parents=True)
    offered = medium / "evidence-scan"  # a scan's output folder on the read-only medium
    _read_only(monkeypatch, medium)
    try:
        dialog = ReportDialog(ReportJob(list, "a.png", "a.png.report", offered))
        qtbot.addWidget(dialog)
        instead = tmp_path / "data" / "forensic-viewer" / "reports" / "evidence-scan"
        assert Path(dialog.dest.text()) == instead
        text = dialog.message.text()
        assert text.startswith(f"{offered}: not writable (on a read-only file system in {medium}")
        assert text.endswith(f"the report goes to {instead} instead") and "\n" not in text

        dialog.examiner.setText("A. Examiner")
        dialog.notes.setPlainText("seized disk, write blocker")
        dialog.dest.setText(str(offered))  # the analyst chose it again
        dialog.write()
        assert not dialog.running and dialog.worker is None
        text = dialog.message.text()
        assert text.startswith(f"cannot write the report: {offered}: not writable"), text
        assert "\n" not in text and "Errno" not in text
        assert dialog.examiner.text() == "A. Examiner" and dialog.dest.text() == str(offered)
        assert dialog.notes.toPlainText() == "seized disk, write blocker"
        assert not offered.exists()

        dialog.dest.setText(str(instead))  # the folder offered: written there
        dialog.write()
        qtbot.waitUntil(lambda: not dialog.running, timeout=HANG_MS)
        assert (instead / "a.png.report.json").is_file(), dialog.message.text()
    finally:
        medium.chmod(0o755)


def test_a_file_where_the_report_folder_would_go_is_not_offered(
    qtbot, tmp_path: Path, monkeypatch
) -> None:
    """A file already stands at the folder offered (a scan's), so that folder cannot be made.
    The dialog offers the viewer's per-user reports folder instead, as for read-only evidence,
    and says why in one line naming the file; the file stays as it was. (It had named the file
    and offered it all the same.)"""
    monkeypatch.setenv("XDG_DATA_HOME", str(tmp_path / "data"))
    (tmp_path / "evidence").mkdir()
    offered = tmp_path / "evidence-scan"
    offered.write_text("the analyst's notes", encoding="utf-8")
    dialog = ReportDialog(ReportJob(list, "a.png", "a.png.report", offered))
    qtbot.addWidget(dialog)
    instead = tmp_path / "data" / "forensic-viewer" / "reports" / "evidence-scan"
    assert Path(dialog.dest.text()) == instead
    text = dialog.message.text()
    assert text == f"{offered}: a file, not a folder; the report goes to {instead} instead", text

    dialog.write()
    qtbot.waitUntil(lambda: not dialog.running, timeout=HANG_MS)
    assert (instead / "a.png.report.json").is_file(), dialog.message.text()
    assert offered.read_text(encoding="utf-8") == "the analyst's notes"


def test_an_image_report_lists_a_face_model_that_judged_the_faces_as_a_face_model_not_as_not_run(
    tmp_path: Path, tiny_checkpoint: Path
) -> None:
    """A face model (scope "faces") never has a whole-image result: it runs on the faces found.
    The viewer's report called it "NOT RUN ... chosen after this analysis, or could not be
    loaded" in its own section and its summary column, beside the Faces section giving its
    verdict on the face, and left it out of the Models with its θ."""
    import json

    from engine.pipeline import Analyzer
    from forensic_viewer.report import write_report
    from tests.engine.test_face_models import _face_model, _save_face_checkpoint
    from tests.engine.test_facepath import FakeDetector

    face_file = _save_face_checkpoint(tmp_path / "facer.safetensors", name="facer")
    analyzer = Analyzer(
        [str(tiny_checkpoint)],
        device="cpu",
        faces=FakeDetector((20, 10, 30, 30)),
        face_models=[_face_model(tmp_path / "loaded.safetensors", name="facer")],
    )
    analysis = analyzer.analyze(load_evidence(write_image(tmp_path / "a.png")))
    assert "facer" in analysis.faces[0].face_scores  # it judged the face
    job = image_report_job(
        analysis,
        analyzer=analyzer,
        model_paths=[str(tiny_checkpoint), str(face_file)],
        faces_checked=True,
    )
    paths = write_report(job.source(), tmp_path / "out", ["json"], basename=job.basename)
    doc = json.loads(paths["json"].read_text(encoding="utf-8"))
    (item,) = doc["items"]
    assert "facer" not in json.dumps(item.get("models", [])), "facer listed as a whole-image model"
    roles = {m["name"]: m["role"] for m in doc["models"]}
    assert roles.get("facer") == "face model"


def test_the_image_report_draws_calibrated_masks_and_says_where_the_viewer_s_slider_was(
    qtbot, tmp_path: Path, tiny_checkpoint: Path
) -> None:
    """A report stands as evidence: its masks are drawn at each model's own pixel threshold
    (the tiny checkpoint's is stored, not calibrated), which anyone repeating the analysis
    gets, and it says so for every mask. When the analyst had moved a mask's threshold slider,
    the report says which threshold the viewer showed. (It drew the model's mask and said
    neither.)"""
    import html
    import json

    from PySide6.QtCore import QSettings

    from forensic_viewer.gui.main_window import MainWindow
    from forensic_viewer.report import write_report

    settings = QSettings(str(tmp_path / "settings.ini"), QSettings.Format.IniFormat)
    window = MainWindow(models=[str(tiny_checkpoint)], device="cpu", settings=settings)
    qtbot.addWidget(window)
    window.show()
    qtbot.waitUntil(lambda: window._models_known, timeout=HANG_MS)
    open_listed(qtbot, window, [write_image(tmp_path / "a.png")])
    qtbot.waitUntil(
        lambda: window.layers is not None and bool(window.layers.of_kind("mask")), timeout=HANG_MS
    )
    source = "the pixel threshold stored in its checkpoint (not calibrated)"

    def report(dest: str) -> tuple[dict[str, Any], str]:
        dialog = window.export_report()
        assert dialog is not None
        paths = write_report(dialog.job.source(), tmp_path / dest, ["json", "html"])
        (item,) = json.loads(paths["json"].read_text(encoding="utf-8"))["items"]
        return item, html.unescape(paths["html"].read_text(encoding="utf-8"))

    item, page = report("calibrated")
    (tiny,) = item["models"]
    pt = tiny["figures"]["pixel_threshold"]
    assert tiny["mask_threshold"] == {"value": pt, "source": source, "viewer_slider": None}
    assert f"outline: mask (heatmap > {pt:.4g}), at {source}" in page
    assert "threshold slider" not in page and item["notes"] == []

    mask = window.layers["tiny mask"]  # the analyst moves the slider
    moved = 0.25 if abs(pt - 0.25) > 0.01 else 0.75
    mask.threshold = moved
    item, page = report("moved")
    (tiny,) = item["models"]
    assert tiny["mask_threshold"] == {"value": pt, "source": source, "viewer_slider": moved}
    assert f"outline: mask (heatmap > {pt:.4g}), at {source}" in page  # still the calibrated
    said = f"the viewer's threshold slider showed the mask of tiny at {moved:.4g} (stored"
    assert len(item["notes"]) == 1 and said in item["notes"][0]
    assert said in page and "Viewer's threshold slider" in page
    assert "its calibrated pixel threshold" not in page  # "its model's own", its row says which

    mask.reset_threshold()  # back at the model's own: nothing to say
    item, _ = report("reset")
    assert item["notes"] == [] and item["models"][0]["mask_threshold"]["viewer_slider"] is None


def test_the_writability_check_writes_nothing(tmp_path: Path) -> None:
    """The dialog opens beside evidence: finding out whether a folder takes the report must
    leave that folder as it was, an analyst who cancels must leave no trace (a probe file
    made and removed changed the folder's modification time)."""
    import os

    from forensic_viewer.gui.report_dialog import folder_problem

    (tmp_path / "kept.txt").write_text("x", encoding="utf-8")
    os.utime(tmp_path, ns=(1_000_000_000, 1_000_000_000))
    assert folder_problem(tmp_path / "evidence-reports") is None  # would be made in tmp_path
    assert folder_problem(tmp_path) is None
    assert [p.name for p in tmp_path.iterdir()] == ["kept.txt"]
    assert tmp_path.stat().st_mtime_ns == 1_000_000_000


def test_an_earlier_report_moved_aside_goes_back_when_the_new_one_is_not_written(
    qtbot, tmp_path: Path, monkeypatch
) -> None:
    """A write that failed (the disk full) left the folder with no report: the earlier one
    stayed in earlier-reports/ (environments walk-through 2026-12-06). It goes back now, and
    the case log records both moves."""
    from forensic_viewer.audit import LOG_NAME, AuditLog, verify_log

    dest = tmp_path / "scan"
    earlier = _earlier(dest)

    def full(source: Any, out: Path, *_: Any, **__: Any) -> dict:
        raise OSError(28, "No space left on device", str(Path(out) / "report.pdf"))

    monkeypatch.setattr(report_dialog, "write_report", full)
    log = AuditLog(tmp_path / "case", program="test")
    try:
        dialog = _dialog(qtbot, dest)
        dialog.audit_log = log
        _answer(monkeypatch, QMessageBox.StandardButton.Yes)
        dialog.write()
        qtbot.waitUntil(lambda: not dialog.running, timeout=HANG_MS)
    finally:
        log.close()
    assert all((dest / n).read_text(encoding="utf-8") == t for n, t in earlier.items())
    assert not (dest / EARLIER_REPORTS).exists()  # nor the folder the move made
    assert dialog.message.text().splitlines() == [
        f"cannot write the report: {dest / 'report.pdf'}: no space left on device",
        f"the earlier report (report.html, report.json, report_files) moved back to {dest}",
    ]
    aside, back = without_sessions(verify_log(tmp_path / "case" / LOG_NAME).entries)[-2:]
    assert (aside.action, back.action) == ("report-moved", "report-moved")
    assert back.details["from"] == aside.details["to"] and back.details["to"] == str(dest)
    assert back.details["files"] == aside.details["files"] and back.details["moved_back"]


def test_an_image_report_names_the_face_detector_the_viewer_used(
    tmp_path: Path, tiny_checkpoint: Path
) -> None:
    """``forensic-viewer analyze``'s report says which face detector ran (scan.json's
    ``faces.detector``: a "Face detector" row, and the Haar fallback named in the faces
    paragraph, not measured with the face models); the viewer's report of one image said
    nothing of it, so a Haar "face" read as one MTCNN found."""
    import json

    from engine.faces import UNMEASURED_DETECTOR
    from engine.pipeline import Analyzer
    from forensic_viewer.report import write_report
    from tests.engine.test_facepath import FakeDetector

    haar = FakeDetector((20, 10, 30, 30))
    haar.name = "haar"  # type: ignore[attr-defined]  # as the fallback FaceDetector names itself
    analyzer = Analyzer([str(tiny_checkpoint)], device="cpu", faces=haar)
    analysis = analyzer.analyze(load_evidence(write_image(tmp_path / "a.png")))
    job = image_report_job(
        analysis, analyzer=analyzer, faces_checked=True, face_detector=analyzer.faces
    )
    paths = write_report(job.source(), tmp_path / "out", ["json", "html"], basename=job.basename)
    doc = json.loads(paths["json"].read_text(encoding="utf-8"))
    assert doc["settings"]["faces"] == {"detector": "haar", "face_path": analyzer.face_path}
    html = paths["html"].read_text(encoding="utf-8")
    assert "Face detector" in html and UNMEASURED_DETECTOR in html
    assert "Face detection ran with the haar detector, not MTCNN" in html


def test_the_viewer_s_export_records_its_face_detector(qtbot, case_window, tmp_path: Path) -> None:
    """File ▸ Export report… hands the window's detector to the report (the row above)."""
    from tests.viewer.conftest import open_listed

    open_listed(qtbot, case_window, [write_image(tmp_path / "a.png")])
    qtbot.waitUntil(lambda: case_window.current_analysis() is not None, timeout=HANG_MS)
    dialog = case_window.export_report()
    assert dialog is not None
    qtbot.addWidget(dialog)
    detector = case_window.worker._detector
    assert detector is not None  # the viewer detects faces unless told not to
    assert dialog.job.source().settings["faces"]["detector"] == detector.name
