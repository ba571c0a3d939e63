"""The Layers panel keeps its width whichever layer is selected (offscreen).

Selecting the "model agreement" layer widened the right-hand panels by about 50 pixels, and
the canvas beside them moved: its legend asked for the colormap picture's 256 pixels beside
ends wider than a heatmap's ("no model" and "all", not "0" and "1"). No layer's controls now
need more width than a model's mask layer, which every analysis has.
"""

from __future__ import annotations

import numpy as np
import pytest
from PySide6.QtWidgets import QApplication

from forensic_viewer.gui.layer_panel import LayerPanel
from forensic_viewer.layers import (
    AgreementLayer,
    ClonePairsLayer,
    FacesLayer,
    GroundTruthLayer,
    HeatmapLayer,
    LayerList,
    MaskLayer,
    PictureLayer,
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
