"""ELA and noise maps stand out where a region has another compression or noise history."""

from __future__ import annotations

import numpy as np

from engine.analyses import MapScale, run_analysis
from tests.engine.analyses.conftest import decode, jpeg_bytes, natural
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
