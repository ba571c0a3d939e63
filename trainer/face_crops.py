"""Face crops scored as the face path scores them, for ``forensic-train face-model``
(:mod:`trainer.face_model`, which chooses the face rule on these rows and reports on them).

A crop folder holds ``Tp/`` forgeries with ``Gt/`` masks and ``Au/`` untouched faces; each crop
is resized to the model's window P (:func:`engine.facepath.resize_crop` over the whole crop) and
analysed in one window, giving the heatmap and the image logit (:func:`score_files`). The faces
the face path finds in photographs are scored as the product scores them
(:func:`score_photo_faces`), and the whole face path is timed on test photographs
(:func:`face_path_on_photos`).
"""

from __future__ import annotations

import re
import sys
import time
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import numpy as np

from engine.decision import PIXEL_GRID
from engine.errors import EvidenceError
from engine.formatting import plain
from engine.masks import is_appledouble
from trainer.data.records import (
    Sample,
    faint_reason,
    marked_shares,
    refuse_implausible_masks,
)
from trainer.errors import DataError

_FORGERY = re.compile(r"^ff_\d+_([a-z]+)_")
GROUPS = {
    "fr": "FASSEG faces",
    "cam": "camera-photograph faces",
    "casia": "CASIA faces",
    "photo": "faces the face path cut from the photographs",  # score_photo_faces's rows
}


def crop_group(name: str) -> str:
    """Where a crop's face came from, from the generator's file name (``..._{part}_{tag}_...``):
    ``fr`` (faces-real), ``cam`` (camera photographs), ``casia``, or ``other``."""
    for tag in GROUPS:
        if f"_{tag}_" in name:
            return tag
    return "other"


def crop_kind(name: str) -> str:
    m = _FORGERY.match(name)
    return m.group(1) if m else "authentic"


def score_crops(
    loaded: Any, folder: Path, device: str = "auto", mirror: bool = False
) -> list[dict[str, Any]]:
    """One row per crop of ``folder`` (``Tp/`` with ``Gt/``, ``Au/``): label, kind, group,
    image logit and, for forgeries, pixel F1 at every threshold of :data:`PIXEL_GRID`.
    ``mirror``: with the mirrored crop averaged in, as the face path does for such a model."""
    return score_files(loaded, crop_files(folder), device, mirror)


def crop_files(folder: Path) -> list[tuple[Path, int, Path | None]]:
    """(image, label, mask) of every crop of ``folder``: ``Tp/`` with ``Gt/``, then ``Au/``
    (a Mac's ``._x.png`` companions left out: :func:`engine.masks.is_appledouble`)."""

    def crops(sub: str) -> list[Path]:
        return [p for p in sorted((folder / sub).glob("*.png")) if not is_appledouble(p)]

    files: list[tuple[Path, int, Path | None]] = [
        (p, 1, folder / "Gt" / p.name) for p in crops("Tp")
    ]
    files += [(p, 0, None) for p in crops("Au")]
    if not files:
        raise DataError(folder, "no face crops in Tp/ or Au/")
    return files


def refuse_crop_masks(
    files: list[tuple[Path, int, Path | None]], dataset: str, as_given: bool
) -> list[str]:
    """The forged crops' masks (``files``, of ``dataset``) by the inverted-mask rule, as ``fit``
    applies it: the pixel threshold is chosen, the test part's pixel F1 measured, against them.
    First a :class:`DataError` naming every mask that is not black but marks no pixel (as
    ``check`` lists them, :func:`trainer.data.records.marked_shares`), before any crop is
    scored: read as empty, such a crop's F1 would choose the pixel threshold on nothing."""
    samples = [Sample(p, m, label, dataset) for p, label, m in files if m is not None]
    faint: list[tuple[Path, str]] = []
    marked_shares(samples, faint)
    if faint:
        listed = "; ".join(f"{mask}: {why}" for mask, why in faint)
        raise DataError(None, f"forged face crops' masks that mark no pixel: {listed}")
    return refuse_implausible_masks(samples, as_given=as_given)


def score_files(
    loaded: Any,
    files: list[tuple[Path, int, Path | None]],
    device: str = "auto",
    mirror: bool = False,
) -> list[dict[str, Any]]:
    """:func:`score_crops` of the crops ``files`` lists as (image, label, mask of a forgery)."""
    from engine.facepath import CropBox, analyse_crop, face_window, resize_crop
    from engine.io import load_evidence
    from engine.masks import read_mask
    from engine.pipeline import Analyzer
    from trainer.metrics import f1_iou

    analyzer = Analyzer([loaded], device=device, face_path=False)
    side = face_window(loaded)
    rows: list[dict[str, Any]] = []
    for path, label, mask in files:
        try:
            rgb = load_evidence(path).pixels
        except EvidenceError as e:
            print(plain(f"skipped: {e}"), file=sys.stderr)
            continue
        h, w = rgb.shape[:2]
        heat, logit = analyse_crop(
            lambda x: analyzer.heatmap(loaded, x),
            loaded,
            resize_crop(rgb, CropBox(0, 0, w, h), side),
            mirror,
        )
        row: dict[str, Any] = {
            "file": path.name,
            "label": label,
            "kind": crop_kind(path.name),
            "group": crop_group(path.name),
            "logit": None if logit is None else float(logit),
            "fractions": [float((heat > t).mean()) for t in PIXEL_GRID],
        }
        if label == 1:
            if mask is None:
                raise DataError(
                    path,
                    "a forged face crop without a mask (the pixel threshold is chosen on masks)",
                )
            read = read_mask(mask)  # the one rule of masks (engine.masks)
            if read.faint:  # read as empty, the crop's F1 chose the pixel threshold on nothing
                raise DataError(mask, faint_reason(read.faint))  # as fit's load_mask refuses it
            gt = _resize_mask(read.mask, heat.shape)
            row["f1"] = [f1_iou(heat > t, gt)[0] for t in PIXEL_GRID]
        rows.append(row)
    return rows


def score_photo_faces(
    loaded: Any,
    folders: list[Path],
    device: str = "auto",
    mirror: bool = False,
    detector: Any = None,
) -> list[dict[str, Any]]:
    """One authentic row (as :func:`score_crops` makes) per face the face path finds in the
    photographs of ``folders``, scored as the product scores it: the detector on the
    photograph, the face path's crop (:func:`engine.facepath.crop_box`, its margin) cut from
    the decoded photograph and resized to the window. Why beside the synthetic crops: those are
    re-encoded as JPEG at random (right for training), and θ set on them alone sat below a
    validation face the product flags (docs/FACES.md, "θ is set on re-encoded crops")."""
    from engine.facepath import analyse_crop, crop_box, face_window, resize_crop
    from engine.faces import FaceDetector
    from engine.pipeline import Analyzer

    analyzer = Analyzer([loaded], device=device, face_path=False)
    detector = detector if detector is not None else FaceDetector()
    side = face_window(loaded)
    rows: list[dict[str, Any]] = []
    for path, ev in _photographs(folders):
        h, w = ev.pixels.shape[:2]
        for i, region in enumerate(detector.find(ev, {})):
            heat, logit = analyse_crop(
                lambda x: analyzer.heatmap(loaded, x),
                loaded,
                resize_crop(ev.pixels, crop_box(region.box, w, h), side),
                mirror,
            )
            rows.append(
                {
                    "file": f"{path.name}#face{i}",
                    "label": 0,
                    "kind": "authentic",
                    "group": "photo",
                    "logit": None if logit is None else float(logit),
                    "fractions": [float((heat > t).mean()) for t in PIXEL_GRID],
                }
            )
    return rows


def _photographs(folders: list[Path]) -> Iterator[tuple[Path, Any]]:
    """Every file of ``folders`` (sorted) decoded as evidence; one that cannot be: said, skipped."""
    from engine.io import load_evidence

    for folder in folders:
        for path in sorted(p for p in folder.iterdir() if p.is_file()):
            try:
                yield path, load_evidence(path)
            except EvidenceError as e:
                print(plain(f"skipped: {e}"), file=sys.stderr)


def _resize_mask(mask: np.ndarray, shape: tuple[int, ...]) -> np.ndarray:
    import cv2

    if mask.shape == shape[:2]:
        return mask
    out = cv2.resize(mask.astype(np.uint8), (shape[1], shape[0]), interpolation=cv2.INTER_NEAREST)
    return out.astype(bool)


def face_path_on_photos(
    checkpoint: Path, folders: list[Path], device: str = "auto"
) -> dict[str, Any]:
    """The whole face path (detector, crops, the face model) on every photograph of
    ``folders``: photographs, faces found, faces flagged, seconds per face."""
    from engine.checkpoints import load_checkpoint
    from engine.faces import FaceDetector
    from engine.pipeline import Analyzer

    face_model = load_checkpoint(checkpoint)
    detector = FaceDetector()
    # one analyzer, its runners made before the clock starts: seconds per face are the face
    # path's own, not a runtime set up again for every photograph
    analyzer = Analyzer([], device=device, faces=detector, face_models=[face_model])
    analyzer.prepare()
    photos = faces = flagged = 0
    seconds = 0.0
    flagged_files: list[str] = []
    for path, ev in _photographs(folders):
        photos += 1
        regions = detector.find(ev, {})
        if not regions:
            continue
        t0 = time.perf_counter()
        analyzer.analyze_faces(ev, regions)
        seconds += time.perf_counter() - t0
        faces += len(regions)
        hits = [r for r in regions if r.face_scores[face_model.name].verdict == "manipulated"]
        flagged += len(hits)
        if hits:
            flagged_files.append(path.name)
    return {
        "photos": photos,
        "faces": faces,
        "faces_flagged": flagged,
        "photos_flagged": flagged_files,
        "seconds_per_face": seconds / faces if faces else None,
    }
