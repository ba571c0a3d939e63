"""Face detectors: MTCNN (facenet-pytorch) against OpenCV's Haar cascade.

Figures (issue 20, item 1), on the shared data (``$FORENSIC_DATA``, default ``../shared/data``
beside the repository; skipped when absent):
- recall on ``faces-real`` (150 photographs, one face each, filling most of the frame): a face
  is found when a detection at least 0.3 of the image wide has its centre in the middle half of
  the image in both directions; any other detection there is an extra (false) face;
- false faces per image on ``camera-photos`` (53 camera JPEGs, 1-16 MP) and CASIA v1 ``Au``
  (600 JPEGs, 384 x 256): every detection either detector made at its lowest threshold was
  looked at and labelled by hand in ``face_labels.json`` (``face``: a real person's face;
  ``other``: an animal's, a statue's, a mask's, a drawing's; ``none``: anything else). A
  detection takes the label of the labelled box it matches (each box's centre inside the
  other); ``none`` counts as a false face. ``unlabelled`` counts detections no labelled box
  matches (0 while the settings measured are those labelled; otherwise label them);
- faces found (labelled ``face``) on those two sets: the labels hold every face either detector
  found, not every face in the photographs, so this compares the detectors' recall there
  without giving it;
- seconds per image: CPU seconds of ``FaceDetector.detect`` (the image already decoded; torch on
  one thread), which other work on a shared machine hardly changes, and wall seconds, which it
  does (the load average is recorded).

Each detector runs once at its lowest threshold; the figures at higher thresholds filter those
detections (both detectors threshold after grouping, so this is what a run at that threshold
would find).
"""

from __future__ import annotations

import json
import os
import time
from pathlib import Path
from typing import Any

import numpy as np
import torch

from engine.faces import (
    HAAR_MIN_CONFIDENCE,
    MTCNN_MIN_CONFIDENCE,
    FaceDetector,
    HaarCascade,
    Mtcnn,
)
from engine.io import IMAGE_SUFFIXES, load_evidence

HERE = Path(__file__).resolve().parent
LABELS = HERE / "face_labels.json"
SETS = {
    "faces-real": "faces-real",
    "camera-photos": "camera-photos",
    "casia-au": "casia1-dev/Au",
}
THRESHOLDS = {"haar": (0.25, 0.4, 0.5), "mtcnn": (0.7, 0.9, 0.95, 0.99)}
DEFAULTS = {"haar": HAAR_MIN_CONFIDENCE, "mtcnn": MTCNN_MIN_CONFIDENCE}


def data_root() -> Path:
    return Path(os.environ.get("FORENSIC_DATA", HERE.parents[1] / "shared" / "data"))


def _centre_in(a: list[int], b: list[int]) -> bool:
    cx, cy = a[0] + a[2] / 2, a[1] + a[3] / 2
    return b[0] <= cx <= b[0] + b[2] and b[1] <= cy <= b[1] + b[3]


def label_of(labels: list[list[Any]], box: list[int]) -> str:
    """The hand label of the labelled box ``box`` matches, or ``unlabelled``."""
    for entry in labels:
        if _centre_in(box, entry[:4]) and _centre_in(entry[:4], box):
            return str(entry[4])
    return "unlabelled"


def detect_all(detector: FaceDetector, files: list[Path]) -> dict[str, dict[str, Any]]:
    out = {}
    for p in files:
        pixels = load_evidence(p).pixels
        c0, t0 = time.process_time(), time.perf_counter()
        faces = detector.detect(pixels)
        out[p.name] = {
            "shape": pixels.shape[:2],
            "cpu": time.process_time() - c0,
            "wall": time.perf_counter() - t0,
            "faces": [(list(f.box), f.confidence) for f in faces],
        }
    return out


def score(
    runs: dict[str, dict[str, dict[str, Any]]], labels: dict[str, Any], threshold: float
) -> dict[str, Any]:
    """The figures of one detector at one threshold (see the module docstring)."""
    found, extra = 0, 0
    for v in runs["faces-real"].values():
        h, w = v["shape"]
        hit = False
        for (x, y, bw, bh), conf in v["faces"]:
            if conf < threshold:
                continue
            cx, cy = x + bw / 2, y + bh / 2
            central = 0.25 * w <= cx <= 0.75 * w and 0.25 * h <= cy <= 0.75 * h
            if not hit and bw >= 0.3 * w and central:
                hit = True
            else:
                extra += 1
        found += hit
    row: dict[str, Any] = {
        "threshold": threshold,
        "faces_real_recall": round(found / max(1, len(runs["faces-real"])), 4),
        "faces_real_found": found,
        "faces_real_extra": extra,
    }
    for name in ("camera-photos", "casia-au"):
        counts = dict.fromkeys(("face", "other", "none", "unlabelled"), 0)
        for image, v in runs[name].items():
            for box, conf in v["faces"]:
                if conf >= threshold:
                    counts[label_of(labels[name].get(image, []), box)] += 1
        n = max(1, len(runs[name]))
        row[name] = {
            "images": len(runs[name]),
            "faces_found": counts["face"],
            "other_faces": counts["other"],
            "false_faces": counts["none"],
            "false_faces_per_image": round(counts["none"] / n, 4),
            "unlabelled": counts["unlabelled"],
        }
    return row


def timing(runs: dict[str, dict[str, dict[str, Any]]]) -> dict[str, Any]:
    out = {}
    for name, per in runs.items():
        cpu = np.array([v["cpu"] for v in per.values()])
        wall = np.array([v["wall"] for v in per.values()])
        out[name] = {
            "cpu_s_median": round(float(np.median(cpu)), 3),
            "cpu_s_mean": round(float(cpu.mean()), 3),
            "wall_s_median": round(float(np.median(wall)), 3),
        }
    return out


def run() -> dict[str, Any]:
    root = data_root()
    if not all((root / sub).is_dir() for sub in SETS.values()):
        print(f"skipped: the face data sets are not under {root} (set FORENSIC_DATA)")
        return {"skipped": f"no data under {root}"}
    torch.set_num_threads(1)
    labels = json.loads(LABELS.read_text(encoding="utf-8"))
    files = {
        name: sorted(
            p for p in (root / sub).iterdir() if p.is_file() and p.suffix.lower() in IMAGE_SUFFIXES
        )
        for name, sub in SETS.items()
    }
    detectors = {
        "haar": FaceDetector(HaarCascade(min_confidence=0.0)),
        "mtcnn": FaceDetector(Mtcnn(min_confidence=min(THRESHOLDS["mtcnn"]))),
    }
    results: dict[str, Any] = {"load_before": round(os.getloadavg()[0], 2)}
    for name, det in detectors.items():
        det.detect(np.zeros((64, 64, 3), np.uint8))  # warm-up
        runs = {s: detect_all(det, fs) for s, fs in files.items()}
        rows = [score(runs, labels, t) for t in THRESHOLDS[name]]
        results[name] = {"default_threshold": DEFAULTS[name], "by_threshold": rows, **timing(runs)}
        print(f"{name} (default threshold {DEFAULTS[name]})")
        for r in rows:
            cam, cas = r["camera-photos"], r["casia-au"]
            print(
                f"  >= {r['threshold']:.2f}: faces-real recall {r['faces_real_found']}/150"
                f" (+{r['faces_real_extra']} extra) | camera: {cam['faces_found']} faces,"
                f" {cam['false_faces_per_image']:.3f} false/img ({cam['false_faces']}),"
                f" {cam['other_faces']} other | CASIA Au: {cas['faces_found']} faces,"
                f" {cas['false_faces_per_image']:.3f} false/img ({cas['false_faces']}),"
                f" {cas['other_faces']} other | unlabelled {cam['unlabelled'] + cas['unlabelled']}"
            )
        for s in files:
            t = results[name][s]
            print(
                f"  {s}: CPU {t['cpu_s_median']:.3f} s/image median ({t['cpu_s_mean']:.3f} mean),"
                f" wall {t['wall_s_median']:.3f} s median"
            )
    results["load_after"] = round(os.getloadavg()[0], 2)
    print(f"load average before {results['load_before']}, after {results['load_after']}")
    return results
