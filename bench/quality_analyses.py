"""Quality of the classic analyses on a Tp/Gt/Au data set (CASIA v1), on one side of the split.

    python -m bench.quality_analyses DATA --part train|val [--params '{"clone": {...}}']
        [--analyses clone,ela,jpeg-ghost,jpeg-dq] [--limit N] [--workers 2] [--out FILE]
    python -m bench.quality_analyses --photos DIR [--params ...]   # false alarms, authentic only

The split is the one ``forensic-train fit`` and ``packaging/recipes/split_casia.py`` make (by
source photograph, 15 % validation, seed 0): parameters are tuned on ``train`` only and the
figures reported on ``val``. Not part of ``make bench`` (it needs the data set, which the
project never ships).

Conventions:
- clone: an image is flagged when at least one copy pair is verified (score 1). Pixel F1 is
  per copy-move image (``Sp_S``), 0 when nothing is found, averaged over all of them. CASIA's
  masks mark only the pasted copy while the map marks both copies, so two figures:
  ``f1_mask`` against the mask as given (the source copy counts as false positive), and
  ``f1_both`` against the mask plus its image under the found pair's transform (the mask's
  copy, taken in the direction that overlaps the map best): the "both copies" truth.
- ELA / noise / ghost / DQ: pixel ROC AUC of the map per spliced (``Sp_D``) and per copy-move
  (``Sp_S``) image, averaged per kind; images whose map is constant count as 0.5.
- The summary names each analysis's version (``versions``, from its registration): a figure
  quoted in the docs can be matched to the implementation that made it (docs/ANALYSES.md
  quoted the ghost's and ELA's AUC of their version 1 after version 2 had changed both).
- Masks are read by :func:`engine.masks.read_mask` (a channel above 127); one that cannot be
  read or is of another size than its image leaves its image out of the pixel figures, named in
  the summary's ``masks_refused``.
"""

from __future__ import annotations

import argparse
import json
import sys
import time
from concurrent.futures import ProcessPoolExecutor
from pathlib import Path

import cv2
import numpy as np

from engine.analyses import analysis_settings, run_analysis
from engine.errors import ForensicError
from engine.io import load_evidence
from engine.masks import read_mask
from trainer.metrics import f1_iou, roc_auc


def _gt(mask_path: str, h: int, w: int) -> np.ndarray:
    """The true mask by :func:`engine.masks.read_mask`, the rule ``scan --gt`` and the trainer
    read it by (a channel above 127; a mask of another size is refused, never resized)."""
    return read_mask(mask_path, (h, w)).mask


def _both_truth(gt: np.ndarray, pred: np.ndarray, pairs: list[dict]) -> np.ndarray:
    """The mask plus its copy under a found pair's transform (either direction), best overlap."""
    h, w = gt.shape
    best, best_f1 = gt, f1_iou(pred, gt)[0]
    g8 = gt.astype(np.uint8)
    for p in pairs:
        a = np.array(p["affine"], np.float64).reshape(2, 3)
        for t in (a, cv2.invertAffineTransform(a)):
            other = cv2.warpAffine(g8, t, (w, h), flags=cv2.INTER_NEAREST).astype(bool)
            cand = gt | other
            f = f1_iou(pred, cand)[0]
            if f > best_f1:
                best, best_f1 = cand, f
    return best


def _one(job: tuple[str, str | None, list[str], dict]) -> dict:
    cv2.setNumThreads(1)
    image, mask, analyses, params = job
    name = Path(image).name
    kind = "Au" if mask is None else name[:4]  # "Sp_S", "Sp_D", "Au"
    ev = load_evidence(image)
    data = Path(image).read_bytes()
    row: dict = {"image": name, "kind": kind}
    try:
        gt = None if mask is None else _gt(mask, ev.height, ev.width)
    except ForensicError as e:  # left out of the pixel figures, named in the summary
        gt, row["mask_error"] = None, str(e)
    for a in analyses:
        t0 = time.perf_counter()
        r = run_analysis(a, ev, params=params.get(a, {}), data=data)
        rec: dict = {"seconds": round(time.perf_counter() - t0, 3)}
        if a == "clone":
            pred = r.map > 0.5
            rec["flagged"] = bool(r.score and r.score >= 0.5)
            rec["pairs"] = len(r.pairs)
            if gt is not None and gt.any():
                rec["f1_mask"], rec["iou_mask"] = f1_iou(pred, gt)
                both = _both_truth(gt, pred, [p.to_dict() for p in r.pairs])
                rec["f1_both"], rec["iou_both"] = f1_iou(pred, both)
        elif gt is not None and gt.any() and r.map is not None:
            m = r.map
            rec["auc"] = 0.5 if float(m.max()) == float(m.min()) else roc_auc(gt, m)
        elif gt is not None and gt.any() and a in ("jpeg-dq", "jpeg-ghost"):
            # DQ 5 and ghost 9 draw no map where they drew one of 0 (nothing found): the same
            # 0.5, so that their mean AUC stays comparable with the figures measured before
            rec["auc"] = 0.5
        row[a] = rec
    return row


def summarize(rows: list[dict], analyses: list[str]) -> dict:
    out: dict = {"images": {k: sum(r["kind"] == k for r in rows) for k in ("Sp_S", "Sp_D", "Au")}}
    out["masks_refused"] = [r["mask_error"] for r in rows if "mask_error" in r]
    out["versions"] = {a: s["version"] for a, s in analysis_settings(analyses).items()}
    for a in analyses:
        s: dict = {}
        sec = [r[a]["seconds"] for r in rows]
        s["mean_seconds"] = round(float(np.mean(sec)), 3) if sec else None
        if a == "clone":
            for k in ("Sp_S", "Sp_D", "Au"):
                sel = [r[a] for r in rows if r["kind"] == k]
                if sel:
                    s[f"flagged_{k}"] = round(float(np.mean([x["flagged"] for x in sel])), 4)
            sel = [r[a] for r in rows if r["kind"] == "Sp_S" and "f1_mask" in r[a]]
            for key in ("f1_mask", "iou_mask", "f1_both", "iou_both"):
                if sel:
                    s[f"Sp_S_{key}"] = round(float(np.mean([x[key] for x in sel])), 4)
            flagged = [x for x in sel if x["flagged"]]
            if flagged:
                s["Sp_S_f1_mask_when_flagged"] = round(
                    float(np.mean([x["f1_mask"] for x in flagged])), 4
                )
                s["Sp_S_f1_both_when_flagged"] = round(
                    float(np.mean([x["f1_both"] for x in flagged])), 4
                )
        else:
            for k in ("Sp_D", "Sp_S"):
                sel = [r[a]["auc"] for r in rows if r["kind"] == k and "auc" in r[a]]
                if sel:
                    s[f"{k}_pixel_auc"] = round(float(np.mean(sel)), 4)
        out[a] = s
    return out


def _jobs_from_split(data: str, part: str, analyses: list[str], params: dict) -> list:
    from trainer.data.records import read_dataset
    from trainer.data.splits import split_samples

    split = split_samples(read_dataset(data), 0.15, "auto", 0)
    samples = split.train if part == "train" else split.val
    return [
        (str(s.image), None if s.mask is None else str(s.mask), analyses, params) for s in samples
    ]


def main(argv: list[str]) -> int:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("data", nargs="?")
    ap.add_argument("--part", choices=("train", "val"), default="val")
    ap.add_argument("--photos", help="a folder of authentic photographs (false alarms only)")
    ap.add_argument("--analyses", default="clone")
    ap.add_argument("--params", default="{}", help="JSON: {analysis: {param: value}}")
    ap.add_argument("--kinds", default="Sp_S,Sp_D,Au", help="which kinds of image to run")
    ap.add_argument("--limit", type=int, default=0, help="at most this many of each kind")
    ap.add_argument("--workers", type=int, default=2)
    ap.add_argument("--out", help="write per-image rows and the summary here (JSON)")
    args = ap.parse_args(argv)
    analyses = [a for a in args.analyses.split(",") if a]
    params = json.loads(args.params)
    if args.photos:
        files = sorted(
            p for p in Path(args.photos).iterdir() if p.suffix.lower() in (".jpg", ".jpeg")
        )
        jobs = [(str(p), None, analyses, params) for p in files]
    else:
        if not args.data:
            ap.error("give DATA (a Tp/Gt/Au folder) or --photos DIR")
        jobs = _jobs_from_split(args.data, args.part, analyses, params)
        kinds = set(args.kinds.split(","))
        jobs = [j for j in jobs if (("Au" if j[1] is None else Path(j[0]).name[:4]) in kinds)]
        if args.limit:
            seen: dict[str, int] = {}
            kept = []
            for j in jobs:
                k = "Au" if j[1] is None else Path(j[0]).name[:4]
                if seen.get(k, 0) < args.limit:
                    kept.append(j)
                    seen[k] = seen.get(k, 0) + 1
            jobs = kept
    t0 = time.perf_counter()
    with ProcessPoolExecutor(max_workers=args.workers) as pool:
        rows = list(pool.map(_one, jobs, chunksize=4))
    summary = summarize(rows, analyses)
    summary["wall_seconds"] = round(time.perf_counter() - t0, 1)
    summary["params"] = params
    summary["part"] = "photos" if args.photos else args.part
    if args.photos:
        summary["flagged_files"] = [r["image"] for r in rows if r.get("clone", {}).get("flagged")]
    print(json.dumps(summary, indent=1))
    if args.out:
        Path(args.out).write_text(json.dumps({"summary": summary, "rows": rows}, indent=0) + "\n")
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
