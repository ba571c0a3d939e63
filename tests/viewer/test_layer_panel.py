"""The Layers panel keeps its width whichever layer is selected, and its list grows with the
dock (offscreen).

Selecting the "model agreement" layer widened the right-hand panels by about 50 pixels, and
the canvas beside them moved: its legend asked for the colormap picture's 256 pixels beside
ends wider than a heatmap's ("no model" and "all", not "0" and "1"). No layer's controls now
need more width than a model's mask layer, which every analysis has.
"""

from __future__ import annotations

import numpy as np
import pytest
from PySide6.QtCore import Qt
from PySide6.QtWidgets import QApplication

from engine.analyses import MapMeaning, MapScale
from forensic_viewer.classic_layers import AnalysisLayer, ClonePairsLayer, PictureLayer
from forensic_viewer.gui.layer_panel import LayerPanel
from forensic_viewer.layers import LayerList
from forensic_viewer.model_layers import (
    AgreementLayer,
    FacesLayer,
    GroundTruthLayer,
    HeatmapLayer,
    MaskLayer,
)

pytestmark = pytest.mark.gui


def _needs(panel: LayerPanel) -> int:
    """The width the panel asks its dock for, its layout brought up to date first."""
    QApplication.processEvents()  # the old controls deleted, the layout redone
    return panel.minimumSizeHint().width()


def test_selecting_any_layer_needs_no_more_width_than_a_models_mask(qtbot) -> None:
    heat = np.random.default_rng(0).random((32, 32)).astype(np.float32)
    mask = MaskLayer("crfd-net mask", heat, model="crfd-net", calibrated_threshold=0.5)
    others = [
        HeatmapLayer("crfd-net heatmap", heat, model="crfd-net"),
        HeatmapLayer("ens heatmap", (heat > 0.5) * np.float32(1), model="ens", regions_of="clone"),
        AgreementLayer([mask]),
        GroundTruthLayer(heat > 0.5),
        FacesLayer([]),
        PictureLayer("ela picture", np.zeros((32, 32, 3), np.uint8), analysis="ela"),
        ClonePairsLayer("clone pairs", [], analysis="clone"),
    ]
    layers = LayerList([mask, *others])
    panel = LayerPanel()
    qtbot.addWidget(panel)
    panel.set_layers(layers)
    layers.selected = mask
    panel.show()
    width = _needs(panel)
    for layer in others:
        layers.selected = layer
        assert panel.controls is not None and panel.controls.layer is layer
        assert _needs(panel) <= width, layer.name


def test_a_masks_row_shows_the_colour_it_is_drawn_in(qtbot) -> None:
    """Several models' masks shown together on the canvas are told apart by colour; the
    layer list is where the analyst learns which colour is which model's (and the truth's)."""
    heat = np.random.default_rng(1).random((32, 32)).astype(np.float32)
    masks = [
        MaskLayer("a mask", heat, model="a", calibrated_threshold=0.5, color=(255, 64, 64)),
        MaskLayer("b mask", heat, model="b", calibrated_threshold=0.5, color=(64, 200, 255)),
        GroundTruthLayer(heat > 0.5),
    ]
    heatmap = HeatmapLayer("a heatmap", heat, model="a")
    panel = LayerPanel()
    qtbot.addWidget(panel)
    panel.set_layers(LayerList([heatmap, *masks]))
    for mask in masks:
        icon = panel.item_of(mask).icon()
        assert not icon.isNull(), mask.name
        shown = icon.pixmap(12, 12).toImage()
        colour = shown.pixelColor(shown.width() // 2, shown.height() // 2)
        assert (colour.red(), colour.green(), colour.blue()) == tuple(mask.color), mask.name
    assert panel.item_of(heatmap).icon().isNull()  # a colormap, whose legend is below


def test_a_heatmaps_fade_is_a_checkbox_that_the_layer_follows(qtbot) -> None:
    heat = np.random.default_rng(2).random((32, 32)).astype(np.float32)
    heatmap = HeatmapLayer("a heatmap", heat, model="a")
    clone = AnalysisLayer(
        "clone map", heat, analysis="clone",
        meaning=MapMeaning(scale=MapScale.REGION, label="l", unit="u", high="h"),
    )  # fmt: skip
    layers = LayerList([heatmap, clone])
    panel = LayerPanel()
    qtbot.addWidget(panel)
    panel.set_layers(layers)
    layers.selected = heatmap
    box = panel.controls.fade
    assert box is not None and box.isChecked()
    box.setChecked(False)
    assert heatmap.fade is False
    heatmap.fade = True  # e.g. a linked heatmap's box: this one shows it
    assert box.isChecked()
    layers.selected = clone  # regions are drawn clear outside them: nothing to fade
    assert panel.controls.fade is None


def _many_layers() -> tuple[LayerList, list]:
    """A JPEG-ghost-sized list: 20 classic maps, a model's heatmap and mask, the truth."""
    heat = np.random.default_rng(3).random((32, 32)).astype(np.float32)
    meaning = MapMeaning(scale=MapScale.RAW, label="l", unit="u", high="h")
    ghosts = [
        AnalysisLayer(f"ghost q{q} map", heat, analysis="ghost", meaning=meaning)
        for q in range(60, 100, 2)
    ]
    mask = MaskLayer("a mask", heat, model="a", calibrated_threshold=0.5)
    kinds = [ghosts[0], HeatmapLayer("a heatmap", heat, model="a"), mask]
    return LayerList([*ghosts, *kinds[1:], GroundTruthLayer(heat > 0.5)]), kinds


def _settle() -> None:
    for _ in range(3):
        QApplication.processEvents()


def test_the_layer_list_grows_with_its_dock_and_the_controls_stay_whole(qtbot, tmp_path) -> None:
    """The list was held to 220 pixels (about 6 rows of 20 and more once the JPEG ghosts are
    in) however tall the Layers dock was made; it now takes the height the selected layer's
    controls leave, and the controls stay whole at 1280 x 800."""
    from PySide6.QtCore import QSettings

    from forensic_viewer.gui.main_window import MainWindow

    settings = QSettings(str(tmp_path / "settings.ini"), QSettings.Format.IniFormat)
    window = MainWindow(models=[], device="cpu", settings=settings)
    qtbot.addWidget(window)
    window.resize(1280, 800)
    window.show()
    layers, kinds = _many_layers()
    assert len(layers) > 20
    panel = window.layer_panel
    panel.set_layers(layers)
    for layer in kinds:
        layers.selected = layer
        controls = panel.controls
        assert controls is not None
        qtbot.waitUntil(controls.isVisible)
        _settle()
        assert controls.height() >= controls.minimumSizeHint().height(), layer.name
        assert controls.geometry().bottom() < panel.height(), layer.name  # nothing cut off
    before_panel, before_list = panel.height(), panel.list.height()
    docks = [window.docks[name] for name in ("Layers", "Verdict", "Metadata")]
    window.resizeDocks(docks, [700, 60, 60], Qt.Orientation.Vertical)  # the analyst drags
    _settle()
    grown = panel.height() - before_panel
    assert grown > 100  # the dock did grow
    assert panel.list.height() - before_list == grown  # all of it to the list
    assert panel.list.height() > 220
    assert panel.controls.geometry().bottom() < panel.height()


def test_the_ensemble_layer_that_shows_the_copy_move_regions_says_so(qtbot) -> None:
    """When the copy-move analysis's map replaced the ensemble's heatmap on the file, its
    layer's controls said nothing of it: a "0 ... 1" legend, as for a probability."""
    from PySide6.QtWidgets import QLabel

    regions = np.zeros((32, 32), np.float32)
    regions[4:12, 4:12] = 1.0
    layer = HeatmapLayer("ens heatmap", regions, model="ens", regions_of="clone")
    layers = LayerList([layer])
    panel = LayerPanel()
    qtbot.addWidget(panel)
    panel.set_layers(layers)
    layers.selected = layer
    controls = panel.controls
    assert controls is not None and controls.about.text().startswith(
        "copy-move regions found by the copy-move analysis (1 inside, 0 outside)"
    )
    texts = [w.text() for w in controls.findChildren(QLabel)]
    assert "0 outside" in texts and "1 inside" in texts


def test_a_long_shows_line_is_never_drawn_over_the_opacity_slider(qtbot, tmp_path) -> None:
    """A 1600 x 1000 screenshot showed the clone map's "shows" line (what its values mean,
    six lines) drawn over the opacity slider: its label set its own minimum height from its
    last width, so for a layout pass the label was taller than its row. Checked after every
    turn of the event loop (each may paint), at several dock widths."""
    from PySide6.QtCore import QSettings

    from forensic_viewer.gui.main_window import MainWindow

    settings = QSettings(str(tmp_path / "settings.ini"), QSettings.Format.IniFormat)
    window = MainWindow(models=[], device="cpu", settings=settings)
    qtbot.addWidget(window)
    window.resize(1600, 1000)
    window.show()
    heat = np.random.default_rng(4).random((32, 32)).astype(np.float32)
    region = MapMeaning(
        scale=MapScale.REGION,
        label="regions found copied within the image (both copies of each pair)",
        unit="1 inside a verified copy, 0 elsewhere",
        high="this region repeats elsewhere in the image, possibly rotated or scaled",
    )
    raw = MapMeaning(scale=MapScale.RAW, label="error level", unit="difference", high="high")
    clone = AnalysisLayer("clone map", heat, analysis="clone", meaning=region)
    ela = AnalysisLayer("ela map", heat, analysis="ela", meaning=raw)
    mask = MaskLayer("a mask", heat, model="a", calibrated_threshold=0.5)
    layers = LayerList([mask, ela, clone])
    panel = window.layer_panel
    panel.set_layers(layers)
    _settle()
    for width in (300, 360, 440):
        window.resizeDocks([window.docks["Layers"]], [width], Qt.Orientation.Horizontal)
        for layer in (mask, clone, ela, clone):
            layers.selected = layer
            for _ in range(6):
                QApplication.processEvents()
                about, opacity = panel.controls.about, panel.controls.opacity
                if about.text() and about.isVisible():
                    assert not about.geometry().intersects(opacity.geometry()), (width, layer)
        about = panel.controls.about
        assert (
            about.height() >= about.heightForWidth(about.width()) > 3 * about.fontMetrics().height()
        )
