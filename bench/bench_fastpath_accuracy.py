"""Accuracy of the fast path against the exact path on the CASIA validation split (issue 18).

Every bundled model analyses every image of the validation split (the split ``forensic-train``
makes: by source photograph, 15 %, seed 0; ``packaging/recipes/split_casia.py``) once through
``Analyzer(exact=True)`` and once through the default fast path, on the same decoded pixels.
Figures per model and path, with the model cards' conventions: pixel F1 at the checkpoint's
pixel threshold (mean over tampered images) and image ROC AUC of the decision score; and the
mean absolute heatmap difference fast vs exact (mean and worst image). Target: |Δ F1| and
|Δ AUC| <= 0.01. Data: ``$CASIA`` (a Tp/Gt/Au folder), else ``../shared/data/casia1-dev``;
skipped when absent. ``$BENCH_MAX_IMAGES`` takes every n-th image to shorten a run.
"""

from __future__ import annotations

import os
import time
from pathlib import Path

import numpy as np

from bench.bench_evidence import ROOT


def casia_dir() -> Path | None:
    env = os.environ.get("CASIA")
    for p in (
        [env]
        if env
        else [ROOT.parent / "shared/data/casia1-dev", ROOT.parents[1] / "shared/data/casia1-dev"]
    ):
        if p and Path(p).is_dir():
            return Path(p)
    return None


def run() -> dict:
    from engine.catalog import default_models
    from engine.checkpoints import load_checkpoint
    from engine.decision import decide
    from engine.io import load_evidence
    from engine.pipeline import Analyzer
    from trainer.data.records import load_mask, read_dataset
    from trainer.data.splits import split_samples
    from trainer.metrics import f1_iou, roc_auc

    data = casia_dir()
    if data is None:
        print("CASIA data not found (set CASIA=DIR); skipped")
        return {"skipped": "no CASIA folder"}
    samples = split_samples(read_dataset(data), 0.15, "auto", 0).val
    limit = int(os.environ.get("BENCH_MAX_IMAGES", "0"))
    if limit and limit < len(samples):
        samples = samples[:: max(1, len(samples) // limit)][:limit]
    out: dict = {"images": len(samples), "data": str(data)}
    for path in default_models():
        loaded = load_checkpoint(path)
        rule = loaded.meta.decision
        paths = {"exact": Analyzer([loaded], exact=True), "fast": Analyzer([loaded])}
        got = {k: {"y": [], "s": [], "f1": [], "cpu": 0.0} for k in paths}
        mad: list[float] = []
        for s in samples:
            rgb = load_evidence(s.image).pixels
            gt = load_mask(s, rgb.shape[:2]).astype(bool) if s.label == 1 else None
            heats = {}
            for k, an in paths.items():
                c0 = time.process_time()
                heat, logit = an.heatmap(loaded, rgb)
                got[k]["cpu"] += time.process_time() - c0
                d = decide(rule.rule, heat > rule.pixel_threshold, rule.threshold, logit)
                got[k]["y"].append(s.label)
                got[k]["s"].append(d.score)
                if gt is not None:
                    got[k]["f1"].append(f1_iou(heat > rule.pixel_threshold, gt)[0])
                heats[k] = heat
            mad.append(float(np.abs(heats["fast"] - heats["exact"]).mean()))
        row = {
            k: {
                "pixel_f1": round(float(np.mean(g["f1"])), 4),
                "image_auc": round(float(roc_auc(g["y"], g["s"])), 4),
                "cpu_s": round(g["cpu"], 1),
            }
            for k, g in got.items()
        }
        row["delta_pixel_f1"] = round(row["fast"]["pixel_f1"] - row["exact"]["pixel_f1"], 4)
        row["delta_image_auc"] = round(row["fast"]["image_auc"] - row["exact"]["image_auc"], 4)
        row["heatmap_mad_mean"] = round(float(np.mean(mad)), 4)
        row["heatmap_mad_worst"] = round(float(np.max(mad)), 4)
        row["runtime"] = paths["fast"].runtime_name(loaded)
        out[loaded.name] = row
        print(
            f"{loaded.name:<22} F1 exact {row['exact']['pixel_f1']:.4f} fast "
            f"{row['fast']['pixel_f1']:.4f} (Δ {row['delta_pixel_f1']:+.4f})  AUC exact "
            f"{row['exact']['image_auc']:.4f} fast {row['fast']['image_auc']:.4f} "
            f"(Δ {row['delta_image_auc']:+.4f})  heatmap MAD {row['heatmap_mad_mean']:.4f} "
            f"(worst {row['heatmap_mad_worst']:.4f})  cpu {row['exact']['cpu_s']:.0f} / "
            f"{row['fast']['cpu_s']:.0f} s",
            flush=True,
        )
    return out
