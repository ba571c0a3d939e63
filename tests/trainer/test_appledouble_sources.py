"""A folder copied from a Mac holds a ``._x.jpg`` beside every ``x.jpg`` (AppleDouble metadata
named like an image): the trainer's other listings pass over them as ``scan --gt`` and the
training data do (``engine.masks.is_appledouble``), or a forgery, face crop or face-model row
would be made from a few hundred bytes of resource fork."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pytest
from PIL import Image

from trainer.data.synth import _list_sources, source_images
from trainer.errors import DataError
from trainer.face_crops import crop_files

FORK = b"\x00\x05\x16\x07\x00\x02\x00\x00Mac OS X        "  # an AppleDouble header


def _photo(path: Path) -> Path:
    path.parent.mkdir(parents=True, exist_ok=True)
    Image.fromarray(np.full((8, 8, 3), 90, np.uint8)).save(path)
    return path


@pytest.mark.parametrize("layout", ["flat", "au"])
def test_source_photographs_leave_out_appledouble_files(tmp_path: Path, layout: str) -> None:
    folder = tmp_path / "Au" if layout == "au" else tmp_path
    photo = _photo(folder / "a.jpg")
    (folder / "._a.jpg").write_bytes(FORK)
    assert source_images(tmp_path) == [photo]
    assert _list_sources(tmp_path) == [photo]


def test_a_folder_of_appledouble_files_only_has_no_sources(tmp_path: Path) -> None:
    (tmp_path / "._a.jpg").write_bytes(FORK)
    with pytest.raises(DataError, match="no images to make forgeries from"):
        _list_sources(tmp_path)


def test_face_crops_leave_out_appledouble_files(tmp_path: Path) -> None:
    tampered = _photo(tmp_path / "Tp" / "ff_00001_swap_x.png")
    _photo(tmp_path / "Gt" / "ff_00001_swap_x.png")
    real = _photo(tmp_path / "Au" / "au_00001_y.png")
    for sub in ("Tp", "Gt", "Au"):
        (tmp_path / sub / "._z.png").write_bytes(FORK)
    assert crop_files(tmp_path) == [
        (tampered, 1, tmp_path / "Gt" / tampered.name),
        (real, 0, None),
    ]
