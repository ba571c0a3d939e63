"""Walk-through C, finding 3: the ground-truth figures were scored on the 8-bit map, whose
rounding put exact-0.5 values (and those within half a level of the own threshold) on the
other side of the threshold than the mask drawn and the forged fraction counted."""

from __future__ import annotations

from pathlib import Path

import numpy as np

from engine.metrics import pixel_counts
from forensic_viewer.overlays import threshold_mask
from forensic_viewer.scan.maps import heatmap_png, read_heatmap_png
from forensic_viewer.scan.truth_scores import HALF, MapSource, score_map

OWN = 0.35


def _map(rng: np.random.Generator) -> np.ndarray:
    """A map with values at exactly 0.5 (as the int8 CRFD model gives) and many within a level
    of the own threshold."""
    heat = rng.random((60, 80)).astype(np.float32)
    heat[:10] = 0.5
    heat[10:30] = np.float32(OWN) + rng.uniform(-1 / 255, 1 / 255, (20, 80)).astype(np.float32)
    return heat


def test_the_scored_mask_is_the_drawn_mask_and_the_forged_fractions(tmp_path: Path) -> None:
    rng = np.random.default_rng(4)
    heat, truth = _map(rng), rng.random((60, 80)) < 0.4
    scored = score_map(MapSource("m", "model", heat, OWN, 0.5, True), truth)
    for t, counts in ((OWN, scored.own), (HALF, scored.half)):
        drawn = threshold_mask(heat, t).astype(bool)  # the mask layer's
        assert np.array_equal(drawn, heat > t)  # the forged fraction's (engine.pipeline)
        assert counts == pixel_counts(drawn, truth)
    # a scan's map file, read back as `scan --gt` and a replay read it, scores the same
    path = tmp_path / "m.png"
    path.write_bytes(heatmap_png(heat, (OWN, HALF)))
    stored = read_heatmap_png(path, heat.shape)
    again = score_map(MapSource("m", "model", stored, OWN, 0.5, True), truth)
    assert (again.own, again.half) == (scored.own, scored.half)
    assert np.array_equal(threshold_mask(stored, OWN), threshold_mask(heat, OWN))
