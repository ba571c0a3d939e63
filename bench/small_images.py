"""Verdicts on small images: the default analysis on CASIA validation images reduced or cropped.

    python -m bench.small_images --casia ../shared/data/casia1-dev --out runs/small [--per-kind 40]
        [--sides 144,160,176]
    python -m bench.small_images --out runs/small --summary

Every figure in the cards comes from images of 256 px or more on their short side (CASIA's
384 x 256, the camera photographs). This runs the default analysis (fast path, no faces) on
the validation part of ``trainer.data.splits.three_way_split`` (authentic and tampered
images; the test part is never read) made smaller two ways: the whole image reduced (area
interpolation) and a centred crop, each to a short side of 16 to 192 px (aspect kept), and
prints per model and size the share of authentic images flagged (false alarms), of tampered
ones flagged (detections) and the image AUC of the score. docs/VERDICTS.md ("Images too
small for a verdict") reads it: below which short side a verdict stops meaning what its
reliability sentence says. Nothing here chooses a threshold; it chose the smallest measured
size (``engine.decision.MIN_VERDICT_SIDE``).
"""

from __future__ import annotations

import argparse
import dataclasses
import json
import sys
from pathlib import Path

import numpy as np

SIDES = (16, 32, 48, 64, 96, 128, 192)


def shrink(rgb: np.ndarray, side: int, how: str) -> np.ndarray:
    """``rgb`` with its short side ``side``: reduced whole (``reduce``) or a centred crop of the
    reduced-to-nothing original's aspect (``crop``)."""
    import cv2

    h, w = rgb.shape[:2]
    if how == "reduce":
        f = side / min(h, w)
        size = (max(1, round(w * f)), max(1, round(h * f)))
        return np.ascontiguousarray(cv2.resize(rgb, size, interpolation=cv2.INTER_AREA))
    ch, cw = (side, min(w, round(side * w / h))) if h <= w else (min(h, round(side * h / w)), side)
    y, x = (h - ch) // 2, (w - cw) // 2
    return np.ascontiguousarray(rgb[y : y + ch, x : x + cw])


def run(casia: Path, out: Path, per_kind: int, kinds: str, sides: tuple[int, ...]) -> None:
    from engine.assembly import assemble_analyzer
    from engine.io import load_evidence
    from trainer.data.records import read_dataset
    from trainer.data.splits import three_way_split

    _, val, _ = three_way_split(read_dataset(casia))
    au = [s for s in val if s.label == 0][:per_kind]
    tp = [s for s in val if s.label == 1][:per_kind]
    au, tp = (au if "a" in kinds else []), (tp if "t" in kinds else [])
    analyzer = assemble_analyzer(None, faces=False)
    out.mkdir(parents=True, exist_ok=True)
    rows = out / ("rows.jsonl" if kinds == "at" else f"rows-{kinds}.jsonl")
    with rows.open("w", encoding="utf-8") as f:
        for s in au + tp:
            ev = load_evidence(s.image)
            views = [("full", 0, ev.pixels)]
            views += [
                (how, side, shrink(ev.pixels, side, how))
                for how in ("reduce", "crop")
                for side in sides
            ]
            for how, side, px in views:
                e = dataclasses.replace(ev, pixels=px, width=px.shape[1], height=px.shape[0])
                a = analyzer.analyze(e)
                res = dict(a.results)
                if a.ensemble is not None:
                    res["default"] = a.ensemble
                row = {
                    "image": s.image.name,
                    "label": s.label,
                    "how": how,
                    "side": side,
                    "shape": list(px.shape[:2]),
                    "models": {k: [r.verdict, r.score] for k, r in res.items()},
                }
                f.write(json.dumps(row) + "\n")
            f.flush()
            print(s.image.name, flush=True)


def auc(pos: list[float], neg: list[float]) -> float:
    if not pos or not neg:
        return float("nan")
    p, n = np.asarray(pos)[:, None], np.asarray(neg)[None, :]
    return float((p > n).mean() + 0.5 * (p == n).mean())


def summary(out: Path) -> None:
    rows = [
        json.loads(line)
        for f in sorted(out.glob("rows*.jsonl"))
        for line in f.open(encoding="utf-8")
    ]
    models = sorted(rows[0]["models"])
    sides = sorted({r["side"] for r in rows if r["how"] != "full"})
    for how in ("reduce", "crop"):
        print(
            f"\n## {how} (authentic {sum(r['label'] == 0 for r in rows if r['how'] == 'full')}, "
            f"tampered {sum(r['label'] == 1 for r in rows if r['how'] == 'full')})"
        )
        print("| model | " + " | ".join(str(s) for s in sides) + " | full size |")
        print("| --- |" + " --- |" * (len(sides) + 1))
        for m in models:
            cells = []
            for side in (*sides, 0):
                sel = [
                    r
                    for r in rows
                    if r["side"] == side and r["how"] == ("full" if side == 0 else how)
                ]
                au = [r["models"][m] for r in sel if r["label"] == 0]
                tp = [r["models"][m] for r in sel if r["label"] == 1]
                fa = sum(v == "manipulated" for v, _ in au)
                de = sum(v == "manipulated" for v, _ in tp)
                a = auc([s for _, s in tp], [s for _, s in au])
                cells.append(f"{fa}/{len(au)} · {de}/{len(tp)} · {a:.2f}")
            print(f"| {m} | " + " | ".join(cells) + " |")


def main(argv: list[str]) -> int:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--casia", type=Path, default=Path("../shared/data/casia1-dev"))
    ap.add_argument("--out", type=Path, required=True)
    ap.add_argument("--per-kind", type=int, default=40)
    ap.add_argument("--kinds", default="at", help="a: authentic, t: tampered (one process each)")
    ap.add_argument(
        "--sides",
        type=lambda v: tuple(int(x) for x in v.split(",")),
        default=SIDES,
        help="short sides to make, comma-separated (default: %(default)s)",
    )
    ap.add_argument("--summary", action="store_true")
    args = ap.parse_args(argv)
    if not args.summary:
        run(args.casia, args.out, args.per_kind, args.kinds, args.sides)
    summary(args.out)
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
