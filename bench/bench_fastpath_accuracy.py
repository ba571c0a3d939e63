"""Accuracy of the fast path against the exact path on the CASIA validation part (issue 18).

Every bundled model analyses every image of the validation part (``three_way_split``: the
held-out 15 % by source photograph, seed 0, that the bundled models never trained on, halved
into validation and test; test is not read here) through ``Analyzer(exact=True)`` (PyTorch
fp32, the reference), the fast path at fp32 (``runtime="openvino-fp32"``) and, for a network
that ships an int8 model (``engine.runtime.bundled_int8``), the fast path at int8 (the
default), on the same decoded pixels. Figures per model and path, with the model cards'
conventions: pixel F1 at the checkpoint's pixel threshold (mean over tampered images) and image
ROC AUC of the decision score; the mean absolute heatmap difference against the exact path
(mean over images and worst image); the images whose verdict differs from the exact path's. Target: |Δ F1| and |Δ AUC| <= 0.01 for each fast path.
Data: ``$CASIA`` (a Tp/Gt/Au folder), else ``../shared/data/casia1-dev``; skipped when absent.
``$BENCH_MAX_IMAGES`` takes every n-th image to shorten a run; ``$BENCH_MODELS`` (names,
comma-separated) limits the models. (Before 2026-12-02 10:00 this bench read the whole held-out
15 %, validation and test together: 199 images.)
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
    from trainer.data.splits import three_way_split
    from trainer.metrics import f1_iou, roc_auc

    data = casia_dir()
    if data is None:
        print("CASIA data not found (set CASIA=DIR); skipped")
        return {"skipped": "no CASIA folder"}
    samples = three_way_split(read_dataset(data))[1]
    limit = int(os.environ.get("BENCH_MAX_IMAGES", "0"))
    if limit and limit < len(samples):
        samples = samples[:: max(1, len(samples) // limit)][:limit]
    out: dict = {"images": len(samples), "data": str(data)}
    wanted = {m for m in os.environ.get("BENCH_MODELS", "").split(",") if m}
    for path in default_models():
        loaded = load_checkpoint(path)
        if wanted and loaded.name not in wanted:
            continue
        rule = loaded.meta.decision
        paths = {
            "exact": Analyzer([loaded], exact=True),
            "fast": Analyzer([loaded], runtime="openvino-fp32"),
            "int8": Analyzer([loaded], runtime="openvino"),
        }
        got = {k: {"y": [], "s": [], "f1": [], "v": [], "cpu": 0.0} for k in paths}
        mad: dict[str, list[float]] = {"fast": [], "int8": []}
        for s in samples:
            rgb = load_evidence(s.image).pixels
            gt = load_mask(s, rgb.shape[:2]).astype(bool) if s.label == 1 else None
            heats = {}
            for k, an in list(paths.items()):
                c0 = time.process_time()
                heat, logit = an.heatmap(loaded, rgb)
                got[k]["cpu"] += time.process_time() - c0
                d = decide(rule.rule, heat > rule.pixel_threshold, rule.threshold, logit)
                got[k]["y"].append(s.label)
                got[k]["v"].append(d.verdict)
                got[k]["s"].append(d.score)
                if gt is not None:
                    got[k]["f1"].append(f1_iou(heat > rule.pixel_threshold, gt)[0])
                heats[k] = heat
                if k == "int8" and an.precision_of(loaded) != "int8":
                    del paths["int8"], got["int8"]  # no int8 model for this network
            for k in mad:
                if k in heats:
                    mad[k].append(float(np.abs(heats[k] - heats["exact"]).mean()))
        row: dict = {
            k: {
                "pixel_f1": round(float(np.mean(g["f1"])), 4),
                "image_auc": round(float(roc_auc(g["y"], g["s"])), 4),
                "cpu_s": round(g["cpu"], 1),
            }
            for k, g in got.items()
        }
        line = f"{loaded.name:<22} exact F1 {row['exact']['pixel_f1']:.4f} AUC {row['exact']['image_auc']:.4f}"
        for k in ("fast", "int8"):
            if k not in got:
                continue
            r = row[k]
            r["delta_pixel_f1"] = round(r["pixel_f1"] - row["exact"]["pixel_f1"], 4)
            r["delta_image_auc"] = round(r["image_auc"] - row["exact"]["image_auc"], 4)
            r["verdicts_differ"] = sum(
                a != b for a, b in zip(got[k]["v"], got["exact"]["v"], strict=True)
            )
            r["heatmap_mad_mean"] = round(float(np.mean(mad[k])), 4)
            r["heatmap_mad_worst"] = round(float(np.max(mad[k])), 4)
            r["runtime"] = paths[k].runtime_name(loaded)
            r["precision"] = paths[k].precision_of(loaded)
            line += (
                f" | {k} ({r['runtime']} {r['precision']}) F1 {r['pixel_f1']:.4f}"
                f" (Δ {r['delta_pixel_f1']:+.4f}) AUC {r['image_auc']:.4f}"
                f" (Δ {r['delta_image_auc']:+.4f}) MAD {r['heatmap_mad_mean']:.4f}"
                f" (worst {r['heatmap_mad_worst']:.4f}) verdicts differ {r['verdicts_differ']}"
                f" cpu {r['cpu_s']:.0f} s"
            )
        out[loaded.name] = row
        print(line + f" | exact cpu {row['exact']['cpu_s']:.0f} s", flush=True)
    return out
