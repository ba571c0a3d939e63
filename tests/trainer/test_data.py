"""Data sets, splits, augmentation and CRFD-Net window sampling."""

from __future__ import annotations

import json
from pathlib import Path

import numpy as np
import pytest

from tests.trainer.conftest import make_folder, save_mask, texture
from trainer.data.augment import augment_image, jpeg, preset
from trainer.data.datasets import ImageDataset, WindowConfig, WindowDataset, load_items
from trainer.data.records import Sample, SkipLog, read_folder, read_json_list, validate
from trainer.data.splits import group_of, source_ids, split_samples
from trainer.errors import DataError

pytestmark = pytest.mark.usefixtures("seeded_single_thread")


def test_folder_and_json_formats_read_the_same_samples(tmp_path: Path) -> None:
    root = make_folder(tmp_path / "d", 3, 2, seed=0)
    folder = read_folder(root)
    assert [s.label for s in folder] == [1, 1, 1, 0, 0]
    pairs = [[f"d/Tp/{s.image.name}", f"d/Gt/{s.mask.name}"] for s in folder if s.mask] + [
        [f"d/Au/{s.image.name}", "Negative"] for s in folder if s.mask is None
    ]
    (tmp_path / "list.json").write_text(json.dumps(pairs))
    listed = read_json_list(tmp_path / "list.json")
    assert [(s.image.resolve(), s.label) for s in listed] == [
        (s.image.resolve(), s.label) for s in folder
    ]


def test_a_json_list_weights_an_image_by_listing_it_again(tmp_path: Path) -> None:
    """The recipes weight parts of a training list by repeating entries (the face model's lists
    its untouched crops ten times): each entry is a sample, none is refused or dropped, and
    ``check``'s problems stay empty."""
    root = make_folder(tmp_path / "d", 1, 1, seed=0)
    (tampered,), (mask,), (authentic,) = (
        [f"d/{sub}/{p.name}" for p in (root / sub).iterdir()] for sub in ("Tp", "Gt", "Au")
    )
    pairs = [[tampered, mask]] + [[authentic, "Negative"]] * 3
    (tmp_path / "list.json").write_text(json.dumps(pairs))
    problems: list = []
    listed = read_json_list(tmp_path / "list.json", problems)
    assert [s.label for s in listed] == [1, 0, 0, 0] and problems == []
    validate(listed)


def test_validate_catches_a_mask_of_another_size(tmp_path: Path) -> None:
    root = make_folder(tmp_path / "d", 2, 0, seed=0)
    save_mask(root / "Gt" / "t001.png", np.zeros((10, 12), np.uint8))
    with pytest.raises(DataError, match=r"t001.png: mask is 12x10 but its image t001.png is 64x64"):
        validate(read_folder(root))


def test_casia_source_ids() -> None:
    s = Sample(Path("Sp_D_CNN_A_ani0049_ani0084_0266.jpg"), Path("m.png"), 1)
    assert source_ids(s) == ["ani:49", "ani:84"]
    assert source_ids(Sample(Path("Au_ani_0049.jpg"), None, 0)) == ["ani:49"]
    v2 = Sample(Path("Tp_D_NRN_S_N_ani00018_art00017_10093.tif"), Path("m.png"), 1)
    assert source_ids(v2) == ["ani:18", "art:17"]
    assert source_ids(Sample(Path("IMG_1234.jpg"), None, 0)) == []


def _casia_like(n: int, rng: np.random.Generator) -> list[Sample]:
    """Tampered images whose two sources are drawn from a pool, plus the pool's authentic images."""
    out = []
    for i in range(n):
        a, b = rng.integers(1, 3 * n, 2)
        cat = ["ani", "art", "pla"][i % 3]
        out.append(
            Sample(Path(f"Sp_D_NNN_A_{cat}{a:04d}_{cat}{b:04d}_{i:04d}.jpg"), Path("m.png"), 1)
        )
    for j in range(1, 3 * n, 2):
        out.append(Sample(Path(f"Au_{['ani', 'art', 'pla'][j % 3]}_{j:04d}.jpg"), None, 0))
    return out


@pytest.mark.parametrize("seed", [0, 1, 2])
def test_source_split_has_no_source_on_both_sides(seed: int) -> None:
    samples = _casia_like(120, np.random.default_rng(seed))
    sp = split_samples(samples, 0.2, "auto", seed)
    assert sp.by == "source"
    ids = group_of(samples)
    train_ids = {t for s in sp.train for t in ids[s.image.name]}
    val_ids = {t for s in sp.val for t in ids[s.image.name]}
    assert train_ids and val_ids
    assert not train_ids & val_ids
    assert 0.1 * len(samples) <= len(sp.val) <= 0.35 * len(samples)
    again = split_samples(list(reversed(samples)), 0.2, "auto", seed)
    assert {s.image.name for s in again.val} == {s.image.name for s in sp.val}


def test_scene_split_refuses_when_categories_are_chained() -> None:
    samples = [
        Sample(Path("Sp_D_NNN_A_ani0001_art0002_0001.jpg"), Path("m"), 1),
        Sample(Path("Sp_D_NNN_A_art0003_pla0004_0002.jpg"), Path("m"), 1),
    ]
    with pytest.raises(DataError, match="cannot split by scene") as e:
        split_samples(samples, 0.5, "scene")
    # the --split-by choices that could still split them (fit's and check's option)
    assert "use --split-by source or --split-by seed, or give validation data" in str(e.value)


def test_seed_split_for_names_without_ids() -> None:
    samples = [Sample(Path(f"img{i}.png"), None, 0) for i in range(40)]
    sp = split_samples(samples, 0.25, "auto", 3)
    assert sp.by == "seed" and len(sp.val) == 10
    assert {s.image.name for s in split_samples(samples, 0.25, "auto", 3).val} == {
        s.image.name for s in sp.val
    }
    assert {s.image.name for s in split_samples(samples, 0.25, "auto", 4).val} != {
        s.image.name for s in sp.val
    }


def test_auto_groups_by_source_when_exactly_half_the_images_carry_source_ids() -> None:
    """The docstring's "at least half": 2 of 4 named with sources is enough for ``source``."""
    named = [
        Sample(Path("Sp_D_NNN_A_ani0001_art0002_0001.jpg"), Path("m"), 1),
        Sample(Path("Sp_D_NNN_A_pla0003_sec0004_0002.jpg"), Path("m"), 1),
    ]
    plain = [Sample(Path("img0.png"), None, 0), Sample(Path("img1.png"), None, 0)]
    assert split_samples(named + plain, 0.5, "auto", 0).by == "source"
    assert split_samples(named[:1] + plain, 0.5, "auto", 0).by == "seed"  # 1 of 3


def test_a_split_that_would_leave_no_training_image_is_refused() -> None:
    # 2 images at 0.7: the share is 1.4 images, so both single-image groups fill validation
    samples = [Sample(Path("a.png"), None, 0), Sample(Path("b.png"), None, 0)]
    with pytest.raises(DataError, match="cannot split by seed: every group landed in validation"):
        split_samples(samples, 0.7, "seed")


def test_augmentation_moves_image_and_mask_together() -> None:
    rng = np.random.default_rng(0)
    img = texture(rng, 80)
    mask = np.zeros((80, 80), np.uint8)
    mask[10:30, 40:70] = 1
    img[mask > 0] = (255, 0, 0)  # the mask is painted into the image
    cfg = preset("full", jpeg_prob=0.0, brightness=0.0, contrast=0.0)
    for seed in range(20):
        out, m = augment_image(img, mask, 64, cfg, np.random.default_rng(seed))
        assert out.shape == (64, 64, 3) and m.shape == (64, 64)
        red = (out[..., 0] > 200) & (out[..., 1] < 60) & (out[..., 2] < 60)
        # Interpolated edges may differ by a pixel; the interiors must coincide.
        assert (red & (m == 0)).sum() <= 0.1 * max(1, m.sum()) + 8
        assert (~red & (m == 1)).sum() <= 0.1 * max(1, m.sum()) + 8


def test_jpeg_roundtrip_keeps_colour_order() -> None:
    img = np.zeros((32, 32, 3), np.uint8)
    img[..., 0] = 200
    out = jpeg(img, 95)
    assert out[..., 0].mean() > 180 and out[..., 2].mean() < 20


def test_faces_preset_blurs_like_a_small_face_and_keeps_the_size() -> None:
    """The ``faces`` preset's shrink: same size out, fine detail gone when it fires (a
    one-pixel checkerboard cannot survive a shrink to at most the whole size and back), and
    untouched by the other presets."""
    from trainer.data.augment import photometric

    board = (np.indices((64, 64)).sum(0) % 2 * 255).astype(np.uint8)
    img = np.repeat(board[..., None], 3, axis=2)
    shrunk = preset("faces", shrink_prob=1.0, jpeg_prob=0.0, brightness=0.0, contrast=0.0)
    kept = preset("light", jpeg_prob=0.0, brightness=0.0, contrast=0.0)
    for seed in range(10):
        out = photometric(img, shrunk, np.random.default_rng(seed))
        assert out.shape == img.shape
        detail = np.abs(np.diff(out.astype(np.float32), axis=1)).mean()
        assert detail < 0.5 * 255  # the checkerboard's neighbours differ by 255 everywhere
        assert np.array_equal(photometric(img, kept, np.random.default_rng(seed)), img)
    alone = preset("faces", jpeg_prob=0.0, brightness=0.0, contrast=0.0)
    fired = [
        not np.array_equal(photometric(img, alone, np.random.default_rng(s)), img)
        for s in range(200)
    ]
    assert 0.4 <= np.mean(fired) <= 0.6  # shrink_prob 0.5 (binomial sd 0.035)


def test_camera_step_adds_noise_blurs_or_sharpens_the_whole_crop() -> None:
    """``camera_step``: each of its three kinds shows up over a seed range and does what it
    says on a smooth gradient with one edge (noise raises the flat part's spread, blur softens
    the edge, sharpening overshoots it), the same seed gives the same crop, and ``faces-camera``
    fires it on about 60 % of crops while ``faces`` never does."""
    from trainer.data.augment import camera_step, photometric

    img = np.zeros((48, 48, 3), np.uint8)
    img[:, :24] = 60
    img[:, 24:] = 200
    flat_sd = float(img[:, :20].std())
    kinds = set()
    for seed in range(30):
        out = camera_step(img, np.random.default_rng(seed))
        assert out.shape == img.shape and out.dtype == np.uint8
        assert np.array_equal(out, camera_step(img, np.random.default_rng(seed)))
        row = out[24, :, 1].astype(np.float32)
        if out[:, :20].std() > flat_sd + 0.5:
            kinds.add("noise")
        elif row.max() > 200 or row.min() < 60:
            kinds.add("sharpen")
        elif 60 < row[23] < 200 or 60 < row[24] < 200:
            kinds.add("blur")
    assert kinds == {"noise", "blur", "sharpen"}
    quiet = {"jpeg_prob": 0.0, "brightness": 0.0, "contrast": 0.0, "shrink_prob": 0.0}
    with_camera = preset("faces-camera", **quiet)
    without = preset("faces", **quiet)
    fired = [
        not np.array_equal(photometric(img, with_camera, np.random.default_rng(s)), img)
        for s in range(200)
    ]
    assert 0.5 <= np.mean(fired) <= 0.7  # camera_prob 0.6 (binomial sd 0.035)
    assert all(
        np.array_equal(photometric(img, without, np.random.default_rng(s)), img) for s in range(50)
    )


def test_windows_keep_foreground_and_a_share_of_clean_windows(tmp_path: Path) -> None:
    root = make_folder(tmp_path / "d", 6, 4, seed=1)
    items = load_items(read_folder(root), SkipLog())
    ds = WindowDataset(
        items, WindowConfig(window=32, authentic_share=0.5, jitter=False), preset("none")
    )
    c = ds.counts()
    assert c["forged_windows"] > 0
    assert c["clean_windows"] == round(0.5 * c["forged_windows"])
    x, m, label = ds[0]
    assert x.shape == (3, 32, 32) and m.shape == (1, 32, 32) and float(label) == float(m.max() > 0)
    only = WindowDataset(items, WindowConfig(window=32, authentic_share=0.0), preset("none"))
    assert all(float(only[i][1].max()) == 1.0 for i in range(len(only)))
    ds.set_epoch(3)
    first = [ds[i][0] for i in range(3)]
    ds.set_epoch(3)
    assert all((a == ds[i][0]).all() for i, a in enumerate(first))


def test_weights_change_each_data_sets_share(tmp_path: Path) -> None:
    a = load_items(read_folder(make_folder(tmp_path / "a", 4, 0, seed=2)), SkipLog(), [2.0] * 4)
    b = load_items(read_folder(make_folder(tmp_path / "b", 4, 0, seed=3)), SkipLog(), [0.5] * 4)
    ds = ImageDataset(a + b, 48, preset("none"))
    counts = np.bincount(ds.plan, minlength=8)
    assert (counts[:4] == 2).all()
    assert counts[4:].sum() <= 4


def test_unreadable_image_is_skipped_and_listed(tmp_path: Path) -> None:
    root = make_folder(tmp_path / "d", 2, 1, seed=0)
    (root / "Au" / "broken.png").write_bytes(b"\x89PNG\r\n\x1a\n" + b"\0" * 20)
    skipped = SkipLog()
    items = load_items(read_folder(root), skipped)
    assert len(items) == 3 and len(skipped) == 1
    assert "broken.png" in skipped.summary()


def test_a_group_larger_than_the_share_stays_in_training() -> None:
    chain = [
        Sample(Path(f"Sp_D_NNN_A_ani{i:04d}_ani{i + 1:04d}_{i:04d}.jpg"), Path("m"), 1)
        for i in range(1, 30)
    ]  # one chained component of 29 images
    loose = [Sample(Path(f"Au_pla_{i:04d}.jpg"), None, 0) for i in range(1, 21)]
    sp = split_samples(chain + loose, 0.2, "source", 0)
    assert all(s in sp.train for s in chain)
    assert 5 <= len(sp.val) <= 15
