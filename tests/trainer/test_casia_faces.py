"""packaging/recipes/casia_faces.py: CASIA faces become real spliced faces (with their mask, cut
as the face path cuts the crop), authentic faces, or are left out."""

from __future__ import annotations

import importlib.util
import sys
from pathlib import Path

import numpy as np

ROOT = Path(__file__).resolve().parents[2]


def _module():
    spec = importlib.util.spec_from_file_location(
        "casia_faces", ROOT / "packaging/recipes/casia_faces.py"
    )
    assert spec and spec.loader
    module = importlib.util.module_from_spec(spec)
    sys.modules[spec.name] = module  # its dataclass looks itself up there
    spec.loader.exec_module(module)
    return module


def test_faces_are_sorted_by_the_tamper_mask_and_cut_as_the_face_path_cuts() -> None:
    cf = _module()
    rgb = np.zeros((200, 300, 3), np.uint8)
    rgb[:, :, 0] = np.arange(300, dtype=np.uint8)[None, :] // 2  # red says the column
    rgb[:, :, 1] = np.arange(200, dtype=np.uint8)[:, None]  # green says the row
    mask = np.zeros((200, 300), bool)
    mask[20:100, 20:100] = True  # the pasted region
    boxes = [(40, 40, 40, 40), (200, 60, 40, 40), (90, 40, 40, 40), (250, 150, 20, 20)]
    spliced, clean, beside, small = cf.face_crops(rgb, mask, boxes, min_face=32, side=64)
    assert spliced.what == "spliced" and spliced.box_share == 1.0
    assert clean.what == "authentic" and clean.crop_share == 0.0 and clean.mask is None
    assert beside.what == "unsure" and beside.window is None
    assert small.what == "small" and small.window is None
    # the crop: the box grown by 30 % on every side (40 -> 64 pixels), centred on the box
    assert spliced.window.shape == (64, 64, 3)
    assert abs(int(spliced.window[32, 32, 0]) - 60 // 2) <= 1  # centre column 60
    assert abs(int(spliced.window[32, 32, 1]) - 60) <= 1  # centre row 60
    assert abs(int(clean.window[0, 0, 0]) - 188 // 2) <= 1  # left column 220 - 32
    # the mask is cut and resized the same way: rows and columns 28..91 hold 20..99 fully
    assert spliced.mask.shape == (64, 64) and spliced.mask.all()
    (cut,) = cf.face_crops(rgb, mask, [(80, 40, 40, 40)], min_face=32, side=64)
    assert cut.what == "spliced"  # box columns 80..119: half inside, at the threshold
    cols = cut.mask.any(axis=0)
    assert cols[:32].all() and not cols[-8:].any()  # crop columns 68..131; mask ends at 99
    # an authentic photograph's faces are all authentic
    (face,) = cf.face_crops(rgb, None, [(40, 40, 40, 40)], min_face=32, side=64)
    assert face.what == "authentic" and face.box_share == 0.0
