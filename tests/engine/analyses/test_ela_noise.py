"""ELA and noise maps stand out where a region has another compression or noise history."""

from __future__ import annotations

import io

import numpy as np
from PIL import Image

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


def test_ela_resaves_a_444_jpeg_at_444(write_evidence) -> None:
    # Background saved at quality 80, a never-compressed region pasted in, the whole saved at
    # 95, all 4:4:4 (no chroma subsampling, as high-quality exports are). The resave was always
    # 4:2:0, whose chroma subsampling alone changed every colour edge of the background: its
    # error level was 0.14 and the region's AUC 0.68. At the file's own 4:4:4 the background
    # stays near 0.02 and the region stands out.
    buf = io.BytesIO()
    Image.fromarray(natural(H, W, 1)).save(buf, "JPEG", quality=80, subsampling=0)
    img = decode(buf.getvalue()).copy()
    truth = np.zeros((H, W), bool)
    truth[64:192, 96:224] = True
    img[truth] = natural(H, W, 2)[truth]
    buf = io.BytesIO()
    Image.fromarray(img).save(buf, "JPEG", quality=95, subsampling=0)
    r = run_analysis("ela", write_evidence(buf.getvalue()), params={"quality": 90})
    assert r.map[~truth].mean() < 0.05
    assert roc_auc(truth, r.map) >= 0.9
    assert r.extras["resave_subsampling"] == "4:4:4"


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


def test_noise_reads_the_same_level_in_a_last_cell_of_one_pixel(write_evidence) -> None:
    # 65 x 97 pixels of Gaussian noise σ 4 with 32-px blocks: the last row and column of
    # cells are one pixel wide and hold no Haar coefficient. They were left at σ 0, so the
    # layer read "noiseless" there and the map faded to 0 over the last 16 rows and columns.
    rng = np.random.default_rng(0)
    grey = np.clip(np.rint(128 + rng.normal(0, 4, (65, 97, 1))), 0, 255).astype(np.uint8)
    r = run_analysis("noise", write_evidence(png_bytes(np.repeat(grey, 3, 2)), "evidence.png"))
    sigma = r.layers[0].values * 10.0  # grey levels (sigma_cap 10)
    assert sigma.shape == (3, 4)
    assert np.all(np.abs(sigma - 4.0) < 1.0)  # the MAD estimate of σ 4, every cell
    assert r.map[-1].min() > 0.4 and r.map[:, -1].min() > 0.4  # ~0.5: the image's own level


def test_noise_residual_of_a_flat_colour_is_zero(write_evidence) -> None:
    # RGB (100, 150, 200) has luminance 140.75. The 3x3 median was taken of Y rounded to 8
    # bits (141), so the residual of a flat colour read 0.25 everywhere (2.5 grey levels x 10
    # in the picture), the rounding rather than any noise.
    img = np.empty((48, 40, 3), np.uint8)
    img[...] = (100, 150, 200)
    r = run_analysis("noise", write_evidence(png_bytes(img), "evidence.png"))
    assert r.extras["mean_residual"] == 0.0
    assert r.display.max() == 0


def test_noise_and_ela_maps_name_the_innocent_causes_of_their_values(write_evidence) -> None:
    # The noise map's words named only tampering (pasted, smoothed, noise added) for a region
    # that stands out; texture, flat or saturated areas and compression move it as well.
    ev = write_evidence(jpeg_bytes(natural(64, 64, 0), 90))
    noise_high = run_analysis("noise", ev).meaning.high
    assert "texture" in noise_high and "saturated" in noise_high and "compression" in noise_high
    assert "edges and fine texture" in run_analysis("ela", ev).meaning.high
