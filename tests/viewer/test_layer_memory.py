"""LayerMemory (no Qt): a mask's threshold comes back only onto the same bytes and
calibration, and a reset is reported only for a threshold the analyst had moved."""

from __future__ import annotations

import numpy as np

from forensic_viewer.layer_memory import LayerMemory, Reset
from forensic_viewer.layers import LayerList
from forensic_viewer.model_layers import MaskLayer


def _mask(calibrated: float) -> MaskLayer:
    heatmap = np.zeros((8, 8), np.float32)
    return MaskLayer("net mask", heatmap, model="net", calibrated_threshold=calibrated)


def test_a_threshold_left_at_its_calibration_is_not_reset_when_the_calibration_changes() -> None:
    resets: list[Reset] = []
    memory = LayerMemory(on_reset=lambda path, r: resets.extend(r))
    memory.swap("e.png", "a" * 64, LayerList([_mask(0.5)]))  # never moved
    memory.swap(None, None, None)
    again = _mask(0.7)  # other weights under the same name
    memory.swap("e.png", "a" * 64, LayerList([again]))
    assert again.threshold == 0.7
    assert resets == []


def test_a_moved_threshold_is_reset_and_reported_when_the_calibration_changes() -> None:
    resets: list[Reset] = []
    memory = LayerMemory(on_reset=lambda path, r: resets.extend(r))
    first = _mask(0.5)
    memory.swap("e.png", "a" * 64, LayerList([first]))
    first.threshold = 0.3
    memory.swap(None, None, None)
    again = _mask(0.7)
    memory.swap("e.png", "a" * 64, LayerList([again]))
    assert again.threshold == 0.7
    assert [(r.layer, r.was) for r in resets] == [(again, 0.3)]
    # the layer's threshold is not recorded as calibrated: "stored" (threshold_words)
    assert "its stored threshold is now 0.7 (was 0.5)" in resets[0].why
