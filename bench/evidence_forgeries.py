"""Forgeries at evidence size: the default analysis on project-made forgeries of camera photographs.

    python -m bench.evidence_forgeries --photos ../shared/data/camera-photos --half val \
        --out runs/evforge-val [--per-photo 2] [--seed 101] [--detect-side N] [--shard K/N]
    python -m bench.evidence_forgeries --out runs/evforge-val --summary

CASIA's images are 384 x 256; evidence is 1-16 MP. Every tampered figure in the cards comes
from CASIA's size, and the camera photographs are all authentic, so nothing measured how the
default verdict finds a forgery in a full-size photograph. This makes such forgeries from one
half of the camera photographs (``trainer.verdict_features.photo_part``: ``val`` chooses,
``test`` only reports) with the trainer's generator (``trainer.data.synth``: splices from
other photographs of the same half, copy-moves, resampled, inpainted and locally edited
regions of 3-20 % of the image, a JPEG re-compression in 70 % of the files, the authentic
copies given the same treatment), runs the default analysis on each at full size (fast path,
no faces), and prints how many of each kind each model and the default verdict flag at their
own θ, and how many authentic copies. Rows go to ``OUT/rows.jsonl`` (resumed; ``--shard``
splits the work between processes writing ``rows-K.jsonl``). ``OUT/data`` is a Tp/Gt/Au folder
with ``photos.json`` (the half and its photographs): ``forensic-train features --forgeries
OUT/data`` makes the verdict step's rows of it (part ``forgeries-val`` or ``forgeries-test``).

Read with care: the networks were trained on this generator's forgeries of CASIA's training
photographs, so detection here is likelier than on a forger's work; the figure compares rules
and sizes, it is not a detection rate for real evidence. Nothing here chooses anything.
"""

from __future__ import annotations

import argparse
import json
import sys
from pathlib import Path

import numpy as np


def make_forgeries(photos: Path, half: str, out: Path, per_photo: int, seed: int) -> Path:
    """The forgeries of ``half``'s photographs (made once) in ``out/data`` (Tp/Gt/Au and
    ``photos.json``), as ``forensic-train synth PHOTOS --camera-half HALF`` makes them."""
    from engine.io import IMAGE_SUFFIXES
    from trainer.data.synth import camera_half, generate, write_half
    from trainer.verdict_features import HALF_FILE

    data = out / "data"
    images = sorted(p for p in photos.iterdir() if p.suffix.lower() in IMAGE_SUFFIXES)
    sources = camera_half(images, half)
    if len(sources) < 2:
        raise SystemExit(f"{photos}: fewer than two photographs in the {half} half")
    if not (data / "sources.json").is_file():
        counts = generate(sources, data, count=per_photo * len(sources), seed=seed)
        print(json.dumps(counts), flush=True)
    if not (data / HALF_FILE).is_file():
        write_half(data, half, sources)
    return data


def analyse(data: Path, rows_path: Path, shard: str, detect_side: int | None) -> None:
    """The default analysis of ``data``'s images into ``rows_path``: ``forensic-train features
    --forgeries`` (its rows carry each model's score, verdict and pixel F1), without the
    classic analyses but the copy-move one the default verdict needs."""
    from trainer.cli import main as train

    argv = ["features", "--forgeries", str(data), "--parts", "val,test", "--classic", "clone"]
    argv += ["--out", str(rows_path), "--shard", shard]
    argv += ["--threads", "1" if shard.split("/")[1] != "1" else "2"]
    if detect_side is not None:
        argv += ["--detect-side", str(detect_side)]
    if train(argv) != 0:
        raise SystemExit(f"{data}: forensic-train features failed")


def summary(out: Path) -> list[str]:
    from trainer.metrics import roc_auc

    rows = [
        json.loads(x)
        for f in sorted(out.glob("rows*.jsonl"))
        for x in f.read_text().splitlines()
        if x.strip()
    ]
    if not rows:
        return [f"{out}: no rows yet"]
    y = np.array([r["label"] for r in rows])
    kinds = sorted({r["kind"] for r in rows if r["label"]})
    lines = [f"{len(rows)} images: {int(y.sum())} forgeries, {int((y == 0).sum())} authentic"]
    for name in rows[0]["models"]:
        s = np.array([r["models"][name]["score"] for r in rows])
        flagged = np.array([r["models"][name]["verdict"] == "manipulated" for r in rows])
        per_kind = ", ".join(
            f"{k} {sum(flagged[i] for i, r in enumerate(rows) if r['kind'] == k)}/"
            f"{sum(r['kind'] == k for r in rows)}"
            for k in kinds
        )
        f1 = [r["models"][name]["pixel_f1"] for r in rows if "pixel_f1" in r["models"][name]]
        auc = roc_auc(y, s) if 0 < y.sum() < y.size else float("nan")
        lines.append(
            f"{name:22s} AUC {auc:.3f}  flagged: forgeries {int(flagged[y == 1].sum())}/"
            f"{int(y.sum())} ({per_kind}), authentic {int(flagged[y == 0].sum())}/"
            f"{int((y == 0).sum())}, pixel F1 {np.mean(f1) if f1 else float('nan'):.3f}"
        )
    return lines


def main(argv: list[str] | None = None) -> int:
    p = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    p.add_argument("--photos", type=Path, help="the camera photographs")
    p.add_argument("--half", choices=("val", "test"), default="val")
    p.add_argument("--out", type=Path, required=True)
    p.add_argument("--per-photo", type=int, default=2)
    p.add_argument("--seed", type=int, default=101)
    p.add_argument("--detect-side", type=int, default=None)
    p.add_argument("--shard", default="0/1")
    p.add_argument("--summary", action="store_true", help="print the figures of OUT's rows")
    args = p.parse_args(argv)
    if not args.summary:
        if args.photos is None:
            p.error("--photos is needed to make and analyse forgeries")
        args.out.mkdir(parents=True, exist_ok=True)
        data = make_forgeries(args.photos, args.half, args.out, args.per_photo, args.seed)
        k = args.shard.split("/")[0]
        analyse(data, args.out / f"rows-{k}.jsonl", args.shard, args.detect_side)
    for line in summary(args.out):
        print(line)
    return 0


if __name__ == "__main__":
    sys.exit(main())
