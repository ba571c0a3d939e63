"""What the analyst adjusts in the viewer (a ground-truth mask, a threshold, an export's look)
is logged in the case log, kept while the window is open and stated where it goes (a
walk-through of 2026-12-06 compared them with the log, exports and reports)."""

from __future__ import annotations

import errno
import json
import logging
import os
from pathlib import Path

import cv2
import numpy as np
import pytest
from PIL import Image

from forensic_viewer import audit
from forensic_viewer.audit import AuditEntry
from forensic_viewer.audit_show import describe
from forensic_viewer.cli import main
from forensic_viewer.gui.case_log import THRESHOLD_SETTLE_MS
from forensic_viewer.gui.main_window import MainWindow
from forensic_viewer.layer_export import PNG_KEY
from forensic_viewer.model_layers import HeatmapLayer, MaskLayer
from tests.conftest import HANG_MS
from tests.viewer.conftest import write_image
from tests.viewer.test_case_log import _actions, _entries, _sha
from tests.viewer.test_main_window import open_and_wait

pytestmark = pytest.mark.gui


def _mask_file(path: Path, h: int = 96, w: int = 128) -> Path:
    mask = np.zeros((h, w), np.uint8)
    mask[20:60, 30:90] = 255
    Image.fromarray(mask, mode="L").save(path)
    return path


def test_a_ground_truth_mask_loaded_is_logged_and_checked_by_verify_files(
    qtbot, case_window: MainWindow, image_path: Path, tmp_path: Path, capsys
) -> None:
    case = tmp_path / "case"
    open_and_wait(qtbot, case_window, image_path)
    mask = _mask_file(tmp_path / "evidence_gt.png")
    case_window.load_truth(mask)
    loaded = [e for e in _entries(case) if e.action == "truth-loaded"]
    assert len(loaded) == 1
    assert loaded[0].details == {
        "path": str(image_path),
        "sha256": _sha(image_path),
        "mask": str(mask),
        "mask_sha256": _sha(mask),
        "tampered": 1,
    }
    capsys.readouterr()
    assert main(["audit", "verify", str(case), "--files"]) == 0
    assert f"OK {mask}: as entry {loaded[0].seq} recorded" in capsys.readouterr().out
    mask.write_bytes(mask.read_bytes() + b"\0")  # the mask changed after the examination
    assert main(["audit", "verify", str(case), "--files"]) == 1
    assert f"CHANGED {mask}:" in capsys.readouterr().out


def test_a_mask_that_cannot_be_read_is_not_logged(
    qtbot, case_window: MainWindow, image_path: Path, tmp_path: Path
) -> None:
    open_and_wait(qtbot, case_window, image_path)
    case_window.load_truth(tmp_path / "missing_gt.png")
    assert "truth-loaded" not in _actions(tmp_path / "case")
    assert "missing_gt.png" in case_window.statusBar().currentMessage()


def test_an_export_and_a_report_right_after_a_slider_move_are_logged_after_it(
    qtbot, case_window: MainWindow, image_path: Path, tmp_path: Path
) -> None:
    case = tmp_path / "case"
    open_and_wait(qtbot, case_window, image_path)
    qtbot.waitUntil(lambda: "analysis-finished" in _actions(case), timeout=HANG_MS)
    mask = next(la for la in case_window.layers if isinstance(la, MaskLayer))
    qtbot.waitUntil(lambda: mask.is_current, timeout=HANG_MS)
    mask.threshold = 0.3  # then at once, within the half second a move takes to settle
    exported = case_window.case.export_layer(mask, tmp_path / "mask.png")
    assert exported is not None
    actions = _actions(case)
    assert actions[-2:] == ["threshold-changed", "layer-exported"]

    mask.threshold = 0.35
    dialog = case_window.export_report()
    assert dialog is not None
    dialog.format_boxes["pdf"].setChecked(False)
    dialog.dest.setText(str(tmp_path / "reports"))
    dialog.write()
    qtbot.waitUntil(lambda: "report-exported" in _actions(case), timeout=HANG_MS)
    entries = _entries(case)
    assert [e.action for e in entries[-2:]] == ["threshold-changed", "report-exported"]
    assert entries[-2].details["to"] == pytest.approx(0.35)
    # the head the report printed holds the move it states
    assert entries[-1].details["head_in_report"] == entries[-2].hash


def _mask(window: MainWindow) -> MaskLayer:
    assert window.layers is not None
    return next(la for la in window.layers if isinstance(la, MaskLayer))


def _reanalyse(qtbot, window: MainWindow, path: Path) -> None:
    window.analyse(str(path))
    entry = window.entries[str(path)]
    qtbot.waitUntil(
        lambda: not entry.running and bool(window.layers.of_kind("mask")), timeout=HANG_MS
    )


def test_a_moved_threshold_stays_when_another_image_is_shown_and_on_analyse_again(
    qtbot, case_window: MainWindow, image_path: Path, tmp_path: Path
) -> None:
    case = tmp_path / "case"
    other = write_image(tmp_path / "other.png", seed=3)
    open_and_wait(qtbot, case_window, image_path)
    open_and_wait(qtbot, case_window, other)
    case_window.show_entry(str(image_path))
    mask = _mask(case_window)
    mask.threshold, mask.opacity, mask.fill = 0.25, 0.4, False
    heatmap = next(la for la in case_window.layers if isinstance(la, HeatmapLayer))
    heatmap.colormap, heatmap.fade = "viridis", False
    case_window.show_entry(str(other))
    assert _mask(case_window).threshold == _mask(case_window).calibrated_threshold
    case_window.show_entry(str(image_path))
    back = _mask(case_window)
    assert back is not mask  # built anew, with the analyst's settings
    assert (back.threshold, back.opacity, back.fill) == (0.25, 0.4, False)
    again = next(la for la in case_window.layers if isinstance(la, HeatmapLayer))
    assert (again.colormap, again.fade) == ("viridis", False)
    assert case_window.layers.moved_thresholds() == {back.model: 0.25}

    _reanalyse(qtbot, case_window, image_path)
    assert _mask(case_window) is not back and _mask(case_window).threshold == 0.25
    case_window.case.flush_thresholds()
    changed = [e.details for e in _entries(case) if e.action == "threshold-changed"]
    # one move logged; putting it back is no move
    assert [(c["from"], c["to"]) for c in changed] == [(back.calibrated_threshold, 0.25)]


def test_a_moved_threshold_reset_by_changed_bytes_is_logged_and_said(
    qtbot, case_window: MainWindow, tmp_path: Path
) -> None:
    case = tmp_path / "case"
    path = write_image(tmp_path / "evidence.png")
    open_and_wait(qtbot, case_window, path)
    _mask(case_window).threshold = 0.25
    case_window.case.flush_thresholds()
    write_image(path, seed=9)  # the file replaced on disk, then analysed again
    _reanalyse(qtbot, case_window, path)
    mask = _mask(case_window)
    assert mask.threshold == mask.calibrated_threshold
    changed = [e for e in _entries(case) if e.action == "threshold-changed"]
    assert len(changed) == 2
    last = changed[-1]
    assert (last.details["from"], last.details["to"]) == (0.25, mask.calibrated_threshold)
    assert last.details["sha256"] == _sha(path)
    assert "the file's bytes changed" in last.details["reason"]
    said = case_window.statusBar().history.text()  # later lines may have followed it
    assert f"{mask.name}: threshold back at its stored" in said  # the tiny one: not calibrated
    assert last.details["reason"].startswith("reset to the stored threshold: ")


def _entry(action: str, details: dict) -> AuditEntry:
    return AuditEntry(
        1, "2026-12-06T08:00:00.000000Z", action, "A. Examiner", "vm", details, "0" * 64, "1" * 64
    )


def test_audit_show_says_the_adjusted_values_before_cutting_the_line() -> None:
    long_path = "/cases/evidence/" + "a" * 120 + ".jpg"
    exported = describe(
        _entry(
            "layer-exported",
            {
                "calibrated_threshold": 0.5,
                "file": "/cases/exports/" + "m" * 60 + ".png",
                "file_sha256": "f" * 64,
                "kind": "mask",
                "layer": "crfd-net-compact mask",
                "model": "crfd-net-compact",
                "opacity": 0.9,
                "path": long_path,
                "sha256": "e" * 64,
                "threshold": 0.2,
            },
        )
    )
    assert exported.endswith("…")  # cut, and still saying the threshold drawn
    assert (
        "threshold=0.2; calibrated_threshold=0.5; opacity=0.9; layer=crfd-net-compact mask"
        in exported
    )
    model = {
        "architecture": "crfd_net",
        "checkpoint": "/models/" + "c" * 80 + ".safetensors",
        "checkpoint_sha256": "c" * 64,
        "device": "cpu",
        "forged_fraction": 0.1,
        "input_policy": {"mode": "tiles", "tile": 512, "overlap": 0.25, "model_files": None},
        "pixel_threshold": 0.5,
        "precision": "fp32",
        "probability": 0.93,
        "score": 0.97,
        "threshold": 0.61,
        "verdict": "manipulated",
    }
    finished = describe(_entry("analysis-finished", {"models": {"crfd": model}, "path": long_path}))
    assert 'verdict": "manipulated", "score": 0.97' in finished
    report = describe(
        _entry(
            "report-exported",
            {
                "entries_in_report": 9,
                "files": {"html": {"path": long_path, "sha256": "a" * 64}},
                "head_in_report": "b" * 64,
                "subject": "evidence.jpg",
            },
        )
    )
    assert f"head_in_report={'b' * 12}…; entries_in_report=9" in report


def _about(path: Path) -> dict:
    with Image.open(path) as png:
        return json.loads(png.info[PNG_KEY])


def test_an_exported_layer_says_what_shaped_it_in_the_log_and_in_the_png(
    qtbot, case_window: MainWindow, image_path: Path, tmp_path: Path
) -> None:
    open_and_wait(qtbot, case_window, image_path)
    heatmap = next(la for la in case_window.layers if isinstance(la, HeatmapLayer))
    qtbot.waitUntil(lambda: heatmap.is_current, timeout=HANG_MS)
    faded = case_window.case.export_layer(heatmap, tmp_path / "faded.png")
    heatmap.fade = False
    opaque = case_window.case.export_layer(heatmap, tmp_path / "opaque.png")
    assert faded is not None and opaque is not None
    assert faded.details["fade"] is True and opaque.details["fade"] is False
    assert faded.details["file_sha256"] != opaque.details["file_sha256"]
    assert _about(tmp_path / "opaque.png")["fade"] is False

    mask = _mask(case_window)
    mask.threshold = 0.3
    moved = case_window.case.export_layer(mask, tmp_path / "at_once.png")  # before its render
    assert moved is not None
    about = _about(tmp_path / "at_once.png")
    assert about["threshold"] == 0.3
    assert about["calibrated_threshold"] == mask.calibrated_threshold
    assert about["model"] == mask.model and about["layer"] == mask.name
    assert about["evidence_sha256"] == _sha(image_path)
    assert about["opacity"] == mask.opacity and about["program"].startswith("forensic-viewer ")
    qtbot.wait(THRESHOLD_SETTLE_MS + 100)
    later = case_window.case.export_layer(mask, tmp_path / "later.png")
    assert later is not None  # drawn at 0.3 both times, not the drawing before the move
    assert (tmp_path / "at_once.png").read_bytes() == (tmp_path / "later.png").read_bytes()


def test_a_mask_with_its_fill_unticked_is_exported_as_its_outlines(
    qtbot, case_window: MainWindow, image_path: Path, tmp_path: Path
) -> None:
    open_and_wait(qtbot, case_window, image_path)
    mask = _mask(case_window)
    mask.threshold = 0.05  # regions to outline on the tiny model's map
    qtbot.waitUntil(lambda: mask.is_current and mask.stats is not None, timeout=HANG_MS)
    assert mask.stats.outlined > 0
    mask.fill = False
    entry = case_window.case.export_layer(mask, tmp_path / "outlines.png")
    assert entry is not None and entry.details["fill"] is False
    bgra = cv2.imread(str(tmp_path / "outlines.png"), cv2.IMREAD_UNCHANGED)
    drawn = bgra[..., 3] == 255
    assert drawn.any() and set(np.unique(bgra[..., 3])) == {0, 255}
    r, g, b = mask.color
    assert (bgra[drawn][:, :3] == (b, g, r)).all()  # the contours in the mask's colour
    mask.contours = mask.boxes = False
    assert case_window.case.export_layer(mask, tmp_path / "nothing.png") is None
    said = case_window.statusBar().currentMessage()
    assert said == f"{mask.name}: draws nothing (fill, contours and boxes unticked)"


def test_a_write_that_fails_on_a_full_disk_leaves_a_lasting_mark_and_a_line_in_the_viewers_log(
    qtbot, case_window: MainWindow, image_path: Path, tmp_path: Path, monkeypatch, caplog
) -> None:
    open_and_wait(qtbot, case_window, image_path)
    assert case_window.case.not_logged is None  # logged so far: no mark

    def full(fd: int, data: bytes, path: str | Path) -> None:
        raise OSError(errno.ENOSPC, os.strerror(errno.ENOSPC), str(path))

    monkeypatch.setattr(audit, "append_whole", full)
    with caplog.at_level(logging.ERROR):
        assert case_window.case.add_note("seen on a full disk") is None
    mark = case_window.case.not_logged
    assert mark is not None and mark.text() == "Not logged"
    assert "1 action of this window not in the case log" in mark.toolTip()
    assert "No space left on device" in mark.accessibleDescription()
    # the viewer's log file keeps what was not written
    assert any(
        "not logged" in r.getMessage() and "seen on a full disk" in r.getMessage()
        for r in caplog.records
    )
    case_window.statusBar().showMessage("the next message")  # the one line is gone, the mark stays
    assert case_window.case.add_note("a second") is None
    assert case_window.case.not_logged is mark and mark.isVisibleTo(case_window)
    assert "2 actions of this window" in mark.accessibleDescription()


def test_a_layer_put_back_keeps_the_setting_made_since_the_image_was_shown_again(
    qtbot, case_window: MainWindow, image_path: Path, tmp_path: Path
) -> None:
    other = write_image(tmp_path / "other.png", seed=3)
    open_and_wait(qtbot, case_window, image_path)
    open_and_wait(qtbot, case_window, other)
    case_window.show_entry(str(image_path))
    case_window.load_truth(_mask_file(tmp_path / "evidence_gt.png"))
    (truth,) = case_window.layers.of_kind("groundtruth")
    truth.opacity = 0.8
    case_window.show_entry(str(other))
    case_window.show_entry(str(image_path))
    (truth,) = case_window.layers.of_kind("groundtruth")
    assert truth.opacity == 0.8
    truth.opacity = 0.3  # then results arrive: the layer is taken out and put back on top
    case_window._show_truth()
    assert case_window.layers.of_kind("groundtruth")[0].opacity == 0.3
