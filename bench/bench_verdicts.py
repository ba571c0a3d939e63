"""Verdicts at evidence size (issue 17): per default model and the default verdict, the
false-alarm rate and seconds per image on the camera photographs, and image AUC / pixel F1 on
the CASIA test part.

Runs ``forensic-train features`` (the default analysis, fast path, plus the classic analyses)
on ``$FORENSIC_VIEWER_PHOTOS`` (else ``../shared/data/camera-photos``) and the test part of
``$FORENSIC_VIEWER_CASIA`` (else ``../shared/data/casia1-dev``), into
``bench/verdict-cache/KEY/``, KEY a hash of the default model files (resumed: a second run only
adds what is missing; other models, another folder).
``$BENCH_VERDICT_PHOTOS=N`` limits the photographs to the first N (all 53 take about an hour on
two busy cores). Figures are read at each bundled checkpoint's and the ensemble's own θ, as the
viewer applies them.
"""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path
from typing import Any

import numpy as np

ROOT = Path(__file__).resolve().parents[1]
CACHE = Path(__file__).resolve().parent / "verdict-cache"


def _data(env: str, default: str) -> Path:
    return Path(os.environ.get(env) or ROOT.parent / "shared" / "data" / default)


def _cache() -> Path:
    import hashlib

    from engine.assembly import default_choice

    h = hashlib.sha256()
    for p in default_choice():
        h.update(p.read_bytes())
    return CACHE / h.hexdigest()[:16]


def _features() -> list[dict[str, Any]]:
    cache = _cache()
    cache.mkdir(parents=True, exist_ok=True)
    photos, casia = (
        _data("FORENSIC_VIEWER_PHOTOS", "camera-photos"),
        _data("FORENSIC_VIEWER_CASIA", "casia1-dev"),
    )
    limit = int(os.environ.get("BENCH_VERDICT_PHOTOS", "0"))
    # CASIA's test part and every camera photograph (both halves: the false-alarm rate on all)
    args = ["--casia", str(casia), "--parts", "test,camera-val", "--out"]
    args.append(str(cache / "features.jsonl"))
    if photos.is_dir():
        if limit:
            subset = cache / "photos"
            subset.mkdir(exist_ok=True)
            for p in sorted(photos.iterdir())[:limit]:
                if not (subset / p.name).exists():
                    (subset / p.name).symlink_to(p.resolve())
            photos = subset
        args += ["--photos", str(photos)]
    subprocess.run([sys.executable, "-m", "trainer.cli", "features", *args], cwd=ROOT, check=True)
    rows = [json.loads(x) for x in (cache / "features.jsonl").read_text().splitlines() if x]
    return rows


def run() -> dict:
    from engine.assembly import default_choice
    from engine.checkpoints import read_meta
    from engine.ensemble import Ensemble

    rows = _features()
    photos = [r for r in rows if r["part"].startswith("camera")]
    test = [r for r in rows if r["part"] == "casia-test"]
    chosen = default_choice()
    out: dict[str, Any] = {"photos": len(photos), "casia_test": len(test)}
    print(
        f"{'model':24s} {'camera flagged':>16s} {'s/photo':>8s} {'test AUC':>9s} {'pixel F1':>9s}"
    )
    for path in chosen:
        if path.name.endswith(".ensemble.json"):
            name = Ensemble.load(path).name
            theta = Ensemble.load(path).threshold
        else:
            meta = read_meta(path)
            name, theta = meta.name or path.stem, meta.decision.threshold
        if not photos or name not in photos[0]["models"]:
            continue
        cam = [r["models"][name] for r in photos]
        flagged = sum(m["verdict"] == "manipulated" for m in cam)
        secs = [m.get("seconds") for m in cam if m.get("seconds") is not None]
        y = np.array([r["label"] for r in test])
        s = np.array([r["models"][name]["score"] for r in test])
        from trainer.metrics import roc_auc

        auc = roc_auc(y, s) if y.size and y.min() != y.max() else float("nan")
        f1 = [r["models"][name]["pixel_f1"] for r in test if "pixel_f1" in r["models"][name]]
        fig = {
            "threshold": theta,
            "camera_flagged": [flagged, len(cam)],
            "seconds_per_photo": float(np.mean(secs)) if secs else None,
            "casia_test_image_auc": auc,
            "casia_test_pixel_f1": float(np.mean(f1)) if f1 else None,
        }
        out[name] = fig
        sp = f"{fig['seconds_per_photo']:.1f}" if secs else "-"
        print(
            f"{name:24s} {flagged:>7d} of {len(cam):<5d} {sp:>8s} {auc:>9.3f} "
            f"{fig['casia_test_pixel_f1'] or float('nan'):>9.3f}"
        )
    total = [r["seconds"] for r in photos]
    out["seconds_per_photo_all"] = float(np.mean(total)) if total else None
    print(
        f"default analysis + classic analyses: {out['seconds_per_photo_all'] or 0:.1f} s per photo"
    )
    return out
