"""Tile seams and pixel F1: cut tiles (constant) vs Gaussian cross-fade on the fast path (issue 21).

The fast path (``engine.fastpath``) takes every pixel from one tile, cut at the middle of the
tiles' overlap; where neighbouring tiles disagree the heatmap steps, and an agreement map shows
the tile grid. ``weighting="gaussian"`` cross-fades the same tiles over their overlap instead.
This measures, per window-policy model of the bundled set, on the **validation** half of the
CASIA held-out part (``trainer.data.splits.three_way_split``, the part that chooses settings;
``forensic-train eval --split choose``), tampered images only:

- pixel F1 at the checkpoint's pixel threshold, mean over tampered images with a non-empty
  mask (``trainer.metrics.pixel_scores``, the convention of ``forensic-train eval``);
- the seam ratio: mean |difference| of adjacent heatmap pixels across the tile cuts over the
  same mean everywhere else (1 = no visible seam; the cut positions are where the constant
  weighting switches tile).

The exact path (``Analyzer(exact=True)``: sliding windows at stride P / 2) is measured the same
way, constant (the paper's A / C) against Gaussian, with the window borders as the cuts.

CASIA v1 images (384 x 256) fit in one crfd-net tile of 512, so crfd-net's fast path has no cut
on them; a third row analyses the same images enlarged x2 (bicubic; masks nearest), where its
tiles meet, to see its seams and F1 change.

Decision rule (issue 21): Gaussian becomes the default where pixel F1 drops by at most 0.005.
Data: ``$CASIA`` or ``../shared/data/casia1-dev``; ``$BENCH_MAX_IMAGES`` (default 75) takes
every n-th tampered image; ``$BENCH_SEAMS_ONLY`` keeps the rows whose name contains it.
"""

from __future__ import annotations

import os
import time

import numpy as np

from bench.bench_evidence import ROOT
from bench.bench_fastpath_accuracy import casia_dir

MODELS = ("crfd-net-compact", "diffforensics-effl0")
F1_LOSS = 0.005  # a larger drop in pixel F1 counts as a loss (issue 21)


def cut_positions(length: int, tile: int, margin: int) -> list[int]:
    """Indices i where the constant weighting switches tile between pixel i - 1 and i."""
    from engine.tiling import tile_spans

    return [keep_from for _, keep_from, _ in tile_spans(length, tile, margin)[1:]]


def seam_ratio(heat: np.ndarray, rows: list[int], cols: list[int]) -> float:
    """Mean |step| across the cuts over the mean |step| elsewhere (both directions)."""
    dx = np.abs(np.diff(heat, axis=1))  # H, W-1: dx[:, i - 1] is the step into column i
    dy = np.abs(np.diff(heat, axis=0))
    at_x = np.zeros(dx.shape[1], dtype=bool)
    at_x[[c - 1 for c in cols]] = True
    at_y = np.zeros(dy.shape[0], dtype=bool)
    at_y[[r - 1 for r in rows]] = True
    seam = np.concatenate([dx[:, at_x].ravel(), dy[at_y].ravel()])
    rest = np.concatenate([dx[:, ~at_x].ravel(), dy[~at_y].ravel()])
    if seam.size == 0 or rest.mean() == 0:
        return float("nan")
    return float(seam.mean() / rest.mean())


def window_edges(length: int, window: int, stride: int) -> list[int]:
    """Indices where a sliding window begins or ends inside [1, length)."""
    from engine.tiling import window_starts

    starts = window_starts(max(length, window), window, stride)
    return sorted({p for s in starts for p in (s, s + window) if 0 < p < length})


def run() -> dict:
    import cv2

    from engine.checkpoints import load_checkpoint
    from engine.io import load_evidence
    from engine.pipeline import Analyzer
    from engine.tiling import Tiling
    from trainer.data.records import load_mask, read_dataset
    from trainer.data.splits import three_way_split
    from trainer.metrics import pixel_scores

    data = casia_dir()
    if data is None:
        print("CASIA data not found (set CASIA=DIR); skipped")
        return {"skipped": "no CASIA folder"}
    _, choose, _ = three_way_split(read_dataset(data))
    tampered = [s for s in choose if s.label == 1]
    limit = int(os.environ.get("BENCH_MAX_IMAGES", "75"))
    if limit and limit < len(tampered):
        tampered = tampered[:: max(1, len(tampered) // limit)][:limit]
    out: dict = {"images": len(tampered), "data": str(data), "split": "choose (tampered)"}
    runs = [(m, False, 1) for m in MODELS] + [("crfd-net-compact", False, 2)]
    runs += [(m, True, 1) for m in MODELS]
    for name, exact, scale in runs:
        loaded = load_checkpoint(ROOT / "resources/models" / f"{name}.safetensors")
        thr = loaded.meta.decision.pixel_threshold
        paths = {
            w: Analyzer([loaded], device="auto", weighting=w, exact=exact)
            for w in ("constant", "gaussian")
        }
        plan = paths["constant"].plan(loaded)
        key = f"{name} {'exact' if exact else 'fast'}" + (f" x{scale}" if scale > 1 else "")
        if os.environ.get("BENCH_SEAMS_ONLY", "") not in key:
            continue
        if plan.tiling is not (Tiling.SLIDING if exact else Tiling.OVERLAP_CROP):
            out[key] = {"skipped": f"tiling {plan.tiling}"}
            continue
        got: dict[str, dict[str, list[float]]] = {w: {"f1": [], "seam": []} for w in paths}
        cpu = dict.fromkeys(paths, 0.0)
        for s in tampered:
            rgb = load_evidence(s.image).pixels
            gt = load_mask(s, rgb.shape[:2]).astype(bool)
            if scale > 1:
                size = (rgb.shape[1] * scale, rgb.shape[0] * scale)
                rgb = cv2.resize(rgb, size, interpolation=cv2.INTER_CUBIC)
                gt = cv2.resize(gt.astype(np.uint8), size, interpolation=cv2.INTER_NEAREST) > 0
            if exact:
                rows = window_edges(rgb.shape[0], plan.tile, plan.stride)
                cols = window_edges(rgb.shape[1], plan.tile, plan.stride)
            else:
                th, tw = plan.tile_for(*rgb.shape[:2], loaded.meta.input_policy.window)
                rows = cut_positions(rgb.shape[0], th, plan.margin)
                cols = cut_positions(rgb.shape[1], tw, plan.margin)
            for w, an in paths.items():
                c0 = time.process_time()
                heat, _ = an.heatmap(loaded, rgb)
                cpu[w] += time.process_time() - c0
                ps = pixel_scores(heat, gt, thr)
                if ps is not None:
                    got[w]["f1"].append(ps.f1)
                if rows or cols:
                    got[w]["seam"].append(seam_ratio(heat, rows, cols))
        row: dict = {
            w: {
                "pixel_f1": round(float(np.mean(g["f1"])), 4),
                "seam_ratio": round(float(np.nanmean(g["seam"])), 3) if g["seam"] else None,
                "cpu_s": round(cpu[w], 1),
            }
            for w, g in got.items()
        }
        row["pixel_images"] = len(got["constant"]["f1"])
        row["delta_pixel_f1"] = round(row["gaussian"]["pixel_f1"] - row["constant"]["pixel_f1"], 4)
        row["gaussian_loses_f1"] = row["delta_pixel_f1"] < -F1_LOSS
        out[key] = row
        print(
            f"{key:<28} F1 constant {row['constant']['pixel_f1']:.4f} gaussian "
            f"{row['gaussian']['pixel_f1']:.4f} (Δ {row['delta_pixel_f1']:+.4f}, "
            f"{row['pixel_images']} images)  seam ratio {row['constant']['seam_ratio']} -> "
            f"{row['gaussian']['seam_ratio']}  cpu {row['constant']['cpu_s']:.0f} / "
            f"{row['gaussian']['cpu_s']:.0f} s",
            flush=True,
        )
    return out
