"""Classic analyses in the viewer (offscreen): run on the worker, layers, read-out, clone pairs
drawn linked, compare panes, escaped metadata in the panel, cancel, the viewer's report."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import numpy as np
import pytest
from PIL import Image
from PySide6.QtCore import QSettings, Qt

from forensic_viewer.classic_layers import AnalysisLayer
from forensic_viewer.gui.layer_visuals import PairsVisual
from forensic_viewer.gui.main_window import MainWindow
from forensic_viewer.overlays import box_centre
from forensic_viewer.report import item_from_analysis
from tests.conftest import HANG_MS
from tests.engine.analyses.conftest import jpeg_bytes, make_exif, natural
from tests.viewer.test_main_window import _settled, open_and_wait
from tests.viewer.test_scan_analyses import HOSTILE, TARGET, cloned_scene

pytestmark = pytest.mark.gui


@pytest.fixture
def window(qtbot, tmp_path: Path, tiny_checkpoint: Path) -> Iterator[MainWindow]:
    settings = QSettings(str(tmp_path / "settings.ini"), QSettings.Format.IniFormat)
    window = MainWindow(models=[str(tiny_checkpoint)], device="cpu", settings=settings)
    qtbot.addWidget(window)
    window.show()
    qtbot.waitUntil(lambda: window._models_known, timeout=HANG_MS)
    yield window


@pytest.fixture
def cloned(tmp_path: Path) -> Path:
    """The cloned scene as a JPEG whose EXIF Software field holds hostile text."""
    path = tmp_path / "cloned.jpg"
    exif = make_exif({0x0131: HOSTILE, 0x010F: "Cam", 0x0110: "X1"})
    path.write_bytes(jpeg_bytes(cloned_scene(), 92, exif=exif))
    return path


def run_and_wait(qtbot, window: MainWindow, names: list[str]) -> None:
    window.analysis_panel.set_checked(names)
    assert window.run_classic() is not None
    qtbot.waitUntil(lambda: not window.analysis_panel.running, timeout=HANG_MS)
    qtbot.waitUntil(lambda: _settled(window), timeout=HANG_MS)


def test_analyses_run_on_the_open_image_and_become_layers(
    qtbot, window: MainWindow, cloned: Path
) -> None:
    open_and_wait(qtbot, window, cloned)
    run_and_wait(qtbot, window, ["clone", "ela", "metadata"])
    names = [la.name for la in window.layers]
    assert names[:3] == ["evidence", "tiny heatmap", "tiny mask"]  # the network's stay
    assert {
        "clone map",
        "clone pairs",
        "ela map (what scans keep)",
        "ela picture (for the eye)",
    } <= set(names)
    shown = window.layers["clone map"]
    assert isinstance(shown, AnalysisLayer) and shown.visible and shown.rendered is not None
    assert window.layers.selected is shown
    controls = window.layer_panel.controls
    assert controls is not None and "1 inside a verified copy, 0 elsewhere" in controls.about.text()
    window.layers.selected = window.layers["ela map (what scans keep)"]
    about = window.layer_panel.controls.about.text()
    assert "raw values, not a probability of manipulation" in about
    analysis = window.current_analysis()  # the file's analysis carries them (reports, scans)
    assert analysis is not None and list(analysis.analyses) == ["clone", "ela", "metadata"]
    item = item_from_analysis(analysis)
    assert [a.name for a in item.analyses] == ["clone", "ela", "metadata"]
    assert item.analyses[0].record is not None and item.analyses[0].record.pairs
    assert "done in" in window.statusBar().currentMessage()
    assert not window.cancel_button.isEnabled() and not window.progress.isVisible()


def test_the_readout_reports_the_analysis_values(qtbot, window: MainWindow, cloned: Path) -> None:
    open_and_wait(qtbot, window, cloned)
    run_and_wait(qtbot, window, ["clone", "ela"])
    tx, ty, w, h = TARGET
    x, y = tx + w // 2, ty + h // 2
    window._on_hover(x + 0.5, y + 0.5)
    text = window.readout.text()
    ela = window.current_analysis().analyses["ela"].map[y, x]
    assert f"ela {ela:.3f} raw" in text
    assert "clone 1.000 region" in text
    window._on_hover(5.5, 180.5)  # far from both copies
    assert "clone 0.000 region" in window.readout.text()


def test_clone_pairs_are_drawn_linked_on_the_canvas(
    qtbot, window: MainWindow, cloned: Path
) -> None:
    open_and_wait(qtbot, window, cloned)
    run_and_wait(qtbot, window, ["clone"])
    pair = window.current_analysis().analyses["clone"].pairs[0]
    visuals = [v for v in window.canvas.visuals if isinstance(v, PairsVisual)]
    assert len(visuals) == 1
    visual = visuals[0]
    source, target = visual.boxes[0]
    assert source.rect().getRect() == pytest.approx(pair.source_box)
    assert target.rect().getRect() == pytest.approx(pair.target_box)
    line = visual.links[0].line()
    assert (line.x1(), line.y1()) == pytest.approx(box_centre(pair.source_box))
    assert (line.x2(), line.y2()) == pytest.approx(box_centre(pair.target_box))
    assert all(item.isVisible() for item in visual.items)
    window.layers["clone pairs"].visible = False
    assert not any(item.isVisible() for item in visual.items)


def test_metadata_findings_are_listed_with_hostile_text_escaped(
    qtbot, window: MainWindow, cloned: Path
) -> None:
    open_and_wait(qtbot, window, cloned)
    run_and_wait(qtbot, window, ["metadata", "clone"])
    text = window.analysis_panel.text()
    assert "metadata — " in text and "clone — 1 pair of copies" in text
    assert "software" in text and "Photoshop" in text
    assert "\u202e" not in text and "\\u202e" in text  # shown, never obeyed
    assert "<script>alert(1)</script>" in text  # plain text in the tree, not markup
    assert "pair 1: x " in text and "↔" in text


def test_compare_panes_offer_the_analyses(qtbot, window: MainWindow, cloned: Path) -> None:
    open_and_wait(qtbot, window, cloned)
    run_and_wait(qtbot, window, ["clone", "ela"])
    window.set_compare(True)
    panes = window.compare.panes
    titles = [p.title.text() for p in panes]
    assert [t.split(" — ")[-1] for t in titles[:2]] == ["original", "tiny"]
    assert [t.split(" — ")[0] for t in titles[2:]] == ["clone", "ela"]
    assert titles[3] == "ela — raw values, not a probability"
    assert titles[2] == "clone — 1 copied pair"
    kinds = sorted(type(v).__name__ for v in panes[2].canvas.visuals)
    assert kinds == ["PairsVisual", "RasterVisual", "RasterVisual"]  # image, map, pairs
    assert window.layers["ela map (what scans keep)"].visible  # every pane draws its analysis's map
    panes[0].choose("ela")  # the original pane switched to ELA
    assert panes[0].source.name == "ela"
    drawn = [v.layer.name for v in panes[0].canvas.visuals]
    assert drawn == [
        "evidence",
        "ela map (what scans keep)",
        "ela picture (for the eye)",
    ]  # the picture there, hidden
    assert [n for n in drawn if window.layers[n].visible] == [
        "evidence",
        "ela map (what scans keep)",
    ]
    window.set_compare(False)
    assert not window.layers["ela map (what scans keep)"].visible  # as it was before comparing


@pytest.mark.slow
def test_cancel_stops_the_analyses_and_adds_no_layer(
    qtbot, window: MainWindow, tmp_path: Path
) -> None:
    path = tmp_path / "big.jpg"
    path.write_bytes(jpeg_bytes(natural(768, 1024, seed=2), 90))
    open_and_wait(qtbot, window, path)
    window.analysis_panel.set_checked(["jpeg-ghost", "clone", "noise"])
    window.run_classic()
    assert window.cancel_button.isEnabled()
    status = window.analysis_panel.status
    qtbot.waitUntil(lambda: status.text().startswith("analysing big.jpg: "), timeout=HANG_MS)
    assert window.progress.isVisible()  # progress in the status bar, as for the networks
    window.cancel()  # while an analysis runs: it stops at its next step
    qtbot.waitUntil(lambda: not window.analysis_panel.running, timeout=HANG_MS)
    assert window.analysis_panel.status.text() == "big.jpg: analyses cancelled"
    assert not any(la.analysis for la in window.layers)
    assert window.current_analysis().analyses == {}
    assert not window.cancel_button.isEnabled()
    run_and_wait(qtbot, window, ["noise"])  # the worker carries on
    assert "noise map (what scans keep)" in [la.name for la in window.layers]
    assert np.isfinite(window.current_analysis().analyses["noise"].map).all()


def test_batch_scan_with_analyses_fills_their_columns_and_opens_with_their_layers(
    qtbot, window: MainWindow, cloned: Path, tmp_path: Path
) -> None:
    folder = cloned.parent / "evidence"
    folder.mkdir()
    cloned.rename(folder / "cloned.jpg")
    Image.fromarray(natural(96, 128, seed=4)).save(folder / "plain.png")
    dialog = window.open_batch()
    dialog.device.setCurrentText("cpu")
    dialog.folder.setText(str(folder))
    dialog.out.setText(str(tmp_path / "out"))
    assert dialog.analyses.checked() == []  # a scan runs classic analyses only when asked
    dialog.analyses.set_checked(["clone", "metadata"])
    dialog.start()
    assert not dialog.analyses.isEnabled()  # not changed under a running scan
    qtbot.waitUntil(lambda: dialog.summary is not None and not dialog.running, timeout=HANG_MS)
    assert dialog.summary.done == 2
    model = dialog.table_model
    headers = [c.header for c in model.columns]
    assert "copy-move analysis" in headers and "metadata (analysis)" in headers
    col = model.column_of("analysis", "clone")
    texts = {r.key: model.index(i, col).data() for i, r in enumerate(model.rows())}
    assert texts == {"cloned.jpg": "1 pair", "plain.png": "no pair"}  # not "score 0.00"
    dialog.table.sortByColumn(col, Qt.SortOrder.DescendingOrder)
    assert dialog.proxy.row_at(0).key == "cloned.jpg"
    meta = model.index(0, model.column_of("analysis", "metadata")).data()
    assert "notice" in meta or "strong" in meta

    row = next(r for r in model.rows() if r.key == "cloned.jpg")
    dialog.open_row(row)  # as a double-click: the scan's result, nothing analysed again
    path = str(folder / "cloned.jpg")
    qtbot.waitUntil(
        lambda: window.current == path and window.current_analysis() is not None, timeout=HANG_MS
    )
    names = [la.name for la in window.layers]
    assert "clone map" in names and "clone pairs" in names
    assert "clone — 1 pair of copies" in window.analysis_panel.text()
    assert "\\u202e" in window.analysis_panel.text()


def test_the_status_line_speaks_of_the_image_shown(
    qtbot, window: MainWindow, tmp_path: Path
) -> None:
    """A run's "ela done in 0.0 s" stayed under the next image shown, which had no ELA, and
    in the window's status bar, naming no file: the line is cleared on another image, and a
    run's lines name the image they ran on."""
    first, second = tmp_path / "first.jpg", tmp_path / "second.jpg"
    first.write_bytes(jpeg_bytes(natural(96, 128, seed=5), 90))
    second.write_bytes(jpeg_bytes(natural(96, 128, seed=6), 90))
    open_and_wait(qtbot, window, first)
    run_and_wait(qtbot, window, ["ela"])
    status = window.analysis_panel.status
    assert status.text().startswith("first.jpg: ela done in ")
    assert window.statusBar().currentMessage() == status.text()
    open_and_wait(qtbot, window, second)
    assert window.current == str(second)
    assert "done" not in status.text() and "ela" not in window.analysis_panel.text()
    window.show_entry(str(first))  # its results are back; its old run's line is not
    assert "ela —" in window.analysis_panel.text() and "done" not in status.text()


def test_a_classic_maps_shows_line_is_read_whole_in_a_short_window(
    qtbot, window: MainWindow, cloned: Path
) -> None:
    """At 1024 x 700 the Layers dock squeezed the ELA map's "shows" (what its values mean,
    six lines at that width) to a line and a half, cut at top and bottom: the label gets the
    height its text needs, the panels below give the room."""
    window.resize(1024, 700)
    open_and_wait(qtbot, window, cloned)
    run_and_wait(qtbot, window, ["ela"])
    picture = window.layers["ela picture (for the eye)"]  # what ELA's readers read, shown
    assert picture.visible and window.layers.selected is picture
    assert window.layer_panel.list.currentItem().text() == "ela picture (for the eye)"
    assert not window.layers["ela map (what scans keep)"].visible
    window.layers.selected = window.layers["ela map (what scans keep)"]
    controls = window.layer_panel.controls
    assert controls is not None and controls.layer.name == "ela map (what scans keep)"
    about = controls.about
    qtbot.waitUntil(lambda: about.isVisible() and about.width() > 0, timeout=5000)
    # the docks laid out again at the height the label asks for (before: never, at 18 px)
    qtbot.waitUntil(lambda: about.height() >= about.heightForWidth(about.width()), timeout=5000)
    need = about.heightForWidth(about.width())
    assert need > 3 * about.fontMetrics().height()  # several lines at this width
    assert about.height() >= need
    assert controls.opacity.isVisible() and controls.opacity.height() > 0


def test_run_buttons_wait_for_an_image(qtbot, window: MainWindow, cloned: Path) -> None:
    """Before any image the Analyses panel's "Run on this image" and the robustness probe's
    Run were enabled: the probe's did nothing when clicked, the panel's said "open an image
    first". Both are enabled once an image is shown."""
    probe = window.open_probe()
    assert not window.analysis_panel.run_button.isEnabled()
    assert not probe.run_button.isEnabled()
    open_and_wait(qtbot, window, cloned)
    window.open_probe()
    assert window.analysis_panel.run_button.isEnabled()
    assert probe.run_button.isEnabled()


def test_ela_runs_at_the_quality_the_panel_sets(qtbot, window: MainWindow, cloned: Path) -> None:
    """The viewer ran ELA at 90 only (its parameters were the Python API's); the panel's spin
    box sets its quality (Sherloq uses 75) and the result, its map's label and a report of the
    file record the value used."""
    assert window.analysis_panel.ela_quality.value() == 90  # the default stays
    window.analysis_panel.ela_quality.setValue(75)
    open_and_wait(qtbot, window, cloned)
    run_and_wait(qtbot, window, ["ela"])
    analysis = window.current_analysis()
    assert analysis is not None
    ela = analysis.analyses["ela"]
    assert ela.params["quality"] == 75 and ela.meaning is not None
    assert ela.meaning.label == "error level at JPEG quality 75"
    assert "parameters: quality 75," in window.analysis_panel.text()
    record = item_from_analysis(analysis).analyses[0].record
    assert record is not None and record.params["quality"] == 75
