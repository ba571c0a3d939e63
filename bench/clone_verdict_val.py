"""The copy-move analysis inside the default verdict, read from features files, one part at a time.

    python -m bench.clone_verdict_val FEATURES.jsonl [...] --casia DATA [--part val|test]

For the rows of ``forensic-train features`` (e.g. refreshed with ``--reuse OLD --only clone``)
and their ``.maps`` folders: pixel F1 of the default verdict's localization as the bundled
ensemble file makes it (member heatmaps at its localization weights and pixel threshold, the
copy-move map, or the copies of it the heatmap points at, replacing them when a pair is
found), per kind, on the tampered images whose
CASIA mask is trusted (:mod:`trainer.data.mask_audit`, as ``forensic-train verdict``); and how
many images of each kind, and of the camera photographs' half, the copy-move analysis flags.
Nothing is chosen here: this is the quick look at one part while the analysis is tuned on
``val`` (the test part is read once, at the end). The trusted-mask list is cached beside the
first features file (``trusted-masks.json``).
"""

from __future__ import annotations

import argparse
import json
import sys
from pathlib import Path

import numpy as np

from engine.analyses.clone import suspect_copies
from trainer.verdict import read_rows
from trainer.verdict_features import pixel_f1

ENSEMBLE = Path(__file__).resolve().parents[1] / "resources/models/bundled-ensemble.ensemble.json"


def trusted(casia: Path, cache: Path) -> set[str]:
    if cache.is_file():
        return set(json.loads(cache.read_text(encoding="utf-8")))
    from trainer.data.mask_audit import is_trusted, trusted_masks
    from trainer.data.records import read_dataset

    out = sorted(p for p, iou in trusted_masks(read_dataset(casia)).items() if is_trusted(iou))
    cache.write_text(json.dumps(out), encoding="utf-8")
    return set(out)


def figures(rows: list[dict], maps: list[Path], good: set[str], part: str) -> dict:
    ens = json.loads(ENSEMBLE.read_text(encoding="utf-8"))
    weights = {m["model"]: m["localization_weight"] for m in ens["members"]}
    pt = ens["pixel_threshold"]
    replace = "clone" in ens.get("localization_analyses", {})
    keep = float(ens.get("copy_keep_ratio", 0.0))
    f1: dict[str, list[float]] = {}
    clone_only: list[float] = []
    flagged: dict[str, list[int]] = {}
    names: dict[str, list[str]] = {}
    for r in rows:
        if r["part"] not in (f"casia-{part}", f"camera-{part}"):
            continue
        kind = r["kind"] if r["part"].startswith("casia") else "camera"
        hit = bool(r["classic"]["clone"].get("pairs"))
        flagged.setdefault(kind, []).append(int(hit))
        if hit and kind in ("camera", "authentic"):
            names.setdefault(kind, []).append(Path(r["path"]).name)
        if r["label"] != 1 or r["path"] not in good:
            continue
        npz = next(
            (
                d / f"{r['sha256'][:16]}.npz"
                for d in maps
                if (d / f"{r['sha256'][:16]}.npz").is_file()
            ),
            None,
        )
        if npz is None:
            continue
        with np.load(npz) as z:
            m = {k: z[k] for k in z.files}
        if "truth" not in m:
            continue
        heat = sum(w * m[n].astype(np.float32) / 255 for n, w in weights.items() if w)
        heat = heat / sum(weights.values())
        pred = heat > pt
        if replace and "clone" in m and (m["clone"] > 127).any():
            pred = suspect_copies(m["clone"] > 127, heat, keep)
        f1.setdefault(r["kind"], []).append(pixel_f1(pred, m["truth"] > 127))
        if r["kind"] == "copy-move":
            clone_only.append(pixel_f1(m.get("clone", np.zeros(1)) > 127, m["truth"] > 127))
    every = [v for vs in f1.values() for v in vs]
    return {
        "part": part,
        "pixel_f1": round(float(np.mean(every)), 4) if every else None,
        **{f"pixel_f1_{k}": round(float(np.mean(v)), 4) for k, v in f1.items()},
        "pixel_f1_copy-move_clone_map_alone": round(float(np.mean(clone_only)), 4)
        if clone_only
        else None,
        "trusted_images": {k: len(v) for k, v in f1.items()},
        "clone_flagged": {k: [sum(v), len(v)] for k, v in flagged.items()},
        "clone_flagged_authentic": names,
        "clone_seconds_mean": round(
            float(
                np.mean(
                    [
                        r["classic"]["clone"]["seconds"]
                        for r in rows
                        if r["part"].endswith(part) and "seconds" in r["classic"]["clone"]
                    ]
                )
            ),
            3,
        ),
    }


def main(argv: list[str]) -> int:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("features", type=Path, nargs="+")
    ap.add_argument("--casia", type=Path, required=True)
    ap.add_argument("--part", choices=("val", "test"), default="val")
    args = ap.parse_args(argv)
    rows = read_rows(args.features)
    maps = [f.with_suffix(".maps") for f in args.features]
    good = trusted(args.casia, args.features[0].parent / "trusted-masks.json")
    print(json.dumps(figures(rows, maps, good, args.part), indent=1))
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
