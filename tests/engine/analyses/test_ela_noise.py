"""ELA and noise maps stand out where a region has another compression or noise history."""

from __future__ import annotations

import numpy as np
import pytest

from engine.analyses import MapScale, run_analysis
from tests.engine.analyses.conftest import decode, jpeg_bytes, natural, png_bytes
from trainer.metrics import roc_auc

H, W = 256, 320


def test_ela_marks_a_region_pasted_into_a_low_quality_jpeg(write_evidence) -> None:
    base = decode(jpeg_bytes(natural(H, W, 1), 75))
    truth = np.zeros((H, W), bool)
    truth[64:192, 96:224] = True
    img = base.copy()
    img[truth] = natural(H, W, 2)[truth]  # never compressed
    ev = write_evidence(jpeg_bytes(img, 95))
    r = run_analysis("ela", ev, params={"quality": 75})
    assert r.meaning.scale == MapScale.RAW and "probability" not in r.meaning.label
    assert roc_auc(truth, r.map) >= 0.8
    assert r.display.shape == (H, W, 3)


def test_noise_map_marks_a_noisier_region(write_evidence) -> None:
    rng = np.random.default_rng(0)
    img = natural(H, W, 3).astype(np.float32)
    truth = np.zeros((H, W), bool)
    truth[64:192, 96:224] = True
    img[truth] += rng.normal(0, 8, (truth.sum(), 3))
    ev = write_evidence(jpeg_bytes(np.clip(img, 0, 255).astype(np.uint8), 95))
    r = run_analysis("noise", ev)
    assert roc_auc(truth, r.map) >= 0.8
    assert r.map[truth].mean() > r.map[~truth].mean() + 0.2
    assert r.layers[0].name == "noise-sigma"


def test_noise_map_stays_on_its_cells_when_the_side_is_not_a_multiple_of_the_block(
    write_evidence,
) -> None:
    # 40 rows, 32-px blocks: a flat top cell and a noisy partial cell of 8 rows. The cell grid
    # was resized to the image as if both cells were 20 rows high, so the flat rows 20-31
    # read as noisy as the image's median or noisier.
    rng = np.random.default_rng(0)
    img = np.full((40, 32, 3), 128, np.uint8)
    img[32:] = np.clip(128 + rng.normal(0, 8, (8, 32, 1)), 0, 255).astype(np.uint8)
    ev = write_evidence(png_bytes(img), "evidence.png")
    r = run_analysis("noise", ev)
    assert r.map.shape == (40, 32)
    assert r.layers[0].values[0].max() == 0.0 and r.layers[0].values[1].min() > 0.5
    assert r.map[:16].max() == 0.0  # up to the flat cell's centre: its own value
    assert r.map[24].max() < 0.5  # between the centres (16 and 35.5): closer to the flat cell
    assert r.map[36:].min() == 1.0  # the noisy cell's own rows read as its value


def test_noise_and_ela_maps_name_the_innocent_causes_of_their_values(write_evidence) -> None:
    # The noise map's words named only tampering (pasted, smoothed, noise added) for a region
    # that stands out; texture, flat or saturated areas and compression move it as well.
    ev = write_evidence(jpeg_bytes(natural(64, 64, 0), 90))
    noise_high = run_analysis("noise", ev).meaning.high
    assert "texture" in noise_high and "saturated" in noise_high and "compression" in noise_high
    assert "edges and fine texture" in run_analysis("ela", ev).meaning.high


def test_noise_off_level_share_is_the_area_off_the_typical_level(write_evidence) -> None:
    # The map's 99th percentile, the triage cell's figure before, is 1.00 (clipped at twice the
    # median σ) on nearly every photograph; the off-level share says how much of the image
    # departs from its typical noise level, so a uniform image and one with a noisier quarter
    # give different figures, in the right order.
    rng = np.random.default_rng(0)
    flat = np.full((H, W, 3), 128.0, np.float32)
    uniform = flat + rng.normal(0, 4, (H, W, 1))
    patched = flat + rng.normal(0, 4, (H, W, 1))
    patched[64:192, 96:256] = 128 + rng.normal(0, 12, (128, 160, 1))  # 1/4 of the area
    shares = []
    for img in (uniform, patched):
        ev = write_evidence(png_bytes(np.clip(img, 0, 255).astype(np.uint8)), "evidence.png")
        r = run_analysis("noise", ev)
        assert float(np.percentile(r.map, 99)) > 0.45  # the old figure: no help either way
        shares.append(r.extras["off_level_share"])
        assert r.extras["off_level_factor"] == 2.0
    assert shares[0] == 0.0
    assert shares[1] == pytest.approx(0.25, abs=0.02)
    assert run_analysis("noise", ev).extras["noisier_share"] == shares[1]


def test_noise_off_level_share_counts_partial_cells_by_area_and_needs_a_typical_level(
    write_evidence,
) -> None:
    # 72 x 96: two rows of three 32-px cells and a partial row of three 8-row cells, noisier:
    # a third of the cells, 8/72 of the image.
    rng = np.random.default_rng(1)
    img = np.clip(128 + rng.normal(0, 4, (72, 96, 1)), 0, 255).repeat(3, axis=2)
    img[64:] = np.clip(128 + rng.normal(0, 16, (8, 96, 1)), 0, 255)
    ev = write_evidence(png_bytes(img.astype(np.uint8)), "evidence.png")
    assert run_analysis("noise", ev).extras["off_level_share"] == pytest.approx(1 / 9, abs=1e-4)
    flat = write_evidence(png_bytes(np.full((64, 64, 3), 128, np.uint8)), "flat.png")
    extras = run_analysis("noise", flat).extras  # median σ 0: nothing to depart from
    assert extras["off_level_share"] is None and extras["smoother_share"] is None
