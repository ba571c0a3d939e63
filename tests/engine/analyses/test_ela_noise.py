"""ELA and noise maps stand out where a region has another compression or noise history."""

from __future__ import annotations

import io

import numpy as np
import pytest
from PIL import Image

from engine.analyses import Level, MapScale, run_analysis
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


def test_noise_without_a_typical_level_warns_and_keeps_only_the_sigma_layer(
    write_evidence,
) -> None:
    # A median σ of 0 (most detail quantised away, 6 of 52 camera photographs): σ / (2 x median)
    # put 1 on every cell with any noise and 0 elsewhere, a map that only pictured the rounding.
    rng = np.random.default_rng(2)
    img = np.full((128, 128, 3), 128.0, np.float32)
    img[:64, :64] += rng.normal(0, 6, (64, 64, 1))  # a quarter noisy, the rest flat
    ev = write_evidence(png_bytes(np.clip(img, 0, 255).astype(np.uint8)), "evidence.png")
    r = run_analysis("noise", ev)
    assert r.extras["median_sigma"] < 0.1 and r.extras["off_level_share"] is None
    assert r.map is None and r.meaning is None
    assert len(r.warnings) == 1 and "no typical noise level" in r.warnings[0]
    # "see the noise-sigma layer" pointed a scan report's reader at a layer scans do not keep
    assert (
        "viewer's noise-sigma layer" in r.warnings[0] and "a scan keeps no layers" in r.warnings[0]
    )
    (sigma,) = r.layers
    assert sigma.name == "noise-sigma" and sigma.values[0, 0] > 0.3 > sigma.values[-1, -1]
    assert r.display is not None and r.to_dict()["map"] is None
    # An image with a typical level keeps its map and has no warning.
    typical = run_analysis("noise", write_evidence(jpeg_bytes(natural(64, 64, 0), 90)))
    assert typical.map is not None and typical.warnings == ()


def test_noise_off_level_shares_take_the_median_the_map_is_relative_to(write_evidence) -> None:
    # The median σ is computed once, for the map and the shares alike: the shares follow the
    # median they are given, and the analysis's shares are those of the median it reports.
    from engine.analyses._imaging import luminance
    from engine.analyses.noise import local_sigma, off_level_shares

    sigma = np.array([[1.0, 1.0], [1.0, 5.0]], np.float32)  # 32-px cells of a 64 x 64 image
    assert off_level_shares(sigma, 32, 64, 64, 1.0)["noisier_share"] == 0.25
    assert off_level_shares(sigma, 32, 64, 64, 3.0)["noisier_share"] == 0.0
    assert off_level_shares(sigma, 32, 64, 64, 3.0)["smoother_share"] == 0.75
    rgb = natural(100, 140, 3)
    r = run_analysis("noise", write_evidence(png_bytes(rgb), "evidence.png"))
    cells = local_sigma(luminance(rgb), 32)
    med = float(np.median(cells))
    assert r.extras["median_sigma"] == round(med, 4)
    for key, value in off_level_shares(cells, 32, 100, 140, med).items():
        assert r.extras[key] == value


def test_ela_resaves_an_rgb_coded_jpeg_rgb_coded(write_evidence) -> None:
    # An RGB-coded JPEG (Adobe APP14 transform 0, as cjpeg -rgb writes) saved once at 90 and
    # resaved at 90: RGB-coded again it hardly changes, as a YCbCr 4:4:4 file resaved as YCbCr
    # does (0.01 and 0.05 grey levels). Version 2 resaved it as YCbCr, which changed every
    # pixel by the transform and the chroma tables alone (3.7 grey levels, as on any file).
    from engine.analyses._imaging import jpeg_roundtrip
    from tests.engine.analyses.test_jpeg import rgb_coded

    scene = natural(H, W, 1)
    data = rgb_coded(scene, 90)
    r = run_analysis("ela", write_evidence(data, "rgb.jpg"), params={"quality": 90})
    buf = io.BytesIO()
    Image.fromarray(scene).save(buf, "JPEG", quality=90, subsampling=0)
    ycc = run_analysis("ela", write_evidence(buf.getvalue(), "ycc.jpg"), params={"quality": 90})
    assert r.extras["mean_error"] <= max(2 * ycc.extras["mean_error"], 0.1)
    assert ycc.extras["resave_coding"] == "YCbCr"
    assert r.extras["resave_coding"] == "RGB-coded (no YCbCr transform)"
    assert r.extras["resave_subsampling"] == "4:4:4"
    assert [w for w in r.warnings if "full resolution" in w] == []  # only: at its own quality
    pixels = decode(data)
    as_ycc = np.abs(pixels.astype(np.int16) - jpeg_roundtrip(pixels, 90, (1, 1))).mean()
    assert as_ycc > 20 * max(r.extras["mean_error"], 0.05)
    # and a region pasted in (never compressed) into an RGB-coded background saved at 75,
    # the whole saved RGB-coded at 95, stands out of a background near 0 at ELA 75
    img = decode(rgb_coded(scene, 75)).copy()
    truth = np.zeros((H, W), bool)
    truth[64:192, 96:224] = True
    img[truth] = natural(H, W, 2)[truth]
    pasted_ev = write_evidence(rgb_coded(img, 95), "pasted.jpg")
    pasted = run_analysis("ela", pasted_ev, params={"quality": 75})
    assert pasted.map[~truth].mean() < 0.05
    assert roc_auc(truth, pasted.map) >= 0.9


def test_ela_warns_that_an_rgb_coded_jpeg_with_subsampling_is_resaved_at_full_resolution(
    write_evidence,
) -> None:
    from tests.engine.analyses.test_jpeg import rgb_coded

    data = rgb_coded(natural(H, W, 1), 90, subsampling=2)  # R 2x2, G and B 1x1
    assert [layer[1:3] for layer in Image.open(io.BytesIO(data)).layer] == [(2, 2), (1, 1), (1, 1)]
    r = run_analysis(
        "ela", write_evidence(data, "rgb.jpg"), params={"quality": 75}
    )  # below its own 90
    assert r.extras["resave_coding"].startswith("RGB-coded") and len(r.warnings) == 1
    assert "full resolution" in r.warnings[0]
    assert r.extras["resave_subsampling_from"] != "the file"


def test_ela_warns_when_it_resaves_at_or_above_the_files_own_quality(write_evidence) -> None:
    # A q70 background with a region pasted in, saved at 90: ELA at 90 is the file's own
    # quality, near 0 everywhere, and the region does not stand out (the expert review's
    # splice: AUC 0.53 at 90, 0.88 at 75); version 3 said nothing of it
    img = decode(jpeg_bytes(natural(H, W, 1), 70)).copy()
    truth = np.zeros((H, W), bool)
    truth[64:192, 96:224] = True
    img[truth] = natural(H, W, 2)[truth]
    ev = write_evidence(jpeg_bytes(img, 90))
    at_own = run_analysis("ela", ev, params={"quality": 90})
    assert at_own.extras["file_quality"] == 90
    assert len(at_own.warnings) == 1
    assert "about 90" in at_own.warnings[0] and "e.g. 75" in at_own.warnings[0]
    below = run_analysis("ela", ev, params={"quality": 75})
    assert not below.warnings
    assert roc_auc(truth, below.map) > roc_auc(truth, at_own.map) + 0.1
    assert not run_analysis("ela", write_evidence(png_bytes(img), "x.png")).warnings


def _flat_but_a_corner(size: int = 128) -> np.ndarray:
    """A flat grey image with a noisy quarter: median σ 0, no typical noise level."""
    rng = np.random.default_rng(2)
    img = np.full((size, size, 3), 128.0, np.float32)
    img[: size // 2, : size // 2] += rng.normal(0, 6, (size // 2, size // 2, 1))
    return np.clip(img, 0, 255).astype(np.uint8)


def test_noise_without_a_level_blames_jpeg_only_at_a_quality_that_explains_it(
    write_evidence,
) -> None:
    # A Leica T photograph (IJG quality 99) read "the finest detail is quantised away, e.g. by
    # the JPEG compression": at 99 the compression keeps noise of σ 1 (median σ 0.57-0.74)
    img = _flat_but_a_corner()
    fine = run_analysis("noise", write_evidence(jpeg_bytes(img, 99), "q99.jpg"))
    coarse = run_analysis("noise", write_evidence(jpeg_bytes(img, 80), "q80.jpg"))
    png = run_analysis("noise", write_evidence(png_bytes(img), "x.png"))
    for r in (fine, coarse, png):
        assert r.map is None and len(r.warnings) == 1
        assert "noise reduction" in r.warnings[0] and "flat content" in r.warnings[0]
    assert "quality about 99 the compression keeps" in fine.warnings[0]
    assert "JPEG compression (quality about 80)" in coarse.warnings[0]
    assert "JPEG" not in png.warnings[0]


def test_noise_spread_needs_a_fifth_percentile_of_a_grey_level_scale(write_evidence) -> None:
    # 22 cells of 32 px, 2 of them flat: the 5th percentile falls 5 % of the way from a cell
    # of σ 0 to one of σ ~0.74, a fraction of the band's 0.37 step, and the spread became
    # a large number (131072 on a Panasonic LX3, beside a sigma_p5 of 0.0)
    rng = np.random.default_rng(3)
    img = np.clip(128.0 + rng.normal(0, 1.0, (64, 352, 1)), 0, 255).repeat(3, axis=2)
    img[:32, :64] = 128.0
    r = run_analysis("noise", write_evidence(png_bytes(img.astype(np.uint8)), "x.png"))
    assert 0 < r.extras["sigma_p5"] < 0.1 and r.extras["median_sigma"] >= 0.1
    assert r.extras["spread_p95_over_p5"] is None


def test_noise_on_an_image_within_one_block_is_too_small_to_assess(
    write_evidence,
) -> None:
    # The intake walk-through of 2026-12-06 (classic analyses on tiny images): one 32-px
    # block is its own median, so the map read 0.5 everywhere and the off-level share 0,
    # "consistent" where nothing was compared; a 2 x 2 image gave a warning, not information.
    for h, w in ((32, 32), (20, 30), (3, 50), (1, 1)):
        rgb = np.ascontiguousarray(natural(64, 96, 3)[:h, :w])
        r = run_analysis("noise", write_evidence(png_bytes(rgb), "evidence.png"))
        (f,) = r.findings
        assert f.level == Level.INFO and f.value == f"{w} x {h} px: too small to assess"
        assert "at least 2 blocks" in f.note
        assert r.map is None and not r.warnings and r.display is not None
        assert r.extras.get("off_level_share") is None
    r = run_analysis("noise", write_evidence(png_bytes(natural(64, 96, 3)[:32, :40]), "e.png"))
    assert not r.findings and r.map is not None  # 2 blocks: compared
    assert r.extras["off_level_share"] is not None


def _ela_as_float(rgb: np.ndarray, resaved: np.ndarray, p) -> tuple:
    """ELA version 4's arithmetic on the whole image in int16 and float32, as it was."""
    diff = np.abs(rgb.astype(np.int16) - resaved.astype(np.int16)).astype(np.float32)
    level = diff.mean(axis=2)
    m = np.minimum(level * (p.map_gain / 255.0), 1.0).astype(np.float32)
    step = max(1, int(np.sqrt(diff.size / 3 / 250_000)))
    top = float(np.percentile(diff[::step, ::step], p.display_percentile))
    display = np.rint(np.minimum(diff * (255.0 / max(top, 1.0)), 255.0)).astype(np.uint8)
    return m, display, top, float(level.mean())


@pytest.mark.parametrize(("shape", "quality"), [((256, 320), 75), ((1200, 900), 90)])
def test_ela_in_bands_gives_the_float_arithmetic_s_figures_bit_for_bit(shape, quality) -> None:
    from engine.analyses._imaging import jpeg_roundtrip
    from engine.analyses.ela import ElaParams, _levels

    rgb = decode(jpeg_bytes(natural(*shape, 4), 85))
    resaved = jpeg_roundtrip(rgb, quality)
    p = ElaParams(quality=quality)
    m0, display0, top0, mean0 = _ela_as_float(rgb, resaved, p)
    m, display, top, total = _levels(rgb, resaved, p)
    np.testing.assert_array_equal(m, m0)
    np.testing.assert_array_equal(display, display0)
    assert top == top0 and m.dtype == np.float32
    assert total / rgb.size == pytest.approx(mean0, abs=1e-5)  # exact now: integer sums


def test_ela_holds_no_float_copy_of_the_image(write_evidence) -> None:
    # The whole |Δ| in int16 and float32 with the display's float temporaries came to some 42
    # bytes a pixel over the decoded image (511 MB at 12 MP); now the resave (3), its
    # encoder's copies, the map (4) and the display (3), the rest in row bands.
    import tracemalloc

    rgb = decode(jpeg_bytes(natural(1024, 1536, 5), 90))
    ev = write_evidence(png_bytes(rgb), "big.png")
    tracemalloc.start()
    try:
        r = run_analysis("ela", ev, params={"quality": 75})
        peak = tracemalloc.get_traced_memory()[1]
    finally:
        tracemalloc.stop()
    assert r.map.shape == rgb.shape[:2]
    assert peak < 24 * r.map.size, peak / r.map.size


def test_ela_of_a_cmyk_jpeg_names_the_conversion_and_no_comparison_of_its_quality(
    write_evidence,
) -> None:
    # ELA ran on a CMYK JPEG in silence, its "own quality about 80" taken from the ink tables;
    # the CMYK -> RGB -> YCbCr conversion is in every pixel's error (0.90 grey levels at ELA 75
    # against 0.38 for the same pixels saved as YCbCr at 80).
    buf = io.BytesIO()
    Image.fromarray(natural(H, W, 1)).convert("CMYK").save(buf, "JPEG", quality=80)
    r = run_analysis("ela", write_evidence(buf.getvalue(), "cmyk.jpg"), params={"quality": 90})
    assert r.map is not None and r.map.shape == (H, W)
    (warning,) = r.warnings  # not the blind warning: 90 >= 80 compares nothing here
    assert "CMYK -> RGB -> YCbCr conversion" in warning and "cannot be compared" in warning
    assert "about 80" in warning
    ycc = write_evidence(jpeg_bytes(natural(H, W, 1), 80), "ycc.jpg")
    assert not any("CMYK" in w for w in run_analysis("ela", ycc).warnings)
