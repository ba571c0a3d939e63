"""bench/quality_analyses.py reads the true masks by the one rule of masks (engine.masks)."""

from __future__ import annotations

from pathlib import Path

import numpy as np
from PIL import Image

from bench.quality_analyses import _gt, _one, summarize


def test_a_red_mask_is_the_region_and_a_mask_of_another_size_is_refused(tmp_path: Path) -> None:
    """A red drawing is its region (OpenCV's grey, 76, read none); a mask of another size
    leaves its image out of the pixel figures, named, instead of being resized onto it."""
    img = np.random.default_rng(0).integers(0, 255, (32, 48, 3), dtype=np.uint8)
    Image.fromarray(img).save(tmp_path / "Sp_D_a.png")
    red = np.zeros((32, 48, 3), np.uint8)
    red[8:16, 8:24, 0] = 255
    Image.fromarray(red).save(tmp_path / "red.png")
    Image.fromarray(red[:16]).save(tmp_path / "half.png")
    ok = _one((str(tmp_path / "Sp_D_a.png"), str(tmp_path / "red.png"), [], {}))
    assert "mask_error" not in ok
    assert _gt(str(tmp_path / "red.png"), 32, 48).sum() == 8 * 16
    refused = _one((str(tmp_path / "Sp_D_a.png"), str(tmp_path / "half.png"), [], {}))
    assert "48x16" in refused["mask_error"] and "32" in refused["mask_error"]
    assert summarize([ok, refused], [])["masks_refused"] == [refused["mask_error"]]


def test_the_summary_names_the_version_of_each_analysis_it_scored(tmp_path: Path) -> None:
    """Figures quoted in the docs outlived the versions that made them: the summary says which
    version of every analysis run produced its figures (from the registry, as scans record)."""
    from engine.analyses import get_analysis_spec

    img = np.random.default_rng(1).integers(0, 255, (32, 48, 3), dtype=np.uint8)
    Image.fromarray(img).save(tmp_path / "Sp_D_b.jpg", quality=80)
    mask = np.zeros((32, 48), np.uint8)
    mask[8:24, 8:24] = 255
    Image.fromarray(mask).save(tmp_path / "m.png")
    row = _one((str(tmp_path / "Sp_D_b.jpg"), str(tmp_path / "m.png"), ["ela", "noise"], {}))
    out = summarize([row], ["ela", "noise"])
    assert out["versions"] == {a: get_analysis_spec(a).provenance.version for a in ("ela", "noise")}
    assert 0.0 <= out["ela"]["Sp_D_pixel_auc"] <= 1.0


def test_a_ghost_that_found_nothing_scores_as_its_map_of_zeros_did(tmp_path: Path) -> None:
    """Ghost 9 draws no map where it found no earlier quality (8 drew one of 0, AUC 0.5): the
    image still counts 0.5, so its mean AUC stays comparable with the figures before."""
    rng = np.random.default_rng(2)
    img = rng.integers(0, 255, (64, 64, 3), dtype=np.uint8)
    Image.fromarray(img).save(tmp_path / "Sp_D_c.png")
    mask = np.zeros((64, 64), np.uint8)
    mask[16:48, 16:48] = 255
    Image.fromarray(mask).save(tmp_path / "m.png")
    row = _one((str(tmp_path / "Sp_D_c.png"), str(tmp_path / "m.png"), ["jpeg-ghost"], {}))
    assert row["jpeg-ghost"]["auc"] == 0.5
