"""The one reader of ground-truth masks (engine.masks), which training, ``forensic-train eval``
and ``scan --gt`` share: a channel above 127 is tampered (a red drawing too), a varying alpha
counts, a mask of 0 and 1 (8, 16 or 32 bits, palette) reads as its 1s, a faint one (values
above 1, none above half the range) reads as empty and says so, another size is refused."""

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


def test_a_16_bit_faint_mask_is_empty_and_says_so_at_its_depth(tmp_path: Path) -> None:
    m = np.zeros((4, 6), np.uint16)
    m[:, :3] = 2
    path = _save(tmp_path / "m16.png", m)
    assert Image.open(path).mode.startswith("I;16")
    got = read_mask(path, (4, 6))
    assert not got.mask.any()
    assert len(got.warnings) == 1 and "the brightest is 2 of 65535" in got.warnings[0]
    full = read_mask(_save(tmp_path / "full16.png", (m > 0) * np.uint16(65535)), (4, 6))
    assert full.mask.sum() == 12 and full.warnings == []


def _palette(path: Path, indices: np.ndarray, palette: list[int] | None) -> Path:
    """A palette PNG of ``indices``; ``palette`` None: as ``Image.fromarray(a, "P")`` of a
    0/1 array saves it, a palette of black alone (index 1 past its end, decoded black)."""
    im = Image.frombytes("P", indices.shape[::-1], indices.tobytes())
    if palette is not None:
        im.putpalette(palette)
    im.save(path)
    return path


def test_a_mask_of_0_and_1_reads_as_its_1s_at_every_depth(tmp_path: Path) -> None:
    """A 0/1 mask (common in data sets written from arrays) read as empty: its tampered image
    was authentic in the viewer, refused by the trainer and left unscored by scan --gt."""
    ones = np.zeros((4, 6), np.uint8)
    ones[1:3, 2:5] = 1
    want = ones == 1
    rgb = np.zeros((4, 6, 3), np.uint8)
    rgb[..., 1] = ones
    files = {
        "grey8": _save(tmp_path / "g8.png", ones),
        "grey16": _save(tmp_path / "g16.png", ones.astype(np.uint16)),
        "colour": _save(tmp_path / "rgb.png", rgb),
        "palette black alone": _palette(tmp_path / "p0.png", ones, None),
        "palette (1, 1, 1)": _palette(tmp_path / "p1.png", ones, [0, 0, 0, 1, 1, 1]),
        "palette white": _palette(tmp_path / "pw.png", ones, [0, 0, 0, 255, 255, 255]),
    }
    assert Image.open(files["grey16"]).mode.startswith("I;16")
    assert Image.open(files["palette black alone"]).getpalette() == [0, 0, 0]
    for kind, path in files.items():
        got = read_mask(path, (4, 6))
        assert (got.mask == want).all(), kind
        assert got.warnings == [] and got.faint == "", kind
    whole = read_mask(_save(tmp_path / "all1.png", np.ones((4, 6), np.uint8)), (4, 6))
    assert whole.mask.all()  # a wholly generated image, as an all-255 mask says it


def test_a_palette_mask_is_read_by_its_colours_first(tmp_path: Path) -> None:
    """Indices are asked only when the colours mark nothing: a palette drawing a region at
    index 2 in white is that region, and indices of 0 and 1 with a colour that is not 0 or 1
    (a faint grey) are the faint mask they show."""
    idx = np.zeros((4, 6), np.uint8)
    idx[:, :2] = 1
    idx[:, 4:] = 2
    drawn = read_mask(_palette(tmp_path / "d.png", idx, [0, 0, 0, 0, 0, 0, 255, 255, 255]))
    assert (drawn.mask == (idx == 2)).all()
    faint = read_mask(_palette(tmp_path / "f.png", idx.clip(0, 1), [0, 0, 0, 60, 60, 60]))
    assert not faint.mask.any() and "its brightest value is 60" in faint.faint


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
    assert (got.mask == (ones == 1)).all() and got.warnings == []  # a mask of 0 and 1
    low = ones * 2
    got = read_mask(_tiff32(tmp_path / "low.tif", low), (4, 6))
    assert not got.mask.any()
    assert len(got.warnings) == 1 and f"the brightest is 2 of {of}" in got.warnings[0]
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
        path = _save(tmp_path / "m.png", np.full((4, 6), 2, np.uint16))
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
        assert "the brightest is 2 of 65535" in got.warnings[0], got.warnings
