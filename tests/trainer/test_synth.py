"""Synthetic forgeries: exact masks, format (a), and splits that keep a host with its forgeries."""

from __future__ import annotations

from pathlib import Path

import cv2
import numpy as np
import pytest
import skimage.data

from tests.trainer.conftest import save_rgb
from trainer import cli
from trainer.data.records import read_folder, validate
from trainer.data.splits import group_of, split_samples
from trainer.data.synth import KINDS, SynthConfig, make_forgery

pytestmark = pytest.mark.usefixtures("seeded_single_thread")

PHOTOS = ("astronaut", "coffee", "chelsea", "rocket")


def _photo(name: str, size: tuple[int, int] = (96, 72)) -> np.ndarray:
    return cv2.resize(getattr(skimage.data, name)(), size, interpolation=cv2.INTER_AREA)


@pytest.mark.parametrize("kind", KINDS)
def test_each_kind_changes_the_masked_region_only(kind: str) -> None:
    host, donor = _photo("astronaut"), _photo("coffee")
    for seed in range(4):
        img, mask = make_forgery(kind, host, donor, SynthConfig(), np.random.default_rng(seed))
        assert img.shape == host.shape and img.dtype == np.uint8
        assert mask.shape == host.shape[:2] and set(np.unique(mask)) <= {0, 1}
        assert 0 < mask.mean() < 0.5
        diff = np.abs(img.astype(int) - host.astype(int)).max(axis=2)
        # Outside the mask, only the feathered rim (a few pixels wide) may change.
        rim = cv2.dilate(mask, np.ones((15, 15), np.uint8))
        assert diff[rim == 0].max() == 0, kind
        assert diff[mask > 0].mean() > 0.5, kind


def test_synth_command_writes_a_folder_that_trains_and_splits_by_host(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    src = tmp_path / "photos"
    for name in PHOTOS:
        save_rgb(src / f"{name}.png", _photo(name))
    out = tmp_path / "synth"
    assert cli.main(["synth", str(src), "--out", str(out), "--count", "16", "--seed", "1"]) == 0
    assert '"forgeries": 16' in capsys.readouterr().out
    samples = read_folder(out)
    validate(samples)
    assert sum(s.label for s in samples) == 16 and sum(1 - s.label for s in samples) == 4
    ids = group_of(samples)
    assert all(ids[s.image.name] for s in samples)
    sp = split_samples(samples, 0.25, "auto", 0)
    assert sp.by == "source"
    train_ids = {t for s in sp.train for t in ids[s.image.name]}
    assert not train_ids & {t for s in sp.val for t in ids[s.image.name]}
