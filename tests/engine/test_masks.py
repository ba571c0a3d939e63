"""The one reader of ground-truth masks (engine.masks), which training, ``forensic-train eval``
and ``scan --gt`` share: a channel above 127 is tampered (a red drawing too), a varying alpha
counts, a mask of 0 and 1 (8, 16 or 32 bits) reads as empty and says so, another size is
refused."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pytest
from PIL import Image

from engine.masks import MaskSizeError, read_mask


def _save(path: Path, pixels: np.ndarray, mode: str | None = None) -> Path:
    Image.fromarray(pixels, mode=mode).save(path) if mode else Image.fromarray(pixels).save(path)
    return path


def test_a_channel_above_127_is_tampered_whatever_its_colour(tmp_path: Path) -> None:
    """By luminance pure red is 76 and blue 29: a region drawn in them would read as none."""
    rgb = np.zeros((4, 6, 3), np.uint8)
    rgb[:, :2, 0] = 255
    rgb[:, 4:, 2] = 255
    rgb[0, 2] = 127  # not above 127 in any channel
    got = read_mask(_save(tmp_path / "colours.png", rgb), (4, 6))
    assert got.mask[:, :2].all() and got.mask[:, 4:].all() and not got.mask[:, 2:4].any()


def test_a_mask_drawn_in_the_alpha_channel_is_read_from_it(tmp_path: Path) -> None:
    rgba = np.zeros((4, 6, 4), np.uint8)  # black everywhere, opaque where tampered
    rgba[:, :3, 3] = 255
    got = read_mask(_save(tmp_path / "alpha.png", rgba), (4, 6))
    assert got.mask[:, :3].all() and not got.mask[:, 3:].any()
    assert len(got.warnings) == 1 and "transparency" in got.warnings[0]
    erased = np.full((4, 6, 4), 255, np.uint8)  # white, the right half erased (alpha 0)
    erased[:, 3:, 3] = 0
    clear = read_mask(_save(tmp_path / "erased.png", erased), (4, 6))
    assert clear.mask[:, :3].all() and not clear.mask[:, 3:].any() and clear.warnings == []
    opaque = np.zeros((4, 6, 4), np.uint8)  # an alpha the same everywhere says nothing
    opaque[..., 3] = 255
    opaque[:, :2, :3] = 255
    assert read_mask(_save(tmp_path / "opaque.png", opaque), (4, 6)).mask.sum() == 8


def test_a_16_bit_mask_of_0_and_1_is_empty_and_says_so_at_its_depth(tmp_path: Path) -> None:
    m = np.zeros((4, 6), np.uint16)
    m[:, :3] = 1
    path = _save(tmp_path / "m16.png", m)
    assert Image.open(path).mode.startswith("I;16")
    got = read_mask(path, (4, 6))
    assert not got.mask.any()
    assert len(got.warnings) == 1 and "the brightest is 1 of 65535" in got.warnings[0]
    full = read_mask(_save(tmp_path / "full16.png", m * 65535), (4, 6))
    assert full.mask.sum() == 12 and full.warnings == []


def _tiff32(path: Path, samples: np.ndarray) -> Path:
    """A grey TIFF of 32-bit ``samples`` as tifffile writes them (SampleFormat from the dtype)."""
    tifffile = pytest.importorskip("tifffile")
    tifffile.imwrite(path, samples)
    return path


@pytest.mark.parametrize(("dtype", "of"), [(np.uint32, 4294967295), (np.int32, 2147483647)])
def test_a_32_bit_mask_is_read_at_its_own_range_not_by_its_rescaled_pixels(
    tmp_path: Path, dtype: type, of: int
) -> None:
    # Read from the decoder's min-max rescaled pixels, a mask of 0 and 1 marked its 1s while
    # one of a single value, even the highest, marked nothing, and its empty-mask warning
    # spoke of 0..65535.
    full = read_mask(_tiff32(tmp_path / "full.tif", np.full((4, 6), of, dtype)), (4, 6))
    assert full.mask.all() and full.warnings == []
    half = np.zeros((4, 6), dtype)
    half[:, :2] = of // 2 + 1  # above half the declared range
    half[:, 2:4] = of // 2
    assert (read_mask(_tiff32(tmp_path / "half.tif", half), (4, 6)).mask == (half > of // 2)).all()
    ones = np.zeros((4, 6), dtype)
    ones[1:3, 2:5] = 1
    got = read_mask(_tiff32(tmp_path / "ones.tif", ones), (4, 6))
    assert not got.mask.any()
    assert len(got.warnings) == 1 and f"the brightest is 1 of {of}" in got.warnings[0]
    assert "65535" not in got.warnings[0]


def test_another_size_is_refused_naming_the_file(tmp_path: Path) -> None:
    path = _save(tmp_path / "m.png", np.full((4, 6), 255, np.uint8))
    with pytest.raises(MaskSizeError) as e:  # never resized: it could misalign every pixel
        read_mask(path, (8, 12))
    assert str(e.value).startswith(f"{path}: ground-truth mask is 6x4 but its image is 12x8")
    assert read_mask(path).mask.shape == (4, 6)  # no size given: any


@pytest.mark.parametrize("kind", ["alpha", "16-bit", "palette"])
def test_a_mask_with_planes_the_pixels_drop_is_read_and_decoded_once(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, kind: str
) -> None:
    """Its alpha or 16-bit samples come from the one decode load_evidence makes (they were
    decoded a second time from the file read again)."""
    from PIL import ImageFile

    import engine.files

    if kind == "alpha":
        rgba = np.zeros((4, 6, 4), np.uint8)
        rgba[:, :3, 0] = 255  # red on the left half ...
        rgba[:, :, 3] = 255
        rgba[0, :] = (255, 0, 0, 0)  # ... but the top row erased
        path, want = _save(tmp_path / "m.png", rgba), np.zeros((4, 6), bool)
        want[1:, :3] = True
    elif kind == "16-bit":
        path = _save(tmp_path / "m.png", np.full((4, 6), 1, np.uint16))
        want = np.zeros((4, 6), bool)
    else:
        pal = Image.fromarray(np.tile(np.array([[1, 1, 0, 0, 2, 2]], np.uint8), (4, 1)), "P")
        pal.putpalette([0, 0, 0, 255, 255, 255, 255, 255, 255])
        pal.info["transparency"] = 2  # the right third erased
        path, want = tmp_path / "m.png", np.zeros((4, 6), bool)
        pal.save(path, transparency=2)
        want[:, :2] = True
    decodes, reads = [], []
    load, read = ImageFile.ImageFile.load, engine.files.open_regular

    def counted_load(self: ImageFile.ImageFile):  # type: ignore[no-untyped-def]
        if self.tile:  # not loaded yet: a decode of the file's data
            decodes.append(self.mode)
        return load(self)

    def counted_open(p, **options):  # type: ignore[no-untyped-def]
        reads.append(p)
        return read(p, **options)

    monkeypatch.setattr(ImageFile.ImageFile, "load", counted_load)
    monkeypatch.setattr(engine.files, "open_regular", counted_open)
    got = read_mask(path, (4, 6))
    assert (got.mask == want).all()
    assert len(decodes) == 1, decodes
    assert len(reads) == 1, reads
    if kind == "16-bit":  # the warning that needs the 16-bit samples
        assert "the brightest is 1 of 65535" in got.warnings[0], got.warnings
