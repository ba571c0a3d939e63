"""Which layers hold a full-resolution drawing when (``layer_base.HIDDEN_DRAWN_PIXELS``): a
hidden layer of a large image is drawn only when shown and let go when hidden again; a small
image's hidden layers are drawn ahead and kept, as before."""

from __future__ import annotations

import numpy as np
import pytest

from forensic_viewer import layer_base, overlays
from forensic_viewer.layer_base import ImageLayer
from forensic_viewer.layer_export import layer_bgra
from forensic_viewer.layers import LayerList
from forensic_viewer.model_layers import AgreementLayer, HeatmapLayer, MaskLayer


def _draw(layer) -> None:
    """What the renderer does: draw the layer when it wants a drawing, hand the result back."""
    job = layer.render_job()
    if layer.wants_drawing and job is not None:
        layer.apply_render(job.version, job.fn())


@pytest.fixture
def large(monkeypatch: pytest.MonkeyPatch) -> None:
    """A 40 x 60 image counts as large (as 102 MP does at the real limit)."""
    monkeypatch.setattr(layer_base, "HIDDEN_DRAWN_PIXELS", 1000)


def _heat() -> np.ndarray:
    return np.random.default_rng(1).random((40, 60)).astype(np.float32)


def test_a_large_hidden_heatmap_is_drawn_when_shown_and_let_go_when_hidden(large) -> None:
    layer = HeatmapLayer("h", _heat(), model="m", visible=False)
    assert not layer.drawn_hidden and not layer.wants_drawing
    _draw(layer)
    assert layer.raster() is None  # not drawn while hidden
    versions: list[int] = []
    layer.events.invalidated.connect(lambda e: versions.append(e.value))
    layer.visible = True
    assert versions and layer.wants_drawing and not layer.is_current  # asked to be drawn
    _draw(layer)
    assert layer.raster() is not None and layer.raster().shape == (40, 60, 4)
    gone: list[object] = []
    layer.events.rendered.connect(lambda e: gone.append(e.value))
    layer.visible = False
    assert layer.raster() is None and gone == [None]  # the canvas is told
    layer.visible = True
    _draw(layer)
    expected = overlays.heatmap_raster(layer.heatmap, layer.colormap, layer.fade)
    assert np.array_equal(layer.raster(), expected)  # drawn again, the same


def test_a_small_image_keeps_its_hidden_drawings() -> None:
    layer = HeatmapLayer("h", _heat(), model="m", visible=False)
    image = ImageLayer(np.zeros((40, 60, 3), np.uint8))
    assert layer.drawn_hidden and image.drawn_hidden
    _draw(layer)
    drawn = layer.raster()
    assert drawn is not None  # drawn ahead
    layer.visible = True
    layer.visible = False
    assert layer.raster() is drawn and layer.is_current  # kept, not drawn again


def test_a_large_hidden_mask_has_its_statistics_but_no_fill_until_shown(large) -> None:
    heat = _heat()
    mask = MaskLayer("m", heat, model="m", calibrated_threshold=0.5, visible=False)
    assert mask.wants_drawing  # the layer panel reads its statistics while hidden
    _draw(mask)
    assert mask.stats is not None and mask.stats.fill is None and mask.raster() is None
    assert mask.stats.fraction == pytest.approx(float((heat > 0.5).mean()))
    mask.visible = True
    assert not mask.is_current  # its fill is asked for
    _draw(mask)
    full = overlays.mask_render(heat, 0.5, mask.color)
    assert np.array_equal(mask.raster(), full.fill)
    mask.visible = False
    assert mask.stats is not None and mask.stats.fill is None  # the fill goes, the stats stay
    assert mask.is_current  # nothing to draw again while hidden


def test_a_shown_mask_whose_fill_is_ticked_again_is_drawn_with_it(large) -> None:
    mask = MaskLayer("m", _heat(), model="m", calibrated_threshold=0.5, fill=False)
    _draw(mask)
    assert mask.stats is not None and mask.stats.fill is None  # not filled: no raster
    mask.fill = True
    assert not mask.is_current
    _draw(mask)
    assert mask.raster() is not None


def test_a_large_hidden_mask_exports_its_fill_as_drawn(large) -> None:
    heat = _heat()
    hidden = MaskLayer("m", heat, model="m", calibrated_threshold=0.4, visible=False)
    shown = MaskLayer("m", heat, model="m", calibrated_threshold=0.4)
    for layer in (hidden, shown):
        _draw(layer)
    assert hidden.stats.fill is None and shown.stats.fill is not None
    assert np.array_equal(layer_bgra(hidden, (40, 60)), layer_bgra(shown, (40, 60)))


def test_agreement_and_evidence_of_a_large_image_are_drawn_only_when_shown(large) -> None:
    heat = _heat()
    masks = [MaskLayer(f"m{i}", heat, model=f"m{i}", calibrated_threshold=0.5) for i in (1, 2)]
    agreement = AgreementLayer(masks)  # hidden at first
    image = ImageLayer(np.zeros((40, 60, 3), np.uint8))
    layers = LayerList([image, *masks, agreement])
    for layer in layers:
        _draw(layer)
    assert image.raster() is not None and agreement.raster() is None
    image.visible = False
    assert image.raster() is None
