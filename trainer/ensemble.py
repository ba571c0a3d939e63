"""``forensic-train ensemble``: choose equation (6)'s weights on validation data and measure.

    forensic-train ensemble --model A.safetensors --model B.safetensors --data DIR \
        --split val --out resources/models/NAME.ensemble.json --json ensemble-eval.json

Every member analyses every image once, through :class:`engine.pipeline.Analyzer` (the
product's path). Then, on those cached results:

- detection weights: the grid point with the highest image AUC of the fused score (ties: the
  highest balanced accuracy, then the fewest members); the verdict threshold on the fused
  score is the one of a small grid with the best balanced accuracy;
- localization weights and the ensemble's pixel threshold: the grid point with the highest
  mean per-image pixel F1 of the fused heatmap (searched on heatmaps reduced to at most
  ``SEARCH_SIDE`` pixels a side, which ranks weightings as the full maps do at a fraction of
  the cost).

The chosen ensemble's figures are then computed at full resolution with
:meth:`engine.ensemble.Ensemble.combine` (what the viewer runs), beside each member's own figures
on the same images. The weights and thresholds are chosen on the images they are measured on,
so the ensemble's figures are optimistic by the selection; the JSON and the ensemble's
description say so. Members' results are held in memory (one float map per member and image):
use ``--limit`` for large data sets.
"""

from __future__ import annotations

import argparse
import itertools
from dataclasses import dataclass
from datetime import date
from typing import Any

import cv2
import numpy as np

from engine.checkpoints import LoadedModel
from engine.decision import MANIPULATED
from engine.ensemble import ENSEMBLE_SUFFIX, Ensemble, Member
from engine.formatting import plain
from engine.pipeline import Analyzer
from engine.types import ModelResult
from trainer.data.records import Sample, SkipLog, load_mask
from trainer.evaluate import analysed
from trainer.jsonio import write_json
from trainer.metrics import (
    MetricAccumulator,
    balanced_accuracy,
    f1_iou,
    roc_auc,
    summarize,
    two_class_balanced_accuracy,
)

WEIGHT_GRID = (0.0, 0.5, 1.0, 2.0, 4.0)
SCORE_THRESHOLDS = tuple(np.round(np.arange(0.20, 0.81, 0.05), 2))
PIXEL_THRESHOLDS = tuple(np.round(np.arange(0.20, 0.81, 0.05), 2))
SEARCH_SIDE = 192


@dataclass
class Cached:
    """One image: its label, its ground truth and every member's result."""

    image: str
    label: int
    gt: np.ndarray | None  # full-resolution mask, tampered images only
    results: dict[str, ModelResult]
    small_gt: np.ndarray | None = None
    small_maps: dict[str, np.ndarray] | None = None


def analyse_all(
    models: list[LoadedModel],
    samples: list[Sample],
    *,
    device: str,
    batch_size: int,
    skipped: SkipLog,
    progress: Any = None,
) -> list[Cached]:
    """Every member on every sample (unreadable images go to ``skipped``)."""
    analyzer = Analyzer(models, device=device, batch_size=batch_size)
    out: list[Cached] = []
    for i, s, analysis in analysed(analyzer, samples, skipped):
        results = analysis.results
        shape = next(iter(results.values())).heatmap.shape
        gt = load_mask(s, shape, skipped).astype(bool) if s.label == 1 else None
        item = Cached(str(s.image), s.label, gt, results)
        _shrink(item)
        out.append(item)
        if progress is not None:
            progress(i + 1, len(samples))
    return out


def _shrink(item: Cached) -> None:
    h, w = next(iter(item.results.values())).heatmap.shape
    scale = min(1.0, SEARCH_SIDE / max(h, w))
    size = (max(1, round(w * scale)), max(1, round(h * scale)))
    item.small_maps = {
        k: cv2.resize(r.heatmap, size, interpolation=cv2.INTER_AREA)
        for k, r in item.results.items()
    }
    if item.gt is not None:
        g = cv2.resize(item.gt.astype(np.float32), size, interpolation=cv2.INTER_AREA)
        item.small_gt = g > 0.5


def _weightings(n: int) -> list[tuple[float, ...]]:
    """Every grid point with a positive sum, scale duplicates removed (2,2 is 1,1)."""
    seen: set[tuple[float, ...]] = set()
    out = []
    for w in itertools.product(WEIGHT_GRID, repeat=n):
        total = sum(w)
        if total <= 0:
            continue
        key = tuple(round(x / total, 6) for x in w)
        if key not in seen:
            seen.add(key)
            out.append(w)
    return out


def choose_detection(
    cached: list[Cached], names: list[str]
) -> tuple[tuple[float, ...], float, dict[str, float]]:
    """Detection weights (best image AUC) and the verdict threshold (best balanced accuracy)."""
    y = np.array([c.label for c in cached], dtype=bool)
    scores = np.array([[c.results[n].score for n in names] for c in cached], dtype=np.float64)
    best: tuple[tuple[float, float, int], tuple[float, ...]] | None = None
    for w in _weightings(len(names)):
        fused = scores @ np.asarray(w) / sum(w)
        auc = roc_auc(y, fused) if 0 < y.sum() < len(y) else float("nan")
        bacc = max(balanced_accuracy(y, fused > t) for t in SCORE_THRESHOLDS)
        key = (np.nan_to_num(auc, nan=0.0), bacc, -sum(x > 0 for x in w))
        if best is None or key > best[0]:
            best = (key, w)
    assert best is not None
    w = best[1]
    fused = scores @ np.asarray(w) / sum(w)
    threshold = max(
        SCORE_THRESHOLDS, key=lambda t: (balanced_accuracy(y, fused > t), -abs(t - 0.5))
    )
    # the figures of the choice, undefined (NaN) on one class: the choosing key's 0.0 AUC and
    # its recall of the one class (1.0) read as figures of a failed and a perfect detector
    auc = roc_auc(y, fused) if 0 < y.sum() < len(y) else float("nan")
    bacc = two_class_balanced_accuracy(y, fused > threshold)
    return w, float(threshold), {"image_auc": auc, "image_bacc": bacc}


def choose_localization(
    cached: list[Cached], names: list[str]
) -> tuple[tuple[float, ...], float, float]:
    """Localization weights and pixel threshold with the best mean pixel F1 (reduced maps)."""
    tampered = [c for c in cached if c.small_gt is not None and c.small_gt.any()]
    if not tampered:
        raise ValueError("no tampered image with a non-empty mask to choose localization weights")
    best: tuple[tuple[float, int], tuple[float, ...], float] | None = None
    for w in _weightings(len(names)):
        fused = [
            sum(wi * c.small_maps[n] for wi, n in zip(w, names, strict=True) if wi) / sum(w)  # type: ignore[index]
            for c in tampered
        ]
        for t in PIXEL_THRESHOLDS:
            f1 = float(
                np.mean(
                    [f1_iou(f > t, c.small_gt)[0] for f, c in zip(fused, tampered, strict=True)]
                )
            )
            key = (f1, -sum(x > 0 for x in w))
            if best is None or key > best[0]:
                best = (key, w, float(t))
    assert best is not None
    return best[1], best[2], best[0][0]


def measure(cached: list[Cached], pick: Any) -> dict[str, Any]:
    """Image and pixel figures of ``pick(cached_item) -> ModelResult`` at full resolution."""
    acc = MetricAccumulator()
    for c in cached:
        r = pick(c)
        acc.add(
            c.label,
            r.score,
            r.verdict == MANIPULATED,
            r.forged_fraction,
            r.heatmap,
            c.gt,
            r.pixel_threshold,
        )
    return acc.summary()


def build(
    name: str,
    names: list[str],
    det: tuple[float, ...],
    loc: tuple[float, ...],
    threshold: float,
    pixel_threshold: float,
    description: str,
) -> Ensemble:
    members = [
        Member(model=n, detection_weight=float(d), localization_weight=float(lw))
        for n, d, lw in zip(names, det, loc, strict=True)
        if d > 0 or lw > 0
    ]
    return Ensemble(
        name=name,
        members=members,
        threshold=threshold,
        pixel_threshold=pixel_threshold,
        description=description,
    )


def run(
    args: argparse.Namespace,
    samples: list[Sample],
    models: list[LoadedModel],
    overridden: list[str] | None = None,
) -> int:
    """``forensic-train ensemble`` on ``samples``; ``overridden``: with ``--masks-as-given``,
    the lines of the data sets whose inverted-looking masks were used as given (recorded in
    the provenance, the ``--json`` file and the command's end), else None."""
    from trainer.progress import Reporter

    names = [m.name for m in models]  # distinct: the command refused twins before reading
    skipped = SkipLog()
    skipped.warn(overridden or [])
    reporter = Reporter(interval=10.0)
    cached = analyse_all(
        models,
        samples,
        device=args.device,
        batch_size=args.batch_size,
        skipped=skipped,
        progress=lambda d, t: reporter.bar(d, t, f"{d}/{t} images"),
    )
    det, threshold, _ = choose_detection(cached, names)
    loc, pixel_threshold, _ = choose_localization(cached, names)
    name = args.name or args.out.name.removesuffix(ENSEMBLE_SUFFIX)
    data = ", ".join(str(d) for d in args.data)
    provenance = (
        f"weights and thresholds chosen on {len(cached)} images ({args.split} split of {data}, "
        f"split by {args.split_by}) on {date.today().isoformat()}: detection by image AUC, "
        "localization by mean pixel F1; figures measured on the same images are optimistic"
    )
    if overridden:
        provenance += f"; masks that look inverted used as given: {'; '.join(overridden)}"
    ens = build(name, names, det, loc, threshold, pixel_threshold, provenance)
    fused = measure(cached, lambda c: ens.combine(c.results))
    members = {n: measure(cached, lambda c, n=n: c.results[n]) for n in names}
    payload = {
        "members": {m.name: {"checkpoint": str(m.path), "sha256": m.sha256} for m in models},
        "detection_weights": dict(zip(names, det, strict=True)),
        "localization_weights": dict(zip(names, loc, strict=True)),
        "threshold": threshold,
        "pixel_threshold": pixel_threshold,
        "provenance": provenance,
        "data": args.data,
        "split": args.split,
        "split_by": args.split_by,
        "seed": args.seed,
        "metrics": fused,
        "member_metrics": members,
        "conventions": summarize(fused),
        "skipped": skipped.entries,
        "masks_as_given": overridden,
    }
    write_json(args.out, ensemble_file(ens))
    if args.json:
        write_json(args.json, payload)
    print(measured_on(fused, args.split, plain(data)))
    print(format_comparison(name, fused, members))
    print(f"wrote {plain(args.out)}" + (f" and {plain(args.json)}" if args.json else ""))
    skipped.print_summary()
    return 0


def ensemble_file(ens: Ensemble) -> dict[str, Any]:
    """The ``*.ensemble.json`` content :meth:`Ensemble.load` reads back."""
    return {
        "name": ens.name,
        "description": ens.description,
        "members": [
            {
                "model": m.model,
                "detection_weight": m.detection_weight,
                "localization_weight": m.localization_weight,
            }
            for m in ens.members
        ],
        "threshold": ens.threshold,
        "pixel_threshold": ens.pixel_threshold,
    }


def measured_on(fused: dict[str, Any], split: str, data: str) -> str:
    """The line above the printed figures: which images they are of, and that the weights and
    thresholds were chosen on those same images (the table alone read as a held-out result)."""
    return (
        f"figures on the {fused['images']} images ({fused['tampered']} tampered, "
        f"{fused['authentic']} authentic) of the {split} split of {data} that chose the "
        "weights and thresholds: optimistic, not a held-out result"
    )


def format_comparison(name: str, fused: dict[str, Any], members: dict[str, dict[str, Any]]) -> str:
    keys = ("image_auc", "image_bacc", "pixel_f1", "pixel_iou", "pixel_auc")
    # the members' names come from their checkpoints' headers: printed plain
    rows = [(plain(f"{name} (ensemble)"), fused), *((plain(k), m) for k, m in members.items())]
    width = max(len(r[0]) for r in rows)
    lines = [f"{'model':<{width}} " + " ".join(f"{k:>10}" for k in keys)]
    for label, m in rows:
        lines.append(
            f"{label:<{width}} " + " ".join(f"{float(m.get(k, float('nan'))):>10.3f}" for k in keys)
        )
    return "\n".join(lines)
