"""HEIF/HEIC evidence (engine/heif.py): decoded by pi-heif under the same policy as every
other format. The files in tests/data/heif are described in its README."""

from __future__ import annotations

import hashlib
import shutil
import struct
from pathlib import Path

import numpy as np
import pytest

import engine.io
from engine.analyses import list_analyses, run_analysis
from engine.errors import CorruptImageError, ImageTooLargeError, UnsupportedFormatError
from engine.heif import HEIF_VERDICT_NOTE
from engine.io import load_evidence, sniff_format

DATA = Path(__file__).resolve().parents[1] / "data" / "heif"
RED = (250, 20, 20)


def _pattern() -> np.ndarray:
    """What plain.heic was made from (its README)."""
    y, x = np.mgrid[0:64, 0:96]
    rgb = np.stack([x * 255 // 95, y * 255 // 63, np.full_like(x, 90)], -1).astype(np.uint8)
    rgb[8:24, 10:30] = RED
    return rgb


def _is_red(pixel: np.ndarray) -> bool:
    return bool(np.abs(pixel.astype(int) - RED).max() < 25)


def test_a_heic_photograph_is_decoded_hashed_and_left_as_it_was(tmp_path: Path) -> None:
    path = tmp_path / "IMG_0001.HEIC"
    shutil.copyfile(DATA / "plain.heic", path)
    before = path.read_bytes()
    e = load_evidence(path)
    assert (e.format, e.width, e.height, e.frames) == ("HEIF", 96, 64, 1)
    assert e.sha256 == hashlib.sha256(before).hexdigest() and path.read_bytes() == before
    assert np.abs(e.pixels.astype(int) - _pattern()).mean() < 3  # HEVC at quality 95
    assert _is_red(e.pixels[16, 20]) and not _is_red(e.pixels[48, 70])
    assert not e.pixels.flags.writeable
    assert e.metadata["EXIF:Make"] == "FixtureCam"
    assert e.warnings == [HEIF_VERDICT_NOTE]  # the verdicts' figures understate on HEVC
    assert e.orientation == 1 and not e.orientation_applied


def test_the_files_own_rotation_is_applied_once_and_its_exif_tag_kept() -> None:
    e = load_evidence(DATA / "rotated.heic")
    assert (e.width, e.height) == (64, 96)  # turned by its irot box, as a phone shows it
    turned = np.rot90(_pattern(), k=-1)  # EXIF 6: 90 degrees clockwise
    assert np.abs(e.pixels.astype(int) - turned).mean() < 3  # not turned a second time
    # nothing left to apply: every map of the analyses lines up with these pixels
    assert e.orientation == 1 and not e.orientation_applied
    assert e.metadata["EXIF:Orientation"] == "6"  # the file's tag, not pi-heif's reset 1
    assert any("EXIF orientation 6" in w and "not applied again" in w for w in e.warnings)


def test_a_tiled_heic_is_decoded_whole_as_iphones_write_them() -> None:
    e = load_evidence(DATA / "grid.heic")  # 3 x 2 tiles of 32 px, a derived grid item
    assert (e.width, e.height, e.frames) == (96, 64, 1) and e.warnings == [HEIF_VERDICT_NOTE]
    assert np.abs(e.pixels.astype(int) - _pattern()).mean() < 3  # every tile in its place


def test_the_primary_image_is_analysed_and_the_others_counted() -> None:
    e = load_evidence(DATA / "two.heic")
    assert e.frames == 2 and "2 frames: only the primary one is analysed" in e.warnings
    assert _is_red(e.pixels[16, 20])  # the first image (the second is upside down)


def test_deeper_samples_are_reduced_to_8_bits_with_a_warning() -> None:
    e = load_evidence(DATA / "tenbit.heic")
    assert e.pixels.dtype == np.uint8 and np.abs(e.pixels.astype(int) - _pattern()).mean() < 3
    assert any(w.startswith("10 bits per channel reduced to 8") for w in e.warnings)


def test_the_limits_refuse_a_heic_before_its_pixels_are_decoded() -> None:
    with pytest.raises(ImageTooLargeError, match="declared size 96x64"):
        load_evidence(DATA / "plain.heic", max_pixels=1000)
    with pytest.raises(ImageTooLargeError, match="HEIF would take about"):
        load_evidence(DATA / "plain.heic", max_bytes=10_000)


def test_a_damaged_or_undecodable_heic_is_one_line_naming_it(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    cut = tmp_path / "cut.heic"
    cut.write_bytes((DATA / "plain.heic").read_bytes()[:1000])
    with pytest.raises(CorruptImageError) as e:
        load_evidence(cut)
    assert str(cut) in str(e.value) and "HEIF" in str(e.value) and "\n" not in str(e.value)
    monkeypatch.setattr(engine.io, "heif_decoder_available", lambda: False)
    with pytest.raises(UnsupportedFormatError, match="pip install pi-heif"):
        load_evidence(DATA / "plain.heic")


def test_a_heic_named_otherwise_is_read_by_its_content(tmp_path: Path) -> None:
    renamed = tmp_path / "holiday.jpg"
    shutil.copyfile(DATA / "plain.heic", renamed)
    e = load_evidence(renamed)
    assert e.format == "HEIF"
    assert e.warnings == ["named .jpg but holds HEIF data: analysed as HEIF", HEIF_VERDICT_NOTE]


def test_avif_with_the_generic_heif_brand_is_not_taken_for_heif(tmp_path: Path) -> None:
    head = struct.pack(">I", 28) + b"ftypmif1" + b"\x00\x00\x00\x00" + b"mif1avifmiaf"
    assert sniff_format(head) is None
    assert sniff_format((DATA / "plain.heic").read_bytes()[:64]) == "HEIF"
    p = tmp_path / "a.avif"
    p.write_bytes(head + bytes(64))
    with pytest.raises(UnsupportedFormatError, match="an AVIF image"):
        load_evidence(p)


@pytest.mark.parametrize("name", ["plain.heic", "rotated.heic"])
def test_every_classic_analysis_runs_on_heif_at_the_pictures_shape(name: str) -> None:
    e = load_evidence(DATA / name)
    for analysis in list_analyses():
        result = run_analysis(analysis, e)
        if result.map is not None:
            assert result.map.shape == (e.height, e.width), analysis


def test_a_heic_without_exif_is_a_notice_as_a_camera_jpeg_is() -> None:
    """Phones write EXIF into their HEIF photographs: one without it was stripped or made by
    software, as for a JPEG (the metadata analysis), not 'usual for the format'."""
    from engine.analyses.base import Level

    found = run_analysis("metadata", load_evidence(DATA / "two.heic")).output.findings
    absent = [f for f in found if (f.key, f.value) == ("EXIF", "absent")]
    assert [f.level for f in absent] == [Level.NOTICE]
