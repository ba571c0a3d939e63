"""The main window end to end (offscreen): open, analyse on the worker, layers, compare, cancel."""

from __future__ import annotations

import hashlib
import os
import threading
from collections.abc import Iterator
from pathlib import Path

import numpy as np
import pytest
from PySide6.QtCore import QMimeData, QPoint, QPointF, QRectF, QSettings, Qt, QUrl
from PySide6.QtGui import QAccessible, QDropEvent, QImage
from PySide6.QtWidgets import QPushButton, QWidget

from engine.ensemble import ENSEMBLE_SUFFIX
from forensic_viewer.gui.compare import mask_words
from forensic_viewer.gui.device_pixels import ZOOM_IN
from forensic_viewer.gui.main_window import MainWindow
from forensic_viewer.gui.verdict_panel import confidence_text
from forensic_viewer.model_layers import HeatmapLayer, MaskLayer
from forensic_viewer.wording import OUT_OF_RANGE, verdict_words
from tests.conftest import HANG_MS
from tests.viewer.conftest import open_listed, write_image

pytestmark = pytest.mark.gui


def _window(qtbot, tmp_path: Path, models: list[str]) -> MainWindow:
    settings = QSettings(str(tmp_path / "settings.ini"), QSettings.Format.IniFormat)
    window = MainWindow(models=models, device="cpu", settings=settings)
    qtbot.addWidget(window)
    window.show()
    qtbot.waitUntil(lambda: window._models_known, timeout=HANG_MS)
    return window


@pytest.fixture
def window(qtbot, tmp_path: Path, tiny_checkpoint: Path) -> Iterator[MainWindow]:
    yield _window(qtbot, tmp_path, [str(tiny_checkpoint)])


def _settled(window: MainWindow) -> bool:
    """Layers drawn, and the analysis kept in the case folder (its ``result-kept`` logged)."""
    return (
        window.renderer.idle
        and not window.case.results.busy
        and all(la.is_current for la in window.layers or [] if la.render_job() is not None)
    )


def open_and_wait(qtbot, window: MainWindow, path: Path) -> None:
    open_listed(qtbot, window, [path])
    entry = window.entries[str(path)]
    qtbot.waitUntil(lambda: not entry.running, timeout=HANG_MS)
    qtbot.waitUntil(lambda: _settled(window), timeout=HANG_MS)


def shown_window(qtbot, tmp_path: Path, checkpoint: Path, image: Path) -> MainWindow:
    """A main window on the CPU with ``checkpoint``, settings of its own, shown, ``image``
    opened and analysed."""
    settings = QSettings(str(tmp_path / "settings.ini"), QSettings.Format.IniFormat)
    window = MainWindow(models=[str(checkpoint)], device="cpu", settings=settings)
    qtbot.addWidget(window)
    window.show()
    qtbot.waitUntil(lambda: window._models_known, timeout=HANG_MS)
    open_and_wait(qtbot, window, image)
    return window


def pixels(widget: QWidget) -> np.ndarray:
    image = widget.grab().toImage().convertToFormat(QImage.Format.Format_RGB32)
    arr = np.frombuffer(image.constBits(), np.uint8, image.sizeInBytes())
    return arr.reshape(image.height(), image.bytesPerLine() // 4, 4)[:, : image.width()].copy()


def test_open_analyse_and_fill_the_panels(qtbot, window: MainWindow, image_path: Path) -> None:
    open_and_wait(qtbot, window, image_path)
    analysis = window.current_analysis()
    assert analysis is not None and set(analysis.results) == {"tiny"}
    verdict = window.verdict_panel.text()
    result = analysis.results["tiny"]
    # the fixture carries no calibration: its score is shown and said not to be a probability
    # the test image is smaller than any verdict was measured on (docs/VERDICTS.md), and says so
    mark = " (outside the measured range)" if result.out_of_range else ""
    assert (
        f"tiny — {verdict_words(result.verdict)}{mark} · score {result.score:.3f} (not a probability"
        in verdict
    )
    assert "reliability not measured" in verdict
    assert "θ = 0.1: test fixture, random weights" in verdict
    # what the verdict is worth comes before how θ was set
    assert verdict.index("reliability not measured") < verdict.index("θ = 0.1: test fixture")
    assert "on cpu (fp32)" in verdict
    # how θ was set, timing and checkpoint are folded under the verdict and its worth, and
    # opening them stays open for the next file
    (card,) = window.verdict_panel.cards
    assert card.body.isVisible() and not card.details.isVisible()
    assert "θ = 0.1: test fixture" in card.details.text() and "θ = 0.1" not in card.body.text()
    card.toggle.click()
    assert card.details.isVisible() and window.verdict_panel.details_open
    other = write_image(image_path.with_name("other.png"), seed=3)
    open_and_wait(qtbot, window, other)
    (card,) = window.verdict_panel.cards
    assert card.details.isVisible() and card.toggle.isChecked()
    card.toggle.click()
    assert not card.details.isVisible() and not window.verdict_panel.details_open
    # replaced cards are hidden at once, not left to paint under the new ones until their
    # deferred deletion runs (screenshots showed two files' cards over each other)
    window.verdict_panel.set_analysis(window.current_analysis())
    assert not any(w.isVisible() for w in card.widgets())
    qtbot.waitUntil(lambda: window.verdict_panel.cards[0].title.isVisible())  # the new one
    window.evidence_list.setCurrentRow(0)  # back to the first file
    meta = window.metadata_panel
    assert meta.value("SHA-256") == hashlib.sha256(image_path.read_bytes()).hexdigest()
    assert meta.value("dimensions") == "128 × 96 pixels"
    assert meta.value("size") == f"{image_path.stat().st_size:,} bytes"
    assert "models)" in window.evidence_list.badge_text(str(image_path))
    names = [la.name for la in window.layers]
    assert names[:3] == ["evidence", "tiny heatmap", "tiny mask"]
    assert str(image_path) in window.recent_files()


def test_layer_visibility_and_opacity_change_the_rendered_pixels(
    qtbot, window: MainWindow, image_path: Path
) -> None:
    open_and_wait(qtbot, window, image_path)
    window.layers["tiny mask"].visible = False
    heat = window.layers["tiny heatmap"]
    assert isinstance(heat, HeatmapLayer) and heat.visible
    shown = pixels(window.canvas)
    item = window.layer_panel.item_of(heat)
    item.setCheckState(Qt.CheckState.Unchecked)  # as the analyst clicks the checkbox
    assert not heat.visible
    hidden = pixels(window.canvas)
    assert np.abs(shown.astype(int) - hidden.astype(int)).sum() > 0
    heat.visible = True
    np.testing.assert_array_equal(pixels(window.canvas), shown)
    window.layers.selected = heat
    window.layer_panel.controls.opacity.setValue(100)
    assert heat.opacity == 1.0
    opaque = pixels(window.canvas)
    assert np.abs(opaque.astype(int) - shown.astype(int)).sum() > 0
    window.layer_panel.controls.colormap.setCurrentText("gray")
    qtbot.waitUntil(lambda: _settled(window), timeout=HANG_MS)
    assert np.abs(pixels(window.canvas).astype(int) - opaque.astype(int)).sum() > 0


def test_threshold_slider_changes_the_mask_and_the_forged_fraction(
    qtbot, window: MainWindow, image_path: Path
) -> None:
    open_and_wait(qtbot, window, image_path)
    mask = window.layers["tiny mask"]
    assert isinstance(mask, MaskLayer)
    result = window.current_analysis().results["tiny"]
    assert mask.threshold == result.pixel_threshold
    assert mask.stats.fraction == pytest.approx(result.forged_fraction, abs=1e-12)
    window.layers.selected = mask
    controls = window.layer_panel.controls
    assert controls.threshold.value() == round(result.pixel_threshold * 1000)
    heat = mask.heatmap
    target = float(np.quantile(heat, 0.25))  # about 75 % of the pixels above it
    before_fill = mask.stats.fill.copy()
    before_text = controls.stats.text()
    controls.threshold.setValue(round(target * 1000))
    assert mask.threshold == pytest.approx(round(target * 1000) / 1000)
    qtbot.waitUntil(lambda: _settled(window), timeout=HANG_MS)
    expected = float((heat > mask.threshold).mean())
    assert mask.stats.fraction == pytest.approx(expected, abs=1e-12)
    assert mask.stats.fraction != pytest.approx(result.forged_fraction)
    assert not np.array_equal(mask.stats.fill, before_fill)
    assert controls.stats.text() != before_text and f"{expected:.2%}" in controls.stats.text()
    assert controls.threshold_spin.value() == pytest.approx(mask.threshold)


def test_compare_mode_links_zoom_and_shows_each_verdict(
    qtbot, window: MainWindow, image_path: Path
) -> None:
    open_and_wait(qtbot, window, image_path)
    window.set_compare(True)
    panes = window.compare.panes
    assert [p.title.text().split(" — ")[-1] for p in panes] == ["original", "tiny"]
    result = window.current_analysis().results["tiny"]
    assert f"score {result.score:.3f}" in panes[1].title.text()
    assert [type(v).__name__ for v in panes[0].canvas.visuals] == ["RasterVisual"]
    # image, heatmap, mask, and the faces layer: detection ran (and found none)
    assert [type(v).__name__ for v in panes[1].canvas.visuals] == [
        "RasterVisual",
        "RasterVisual",
        "MaskVisual",
        "FacesVisual",
    ]
    panes[1].canvas.view.setRange(QRectF(10, 20, 30, 15), padding=0.0)
    qtbot.waitUntil(
        lambda: np.allclose(panes[0].canvas.view.viewRange(), panes[1].canvas.view.viewRange()),
        timeout=5_000,
    )
    (x0, x1), _ = panes[0].canvas.view.viewRange()
    assert x1 - x0 < 60  # zoomed in, not the whole 128-pixel width
    window.set_compare(False)
    assert window.stack.currentWidget() is window.canvas
    assert window.compare.panes == []


def test_a_compare_pane_keeps_what_the_analyst_chose_when_results_arrive(
    qtbot, window: MainWindow, image_path: Path
) -> None:
    open_and_wait(qtbot, window, image_path)
    window.set_compare(True)
    window.compare.panes[1].choose("original")  # the model's pane shows the original instead
    window.analysis_panel.set_checked(["ela"])
    assert window.run_classic() is not None
    qtbot.waitUntil(lambda: len(window.compare.panes) == 3, timeout=HANG_MS)  # ela's pane too
    assert [p.source.name for p in window.compare.panes] == ["original", "original", "ela"]
    assert window.compare.panes[1].chooser.currentText() == "original"
    assert window.compare.panes[1].title.text() == "original"
    window.original_action.trigger()  # the original's own pane goes; the choice stays
    assert [p.source.name for p in window.compare.panes] == ["original", "ela"]


def test_cancel_button_stops_the_analysis(
    qtbot, window: MainWindow, tmp_path: Path, gate: threading.Event
) -> None:
    big = write_image(tmp_path / "big.png", 512, 512)
    with qtbot.waitSignal(window.worker.progress, timeout=HANG_MS):
        open_listed(qtbot, window, [big])  # held at its first progress until gate is set
    assert window.cancel_button.isEnabled()
    entry = window.entries[str(big)]
    with qtbot.waitSignal(window.worker.kept, timeout=HANG_MS):  # after its ``cancelled``
        qtbot.mouseClick(window.cancel_button, Qt.MouseButton.LeftButton)
        gate.set()
    # held after its first tile: that part is kept, marked partial (every slot of ``kept``
    # run, not only the test's)
    qtbot.waitUntil(lambda: entry.analysis is not None, timeout=HANG_MS)
    assert not entry.running and entry.analysis.cancelled and entry.analysis.partial
    assert "partial" in window.evidence_list.badge_text(str(big))
    assert "cancelled" in window.statusBar().currentMessage()
    assert not window.cancel_button.isEnabled()
    assert window.layers is not None and window.layers.image is not None  # image still shown


def test_a_corrupt_file_shows_an_error_and_the_app_carries_on(
    qtbot, window: MainWindow, corrupt_path: Path, image_path: Path
) -> None:
    open_and_wait(qtbot, window, corrupt_path)
    message = window.statusBar().currentMessage()
    assert message.startswith(str(corrupt_path)) and "PNG" in message
    assert "cannot be read" in window.evidence_list.badge_text(str(corrupt_path))
    assert str(corrupt_path) in window.verdict_panel.text()
    # what the file is, though it did not decode: its size and the SHA-256 of its bytes, as
    # a scan's error row records them (the panel was empty)
    sha = hashlib.sha256(corrupt_path.read_bytes()).hexdigest()
    assert window.metadata_panel.value("SHA-256") == sha
    assert window.metadata_panel.value("size") == f"{corrupt_path.stat().st_size:,} bytes"
    open_and_wait(qtbot, window, image_path)
    assert window.current_analysis() is not None
    assert window.evidence_list.count() == 2
    window.show_entry(str(corrupt_path))  # back to it: still there
    assert window.metadata_panel.value("SHA-256") == sha


def test_without_models_the_image_and_metadata_show_with_a_hint(
    qtbot, tmp_path: Path, image_path: Path
) -> None:
    window = _window(qtbot, tmp_path, [])
    open_and_wait(qtbot, window, image_path)
    # face detection runs without networks too: its layer says it found no face
    assert [la.kind for la in window.layers] == ["image", "faces"]
    assert window.layers.image.rendered is not None
    assert "No trained model is installed" in window.verdict_panel.text()
    assert "forensic-train fit" in window.verdict_panel.text()
    assert window.metadata_panel.value("SHA-256") is not None
    assert "no model" in window.evidence_list.badge_text(str(image_path))


def test_drop_opens_files_and_the_recent_menu_lists_them(
    qtbot, window: MainWindow, image_path: Path
) -> None:
    mime = QMimeData()
    mime.setUrls([QUrl.fromLocalFile(str(image_path))])
    event = QDropEvent(
        QPointF(10, 10), Qt.DropAction.CopyAction, mime, Qt.MouseButton.LeftButton,
        Qt.KeyboardModifier.NoModifier,
    )  # fmt: skip
    window.dropEvent(event)
    qtbot.waitUntil(lambda: window.lister.idle, timeout=HANG_MS)  # listed off the GUI thread
    assert window.current == str(image_path)
    entry = window.entries[str(image_path)]
    qtbot.waitUntil(lambda: not entry.running, timeout=HANG_MS)
    actions = [a.text() for a in window.recent_menu.actions()]
    assert f"&1 {image_path}" in actions


def test_a_folder_opened_is_one_recent_entry_that_reopens_the_folder(
    qtbot, window: MainWindow, tmp_path: Path, tiny_checkpoint: Path
) -> None:
    """Opening a folder put each of its files in File ▸ Open Recent as it decoded: the ten
    entries became the folder's last ten files, and the folder was never among them."""
    folder = tmp_path / "photos"
    folder.mkdir()
    files = [write_image(folder / f"p{i:02d}.png", 32, 32, seed=i) for i in range(12)]
    single = write_image(tmp_path / "single.png", 32, 32)
    open_listed(qtbot, window, [folder])
    qtbot.waitUntil(lambda: not any(e.running for e in window.entries.values()), timeout=HANG_MS)
    kept = f"{folder.resolve()}{os.sep}"  # a folder's entry ends with a separator
    assert window.recent_files() == [kept]
    open_and_wait(qtbot, window, single)  # a file on its own is its own entry, first
    assert window.recent_files() == [str(single.resolve()), kept]
    assert [a.text() for a in window.recent_menu.actions()][:2] == [
        f"&1 {single.resolve()}",
        f"&2 {kept}",
    ]
    window.settings.sync()
    later = _window(qtbot, tmp_path, [str(tiny_checkpoint)])  # the next session, same settings
    later.recent_menu.actions()[1].trigger()  # reopening the entry opens the folder
    qtbot.waitUntil(lambda: later.lister.idle, timeout=HANG_MS)
    assert list(later.entries) == [str(f.resolve()) for f in files]
    qtbot.waitUntil(lambda: not any(e.running for e in later.entries.values()), timeout=HANG_MS)
    assert later.recent_files() == [kept, str(single.resolve())]


def test_a_file_with_the_same_bytes_as_another_says_so_in_the_evidence_list(
    qtbot, window: MainWindow, tmp_path: Path
) -> None:
    """Two files with the same bytes under different names had two rows and nothing said
    they were copies (a scan's results.csv says it: duplicate_of)."""
    original = write_image(tmp_path / "a.png", 32, 32)
    other = write_image(tmp_path / "b.png", 32, 32, seed=1)
    copy = tmp_path / "c.png"
    copy.write_bytes(original.read_bytes())
    open_listed(qtbot, window, [original, other, copy])
    qtbot.waitUntil(lambda: not any(e.running for e in window.entries.values()), timeout=HANG_MS)
    rows = [window.evidence_list.item(i) for i in range(3)]
    assert [r.text().split("\n")[0] for r in rows] == [
        "a.png",
        "b.png",
        "c.png — same bytes as a.png",
    ]
    assert rows[2].toolTip().endswith(f"same bytes (SHA-256) as {original.resolve()}")
    assert "same bytes" not in rows[0].toolTip() + rows[1].toolTip()
    assert window.evidence_list.badge_text(str(copy.resolve())) == (
        window.evidence_list.badge_text(str(original.resolve()))
    )  # its verdict still said under it
    # and to a screen reader: the evidence view's description (its name, size and verdict
    # said it, not the copy) and the row's (the file it copies, as its tooltip names it)
    window.show_entry(str(copy.resolve()))
    assert "c.png, 32 × 32 pixels, same bytes as a.png: " in window.canvas.accessibleDescription()
    window.show_entry(str(other.resolve()))
    assert "same bytes" not in window.canvas.accessibleDescription()
    row = QAccessible.queryAccessibleInterface(window.evidence_list).child(2)
    assert row.text(QAccessible.Text.Description) == rows[2].toolTip()


def test_the_copy_note_follows_the_bytes_and_the_rows_order(qapp) -> None:
    from forensic_viewer.gui.panels import BADGE_LOADING, EvidenceList

    evidence = EvidenceList()
    for path in ("/e/a.jpg", "/e/b.jpg", "/e/c.jpg", "/e/empty1", "/e/empty2"):
        evidence.entry(path)
    evidence.set_sha256("/e/c.jpg", "1" * 64)  # the later row's hash known first
    evidence.set_badge(evidence.entry("/e/c.jpg"), BADGE_LOADING, "decoding")
    assert evidence.copy_of == {}
    evidence.set_sha256("/e/a.jpg", "1" * 64)
    assert evidence.copy_of == {"/e/c.jpg": "/e/a.jpg"}
    assert evidence.entry("/e/c.jpg").text() == "c.jpg — same bytes as a.jpg\n    … loading"
    assert evidence.entry("/e/c.jpg").toolTip() == (
        "/e/c.jpg\ndecoding\nsame bytes (SHA-256) as /e/a.jpg"
    )
    evidence.set_sha256("/e/b.jpg", "1" * 64)
    assert evidence.copy_of == {"/e/b.jpg": "/e/a.jpg", "/e/c.jpg": "/e/a.jpg"}
    evidence.set_sha256("/e/a.jpg", None)  # a.jpg can no longer be read: b.jpg is the first
    assert evidence.copy_of == {"/e/c.jpg": "/e/b.jpg"}
    assert evidence.entry("/e/a.jpg").text() == "a.jpg"
    empty = hashlib.sha256(b"").hexdigest()
    evidence.set_sha256("/e/empty1", empty)
    evidence.set_sha256("/e/empty2", empty)
    assert evidence.copy_of == {"/e/c.jpg": "/e/b.jpg"}  # no bytes: nobody's copy


def test_pixel_readout_magnifier_and_zoom(qtbot, window: MainWindow, image_path: Path) -> None:
    open_and_wait(qtbot, window, image_path)
    window._on_hover(10.5, 20.5)
    text = window.readout.text()
    value = window.current_analysis().results["tiny"].heatmap[20, 10]
    assert text.startswith("x 10  y 20") and f"tiny {value:.3f}" in text
    assert not window.magnifier.pixmap().isNull()
    window._on_hover(-5, -5)
    assert window.readout.text() == ""
    window.actual_size()
    sx, sy = window.canvas.view.viewPixelSize()
    assert sx == pytest.approx(1.0, rel=0.02) and sy == pytest.approx(1.0, rel=0.02)
    # the zoom is shown, with what it counts (it was shown nowhere: walk-through hidpi, 3)
    assert window.zoom_field.text() == "zoom 100 %"
    assert "device" in window.zoom_field.toolTip()
    window.zoom(ZOOM_IN)
    assert window.zoom_field.text() == "zoom 200 %"
    window.fit()
    (x0, x1), (y0, y1) = window.canvas.view.viewRange()
    assert x0 <= 0.5 and x1 >= 127.5 and y0 <= 0.5 and y1 >= 95.5
    # a real mouse move reaches the read-out through the canvas
    centre = window.canvas.mapFromScene(window.canvas.view.mapViewToScene(QPointF(64, 48)))
    qtbot.mouseMove(window.canvas.viewport(), QPoint(centre.x(), centre.y()))
    qtbot.waitUntil(lambda: window.readout.text().startswith("x 6"), timeout=5_000)


def test_two_models_and_an_ensemble(qtbot, tmp_path: Path, tiny_checkpoint: Path) -> None:
    import json

    from engine.checkpoints import load_checkpoint, save_checkpoint

    loaded = load_checkpoint(tiny_checkpoint)
    loaded.meta.name = "tiny2"
    second = save_checkpoint(tmp_path / "tiny2.safetensors", loaded.model, loaded.meta)
    ensemble = tmp_path / f"duo{ENSEMBLE_SUFFIX}"
    ensemble.write_text(
        json.dumps(
            {
                "name": "duo",
                "members": [{"model": "tiny.safetensors"}, {"model": "tiny2.safetensors"}],
            }
        )
    )
    models = [str(tiny_checkpoint), str(second), str(ensemble)]
    window = _window(qtbot, tmp_path, models)
    assert window.model_names == ["tiny", "tiny2"]
    image = write_image(tmp_path / "two.png", seed=3)
    open_and_wait(qtbot, window, image)
    analysis = window.current_analysis()
    assert analysis.ensemble is not None and analysis.ensemble.name == "duo"
    names = [la.name for la in window.layers]
    assert "model agreement" in names and "duo heatmap" in names and "duo mask" in names
    assert window.layers["duo heatmap"].visible and not window.layers["tiny heatmap"].visible
    assert "(ensemble)" in window.evidence_list.badge_text(str(image))
    verdict = window.verdict_panel.text()
    assert "duo — " in verdict and "members tiny, tiny2" in verdict
    window._on_hover(3.5, 4.5)
    assert "agreement" in window.readout.text() and "duo " in window.readout.text()
    window.set_compare(True)
    titles = [p.title.text() for p in window.compare.panes]
    # the default verdict beside the original; each title leads with the verdict (a narrow
    # pane cuts the end), the name after it
    names = [t.split(" — ")[-1] for t in titles]
    assert names == ["original", "duo (default verdict)", "tiny", "tiny2"]
    duo = analysis.ensemble
    sure = confidence_text(duo)  # as its card says it, the score said once beside θ
    assert sure.startswith(f"score {duo.score:.3f}") and duo.probability is None
    op = ">" if duo.verdict == "manipulated" else "≤"
    # named as its card names it: a weighted (unstacked) ensemble's score
    rule = f"weighted member score {duo.score:.3f} {op} θ {duo.threshold:.4g}"
    assert duo.out_of_range  # a small image: the pane marks it as its card does
    lead = f"{verdict_words(duo.verdict)} ({OUT_OF_RANGE}) · {rule}"
    mask = f" · {mask_words(duo.pixel_threshold)}"  # the threshold its pane's mask is cut at
    assert titles[1].startswith(f"{lead}{sure.removeprefix(f'score {duo.score:.3f}')}{mask} — ")
    assert all(window.layers[f"{m} heatmap"].visible for m in ("tiny", "tiny2", "duo"))
    window.set_compare(False)
    assert not window.layers["tiny heatmap"].visible  # restored on leaving compare mode


def test_the_exact_path_action_analyses_again_on_the_reference_path(
    qtbot, window: MainWindow, image_path: Path
) -> None:
    open_and_wait(qtbot, window, image_path)
    analysis = window.current_analysis()
    assert (
        analysis is not None and analysis.results["tiny"].input_policy["tiling"] == "overlap-crop"
    )
    assert "fast path: tiles" in window.verdict_panel.text()
    window.exact_action.trigger()  # Analysis ▸ Exact sliding-window path (slow reference)
    assert window.exact_action.isChecked()
    entry = window.entries[str(image_path)]
    qtbot.waitUntil(lambda: not entry.running, timeout=HANG_MS)
    analysis = window.current_analysis()
    assert analysis is not None
    policy = analysis.results["tiny"].input_policy
    assert (policy["tiling"], policy["runtime"]) == ("sliding", "torch")
    assert "exact path: sliding window 64, stride 32" in window.verdict_panel.text()
    assert window.open_batch().exact.isChecked()  # a scan starts on the path in use
    window.exact_action.trigger()
    qtbot.waitUntil(lambda: not entry.running, timeout=HANG_MS)
    analysis = window.current_analysis()
    assert (
        analysis is not None and analysis.results["tiny"].input_policy["tiling"] == "overlap-crop"
    )


def test_the_verdict_card_says_when_a_face_decided_the_default_verdict() -> None:
    """Under the face rule the ensemble's score is the flagged face's, moved onto its scale:
    the card must not call it the stacked score, and gives θ's value, as the command line and
    the reports do."""
    from engine.ensemble_provenance import FACE_RULE_NOTE, FACES_ALONE_NOTE, ON_THIS_FILE
    from engine.types import ModelResult
    from forensic_viewer.gui.verdict_panel import decision_text

    heat = np.zeros((4, 4), np.float32)

    def ensemble(provenance: str) -> ModelResult:
        return ModelResult(
            name="duo", architecture="ensemble", checkpoint="", checkpoint_sha256="0" * 64,
            rule="ensemble", score=0.927, verdict="manipulated", forged_fraction=0.0,
            threshold=0.5986, pixel_threshold=0.5, threshold_provenance=provenance,
            input_policy={}, device="cpu", precision="fp32", seconds=0.1, heatmap=heat,
            mask=heat > 0.5,
        )  # fmt: skip

    stacked = "θ = 0.5986 on the stacked probability (detection stacked ... stacking ...)"
    assert decision_text(ensemble(stacked)) == "stacked score 0.927 > θ 0.5986"
    flagged = f"{stacked}{ON_THIS_FILE}{FACE_RULE_NOTE}1 face verdict; {FACES_ALONE_NOTE}"
    words = decision_text(ensemble(flagged))
    assert words.startswith("score 0.927 > θ 0.5986 (decided by the face rule")
    assert "stacked" not in words and "a flagged face's score, not the image's" in words


def test_the_screen_names_the_mask_threshold_as_the_report_does(qtbot) -> None:
    """A calibrated pixel threshold of 0.4567 reads 0.4567 on the verdict card, on the mask
    layer's "calibrated" button and in its threshold box, as in the report
    (wording.threshold_figure), not 0.457."""
    from engine.types import ModelResult
    from forensic_viewer.gui.layer_panel import LayerControls
    from forensic_viewer.gui.verdict_panel import decision_text

    heat = np.zeros((4, 4), np.float32)
    r = ModelResult(
        name="tiny", architecture="crfd-net-compact", checkpoint="", checkpoint_sha256="0" * 64,
        rule="forged_fraction", score=0.2, verdict="authentic", forged_fraction=0.0,
        threshold=0.3, pixel_threshold=0.4567, threshold_provenance="", input_policy={},
        device="cpu", precision="fp32", seconds=0.1, heatmap=heat, mask=heat > 0.4567,
    )  # fmt: skip
    assert decision_text(r).endswith("(mask: heatmap > 0.4567)")
    layer = MaskLayer(
        "tiny mask", heat, model="tiny", calibrated_threshold=0.4567, threshold_calibrated=True
    )
    controls = LayerControls(layer)
    qtbot.addWidget(controls)
    buttons = [b.text() for b in controls.findChildren(QPushButton)]
    assert "calibrated 0.4567" in buttons, buttons
    box = controls.threshold_spin  # its value is what it shows, kept to its decimals
    assert box is not None and box.value() == pytest.approx(0.4567, abs=1e-9), box.cleanText()


def test_a_probability_that_points_against_the_verdict_is_explained() -> None:
    """A member card read "authentic · probability 0.54 (calibrated)" with no word on why:
    the probability answers at even odds, θ is set for the false-alarm rate."""
    from dataclasses import replace

    from engine.types import ModelResult
    from forensic_viewer.gui.verdict_panel import odds_text

    heat = np.zeros((4, 4), np.float32)
    r = ModelResult(
        name="m", architecture="crfd-net-compact", checkpoint="", checkpoint_sha256="0" * 64,
        rule="forged_fraction", score=0.3, verdict="authentic", forged_fraction=0.33,
        threshold=0.34, pixel_threshold=0.5, threshold_provenance="θ = 0.34: test",
        input_policy={}, device="cpu", precision="fp32", seconds=0.1, heatmap=heat,
        mask=heat > 0.5, probability=0.54,
    )  # fmt: skip
    assert "above 0.5, not flagged" in odds_text(r)
    assert "below 0.5, flagged as manipulated" in odds_text(
        replace(r, verdict="manipulated", probability=0.4)
    )
    for agreeing in (
        replace(r, probability=0.3),
        replace(r, verdict="manipulated", probability=0.9),
        replace(r, probability=0.503),  # the card shows 0.50: not "above 0.5"
    ):
        assert odds_text(agreeing) is None
    assert odds_text(replace(r, probability=None)) is None


def test_the_verdict_panel_lists_the_face_models_verdicts_in_the_reports_words(qapp) -> None:
    """The face model's verdicts (diffforensics-faces) were only in the face boxes' labels and
    the report's Faces section: the panel now gives one line per face, score against θ, in the
    report's words, and says when the face rule set the default verdict."""
    from engine.ensemble_provenance import FACE_RULE_NOTE, ON_THIS_FILE
    from engine.types import Analysis, FaceRegion, FaceScore, ModelResult
    from forensic_viewer.gui.verdict_panel import VerdictPanel
    from forensic_viewer.report.face_text import face_verdicts
    from forensic_viewer.wording import FACE_PROBABILITY_NOTE, NOT_USED
    from tests.conftest import memory_evidence

    heat = np.zeros((40, 60), np.float32)

    def result(name: str, rule: str, provenance: str) -> ModelResult:
        return ModelResult(
            name=name, architecture=rule, checkpoint="", checkpoint_sha256="0" * 64,
            rule=rule, score=0.927, verdict="manipulated", forged_fraction=0.0,
            threshold=0.5986, pixel_threshold=0.5, threshold_provenance=provenance,
            input_policy={}, device="cpu", precision="fp32", seconds=0.1, heatmap=heat,
            mask=heat > 0.5,
        )  # fmt: skip

    flagged = f"{FACE_RULE_NOTE}1 face verdict(s) of diffforensics-faces flag the image"
    ensemble = result("duo", "ensemble", f"θ = 0.5986 stacking{ON_THIS_FILE}{flagged}")
    member = FaceScore(0.7, "manipulated", threshold=0.5, rule="logit")
    faces = [
        FaceRegion((1, 2, 50, 48), 0.99, face_scores={
            "tiny": member,
            "diffforensics-faces": FaceScore(
                0.9839, "manipulated", probability=0.8, threshold=0.9829, rule="logit"
            ),
        }),
        FaceRegion((30, 2, 10, 12), 0.98, face_scores={
            "tiny": FaceScore(0.2, "authentic", threshold=0.5, rule="logit"),
            "diffforensics-faces": FaceScore(0.51, "authentic", threshold=0.9829, rule="logit"),
        }),
    ]  # fmt: skip
    analysis = Analysis(
        # large enough that neither face reaches the image's border (that is said too)
        evidence=memory_evidence(np.zeros((80, 120, 3), np.uint8)),
        results={"tiny": result("tiny", "logit", "θ = 0.5986: test")},
        ensemble=ensemble,
        faces=faces,
    )
    panel = VerdictPanel()
    panel.set_analysis(analysis)
    lines = panel.text().splitlines()
    face_lines = [line for line in lines if line.startswith("face ")]
    # models apart by "; ", as the reports join them: each one's words hold commas
    assert face_lines == [
        "face 1, x 1 y 2: diffforensics-faces flagged as manipulated (score 0.9839 > θ 0.9829, "
        "probability 0.8); "
        f"tiny ({NOT_USED}): score 0.7000, θ 0.5000",
        "face 2, x 30 y 2: diffforensics-faces not flagged (score 0.5100 ≤ θ 0.9829); "
        f"tiny ({NOT_USED}): score 0.2000, θ 0.5000 (outside the measured range: a face of 10 px, "
        "the face verdicts were measured on faces of 48 px and more)",
    ]
    whole = {"tiny"}  # the report's words for each model's verdict on the same face
    for line, face in zip(face_lines, faces, strict=True):
        for name, fs in face.face_scores.items():
            assert face_verdicts({"face_scores": {name: fs.to_dict()}}, whole) in line
    # the report says it of the same face in the same words, from the row's box
    small = {
        "box": list(faces[1].box),
        "face_scores": {"tiny": faces[1].face_scores["tiny"].to_dict()},
    }
    assert face_verdicts(small, whole) == face_lines[1].split("); ", 1)[1]
    assert face_verdicts({**small, "box": list(faces[0].box)}, whole).endswith(
        "θ 0.5000"
    )  # no range words
    assert f"default verdict flagged as manipulated by its {flagged} (face 1, x 1 y 2)" in lines
    assert f"Note: {FACE_PROBABILITY_NOTE}." in lines
    assert panel.faces.isVisibleTo(panel)

    panel.set_analysis(Analysis(analysis.evidence, {"tiny": analysis.results["tiny"]}))
    assert not any(line.startswith("face ") for line in panel.text().splitlines())
    assert not panel.faces.isVisibleTo(panel)


def test_the_status_bar_speaks_of_the_shown_file_when_another_finishes(
    qtbot, window: MainWindow, tmp_path: Path
) -> None:
    """Two files opened: the first is shown, the second finishes after it. The status bar
    said the second file's verdict while the first was on screen; it keeps the shown file's
    and counts the other, and speaks of the second once that one is shown."""
    first = write_image(tmp_path / "first.png", seed=1)
    second = write_image(tmp_path / "second.png", seed=2)
    open_listed(qtbot, window, [first, second])
    qtbot.waitUntil(lambda: not any(e.running for e in window.entries.values()), timeout=HANG_MS)
    assert window.current == str(first)
    said = window.statusBar().currentMessage()
    assert said.startswith("first.png: ") and "second.png" not in said
    assert said.endswith("and 1 other file analysed (see the evidence list)")
    window.evidence_list.setCurrentRow(1)  # the analyst looks at the second file
    said = window.statusBar().currentMessage()
    assert said.startswith("second.png: ") and "first.png" not in said


def test_the_models_line_lists_the_face_models_that_run(
    qtbot, tmp_path: Path, tiny_checkpoint: Path
) -> None:
    """With a face model checked the status bar said "models: tiny on cpu": the face model
    runs on every face found, but the line listed the whole-image models only."""
    from tests.engine.test_face_models import _save_face_checkpoint

    face = _save_face_checkpoint(tmp_path / "facer.safetensors", name="facer")
    window = _window(qtbot, tmp_path, [str(tiny_checkpoint), str(face)])
    assert window.model_names == ["tiny"]
    assert window.statusBar().currentMessage() == "models: tiny; face model: facer on cpu"


def test_menu_actions_wait_for_what_they_act_on(qtbot, window: MainWindow, tmp_path: Path) -> None:
    """With no image open Analysis ▸ Analyse again, Analysis ▸ Cancel and Case ▸ Export the
    selected layer were enabled and did nothing (or said to select a layer). Each is enabled
    when it can act: an image shown, an analysis running, a layer selected."""
    export = window.case.export_action
    assert not window.analyse_action.isEnabled()
    assert not window.cancel_action.isEnabled()
    assert not export.isEnabled()
    big = write_image(tmp_path / "big.png", 512, 512)
    # read as the first progress is handled: a wait for the signal could return after the
    # analysis's end was handled too (the worker thread queues both; CI under load did)
    seen: list[tuple[bool, bool]] = []
    window.worker.progress.connect(
        lambda *_a: seen.append(
            (window.cancel_action.isEnabled(), window.analyse_action.isEnabled())
        )
    )
    open_listed(qtbot, window, [big])
    qtbot.waitUntil(lambda: bool(seen), timeout=HANG_MS)
    assert seen[0] == (True, True)
    qtbot.waitUntil(lambda: not window.entries[str(big)].running, timeout=HANG_MS)
    assert not window.cancel_action.isEnabled()  # nothing left to cancel
    window.layers.selected = None
    assert not export.isEnabled()
    window.layers.selected = window.layers["tiny heatmap"]
    assert export.isEnabled()
