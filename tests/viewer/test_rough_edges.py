"""Issue 21's rough edges in the viewer (offscreen): the magnifier's modes and its refresh on a
new image, the read-out beside the status messages, compare mode within the screen, face labels
inside the image."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pytest
from PySide6.QtCore import QPoint, QPointF

from forensic_viewer.gui.inspector import LoupeMode, ReadoutField, loupe_patch, stretch_channels
from forensic_viewer.layers import build_layers
from forensic_viewer.wording import verdict_words
from tests.conftest import HANG_MS
from tests.viewer.conftest import write_image
from tests.viewer.test_main_window import _window, open_and_wait

pytestmark = pytest.mark.gui


@pytest.fixture
def window(qtbot, tmp_path: Path, tiny_checkpoint: Path):
    return _window(qtbot, tmp_path, [str(tiny_checkpoint)])


def _shown(window) -> np.ndarray:
    """The magnifier's pixmap as RGB [H, W, 3]."""
    from tests.viewer.test_main_window import pixels

    return pixels(window.magnifier)[..., 2::-1]


# --- the magnifier -------------------------------------------------------------------------


def test_stretch_maps_the_percentiles_to_the_full_range_per_channel() -> None:
    rng = np.random.default_rng(0)
    patch = np.stack(
        [rng.integers(100, 121, (31, 31)), rng.integers(0, 256, (31, 31)), np.full((31, 31), 7)],
        -1,
    ).astype(np.uint8)
    out = stretch_channels(patch)
    assert out[..., 0].min() == 0 and out[..., 0].max() == 255  # 20 levels spread out
    assert np.ptp(out[..., 0].astype(int)) > 5 * np.ptp(patch[..., 0].astype(int))
    assert (out[..., 2] == 7).all()  # a flat channel is left alone
    order = np.argsort(patch[..., 0].ravel(), kind="stable")
    assert np.all(np.diff(out[..., 0].ravel()[order].astype(int)) >= 0)  # order kept


def test_raw_mode_shows_the_evidence_pixels_not_the_overlays(
    qtbot, window, image_path: Path
) -> None:
    open_and_wait(qtbot, window, image_path)
    assert window.loupe.mode is LoupeMode.RAW  # the default
    heat = window.layers["tiny heatmap"]
    assert heat.visible and heat.opacity > 0  # an overlay is drawn on the canvas
    evidence = window.layers.image.pixels
    r = window.loupe.RADIUS
    raw = loupe_patch(window.layers, 40.5, 30.5, r, LoupeMode.RAW)
    np.testing.assert_array_equal(raw, evidence[30 - r : 31 + r, 40 - r : 41 + r])
    overlaid = loupe_patch(window.layers, 40.5, 30.5, r, LoupeMode.OVERLAYS)
    assert np.abs(overlaid.astype(int) - raw.astype(int)).max() > 10
    enhanced = loupe_patch(window.layers, 40.5, 30.5, r, LoupeMode.ENHANCED)
    assert not np.array_equal(enhanced, raw)

    window._on_hover(40.5, 30.5)
    zoom = window.magnifier.ZOOM
    shown = _shown(window)
    # nearest-neighbour enlargement: every screen block is one evidence pixel, unchanged
    # (away from the cursor box drawn around the centre pixel)
    for dy, dx in [(-10, -10), (-10, 7), (9, -3), (12, 12)]:
        y, x = (r + dy) * zoom, (r + dx) * zoom
        block = shown[y : y + zoom, x : x + zoom].reshape(-1, 3)
        assert (block == evidence[30 + dy, 40 + dx]).all()
    assert "raw evidence pixels" in window.loupe.caption.text()

    window.loupe.set_mode(LoupeMode.ENHANCED)  # redrawn at once, captioned as not the evidence
    y, x = (r - 10) * zoom, (r - 10) * zoom
    assert (_shown(window)[y, x] == enhanced[r - 10, r - 10]).all()
    assert "not the evidence values" in window.loupe.caption.text()


def test_the_layers_magnifier_follows_the_layers_as_the_canvas_does(
    qtbot, window, image_path: Path
) -> None:
    """With the visible layers, the magnifier blended the layers as they were when the cursor
    last moved: a heatmap or mask hidden, a mask's fill turned off or an opacity changed in
    the layer panel stayed in the close-up, beside a canvas that no longer showed it, until
    the cursor moved over the canvas again."""
    open_and_wait(qtbot, window, image_path)
    window.loupe.set_mode(LoupeMode.OVERLAYS)
    r, zoom = window.loupe.RADIUS, window.magnifier.ZOOM
    window._on_hover(40.5, 30.5)  # the cursor stops there; nothing below moves it
    evidence = window.layers.image.pixels
    y, x = (r - 10) * zoom, (r - 10) * zoom  # a pixel away from the cursor box

    def shown_is(patch: np.ndarray) -> bool:
        return bool((_shown(window)[y, x] == patch[r - 10, r - 10]).all())

    assert not shown_is(evidence[30 - r : 31 + r, 40 - r : 41 + r])  # overlays drawn
    for la in window.layers:
        if la.kind != "image":
            la.visible = False
    assert shown_is(evidence[30 - r : 31 + r, 40 - r : 41 + r])  # what the canvas shows now
    heat = window.layers["tiny heatmap"]
    heat.visible = True
    heat.opacity = 0.9
    assert shown_is(loupe_patch(window.layers, 40.5, 30.5, r, LoupeMode.OVERLAYS))
    window.loupe.set_mode(LoupeMode.RAW)
    heat.opacity = 0.3  # the raw close-up has no layers to follow
    assert shown_is(evidence[30 - r : 31 + r, 40 - r : 41 + r])


def _shows_around(window, evidence: np.ndarray, col: int, row: int) -> bool:
    """Whether the magnifier shows the raw pixels of ``evidence`` around (col, row) (away from
    the cursor box drawn around the centre pixel)."""
    r, zoom, shown = window.loupe.RADIUS, window.magnifier.ZOOM, _shown(window)
    offsets = [(-10, -10), (-10, 7), (9, -3), (12, 12)]
    return all(
        (shown[(r + dy) * zoom, (r + dx) * zoom] == evidence[row + dy, col + dx]).all()
        for dy, dx in offsets
    )


def test_the_magnifier_shows_a_new_image_at_once_its_centre_until_the_cursor_comes(
    qtbot, window, image_path: Path
) -> None:
    open_and_wait(qtbot, window, image_path)  # the cursor never moved over the canvas
    assert not window.magnifier.pixmap().isNull()
    assert _shows_around(window, window.layers.image.pixels, 64, 48)  # 128 x 96: the centre
    assert window.readout.text().startswith("x 64  y 48")  # the same point, said


def test_magnifier_and_readout_leave_the_previous_image_when_the_image_changes(
    qtbot, window, tmp_path: Path, image_path: Path
) -> None:
    second = write_image(tmp_path / "second.png", h=64, w=80, seed=5)
    open_and_wait(qtbot, window, image_path)
    open_and_wait(qtbot, window, second)
    window.show_entry(str(image_path))
    window._on_hover(20.5, 10.5)
    assert window.readout.text().startswith("x 20  y 10")
    assert not window.magnifier.pixmap().isNull()
    window.show_entry(str(second))  # the cursor has not moved: nothing of the first image stays
    assert window.readout.text().startswith("x 40  y 32")  # the second image's centre
    assert _shows_around(window, window.entries[str(second)].evidence.pixels, 40, 32)
    window._on_hover(20.5, 10.5)
    patch = loupe_patch(window.layers, 20.5, 10.5, window.loupe.RADIUS, LoupeMode.RAW)
    r = window.loupe.RADIUS
    np.testing.assert_array_equal(
        patch[r - 5 : r + 6, r - 5 : r + 6],
        window.entries[str(second)].evidence.pixels[5:16, 15:26],
    )


# --- the status bar ------------------------------------------------------------------------


def test_readout_and_status_message_do_not_hide_each_other(qtbot, window, image_path: Path) -> None:
    open_and_wait(qtbot, window, image_path)
    window.resize(1000, 700)
    qtbot.wait(50)
    width_before = window.minimumSizeHint().width()
    long = "   ".join(["x 10  y 20", "RGB 1 2 3"] + [f"model-{i} 0.{i:03d}" for i in range(60)])
    window.readout.setText(long)
    window.statusBar().showMessage("analysing evidence.png: tiny (1/1), 3/9 windows")
    qtbot.wait(50)
    assert isinstance(window.readout, ReadoutField)
    assert window.readout.text() == long and window.readout.toolTip() == long
    shown = window.readout.shown_text()
    assert shown.endswith("…") and shown.startswith("x 10  y 20")  # cut at the end, not lost
    assert window.minimumSizeHint().width() == width_before  # a long read-out never widens
    bar = window.statusBar()
    room = window.readout.geometry().left()  # the temporary message is drawn left of it
    assert room >= bar.fontMetrics().horizontalAdvance(bar.currentMessage())
    assert window.readout.isVisible()


# --- compare mode --------------------------------------------------------------------------


def test_compare_mode_fits_the_screen_with_many_panes(
    qtbot, tmp_path: Path, tiny_checkpoint: Path
) -> None:
    from engine.checkpoints import load_checkpoint, save_checkpoint

    paths = [str(tiny_checkpoint)]
    loaded = load_checkpoint(tiny_checkpoint)
    for i in range(3):
        loaded.meta.name = f"a-model-with-a-rather-long-name-{i}"
        paths.append(
            str(save_checkpoint(tmp_path / f"m{i}.safetensors", loaded.model, loaded.meta))
        )
    window = _window(qtbot, tmp_path, paths)
    image = write_image(tmp_path / "wide.png", h=60, w=400)
    open_and_wait(qtbot, window, image)
    available = window.screen().availableGeometry()
    window.set_compare(True)
    qtbot.wait(100)
    assert len(window.compare.panes) == 5
    assert window.minimumSizeHint().width() <= available.width()
    assert window.minimumSizeHint().height() <= available.height()
    frame = window.frameGeometry()
    assert frame.width() <= available.width() and frame.height() <= available.height()


def test_compare_panes_show_the_whole_image_fitted_once_laid_out_until_navigated(
    qtbot, window, tmp_path: Path
) -> None:
    """Each pane was fitted when it was made, before the grid gave it its size: once laid out
    (and linked), the panes showed the image smaller than they could (on a 1400 x 900 window
    with five panes, at less than half its size) until the analyst pressed Fit."""
    image = write_image(tmp_path / "photo.png", h=960, w=1280)
    window.resize(1400, 900)
    open_and_wait(qtbot, window, image)
    window.analysis_panel.set_checked(["ela", "noise", "clone"])
    window.run_classic()
    qtbot.waitUntil(lambda: not window.analysis_panel.running, timeout=HANG_MS)
    window.set_compare(True)
    panes = window.compare.panes
    assert len(panes) == 5
    # laid out: shown, and no longer the 640 x 480 of a widget that no layout has sized yet
    qtbot.waitUntil(lambda: all(p.canvas.isVisible() and p.canvas.width() < 640 for p in panes))

    def fitted(view) -> bool:
        (x0, x1), (y0, y1) = view.viewRange()
        whole = x0 <= 0.5 and x1 >= 1279.5 and y0 <= 0.5 and y1 >= 959.5
        return whole and min((x1 - x0) / 1280, (y1 - y0) / 960) < 1.01  # fills one side

    qtbot.waitUntil(lambda: all(fitted(p.canvas.view) for p in panes), timeout=5_000)
    window.zoom(2.0)  # navigated: a resize no longer fits the panes again
    qtbot.waitUntil(lambda: not any(fitted(p.canvas.view) for p in panes), timeout=5_000)
    assert not any(p.canvas.fitted for p in panes)
    window.fit()
    qtbot.waitUntil(lambda: all(fitted(p.canvas.view) for p in panes), timeout=5_000)


def test_compare_panes_made_again_keep_the_region_the_analyst_zoomed_to(
    qtbot, window, image_path: Path
) -> None:
    """The panes are made again whenever results or classic analyses arrive for the image or
    the original is shown or hidden; each new pane was fitted, so the analyst comparing the
    networks at 400 % was thrown back to the whole image."""
    from PySide6.QtCore import QRectF

    open_and_wait(qtbot, window, image_path)  # 128 x 96
    window.set_compare(True)
    panes = window.compare.panes
    qtbot.waitUntil(lambda: all(p.canvas.isVisible() and p.canvas.width() < 640 for p in panes))
    panes[1].canvas.show_region(QRectF(40, 30, 20, 15))  # as a wheel zoom there does
    window.original_action.trigger()  # the original hidden: the panes are made again
    assert window.compare.panes and window.compare.panes[0] is not panes[0]
    panes = window.compare.panes
    qtbot.waitUntil(lambda: all(p.canvas.isVisible() and p.canvas.width() < 640 for p in panes))
    for pane in panes:
        (x0, x1), (y0, y1) = pane.canvas.view.viewRange()
        # the region is in view, and the pane still zoomed in on it (its shape may differ,
        # so one side may show more), not fitted to the whole 128 x 96 again
        assert x0 <= 40.5 and x1 >= 59.5 and y0 <= 30.5 and y1 >= 44.5
        assert x1 - x0 < 64 or y1 - y0 < 48
        assert not pane.canvas.fitted


def test_a_compare_panes_title_shows_the_verdict_and_score_whole(
    qtbot, window, tmp_path: Path
) -> None:
    """Beside the chooser, a pane's title had what the chooser left: on a 1400 x 900 window
    with five panes, "AUTHENTIC · score 0.388 — …" was cut, with no ellipsis, to "AUTHENTIC ·
    score 0", which reads as a score of zero. The title has the pane's width, on its own line,
    and says where it is cut."""
    open_and_wait(qtbot, window, write_image(tmp_path / "photo.png", h=240, w=320))
    window.analysis_panel.set_checked(["ela", "noise", "clone"])
    window.run_classic()
    qtbot.waitUntil(lambda: not window.analysis_panel.running, timeout=HANG_MS)
    for dock in window.docks.values():  # the panes as wide as on a large screen's window
        dock.hide()
    window.set_compare(True)
    panes = window.compare.panes
    assert len(panes) == 5
    qtbot.waitUntil(lambda: all(p.canvas.isVisible() and p.canvas.width() < 640 for p in panes))
    result = window.current_analysis().results["tiny"]
    title = next(p.title for p in panes if p.source.name == "tiny")
    lead = f"{verdict_words(result.verdict)} · score {result.score:.3f}"
    assert title.text().startswith(lead)
    assert title.fontMetrics().horizontalAdvance(lead) <= title.contentsRect().width()
    assert title.toolTip() == title.text()
    long = next(p.title for p in panes if p.source.name == "ela")
    more = " and a great deal more that no pane is wide enough to show" * 8  # over 6 lines
    long.setText(long.text() + more)
    assert long.shown_text().endswith("…")  # cut, and saying so


def test_face_labels_stay_inside_the_image(qtbot) -> None:
    from PySide6.QtCore import QRectF

    from engine.types import FaceRegion
    from forensic_viewer.gui.canvas import Canvas
    from forensic_viewer.gui.layer_visuals import FacesVisual
    from forensic_viewer.model_layers import FacesLayer
    from tests.conftest import memory_evidence

    scores = {f"model-{i}": 0.1 * i for i in range(8)}  # a long label
    faces = [
        FaceRegion(box=(2, 0, 30, 30), confidence=0.99, scores=scores),  # at the top edge
        FaceRegion(box=(170, 96, 28, 24), confidence=0.5, scores=scores),  # bottom-right corner
    ]
    layers = build_layers(memory_evidence(np.zeros((120, 200, 3), np.uint8)))
    layers.append(FacesLayer(faces))
    canvas = Canvas()
    qtbot.addWidget(canvas)
    canvas.resize(400, 240)
    canvas.show()
    canvas.set_layers(layers)
    qtbot.wait(50)
    visual = next(v for v in canvas.visuals if isinstance(v, FacesVisual))
    image = QRectF(0, 0, 200, 120)

    def placed() -> list[QRectF]:
        visual.place_labels()
        return [
            canvas.view.mapSceneToView(label.sceneBoundingRect()).boundingRect()
            for label, _, _ in visual.labels
        ]

    for rect in placed():
        assert image.adjusted(-0.5, -0.5, 0.5, 0.5).contains(rect), rect
    label, _, full = visual.labels[0]
    assert label.toolTip() == full
    assert label.textItem.toPlainText() != full and label.textItem.toPlainText().endswith("…")
    canvas.view.setRange(QRectF(0, 0, 60, 36), padding=0.0)  # zoomed on the first face
    qtbot.wait(50)
    rect = placed()[0]
    assert rect.top() >= -0.5 and rect.left() >= 1.5  # inside the box, not above the image


def test_a_map_of_cells_is_drawn_where_the_readout_reads_it_when_the_image_is_not_whole_cells(
    qtbot,
) -> None:
    """A classic analysis's map of one value per 32 x 32 pixels over a 70 x 100 image has
    ceil-many cells, the last ones cut by the border (3 x 4 cells, 6 and 4 pixels in the last
    column and row). Stretched over the image, every cell was drawn 23.3 x 25 pixels, so at
    high zoom the canvas showed a cell's colour up to 16 pixels away from where the read-out
    and the magnifier put that cell's value."""
    from PySide6.QtCore import QRectF

    from engine.analyses.base import MapMeaning, MapScale
    from forensic_viewer.classic_layers import AnalysisMapLayer
    from forensic_viewer.gui.canvas import Canvas
    from tests.conftest import memory_evidence

    h, w, cell = 100, 70, 32
    values = (np.arange(12, dtype=np.float32).reshape(4, 3) + 1) / 12
    layers = build_layers(memory_evidence(np.zeros((h, w, 3), np.uint8)))
    meaning = MapMeaning(scale=MapScale.RAW, label="test", unit="u", high="high")
    layer = AnalysisMapLayer(
        "noise: sigma", values, analysis="noise", meaning=meaning, cell=cell, opacity=1.0,
        visible=True, colormap="gray",
    )  # fmt: skip
    layers.append(layer)
    for la in layers:
        job = la.render_job()
        la.apply_render(job.version, job.fn())
    canvas = Canvas()
    qtbot.addWidget(canvas)
    canvas.resize(4 * w, 4 * h)
    canvas.show()
    canvas.set_layers(layers)
    canvas.view.setRange(QRectF(0, 0, w, h), padding=0.0)
    qtbot.wait(50)
    shot = canvas.grab().toImage()
    raster = layer.raster()
    assert raster is not None
    wrong = []
    for y in range(h):
        for x in range(w):
            at = canvas.mapFromScene(canvas.view.mapViewToScene(QPointF(x + 0.5, y + 0.5)))
            drawn = shot.pixelColor(at).red()
            expected = int(raster[y // cell, x // cell, 2])  # BGRA: red
            if abs(drawn - expected) > 2:
                wrong.append((x, y, drawn, expected))
    assert not wrong, f"{len(wrong)} pixels drawn with another cell's value, e.g. {wrong[:3]}"


def test_a_long_status_message_is_cut_with_an_ellipsis_and_whole_in_its_tooltip(
    qtbot, window
) -> None:
    """Qt drew the status message itself and cut it at the read-out with no ellipsis: after
    a Cancel "… no default verdi" lost "and 1 other file cancelled" and nothing said so."""
    window.resize(900, 600)
    qtbot.wait(50)
    long = "photo.png: analysis cancelled: kept " + "; ".join(
        f"model-{i} partial ({i} % of the image) — no verdict" for i in range(8)
    )
    bar = window.statusBar()
    bar.showMessage(long)
    qtbot.wait(50)
    shown_at = bar.childAt(QPoint(8, bar.height() // 2))  # where the message stands
    assert shown_at is not None and shown_at.toolTip() == long
    assert shown_at.geometry().right() < window.readout.geometry().left()  # beside the read-out
    assert shown_at.shown_text().endswith("…") and long.startswith(shown_at.shown_text()[:-1])
    assert bar.currentMessage() == long
    bar.showMessage("short")
    assert shown_at.shown_text() == "short" and shown_at.toolTip() == "short"
    bar.clearMessage()
    assert bar.currentMessage() == ""


def test_the_magnifiers_caption_is_read_whole_in_a_window_smaller_than_1600_by_1000(
    qtbot, window
) -> None:
    """Below the patch, the caption saying what the magnifier shows was cut mid-line by the
    Magnifier dock's scroll area in a 1400 x 900 window ("raw evidence pixels, enlarged
    without"): it is now read whole without scrolling, in every mode, down to 1280 x 800."""
    area = window.docks["Magnifier"].widget()
    caption = window.loupe.caption
    for size in ((1400, 900), (1280, 800)):
        window.resize(*size)
        for mode in LoupeMode:
            window.loupe.set_mode(mode)
            qtbot.wait(10)  # the layouts' pass
            assert area.verticalScrollBar().value() == 0
            top = caption.mapTo(area.viewport(), caption.rect().topLeft()).y()
            bottom = caption.mapTo(area.viewport(), caption.rect().bottomLeft()).y()
            assert 0 <= top and bottom < area.viewport().height(), (size, mode)
            assert caption.height() >= caption.heightForWidth(caption.width()), (size, mode)
