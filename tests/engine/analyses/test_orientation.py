"""Maps of the classic analyses line up with the evidence as displayed, whatever the format
that carried the orientation tag."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pytest
from PIL import Image

from engine.analyses import run_analyses
from engine.analyses._imaging import orient, orient_cells
from engine.io import load_evidence
from tests.engine.analyses.conftest import jpeg_bytes, natural

ANALYSES = ["ela", "jpeg-ghost", "noise"]


def _save(path: Path, stored: np.ndarray, orientation: int | None) -> Path:
    kw = {}
    if orientation is not None:
        exif = Image.Exif()
        exif[0x0112] = orientation
        kw["exif"] = exif.tobytes()
    Image.fromarray(stored).save(path, format="TIFF", **kw)
    return path


@pytest.mark.parametrize("orientation", [3, 6, 8])
def test_a_rotated_tiffs_maps_are_the_stored_maps_turned(tmp_path: Path, orientation: int) -> None:
    # ELA re-reads the stored pixels from the file; for a TIFF Pillow hands them back already
    # turned, so the map was turned twice and lay across the picture the analyst saw.
    yy, xx = np.mgrid[0:48, 0:80]
    stored = np.stack([xx * 3, yy * 5, (xx * yy) % 256], -1).astype(np.uint8)
    stored[8:24, 8:32] = np.random.default_rng(0).integers(0, 256, (16, 24, 3))
    # Grain everywhere: a noise level to compare with (without one the noise map is left out).
    grain = np.random.default_rng(1).normal(0, 3, stored.shape)
    stored = np.clip(stored + grain, 0, 255).astype(np.uint8)
    plain = load_evidence(_save(tmp_path / "plain.tif", stored, None))
    turned = load_evidence(_save(tmp_path / "turned.tif", stored, orientation))
    k = {3: 2, 6: -1, 8: 1}[orientation]  # np.rot90 turns counter-clockwise
    np.testing.assert_array_equal(turned.pixels, np.rot90(plain.pixels, k))
    ra, rb = run_analyses(ANALYSES, plain), run_analyses(ANALYSES, turned)
    # no ghost here: no map (a map of zeros read as a measurement), its layers turned instead
    assert ra["jpeg-ghost"].map is None and rb["jpeg-ghost"].map is None
    for la, lb in zip(ra["jpeg-ghost"].layers, rb["jpeg-ghost"].layers, strict=True):
        np.testing.assert_allclose(lb.values, np.rot90(la.values, k), atol=1e-6)
    for name in ("ela", "noise"):
        a, b = ra[name].map, rb[name].map
        assert a is not None and b is not None, name
        assert b.shape == turned.pixels.shape[:2], name
        np.testing.assert_allclose(b, np.rot90(a, k), atol=1e-6, err_msg=name)
        if ra[name].display is not None:
            np.testing.assert_array_equal(rb[name].display, np.rot90(ra[name].display, k), name)


@pytest.mark.parametrize("orientation", [2, 3, 4, 5, 6, 7, 8])
def test_a_turned_map_of_cells_covers_the_pixels_its_cells_covered_when_stored(
    tmp_path: Path, orientation: int
) -> None:
    """The JPEG ghost's layers keep one value per 8 x 8 cell of the stored image; 44 stored
    rows end in a cell of 4. Turning the cells put that short cell first, and every cell of
    that axis read and drew 4 pixels off the picture the analyst saw (2 of the 53 camera
    photographs: 1932 and 1836 rows, turned 90°)."""
    yy, xx = np.mgrid[0:44, 0:80]
    stored = np.stack([xx * 3, yy * 5, (xx * yy) % 256], -1).astype(np.uint8)
    stored[8:24, 8:32] = np.random.default_rng(0).integers(0, 256, (16, 24, 3))
    plain = load_evidence(_save(tmp_path / "plain.tif", stored, None))
    turned = load_evidence(_save(tmp_path / "turned.tif", stored, orientation))
    a = run_analyses(["jpeg-ghost"], plain)["jpeg-ghost"].layers
    b = run_analyses(["jpeg-ghost"], turned)["jpeg-ghost"].layers
    assert a and len(a) == len(b)
    h, w = turned.pixels.shape[:2]
    for la, lb in zip(a, b, strict=True):
        expected = orient(la.full(44, 80), orientation)
        np.testing.assert_allclose(lb.full(h, w), expected, atol=1e-6, err_msg=lb.name)


@pytest.mark.parametrize("orientation", [2, 3, 6])
def test_the_noise_level_of_a_jpeg_does_not_depend_on_its_orientation_tag(
    tmp_path: Path, orientation: int
) -> None:
    """Noise was measured on the displayed pixels. A JPEG side of odd length, flipped, puts
    every Haar pair across the 8x8 block edges, whose blocking then read as noise: the same
    quality-50 file measured σ 0.96 upright and up to 1.65 tagged as turned."""
    stored = natural(133, 203, 5)
    exif = Image.Exif()
    exif[0x0112] = orientation
    (tmp_path / "plain.jpg").write_bytes(jpeg_bytes(stored, 50))
    (tmp_path / "turned.jpg").write_bytes(jpeg_bytes(stored, 50, exif=exif.tobytes()))
    plain = load_evidence(tmp_path / "plain.jpg")
    turned = load_evidence(tmp_path / "turned.jpg")
    a, b = (run_analyses(["noise"], e)["noise"] for e in (plain, turned))
    assert b.extras["median_sigma"] == a.extras["median_sigma"]
    np.testing.assert_allclose(b.map, orient(a.map, orientation), atol=1e-6)
    # the σ layer: the stored cells turned (split to 2-px cells first, as for the ghost)
    cells, cell = orient_cells(a.layers[0].values, a.layers[0].cell, (133, 203), orientation)
    assert b.layers[0].cell == cell
    np.testing.assert_array_equal(b.layers[0].values, cells)
