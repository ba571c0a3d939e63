"""Metadata beyond its caps is cut or left out, and the record says so.

A security walk-through found a 1 MB PNG ``Author`` text shown as exactly 1,000 'A's in every
report and in results.jsonl, and 16 of a file's 82 text chunks gone, with no mark: the analyst
could not tell that the record held less than the file.
"""

from __future__ import annotations

import io
from pathlib import Path

from PIL import ExifTags, Image, PngImagePlugin

from engine.exif import (
    METADATA_LEFT_OUT,
    METADATA_TOTAL_CAP,
    METADATA_VALUE_CAP,
    cut_mark,
    read_metadata,
)
from engine.io import load_evidence


def _png(path: Path, texts: dict[str, str]) -> Path:
    info = PngImagePlugin.PngInfo()
    for key, value in texts.items():
        info.add_text(key, value)
    Image.new("RGB", (8, 8), (90, 120, 150)).save(path, pnginfo=info)
    return path


def test_a_cut_value_ends_with_how_long_it_was(tmp_path: Path) -> None:
    path = _png(tmp_path / "long.png", {"Author": "A" * 1_048_576, "Title": "short"})
    meta = load_evidence(str(path)).metadata
    assert meta["info:Author"] == "A" * METADATA_VALUE_CAP + cut_mark("1,048,576 characters")
    assert meta["info:Author"].endswith(" … [cut: 1,048,576 characters]")
    assert meta["info:Title"] == "short"  # a value under the cap is as recorded
    assert METADATA_LEFT_OUT not in meta


def test_a_long_exif_array_says_how_many_values_it_had() -> None:
    img = Image.new("RGB", (4, 4))
    exif = img.getexif()
    exif[0x0301] = tuple(range(3000))  # a huge array (TIFF tag 769)
    buf = io.BytesIO()
    img.save(buf, "TIFF", exif=exif)
    buf.seek(0)
    value = read_metadata(Image.open(buf))[f"EXIF:{ExifTags.TAGS.get(0x0301, hex(0x0301))}"]
    assert value.startswith("(0, 1, 2, ")
    assert value.endswith(cut_mark("3,000 values"))
    assert len(value) == METADATA_VALUE_CAP + len(cut_mark("3,000 values"))


def test_fields_beyond_the_total_cap_are_counted_in_one_last_row(tmp_path: Path) -> None:
    texts = {f"pad{i:02d}": "P" * 1000 for i in range(82)}
    meta = load_evidence(str(_png(tmp_path / "padded.png", texts))).metadata
    kept = [k for k in meta if k.startswith("info:pad")]
    assert 0 < len(kept) < 82
    assert sum(len(k) + len(v) for k, v in meta.items() if k != METADATA_LEFT_OUT) <= (
        METADATA_TOTAL_CAP
    )
    left = 82 - len(kept)
    assert list(meta)[-1] == METADATA_LEFT_OUT
    assert meta[METADATA_LEFT_OUT].startswith(
        f"{left:,} fields ({left * 1010:,} characters) left out"
    )
    assert f"limited to {METADATA_TOTAL_CAP:,} characters" in meta[METADATA_LEFT_OUT]
