"""Ground-truth mode in the viewer (offscreen): a mask loaded or dropped becomes a layer and
fills the panel with figures that equal engine.metrics on the analysis's own maps."""

from __future__ import annotations

import csv
import json
from pathlib import Path

import numpy as np
import pytest
from PIL import Image
from PySide6.QtCore import QMimeData, QPointF, QSettings, Qt, QUrl
from PySide6.QtGui import QDropEvent

from engine.metrics import f1_iou, levels
from forensic_viewer.audit import LOG_NAME, AuditLog, file_sha256
from forensic_viewer.gui.groundtruth_panel import looks_like_mask, with_ground_truth
from forensic_viewer.gui.main_window import MainWindow
from forensic_viewer.gui.report_job import image_report_job
from forensic_viewer.model_layers import GroundTruthLayer
from forensic_viewer.report import scan_source, write_report
from forensic_viewer.scan.groundtruth import GT_NAME
from forensic_viewer.scan.triage import TRUTH_HEADERS
from forensic_viewer.wording import OUT_OF_RANGE
from tests.conftest import HANG_MS, write_rgb
from tests.viewer.test_main_window import _window, open_and_wait

pytestmark = pytest.mark.gui


@pytest.fixture
def win(qtbot, tmp_path: Path, tiny_checkpoint: Path) -> MainWindow:
    return _window(qtbot, tmp_path, [str(tiny_checkpoint)])


def _mask_file(path: Path, h: int = 96, w: int = 128) -> tuple[Path, np.ndarray]:
    path.parent.mkdir(parents=True, exist_ok=True)
    mask = np.zeros((h, w), bool)
    mask[20:60, 30:90] = True
    Image.fromarray(np.where(mask, 255, 0).astype(np.uint8), mode="L").save(path)
    return path, mask


def _drop(window: MainWindow, path: Path, shift: bool = False) -> None:
    mime = QMimeData()
    mime.setUrls([QUrl.fromLocalFile(str(path))])
    mods = Qt.KeyboardModifier.ShiftModifier if shift else Qt.KeyboardModifier.NoModifier
    event = QDropEvent(
        QPointF(10, 10), Qt.DropAction.CopyAction, mime, Qt.MouseButton.LeftButton, mods
    )
    window.dropEvent(event)


def _value(window: MainWindow, source: str, figure: str, threshold: str) -> float:
    found = [
        f
        for f in window.truth_panel.figures
        if (f.source, f.figure, f.threshold) == (source, figure, threshold)
    ]
    assert len(found) == 1
    assert found[0].value is not None
    return found[0].value


def test_the_compare_panes_take_their_figures_from_the_panels_scores(
    qtbot, win: MainWindow, image_path: Path, tmp_path: Path
) -> None:
    """Review R, finding 2: the panes scored every map again in the GUI thread on each refresh;
    the window gives them the panel's scores and retitles them when these arrive."""
    open_and_wait(qtbot, win, image_path)
    win.set_compare(True)
    win.load_truth(_mask_file(tmp_path / "masks" / "evidence.png")[0])
    qtbot.waitUntil(lambda: not win.truth_panel.scoring, timeout=HANG_MS)
    (pane,) = [p for p in win.compare.panes if p.source is not None and p.source.name == "tiny"]
    f1 = _value(
        win, "tiny", "pixel F1", f"own {win.current_analysis().results['tiny'].pixel_threshold:.3g}"
    )
    assert f"vs true mask F1 {f1:.3f}" in pane.title.text()


def test_load_mask_makes_a_layer_and_fills_the_panel(
    qtbot,
    win: MainWindow,
    image_path: Path,
    tmp_path: Path,
) -> None:
    open_and_wait(qtbot, win, image_path)
    mask_path, mask = _mask_file(tmp_path / "masks" / "evidence.png")
    win.load_truth(mask_path)
    qtbot.waitUntil(lambda: not win.truth_panel.scoring, timeout=HANG_MS)
    layers = win.layers.of_kind("groundtruth")
    assert len(layers) == 1 and isinstance(layers[0], GroundTruthLayer)
    assert np.array_equal(layers[0].truth, mask)
    assert win.layers.of_kind("mask")  # the model's own mask is still there, apart
    # results arriving again keep the same layer (and the analyst's settings) on top
    layers[0].opacity = 0.3
    win._show_truth()
    assert win.layers[len(win.layers) - 1] is layers[0] and layers[0].opacity == 0.3
    qtbot.waitUntil(lambda: not win.truth_panel.scoring, timeout=HANG_MS)
    result = win.current_analysis().results["tiny"]
    flagged = levels(result.heatmap) > 0.5 * 255
    assert _value(win, "tiny", "pixel F1", "0.5") == pytest.approx(f1_iou(flagged, mask)[0])
    own = levels(result.heatmap) > result.pixel_threshold * 255
    th = f"own {result.pixel_threshold:.3g}"
    assert _value(win, "tiny", "pixel IoU", th) == pytest.approx(f1_iou(own, mask)[1])
    table = win.truth_panel.table
    assert table.rowCount() == len(win.truth_panel.figures) >= 5
    cells = {table.item(r, 1).text() for r in range(table.rowCount())}
    assert {"pixel F1", "pixel IoU", "pixel AUC"} <= cells
    assert str(mask_path) in win.truth_panel.message.text()
    # the image's report gets a Ground truth section with these figures
    job = with_ground_truth(image_report_job(win.current_analysis()), win.truth_panel.report_data())
    paths = write_report(job.source(), tmp_path / "report", ["html", "json"], title=job.title)
    report = json.loads(paths["json"].read_text(encoding="utf-8"))
    assert report["ground_truth"]["figures"] == [f.to_json() for f in win.truth_panel.figures]
    assert '<section id="ground-truth">' in paths["html"].read_text(encoding="utf-8")


def test_an_inverted_mask_is_said_in_one_line_where_the_panel_speaks(
    qtbot, win: MainWindow, image_path: Path, tmp_path: Path
) -> None:
    """A mask saved white = authentic marks most of the image: the panel scored every map
    against it without a word, where the trainer refuses such masks and a scan warns. It says
    so now, in one line naming the mask, in its message and the report's problems; a right
    mask says nothing of the kind."""
    open_and_wait(qtbot, win, image_path)
    right, mask = _mask_file(tmp_path / "masks" / "evidence.png")
    inverted = tmp_path / "masks" / "inverted.png"
    Image.fromarray(np.where(mask, 0, 255).astype(np.uint8), mode="L").save(inverted)
    for path, looks_inverted in ((right, False), (inverted, True)):
        win.load_truth(path)
        qtbot.waitUntil(lambda: not win.truth_panel.scoring, timeout=HANG_MS)
        lines = win.truth_panel.message.text().splitlines()
        said = [ln for ln in lines if "the masks look inverted" in ln]
        assert len(said) == looks_inverted, lines
        report = win.truth_panel.report_data()
        assert report is not None and report["problems"] == said
    assert said[0].startswith(f"{inverted}: the masks look inverted: 1 of 1 mark more than half")
    assert said[0].endswith("the figures are computed against it as it is")


@pytest.mark.parametrize("saved", ["grey", "16-bit", "palette"])
def test_a_mask_of_0_and_1_is_its_1s_and_a_faint_one_is_not_scored(
    qtbot, win: MainWindow, image_path: Path, tmp_path: Path, saved: str
) -> None:
    """A mask saved as 0 and 1 (a data set's usual array dump) read as empty: the panel drew
    nothing and scored the image as authentic while scan --gt left it unscored and the trainer
    refused it. It is its 1s now, everywhere; a faint mask (0 and 100), still read as empty, is
    not scored by the panel either, in the scan's own line."""
    open_and_wait(qtbot, win, image_path)
    _, mask = _mask_file(tmp_path / "masks" / "right.png")
    ones = tmp_path / "masks" / "ones.png"
    if saved == "grey":
        Image.fromarray(mask.astype(np.uint8), mode="L").save(ones)
    elif saved == "16-bit":
        Image.fromarray(mask.astype(np.uint16)).save(ones)
    else:  # as Image.fromarray(a, "P") saves a 0/1 array: a palette of black alone
        Image.frombytes("P", mask.shape[::-1], mask.astype(np.uint8).tobytes()).save(ones)
    win.load_truth(ones)
    qtbot.waitUntil(lambda: not win.truth_panel.scoring, timeout=HANG_MS)
    (layer,) = win.layers.of_kind("groundtruth")
    assert np.array_equal(layer.truth, mask)
    assert "(tampered, sha256" in win.truth_panel.message.text()
    assert win.truth_panel.figures and win.truth_panel.report_data() is not None
    faint = tmp_path / "masks" / "faint.png"
    Image.fromarray(mask.astype(np.uint8) * 100, mode="L").save(faint)
    win.load_truth(faint)
    qtbot.waitUntil(lambda: not win.truth_panel.scoring, timeout=HANG_MS)
    assert win.truth_panel.message.text() == (
        f"{faint}: ground-truth mask not scored: its brightest value is 100; only values above "
        "127 count as tampered; read as empty it would count its image as authentic, and "
        "forensic-train refuses it too; save the tampered region as 255"
    )
    assert win.truth_panel.figures == [] and win.truth_panel.table.rowCount() == 0
    assert win.truth_panel.report_data() is None


def test_a_mask_loaded_in_compare_mode_gets_its_pane(
    qtbot, win: MainWindow, image_path: Path, tmp_path: Path
) -> None:
    """Compare mode had no pane for the loaded true mask, and no pane's chooser offered it."""
    open_and_wait(qtbot, win, image_path)
    win.set_compare(True)
    assert not any(p.source.name == "ground truth" for p in win.compare.panes)
    mask_path, _mask = _mask_file(tmp_path / "masks" / "evidence.png")
    win.load_truth(mask_path)
    (pane,) = [p for p in win.compare.panes if p.source.name == "ground truth"]
    (truth,) = win.layers.of_kind("groundtruth")
    assert [v.layer for v in pane.canvas.visuals if v.layer.kind != "image"] == [truth]
    qtbot.waitUntil(lambda: not win.truth_panel.scoring, timeout=HANG_MS)


def test_a_dropped_mask_is_ground_truth_and_an_image_still_opens(
    qtbot,
    win: MainWindow,
    image_path: Path,
    tmp_path: Path,
) -> None:
    open_and_wait(qtbot, win, image_path)
    mask, _ = _mask_file(tmp_path / "evidence_gt.png")
    assert looks_like_mask(mask) and not looks_like_mask(image_path)
    _drop(win, mask)
    qtbot.waitUntil(lambda: not win.truth_panel.scoring, timeout=HANG_MS)
    assert win.layers.of_kind("groundtruth")
    assert str(mask) not in win.entries  # not opened as evidence
    small, _ = _mask_file(tmp_path / "small_gt.png", 48, 64)  # half size: refused, not resized
    _drop(win, small)
    assert str(small) in win.statusBar().currentMessage()
    assert "64x48 but its image is 128x96" in win.statusBar().currentMessage()
    broken = tmp_path / "broken_mask.png"
    broken.write_bytes(b"no image")
    _drop(win, broken)
    assert str(broken) in win.statusBar().currentMessage()
    assert win.layers.of_kind("groundtruth")  # the earlier mask stays
    # Shift forces a mask; an ordinary image dropped without it opens as evidence
    other = tmp_path / "other.png"
    Image.fromarray(np.zeros((96, 128), np.uint8), mode="L").save(other)
    _drop(win, other, shift=True)
    qtbot.waitUntil(lambda: not win.truth_panel.scoring, timeout=HANG_MS)
    assert str(other) not in win.entries
    assert win.truth_panel.figures and all(
        f.figure == "flagged share" or f.figure == "pixel AUC" for f in win.truth_panel.figures
    )  # an all-zero mask: authentic, F1/IoU undefined
    _drop(win, other)  # opened as evidence once its listing (off the GUI thread) is back
    qtbot.waitUntil(lambda: str(other) in win.entries, timeout=HANG_MS)


def test_the_ground_truth_layer_has_no_threshold_to_move(qtbot) -> None:
    """A true mask is drawn as loaded: its controls offer opacity, its figures and what to
    draw, but no threshold slider or "calibrated"/"stored" reset (a model's mask keeps them)."""
    from PySide6.QtWidgets import QPushButton

    from forensic_viewer.gui.layer_panel import LayerControls

    truth = np.zeros((20, 30), bool)
    truth[5:10, 5:15] = True
    controls = LayerControls(GroundTruthLayer(truth))
    qtbot.addWidget(controls)
    assert controls.threshold is None and controls.threshold_spin is None
    resets = ("calibrated", "stored")
    assert not [b for b in controls.findChildren(QPushButton) if b.text().startswith(resets)]
    assert controls.stats is not None and controls.show_contours is not None
    controls.show_fill.setChecked(True)  # drawing options still reach the layer
    assert controls.layer.fill is True


def test_the_batch_dialog_scores_a_finished_scan_against_a_mask_folder(
    qtbot, tmp_path: Path, tiny_checkpoint: Path
) -> None:
    """File ▸ Scan a folder… with "Ground truth" checked: off by default, a wrong folder
    refused before any analysis, then the files scan --gt writes (groundtruth.json, gt.*
    columns), the report's source, the dialog's message and the case log's scan-started."""
    settings = QSettings(str(tmp_path / "settings.ini"), QSettings.Format.IniFormat)
    log = AuditLog(tmp_path / "case", program="test viewer", examiner="A. Examiner")
    window = MainWindow(
        models=[str(tiny_checkpoint)], device="cpu", settings=settings, case_log=log
    )
    qtbot.addWidget(window)
    root = tmp_path / "data"
    (root / "Tp").mkdir(parents=True)
    for i, name in enumerate(("a", "b")):
        write_rgb(root / "Tp" / f"{name}.png", 40, 48, seed=i)
    _, truth = _mask_file(root / "Gt" / "a_gt.png", 40, 48)
    (root / "Gt" / "b.png").write_bytes(b"not a mask")  # a problem, one line naming it
    dialog = window.open_batch()
    dialog.folder.setText(str(root / "Tp"))
    out = tmp_path / "scan"
    dialog.out.setText(str(out))
    assert dialog.truth.path() is None and not dialog.truth.folder.isEnabled()  # off

    dialog.truth.enabled.setChecked(True)
    assert dialog.truth.folder.isEnabled()
    dialog.start()  # checked with no folder: said, nothing started
    assert not dialog.running and "ground-truth folder" in dialog.message.text()
    dialog.truth.folder.setText(str(tmp_path / "nowhere"))
    dialog.start()
    qtbot.waitUntil(lambda: not dialog.running, timeout=HANG_MS)
    assert dialog.message.text().startswith(str(tmp_path / "nowhere"))
    assert "no such ground-truth folder" in dialog.message.text()
    assert not (out / "results.jsonl").exists()  # refused before any analysis

    dialog.truth.folder.setText(str(root))
    dialog.start()
    assert not dialog.truth.isEnabled()  # fixed while the scan runs
    qtbot.waitUntil(lambda: dialog.summary is not None and not dialog.running, timeout=HANG_MS)
    gt = json.loads((out / GT_NAME).read_text())
    assert gt["source"] == str(root) and [f["path"] for f in gt["files"]] == ["a.png"]
    assert any(str(root / "Gt" / "b.png") in p for p in gt["problems"])
    heat = np.asarray(Image.open(out / _record(out, "a.png")["models"]["tiny"]["heatmap"]))
    want = f1_iou(heat / 255 > 0.5, truth)[0]
    assert gt["files"][0]["maps"]["tiny"]["0.5"]["f1"] == pytest.approx(want)
    with open(out / "results.csv", newline="", encoding="utf-8") as f:
        rows = {r["path"]: r for r in csv.DictReader(f)}
    assert float(rows["a.png"]["gt.tiny.f1@0.5"]) == pytest.approx(want, abs=1e-6)
    assert scan_source(out).ground_truth == gt  # the scan's report gets its section
    text = dialog.message.text()
    assert "ground truth: 1 image(s) scored" in text and str(root / "Gt" / "b.png") in text
    assert "pooled" in dialog.message.toolTip()  # every figure, with its convention
    lines = [json.loads(x) for x in (tmp_path / "case" / LOG_NAME).read_text().splitlines()]
    started = [x["details"] for x in lines if x["action"] == "scan-started"]
    assert started[-1]["gt"] == str(root)
    finished = next(x for x in reversed(lines) if x["action"] == "scan-finished")["details"]
    assert finished["results_sha256"]["results.csv"] == file_sha256(out / "results.csv")

    model = dialog.table_model  # the triage table: the label and the default verdict against it
    assert [c.header for c in model.columns][3:6] == ["Status", *TRUTH_HEADERS]
    where = {model.row_at(i).key: i for i in range(model.rowCount())}

    def cell(key: str, column: str) -> str:
        return model.data(model.index(where[key], model.column_of(column)))

    flagged = model.row_at(where["a.png"]).flagged
    assert cell("a.png", "truth") == "tampered"
    assert cell("a.png", "agreement") == ("agrees" if flagged else "missed")
    assert (cell("b.png", "truth"), cell("b.png", "agreement")) == ("no mask", "—")  # unreadable
    tip = model.index(where["a.png"], model.column_of("agreement"))
    verdict = "flagged as manipulated" if flagged else "not flagged"
    if model.row_at(where["a.png"]).flagged_out_of_range:  # the tiny model on a small image
        verdict += f" only by verdicts {OUT_OF_RANGE}"
    assert model.data(tip, Qt.ItemDataRole.ToolTipRole) == (
        f"default verdict {verdict}; ground truth tampered"
    )
    dialog.proxy.set_text("no mask")
    assert dialog.proxy.rowCount() == 1 and dialog.proxy.row_at(0).key == "b.png"
    dialog.proxy.set_text("")
    dialog.truth.enabled.setChecked(False)  # the same scan again, without ground truth
    dialog.start()
    qtbot.waitUntil(lambda: dialog.summary is not None and not dialog.running, timeout=HANG_MS)
    assert not set(TRUTH_HEADERS) & {c.header for c in model.columns}
    assert model.rowCount() == 2
    dialog.shutdown()


def _record(out: Path, key: str) -> dict:
    rows = (json.loads(x) for x in (out / "results.jsonl").read_text().splitlines())
    return next(r for r in rows if r["path"] == key)


def test_the_batch_dialog_passes_over_the_masks_of_its_ground_truth(
    qtbot, tmp_path: Path, tiny_checkpoint: Path, monkeypatch
) -> None:
    """A BenCo folder scanned whole (sub-folders included) against its own masks: the
    listing says the masks are passed over, no row of the table or results.jsonl is a mask
    (a file of Gt/ that matches no image neither), and the images are scored as scan --gt
    scores them."""
    from forensic_viewer.gui.batch_dialog import BatchDialog

    root = tmp_path / "data"
    (root / "Tp").mkdir(parents=True)
    (root / "Au").mkdir()
    write_rgb(root / "Tp" / "a.png", 40, 48, seed=1)
    write_rgb(root / "Au" / "f.png", 40, 48, seed=2)
    _mask_file(root / "Gt" / "a_gt.png", 40, 48)
    _mask_file(root / "Gt" / "zz.png", 40, 48)  # a mask of no image: no evidence either
    dialog = BatchDialog(models=[str(tiny_checkpoint)], device="cpu")
    qtbot.addWidget(dialog)
    dialog.folder.setText(str(root))
    out = tmp_path / "scan"
    dialog.out.setText(str(out))
    dialog.recursive.setChecked(True)
    dialog.truth.enabled.setChecked(True)
    dialog.truth.folder.setText(str(root))
    shown: list[str] = []
    monkeypatch.setattr(
        dialog, "show_message", lambda text: (shown.append(text), dialog.message.setText(text))
    )
    dialog.start()
    qtbot.waitUntil(lambda: dialog.summary is not None and not dialog.running, timeout=HANG_MS)
    listed = next(m for m in shown if m.startswith("2 files to scan"))
    assert "(2 ground-truth masks are passed over, not analysed as evidence)" in listed, shown
    assert sorted(r.key for r in dialog.table_model.rows()) == ["Au/f.png", "Tp/a.png"]
    rows = [json.loads(x) for x in (out / "results.jsonl").read_text().splitlines()]
    assert sorted(r["path"] for r in rows) == ["Au/f.png", "Tp/a.png"]
    gt = json.loads((out / GT_NAME).read_text())
    assert sorted(f["path"] for f in gt["files"]) == ["Au/f.png", "Tp/a.png"]
    dialog.shutdown()
