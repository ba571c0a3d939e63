"""A HEIF file's thumbnail items are compared with the image as an EXIF thumbnail is, turned
as the image is shown; its depth map and auxiliary images are listed. The files are in
tests/data/heif (README.md, made by make_items.py)."""

from __future__ import annotations

import struct
from pathlib import Path

import numpy as np
import pytest

from engine.analyses import Level, run_analysis
from engine.heif import heif_items
from engine.io import load_evidence

DATA = Path(__file__).resolve().parents[2] / "data" / "heif"


def _metadata(name: str):
    path = DATA / name
    before = path.read_bytes()
    r = run_analysis("metadata", load_evidence(path))
    assert path.read_bytes() == before  # the thumbnail is named primary in a copy, never here
    return r


def _thumbnail_rows(r) -> list:
    return [f for f in r.findings if f.topic == "thumbnail"]


def test_a_thumbnail_item_that_shows_the_image_is_information() -> None:
    r = _metadata("thumbnail.heic")
    (row,) = _thumbnail_rows(r)
    assert (row.key, row.level) == ("HEIF thumbnail item", Level.INFO)
    assert row.value.endswith("(48 x 32)")
    assert r.extras["thumbnail_correlation"] > 0.95
    assert not any(f.level == Level.STRONG for f in r.findings)
    assert r.map is not None and r.map.shape == (64, 96) and r.map.max() < 0.3


def test_the_thumbnail_is_turned_by_its_own_irot() -> None:
    """The picture is turned by irot (shown 64 x 96); its thumbnail item carries the same irot,
    as libheif writes it."""
    items = heif_items((DATA / "thumbnail-rotated.heic").read_bytes())
    assert items.primary.transforms == items.thumbnails[0].transforms == (("irot", 3),)
    r = _metadata("thumbnail-rotated.heic")
    (row,) = _thumbnail_rows(r)
    assert row.level == Level.INFO and row.value.endswith("(32 x 48)")
    assert r.extras["thumbnail_correlation"] > 0.95
    assert r.map is not None and r.map.shape == (96, 64)


def with_transforms(data: bytes, item: int, props: list[bytes]) -> bytes:
    """A HEIF file (``data``, pillow-heif's boxes: ipma version 0, iloc version 0 with 4-byte
    offsets) whose ``item`` has the properties ``props`` (irot/imir boxes) in place of its own
    irot/imir: they are added to ipco, the meta box grows and the items' offsets move."""
    from engine.heif import _boxes

    def box(kind: bytes, payload: bytes) -> bytes:
        return struct.pack(">I4s", 8 + len(payload), kind) + payload

    _, ms, mc, me = next(b for b in _boxes(data, 0, len(data)) if b[0] == b"meta")
    _, ps, pc, pe = next(b for b in _boxes(data, mc + 4, me) if b[0] == b"iprp")
    (_, _, cc, ce), (_, _, ac, _) = _boxes(data, pc, pe)
    kinds = [k for k, *_ in _boxes(data, cc, ce)]
    count, at, assoc = struct.unpack_from(">I", data, ac + 4)[0], ac + 8, {}
    for _ in range(count):
        key, n = struct.unpack_from(">HB", data, at)
        assoc[key] = list(data[at + 3 : at + 3 + n])
        at += 3 + n
    assoc[item] = [a for a in assoc[item] if kinds[(a & 0x7F) - 1] not in (b"irot", b"imir")]
    assoc[item] += [len(kinds) + 1 + k for k in range(len(props))]
    ipma = data[ac : ac + 4] + struct.pack(">I", len(assoc))
    ipma += b"".join(struct.pack(">HB", k, len(v)) + bytes(v) for k, v in sorted(assoc.items()))
    iprp = box(b"iprp", box(b"ipco", data[cc:ce] + b"".join(props)) + box(b"ipma", ipma))
    meta = box(b"meta", data[mc:ps] + iprp + data[pe:me])
    out = bytearray(data[:ms] + meta + data[me:])
    _, _, lc, _ = next(b for b in _boxes(out, ms + 12, ms + len(meta)) if b[0] == b"iloc")
    assert out[lc : lc + 6] == b"\x00\x00\x00\x00\x44\x40"  # version 0, 4-byte offsets
    count, at = struct.unpack_from(">H", out, lc + 6)[0], lc + 8
    for _ in range(count):  # base offsets into the data after the meta box move with it
        base, extents = struct.unpack_from(">IH", out, at + 4)
        if base >= me:
            struct.pack_into(">I", out, at + 4, base + len(meta) - (me - ms))
        at += 10 + 8 * extents
    return bytes(out)


def irot(quarter_turns: int) -> bytes:
    return struct.pack(">I4sB", 9, b"irot", quarter_turns)


def imir(axis: int) -> bytes:
    return struct.pack(">I4sB", 9, b"imir", axis)


@pytest.mark.parametrize(
    ("name", "item", "props", "shown"),
    [
        ("thumbnail-unturned.heic", 3, [], "(48 x 32)"),  # no irot: shown as stored
        ("thumbnail-rotated.heic", 3, [irot(1)], "(32 x 48)"),  # the other way round
        ("thumbnail-rotated.heic", 3, [imir(1)], "(48 x 32)"),  # mirrored, not turned
        ("thumbnail-rotated.heic", 1, [], "(32 x 48)"),  # the picture not turned, its thumbnail
    ],
)
def test_a_thumbnail_turned_otherwise_than_the_image_is_a_notice(
    name: str, item: int, props: list[bytes], shown: str, tmp_path: Path
) -> None:
    """A thumbnail item whose own irot/imir differ from the image's shows what its own boxes
    say. One without any was turned by the image's and read "matches"; one with others was
    "other content" (strong), though it is the picture turned otherwise: a notice that names
    both figures, the map that of the thumbnail turned as the image."""
    data = (DATA / name).read_bytes()
    if props or item == 1:
        data = with_transforms(data, item, props)
    items = heif_items(data)
    assert items.thumbnails[0].transforms != items.primary.transforms
    path = tmp_path / "turned.heic"
    path.write_bytes(data)
    ev = load_evidence(path)
    r = run_analysis("metadata", ev)
    (row,) = _thumbnail_rows(r)
    assert row.level == Level.NOTICE and "turned as the image" in row.value, row
    assert shown in row.value and "irot/imir" in row.note
    assert r.extras["thumbnail_correlation"] < 0.85
    assert r.extras["thumbnail_turned_as_image_correlation"] > 0.95
    assert r.map is not None and r.map.shape == ev.pixels.shape[:2]
    assert r.map.max() < 0.3  # the turned thumbnail's differences: none


def test_a_thumbnail_item_of_other_content_is_the_strong_finding() -> None:
    r = _metadata("thumbnail-other.heic")
    (row,) = _thumbnail_rows(r)
    assert (row.key, row.level) == ("HEIF thumbnail item", Level.STRONG)
    assert r.findings[0] is row  # strongest first
    assert r.extras["thumbnail_correlation"] < 0.5
    assert r.map is not None and r.map.shape == (64, 96)
    assert r.meaning is not None and "HEIF thumbnail item" in r.meaning.label
    # the thumbnail shows the picture upside down: the red block's corner differs most
    assert r.map[8:24, 10:30].mean() > r.map.mean()


def test_without_a_thumbnail_item_nothing_is_said_of_thumbnails() -> None:
    """As a JPEG without an EXIF thumbnail: no row, no map, ``thumbnail`` None. depth.heic's
    auxiliary items are reductions of the picture, as thumbnails are: they are not taken for
    thumbnails, only listed."""
    for name in ("plain.heic", "depth.heic"):
        r = _metadata(name)
        assert _thumbnail_rows(r) == [] and r.map is None
        assert r.extras["thumbnail"] is None and "heif_thumbnails" not in r.extras
    assert [f.topic for f in r.findings if f.topic == "auxiliary"] == ["auxiliary"] * 2


def test_a_depth_map_and_an_auxiliary_image_are_listed_with_their_sizes() -> None:
    r = _metadata("depth.heic")
    rows = {f.key: f for f in r.findings if f.topic == "auxiliary"}
    depth = rows["HEIF depth map"]
    assert (depth.value, depth.level) == ("48 x 32", Level.INFO)
    assert "image's aspect" in depth.note
    gain = rows["HEIF auxiliary image"]
    assert gain.level == Level.INFO and gain.value.endswith("hdrgainmap: 24 x 16")
    assert r.extras["heif_auxiliary"][0] == {
        "type": "urn:mpeg:hevc:2015:auxid:2",
        "size": [48, 32],
        "aspect_matches": True,
    }


def test_a_depth_map_of_another_aspect_is_a_notice() -> None:
    r = _metadata("depth-square.heic")
    (depth,) = [f for f in r.findings if f.key == "HEIF depth map"]
    assert (depth.value, depth.level) == ("32 x 32", Level.NOTICE)
    assert "another aspect" in depth.note
    assert r.extras["heif_auxiliary"][0]["aspect_matches"] is False


def test_a_damaged_thumbnail_item_is_a_notice_and_the_image_still_analysed(tmp_path: Path) -> None:
    """The thumbnail item's width in its ispe box changed: it cannot be what its boxes say."""
    data = bytearray((DATA / "thumbnail.heic").read_bytes())
    ispe = [i for i in range(len(data)) if data[i : i + 4] == b"ispe"][1]  # the thumbnail's
    data[ispe + 8 : ispe + 12] = (40).to_bytes(4, "big")
    path = tmp_path / "damaged.heic"
    path.write_bytes(bytes(data))
    r = run_analysis("metadata", load_evidence(path))
    (row,) = _thumbnail_rows(r)
    assert (row.key, row.value, row.level) == (
        "HEIF thumbnail item",
        "cannot be decoded",
        Level.NOTICE,
    )
    assert r.map is None and np.isfinite(r.extras["notice"])


def test_an_exif_thumbnail_is_turned_by_the_primary_images_irot() -> None:
    """A phone's EXIF thumbnail is stored as shot, like the picture, which libheif turns by its
    irot; the evidence's orientation is then 1, and the thumbnail was compared unturned with
    the picture turned (48 x 32 against 64 x 96): a false strong "other content" finding on
    every upright phone photograph with an EXIF thumbnail."""
    assert heif_items((DATA / "exif-thumbnail-rotated.heic").read_bytes()).thumbnails == ()
    r = _metadata("exif-thumbnail-rotated.heic")
    (row,) = _thumbnail_rows(r)
    assert (row.key, row.level) == ("EXIF thumbnail", Level.INFO)
    assert r.extras["thumbnail"] == {"width": 32, "height": 48}  # turned as the picture
    assert r.extras["thumbnail_correlation"] > 0.95 and "thumbnail_aspect_mismatch" not in r.extras
    assert not any(f.level == Level.STRONG for f in r.findings)
    # the turn does not hide a thumbnail of other content (the picture upside down)
    (other,) = _thumbnail_rows(_metadata("exif-thumbnail-other.heic"))
    assert (other.key, other.level) == ("EXIF thumbnail", Level.STRONG)


def test_an_exif_thumbnail_is_turned_by_the_exif_tag_when_the_boxes_cannot_be_read() -> None:
    from PIL import Image

    from engine.analyses.metadata import _heif_exif_turned

    thumb = np.arange(2 * 3 * 3, dtype=np.uint8).reshape(2, 3, 3)
    img = Image.new("RGB", (1, 1))
    img.info["original_orientation"] = 6  # turned 90° clockwise to be shown
    np.testing.assert_array_equal(_heif_exif_turned(thumb, img, b""), np.rot90(thumb, -1))
    img.info["original_orientation"] = "junk"
    np.testing.assert_array_equal(_heif_exif_turned(thumb, img, b""), thumb)


def clap(width: int, height: int) -> bytes:
    """A clean-aperture box: the centred ``width`` x ``height`` of an item (libheif crops it)."""
    return struct.pack(">I4s8I", 40, b"clap", width, 1, height, 1, 0, 1, 0, 1)


@pytest.mark.parametrize(
    ("name", "level", "fit"),
    [("thumbnail.heic", Level.INFO, "centre crop"), ("thumbnail-other.heic", Level.STRONG, None)],
)
def test_a_thumbnail_item_cropped_to_another_aspect_is_compared_with_the_images_centre(
    name: str, level: Level, fit: str | None, tmp_path: Path
) -> None:
    """The thumbnail item (48 x 32, the picture's 3:2) cropped to its centre 32 x 32 by a clap
    box, as libheif shows it, is compared with the image's centre by the EXIF thumbnail's rule
    and agrees exactly; the image stretched to a square, all that was tried before, agrees
    0.982 only because this picture is a smooth gradient (test_metadata.py's textured scene
    cropped so read 0.47, "other content"). A thumbnail of other content so cropped stays
    strong."""
    data = (DATA / name).read_bytes()
    item = heif_items(data).thumbnails[0].item_id
    path = tmp_path / "cropped.heic"
    path.write_bytes(with_transforms(data, item, [clap(32, 32)]))
    r = run_analysis("metadata", load_evidence(path))
    (row,) = _thumbnail_rows(r)
    assert row.level == level and row.value.endswith("(32 x 32)"), row
    if fit is not None:
        assert r.extras["thumbnail_correlation"] >= 0.995
        assert r.extras["thumbnail_fit"] == fit and "centre cropped" in row.value
        assert r.extras["thumbnail_image_box"] == [16, 0, 80, 64]
