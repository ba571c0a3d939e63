"""``forensic-viewer scan --gt DIR`` and ``forensic-train eval DIR`` pair a ``Tp/`` + ``Gt/``
folder's images with the same masks: both list ``Gt/`` with :func:`engine.masks.list_masks`.
The trainer paired only ``<stem>.*`` and ``<stem>_gt.*`` (case kept), the scan also ``_mask``,
``-gt`` and ``-mask`` in any case, and of two masks for one stem each could use another.
"""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pytest
from PIL import Image

from engine.masks import list_masks
from forensic_viewer.scan.groundtruth import read_truth
from trainer.check import check_dataset
from trainer.data.records import read_folder

# image in Tp/ -> the mask in Gt/ both must pair it with (None: no mask, a problem for both)
EXPECTED = {
    "a.jpg": "a.PNG",  # an upper-case suffix, a .png mask for a .jpg
    "b.jpg": "b_gt.png",
    "c.jpg": "c_mask.png",  # the trainer knew only _gt
    "d.png": "d-GT.png",  # an ending in upper case
    "e.jpg": "e.png",  # e_gt.png is a second mask for e: the one without an ending is used
    "f.jpg": None,
}
OTHER_MASKS = ["._a.png", "e_gt.png", "zz.png"]  # macOS's hidden copy, a second, no image


def _folder(root: Path) -> Path:
    for sub in ("Tp", "Gt", "Au"):
        (root / sub).mkdir(parents=True)
    rng = np.random.default_rng(0)
    for name in EXPECTED:
        Image.fromarray(rng.integers(0, 256, (8, 8, 3), dtype=np.uint8)).save(root / "Tp" / name)
    mask = np.zeros((8, 8), np.uint8)
    mask[:4] = 255
    for name in [m for m in EXPECTED.values() if m] + OTHER_MASKS:
        Image.fromarray(mask).save(root / "Gt" / name, format="PNG")
    Image.fromarray(mask).save(root / "Au" / "g.png")
    return root


def test_scan_gt_and_the_trainer_pair_a_folder_with_the_same_masks(tmp_path: Path) -> None:
    root = _folder(tmp_path / "d")

    problems: list[tuple[Path, str]] = []
    trainer = {s.image.name: s.mask.name for s in read_folder(root, problems) if s.label == 1}
    assert [p.name for p, _ in problems] == ["f.jpg"]  # the one image without a mask

    truth = read_truth(root)
    scan = {}
    for image in EXPECTED:
        found, mask = truth.lookup(None, f"Tp/{image}")
        if found:
            scan[image] = None if mask is None else mask.name
    assert scan == trainer == {k: v for k, v in EXPECTED.items() if v}
    assert truth.lookup(None, "Au/g.png") == (True, None)  # an authentic image's stem
    # the second mask of a stem is named, with the one used
    assert [ln for ln in truth.problems if "second mask" in ln] == [
        f"{root / 'Gt' / 'e_gt.png'}: a second mask for the stem 'e'; e.png is used"
    ]
    unused = truth.unmatched([root / "Gt" / m for m in EXPECTED.values() if m])
    assert [Path(ln.split(": ")[0]).name for ln in unused] == ["zz.png"]
    assert truth.appledouble == [root / "Gt" / "._a.png"]  # macOS's metadata: no mask


def test_list_masks_keys_by_stem_less_the_mask_endings(tmp_path: Path) -> None:
    gt = tmp_path / "Gt"
    gt.mkdir()
    for name in ["x-mask.TIF", "y_Mask.jpeg", "w.txt", "v_gt.png", "v-gt.png"]:
        (gt / name).write_bytes(b"")
    (gt / "folder.png").mkdir()  # a folder named like a mask is none
    listed = list_masks(gt)
    assert {k: p.name for k, p in listed.by_stem.items()} == {
        "x": "x-mask.TIF",
        "y": "y_Mask.jpeg",
        "v": "v-gt.png",  # both have an ending: the first by name
    }
    assert [(p.name, s) for p, s in listed.seconds] == [("v_gt.png", "v")]


APPLEDOUBLE = b"\x00\x05\x16\x07\x00\x02\x00\x00Mac OS X        " + bytes(300)  # no image


def test_macos_appledouble_files_are_no_samples_and_no_masks(tmp_path: Path) -> None:
    """A folder copied from a Mac holds ``._x.jpg`` beside every file: ``Tp/._a.jpg`` was a
    tampered sample paired with ``Gt/._a_gt.png`` (``._a`` with a mask ending), ``Au/._f.jpg``
    an authentic one, and a ``Tp/._b.jpg`` without such a partner stopped training as a
    tampered image with no mask. They are passed over, by the trainer as by ``scan --gt``."""
    root = tmp_path / "d"
    for sub in ("Tp", "Gt", "Au"):
        (root / sub).mkdir(parents=True)
    rng = np.random.default_rng(0)
    Image.fromarray(rng.integers(0, 256, (8, 8, 3), dtype=np.uint8)).save(root / "Tp" / "a.jpg")
    Image.fromarray(rng.integers(0, 256, (8, 8, 3), dtype=np.uint8)).save(root / "Au" / "f.jpg")
    mask = np.zeros((8, 8), np.uint8)
    mask[:4] = 255
    Image.fromarray(mask).save(root / "Gt" / "a_gt.png")
    for name in ("Tp/._a.jpg", "Tp/._b.jpg", "Gt/._a_gt.png", "Au/._f.jpg"):
        (root / name).write_bytes(APPLEDOUBLE)

    samples = read_folder(root)  # raised "tampered image has no mask" for Tp/._b.jpg
    assert [(s.image.name, s.mask and s.mask.name, s.label) for s in samples] == [
        ("a.jpg", "a_gt.png", 1),
        ("f.jpg", None, 0),
    ]
    problems: list[tuple[Path, str]] = []
    assert len(read_folder(root, problems)) == 2 and problems == []
    report = check_dataset(str(root))  # forensic-train check counts the same files
    assert (report.tampered, report.masks, report.authentic) == (1, 1, 1)
    assert report.problems == [] and report.warnings == []

    truth = read_truth(root)
    assert truth.lookup(None, "._a.jpg") == (False, None)
    assert truth.lookup(None, "._f.jpg") == (False, None)
    assert truth.unmatched([root / "Gt" / "a_gt.png"]) == [] and truth.problems == []
    assert sorted(p.name for p in truth.appledouble) == ["._a_gt.png", "._f.jpg"]


@pytest.mark.parametrize(("tp", "gt", "au"), [("images", "masks", "Au"), ("TP", "GT", "au")])
def test_images_and_masks_folders_and_any_case_pair_as_tp_and_gt(
    tmp_path: Path, tp: str, gt: str, au: str
) -> None:
    """The plain ``images/`` + ``masks/`` layout (masks by stem, another extension) and BenCo's
    folders in another case (``GT/``, as many releases spell it) were "not a data folder" for
    the trainer and "not a ground-truth folder" for ``scan --gt``: both read them as
    ``Tp/`` + ``Gt/`` (+ ``Au/``), and pair the same masks."""
    root = tmp_path / "d"
    for sub in (tp, gt, au):
        (root / sub).mkdir(parents=True)
    rng = np.random.default_rng(0)
    for name in ("a.jpg", "b.JPG"):
        Image.fromarray(rng.integers(0, 256, (8, 8, 3), dtype=np.uint8)).save(
            root / tp / name, format="JPEG"
        )
    Image.fromarray(rng.integers(0, 256, (8, 8, 3), dtype=np.uint8)).save(root / au / "c.png")
    mask = np.zeros((8, 8), np.uint8)
    mask[:4] = 255
    Image.fromarray(mask).save(root / gt / "a.png")
    Image.fromarray(mask).save(root / gt / "b_mask.png")

    samples = read_folder(root)
    assert [(s.image.name, s.mask and s.mask.name, s.label) for s in samples] == [
        ("a.jpg", "a.png", 1),
        ("b.JPG", "b_mask.png", 1),
        ("c.png", None, 0),
    ]
    report = check_dataset(str(root))
    assert (report.tampered, report.masks, report.authentic) == (2, 2, 1)
    assert report.problems == []

    truth = read_truth(root)
    assert truth.lookup(None, f"{tp}/a.jpg") == (True, root / gt / "a.png")
    assert truth.lookup(None, f"{tp}/b.JPG") == (True, root / gt / "b_mask.png")
    assert truth.lookup(None, f"{au}/c.png") == (True, None)
