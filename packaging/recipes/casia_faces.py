"""Face crops of CASIA's photographs for the face model: real spliced faces and camera-like
authentic faces, per part.

usage: python packaging/recipes/casia_faces.py OUT --casia DIR [--min-face 32] [--side 256]

Every photograph of CASIA (``Tp/`` and ``Au/``) is searched with MTCNN
(``engine.faces.FaceDetector``, its defaults) and each face is cropped exactly as the face path
crops it (``engine.facepath.crop_box``: 30 % margin, clamped; ``resize_crop`` to ``--side``
squared, 256 by default: the face model's window).
The part is CASIA's own (``trainer.data.splits.three_way_split``, seed 0), so a photograph is in
the same part for the face model as for every other model. In a tampered photograph:

- a face whose box lies at least ``SPLICED`` inside the tamper mask is a **real spliced face**
  (a person pasted in by hand): ``Tp/ff_NNNNN_splice_casia_<stem>_fK.png`` with the mask cut
  the same way in ``Gt/``;
- a face whose crop holds at most ``CLEAN`` of masked pixels is an **authentic face**
  (the host photograph's own): ``Au/au_casia_tp_<stem>_fK.png``;
- anything between (a face beside or half over the pasted region) is left out.

Faces of authentic photographs go to ``Au/au_casia_au_<stem>_fK.png`` for the training part
only: the validation and test parts' authentic photographs are already face sources of
``face_sources.py`` (their crops are made by ``forensic-train synth --kind faces``).

Writes ``OUT/{train,val,test}/{Tp,Gt,Au}`` and ``OUT/faces.json`` (every face found, its part,
mask share and what it became) and prints the counts. The file names carry ``_casia_`` so that
``forensic-train face-model`` reports them as CASIA faces, and ``splice`` as their kind.
"""

from __future__ import annotations

import argparse
import json
import sys
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path

import cv2
import numpy as np

ROOT = Path(__file__).resolve().parents[2]
sys.path.insert(0, str(ROOT))

from engine.errors import EvidenceError  # noqa: E402
from engine.facepath import crop_box, resize_crop  # noqa: E402
from engine.io import load_evidence  # noqa: E402
from trainer.data.records import load_mask, read_dataset  # noqa: E402
from trainer.data.splits import three_way_split  # noqa: E402

SPLICED = 0.5  # share of the face box inside the mask for a spliced face
CLEAN = 0.02  # largest share of masked pixels in the crop of an authentic face
SIDE = 256  # the face model's window (the crops of forensic-train synth --crop-size 256)


def classify(box_share: float, crop_share: float, tampered: bool) -> str:
    """``spliced``, ``authentic`` or ``unsure`` for a face with these mask shares."""
    if not tampered:
        return "authentic"
    if box_share >= SPLICED:
        return "spliced"
    return "authentic" if crop_share <= CLEAN else "unsure"


@dataclass
class FaceCrop:
    """One detected face: what it is, its mask shares, and (spliced or authentic, large
    enough) its 256 x 256 window and, for a spliced face, the mask cut the same way."""

    index: int
    box: tuple[int, int, int, int]
    box_share: float
    crop_share: float
    what: str  # spliced, authentic, unsure, small
    window: np.ndarray | None = None
    mask: np.ndarray | None = None


def face_crops(
    rgb: np.ndarray,
    mask: np.ndarray | None,
    boxes: Sequence[tuple[int, int, int, int]],
    min_face: int,
    side: int = SIDE,
) -> list[FaceCrop]:
    """The face path's crop of each face box (x, y, w, h) of ``rgb`` and what it is against
    the tamper ``mask`` (bool [H, W], None for an authentic photograph)."""
    h, w = rgb.shape[:2]
    full = np.zeros((h, w), bool) if mask is None else mask
    out: list[FaceCrop] = []
    for k, box in enumerate(boxes):
        x, y, fw, fh = box
        crop = crop_box(box, w, h)
        box_share = float(full[max(0, y) : y + fh, max(0, x) : x + fw].mean())
        crop_share = float(full[crop.y0 : crop.y1, crop.x0 : crop.x1].mean())
        what = classify(box_share, crop_share, mask is not None)
        if min(fw, fh) < min_face:
            what = "small"
        face = FaceCrop(k, tuple(int(v) for v in box), box_share, crop_share, what)  # type: ignore[arg-type]
        if what in ("spliced", "authentic"):
            face.window = resize_crop(rgb, crop, side)
        if what == "spliced":
            cut = full[crop.y0 : crop.y1, crop.x0 : crop.x1].astype(np.uint8) * 255
            face.mask = cv2.resize(cut, (side, side), interpolation=cv2.INTER_NEAREST)
        out.append(face)
    return out


def main(argv: list[str] | None = None) -> int:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("out", type=Path)
    ap.add_argument("--casia", type=Path, required=True)
    ap.add_argument("--min-face", type=int, default=32, help="smallest face box side, pixels")
    ap.add_argument(
        "--side", type=int, default=SIDE, help="crop side, pixels: the face model's window"
    )
    args = ap.parse_args(argv)
    from engine.faces import FaceDetector

    detector = FaceDetector("mtcnn")
    parts = three_way_split(read_dataset(args.casia))
    rows: list[dict[str, object]] = []
    counts: dict[str, int] = {}
    n = 0
    for part, samples in zip(("train", "val", "test"), parts, strict=True):
        for sub in ("Tp", "Gt", "Au"):
            (args.out / part / sub).mkdir(parents=True, exist_ok=True)
        for s in samples:
            if s.mask is None and part != "train":
                continue
            try:
                rgb = load_evidence(s.image).pixels
            except EvidenceError as e:
                print(f"skipped: {e}", file=sys.stderr)
                continue
            boxes = [f.box for f in detector.detect(rgb)]
            if not boxes:
                continue
            mask = None if s.mask is None else load_mask(s, rgb.shape[:2]).astype(bool)
            tag = "tp" if s.mask is not None else "au"
            for face in face_crops(rgb, mask, boxes, args.min_face, args.side):
                key = f"{part}/{tag}/{face.what}"
                counts[key] = counts.get(key, 0) + 1
                row = {"part": part, "image": str(s.image), "box": list(face.box)}
                row |= {"box_share": face.box_share, "crop_share": face.crop_share}
                row["as"] = face.what
                if face.window is not None and face.mask is not None:
                    name = f"ff_{n:05d}_splice_casia_{s.image.stem}_f{face.index}.png"
                    n += 1
                    cv2.imwrite(str(args.out / part / "Gt" / name), face.mask)
                    cv2.imwrite(str(args.out / part / "Tp" / name), face.window[..., ::-1])
                    row["file"] = name
                elif face.window is not None:
                    name = f"au_casia_{tag}_{s.image.stem}_f{face.index}.png"
                    cv2.imwrite(str(args.out / part / "Au" / name), face.window[..., ::-1])
                    row["file"] = name
                rows.append(row)
    (args.out / "faces.json").write_text(json.dumps(rows, indent=1), encoding="utf-8")
    print(json.dumps(dict(sorted(counts.items()))))
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
