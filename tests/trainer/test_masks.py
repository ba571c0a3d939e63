"""The trainer reads masks by engine.masks' rule, the one of ``scan --gt``: the same region
for training, ``forensic-train eval`` and the viewer, another size refused naming the file, the
reader's warnings listed at the end of the command."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pytest
from PIL import Image

from trainer.data.records import Sample, SkipLog, empty_masks, load_mask
from trainer.errors import DataError


def _save(path: Path, pixels: np.ndarray, mode: str | None = None) -> Path:
    Image.fromarray(pixels, mode=mode).save(path) if mode else Image.fromarray(pixels).save(path)
    return path


def test_a_pure_red_mask_is_tampered_for_eval_and_scan_alike(tmp_path: Path) -> None:
    """By luminance pure red is 76 and read as no region: the trainer's reader said authentic
    where scan --gt said tampered. Both read it through engine.masks now."""
    from forensic_viewer.scan.groundtruth import read_mask as scan_read_mask

    rgb = np.zeros((4, 6, 3), np.uint8)
    rgb[:, :3, 0] = 255
    path = _save(tmp_path / "red.png", rgb)
    train = load_mask(Sample(tmp_path / "img.png", path, 1), (4, 6))
    scan = scan_read_mask(path, (4, 6))
    assert train.sum() == 12 and np.array_equal(train.astype(bool), scan.mask)


def test_another_size_is_refused_in_training_naming_the_file(tmp_path: Path) -> None:
    path = _save(tmp_path / "m.png", np.full((4, 6), 255, np.uint8))
    with pytest.raises(DataError) as e:
        load_mask(Sample(tmp_path / "img.png", path, 1), (8, 12))
    assert str(e.value).startswith(f"{path}: ground-truth mask is 6x4 but its image is 12x8")


def test_the_trainer_lists_the_readers_warnings(tmp_path: Path) -> None:
    rgba = np.zeros((4, 6, 4), np.uint8)
    rgba[:, :3, 3] = 255  # drawn in the transparency alone
    path = _save(tmp_path / "alpha.png", rgba, "RGBA")
    sample = Sample(tmp_path / "img.png", path, 1)
    skipped = SkipLog()
    assert load_mask(sample, (4, 6), skipped).sum() == 12
    load_mask(sample, (4, 6), skipped)  # said once
    assert len(skipped.mask_warnings) == 1 and "the transparency does" in skipped.summary()


def test_a_tampered_images_faint_mask_is_refused_not_read_as_empty(tmp_path: Path) -> None:
    """Read as empty with a warning, a faint mask trained its image's forged region as
    untouched texture; the scan's reader still reads it as empty and warns (engine.masks). A
    mask of 0 and 1 is no faint mask: its 1s are the region."""
    m = np.zeros((4, 6), np.uint8)
    m[:, :3] = 100
    path = _save(tmp_path / "m100.png", m, "L")
    with pytest.raises(DataError) as e:
        load_mask(Sample(tmp_path / "img.png", path, 1), (4, 6), SkipLog())
    assert str(e.value) == (
        f"{path}: its brightest value is 100; only values above 127 count as tampered: "
        "save the tampered region as 255"
    )
    ones = _save(tmp_path / "m01.png", (m > 0).astype(np.uint8), "L")
    got = load_mask(Sample(tmp_path / "img1.png", ones, 1), (4, 6), SkipLog())
    assert (got == (m > 0)).all()
    black = _save(tmp_path / "black.png", np.zeros((4, 6), np.uint8), "L")
    sample = Sample(tmp_path / "img2.png", black, 1)
    assert not load_mask(sample, (4, 6), SkipLog()).any()  # all black: an empty mask, not refused
    assert empty_masks([sample]) == [sample.image]
