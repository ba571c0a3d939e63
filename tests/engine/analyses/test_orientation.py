"""Maps of the classic analyses line up with the evidence as displayed, whatever the format
that carried the orientation tag."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pytest
from PIL import Image

from engine.analyses import run_analyses
from engine.analyses._imaging import orient
from engine.io import load_evidence
from tests.engine.analyses.conftest import natural

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
    plain = load_evidence(_save(tmp_path / "plain.tif", stored, None))
    turned = load_evidence(_save(tmp_path / "turned.tif", stored, orientation))
    k = {3: 2, 6: -1, 8: 1}[orientation]  # np.rot90 turns counter-clockwise
    np.testing.assert_array_equal(turned.pixels, np.rot90(plain.pixels, k))
    ra, rb = run_analyses(ANALYSES, plain), run_analyses(ANALYSES, turned)
    for name in ANALYSES:
        a, b = ra[name].map, rb[name].map
        assert a is not None and b is not None, name
        assert b.shape == turned.pixels.shape[:2], name
        if name != "noise":  # noise works on the displayed pixels: its blocks start elsewhere
            np.testing.assert_allclose(b, np.rot90(a, k), atol=1e-6, err_msg=name)


@pytest.mark.parametrize("orientation", [2, 3, 6, 7, 8])
def test_ghost_layers_of_a_turned_jpeg_lie_under_their_cells_on_odd_sides(
    tmp_path: Path, orientation: int
) -> None:
    # 45 x 83 stored: the JPEG grid's partial cells (5 and 3 px) come first once the image is
    # flipped. The cell arrays were turned as they were, so every cell sat up to 7 px off the
    # pixels it describes and the last one was dropped.
    stored = natural(45, 83, 1)
    exif = Image.Exif()
    exif[0x0112] = orientation
    Image.fromarray(stored).save(tmp_path / "plain.jpg", quality=85)
    Image.fromarray(stored).save(tmp_path / "turned.jpg", quality=85, exif=exif.tobytes())
    plain, turned = load_evidence(tmp_path / "plain.jpg"), load_evidence(tmp_path / "turned.jpg")
    ra, rb = run_analyses(["jpeg-ghost"], plain), run_analyses(["jpeg-ghost"], turned)
    h, w = turned.height, turned.width
    # the pixel at the centre of each of the turned image's 8x8 cells
    ys = [(8 * i + min(8 * i + 8, h) - 1) // 2 for i in range(-(-h // 8))]
    xs = [(8 * j + min(8 * j + 8, w) - 1) // 2 for j in range(-(-w // 8))]
    for la, lb in zip(ra["jpeg-ghost"].layers, rb["jpeg-ghost"].layers, strict=True):
        expected = orient(la.full(plain.height, plain.width), orientation)
        got = lb.full(h, w)
        assert got.shape == expected.shape == (h, w)
        np.testing.assert_array_equal(got[np.ix_(ys, xs)], expected[np.ix_(ys, xs)], la.name)
