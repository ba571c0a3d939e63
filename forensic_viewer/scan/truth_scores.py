"""Ground-truth mode's scoring: maps against a true mask, and the labelled figures (no Qt, no
file access: :mod:`forensic_viewer.scan.groundtruth` reads masks and scans).

What is scored (:func:`map_sources`): every network, the ensemble, and every classic analysis
with a map. Every map is taken at its 8-bit precision (round(255 p) / 255, no pixel moved across
its own threshold or 0.5: :func:`engine.metrics.levels`), the precision a scan stores
(:mod:`forensic_viewer.scan.maps`), so the viewer and ``scan --gt`` give the same figures for the
same file; a pixel is flagged when its value is above the threshold, so the mask scored at those
thresholds is the mask the layers draw and the forged fraction counts.

The figures and their conventions (each figure carries them, :class:`Figure`):

- **pixel F1 / IoU** at the model's own pixel threshold and at 0.5 (a classic analysis has no
  own threshold: 0.5 only), two ways over a folder: the **per-image mean** over images whose
  mask has a tampered pixel (authentic images are left out, as IMDL-BenCo does: their F1 is
  0/0), and **pooled** (TP, FP, FN summed over every image, authentic included, whose flagged
  pixels count as false positives). On one authentic image F1 and IoU are undefined and the
  flagged share (false-positive pixels / all pixels) is given instead.
- **pixel AUC** (threshold-free, ties count half, :func:`engine.metrics.roc_auc`): per-image
  mean over images whose mask has both classes (empty and all-tampered masks are left out: AUC
  is undefined there), and pooled over every pixel of every image.
- **image AUC** of the model's image score over images of both labels (label: the mask has a
  tampered pixel; an image whose score is NaN is left out, as one without a score), with its
  95 % bootstrap interval in its convention (:func:`engine.metrics.auc_interval_words`: "too
  few images for an interval" under 5 of a label), and **balanced accuracy** of the model's
  verdict at its θ (mean of the recalls on tampered and on authentic images). Undefined (None)
  with one label only. At θ too the **false-alarm rate** and the **detection rate**, each with
  its counts ("flags 2 of 20 authentic images"), undefined without images of the label.
"""

from __future__ import annotations

import math
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any, Literal

import numpy as np
from numpy.typing import NDArray

from engine.metrics import (
    LevelHistogram,
    PixelCounts,
    auc_interval_words,
    balanced_accuracy,
    roc_auc,
)
from engine.types import Analysis

HALF = 0.5  # the fixed threshold every map is also scored at
Kind = Literal["model", "ensemble", "analysis"]


@dataclass
class TruthMask:
    """A true mask at its image's size. mask: [H, W] bool, True = tampered (all False for an
    authentic image). file / sha256: the mask file and its SHA-256 (None for the implied all-zero
    mask of an authentic image). warnings: one line each, naming the file. faint: why a mask
    that is not black marks no pixel (:attr:`engine.masks.MaskFile.faint`: a faint mask, 0 and 100),
    else empty; a scan leaves its image unscored, as the trainer refuses such a mask."""

    mask: NDArray[np.bool_]
    file: str | None = None
    sha256: str | None = None
    warnings: list[str] = field(default_factory=list)
    faint: str = ""

    @property
    def label(self) -> int:
        """1 when any pixel is tampered, else 0 (authentic)."""
        return int(bool(self.mask.any()))


# --- scoring one image --------------------------------------------------------------------------


@dataclass
class MapSource:
    """One map to score: a network's, the ensemble's or a classic analysis's heatmap [H, W] in
    [0, 1], with the model's own pixel threshold (None: none, a classic analysis), its image
    score (None: none) and whether its verdict is "manipulated" (None: it gives none)."""

    name: str
    kind: Kind
    heatmap: NDArray[np.floating]
    own_threshold: float | None
    score: float | None
    manipulated: bool | None


def map_sources(analysis: Analysis) -> list[MapSource]:
    """The maps of a live (or replayed) analysis: networks, the ensemble, classic analyses."""
    out = [
        MapSource(name, "model", r.heatmap, r.pixel_threshold, r.score, r.verdict == "manipulated")
        for name, r in analysis.results.items()
        if r.heatmap is not None
    ]
    e = analysis.ensemble
    if e is not None and e.heatmap is not None:
        out.append(
            MapSource(
                "ensemble", "ensemble", e.heatmap, e.pixel_threshold, e.score,
                e.verdict == "manipulated",
            )
        )  # fmt: skip
    for name, a in analysis.analyses.items():
        if getattr(a, "map", None) is not None:
            out.append(MapSource(f"analysis.{name}", "analysis", a.map, None, a.score, None))
    return out


@dataclass
class MapScore:
    """One map on one image. counts: at the own threshold (None without one) and at 0.5.
    histogram: the pixels at each 8-bit level (for the pixel AUCs)."""

    name: str
    kind: Kind
    own_threshold: float | None
    score: float | None
    manipulated: bool | None
    own: PixelCounts | None
    half: PixelCounts
    histogram: LevelHistogram

    @property
    def pixel_auc(self) -> float:
        return self.histogram.auc()

    def to_json(self, label: int) -> dict[str, Any]:
        """The per-file figures: F1 / IoU at each threshold (None on an authentic image, which
        gets the flagged share instead), the pixel AUC (None when undefined)."""

        def at(c: PixelCounts | None) -> dict[str, float | None]:
            if c is None:
                return {"f1": None, "iou": None, "flagged": None}
            n = c.tp + c.fp + c.fn + c.tn
            return {
                "f1": c.f1() if label else None,
                "iou": c.iou() if label else None,
                "flagged": (c.tp + c.fp) / n if n else None,
            }

        return {
            "kind": self.kind,
            "own_threshold": self.own_threshold,
            "score": self.score,
            "manipulated": self.manipulated,
            "own": at(self.own),
            "0.5": at(self.half),
            "pixel_auc": _finite(self.pixel_auc),
        }


def score_map(source: MapSource, truth: NDArray[np.bool_]) -> MapScore:
    """Score one map against the true mask ``truth`` [H, W] (same size), at 8-bit precision:
    one histogram of its levels against the truth, from which the counts at any threshold and
    the pixel AUC follow exactly (one pass over the pixels per map). No pixel is moved across
    the own threshold or 0.5 by the quantisation (:func:`engine.metrics.levels`), so the counts
    there are those of the mask drawn and of the forged fraction, to the pixel."""
    if source.heatmap.shape != truth.shape:
        raise ValueError(
            f"{source.name}: map is {source.heatmap.shape}, the mask {truth.shape} (same size "
            "expected)"
        )
    hist = LevelHistogram.empty()
    own = source.own_threshold
    hist.add(source.heatmap, truth, keep=(HALF,) if own is None else (own, HALF))
    return MapScore(
        source.name,
        source.kind,
        source.own_threshold,
        source.score,
        source.manipulated,
        None if own is None else hist.counts_above(own),
        hist.counts_above(HALF),
        hist,
    )


@dataclass
class ImageTruth:
    """One image scored: its key, SHA-256, the mask it was scored against and every map."""

    key: str
    sha256: str
    truth: TruthMask
    scores: list[MapScore]

    def to_json(self) -> dict[str, Any]:
        label = self.truth.label
        return {
            "path": self.key,
            "sha256": self.sha256,
            "mask": self.truth.file,
            "mask_sha256": self.truth.sha256,
            "label": label,
            "tampered_share": float(self.truth.mask.mean()) if self.truth.mask.size else 0.0,
            "warnings": list(self.truth.warnings),
            "maps": {s.name: s.to_json(label) for s in self.scores},
        }


def score_image(
    key: str, sha256: str, truth: TruthMask, sources: Iterable[MapSource]
) -> ImageTruth:
    return ImageTruth(key, sha256, truth, [score_map(s, truth.mask) for s in sources])


# --- figures with their conventions ---------------------------------------------------------------


@dataclass(frozen=True)
class Figure:
    """One labelled number. value None: undefined under its convention (said in ``average``).

    source: the map (model name, "ensemble", "analysis.<name>"); figure: "pixel F1" etc.;
    threshold: "0.5", "own 0.42", "threshold-free" or "verdict θ"; average: how images are combined and how empty
    masks count; n: the images it is computed over."""

    source: str
    figure: str
    value: float | None
    threshold: str
    average: str
    n: int

    def to_json(self) -> dict[str, Any]:
        return {
            "source": self.source,
            "figure": self.figure,
            "value": self.value,
            "threshold": self.threshold,
            "average": self.average,
            "n": self.n,
        }

    @classmethod
    def from_json(cls, d: Mapping[str, Any]) -> Figure:
        v = d.get("value")
        return cls(
            str(d["source"]),
            str(d["figure"]),
            None if v is None else float(v),
            str(d["threshold"]),
            str(d["average"]),
            int(d["n"]),
        )


def _finite(v: float | None) -> float | None:
    return None if v is None or not math.isfinite(v) else float(v)


def _mean(values: Sequence[float]) -> float | None:
    return float(np.mean(values)) if values else None


PER_IMAGE = "per-image mean over images with a tampered pixel (authentic masks left out)"
POOLED = "pooled over all pixels of all images (authentic included: flagged pixels are FP)"
AUC_PER_IMAGE = "per-image mean over masks with both classes (empty, all-tampered left out)"
AUC_POOLED = "pooled over all pixels of all images, ties count half"
IMAGE_AUC = "over images, label = mask has a tampered pixel; ties count half"
BACC = "verdict at the model's θ: mean of the recalls on tampered and authentic images"
ONE_IMAGE = "this image"
FREE = "threshold-free"
VERDICT = "verdict θ"
ONE_AUTHENTIC = "this image; its mask is empty (authentic): F1/IoU undefined"


def _threshold_text(t: float | None) -> str:
    return "0.5" if t is None else f"own {t:.3g}"


def image_figures(image: ImageTruth) -> list[Figure]:
    """The figures of one image: per map F1 / IoU at its own threshold and at 0.5 (on an
    authentic image the flagged share instead), and the pixel AUC."""
    figs: list[Figure] = []
    label = image.truth.label
    for s in image.scores:
        pairs = [(s.own_threshold, s.own)] if s.own is not None else []
        pairs.append((None, s.half))
        for t, c in pairs:
            assert c is not None
            th = _threshold_text(t)
            if label:
                figs.append(Figure(s.name, "pixel F1", c.f1(), th, ONE_IMAGE, 1))
                figs.append(Figure(s.name, "pixel IoU", c.iou(), th, ONE_IMAGE, 1))
            else:
                n = c.tp + c.fp + c.fn + c.tn
                share = (c.tp + c.fp) / n if n else None
                figs.append(Figure(s.name, "flagged share", share, th, ONE_AUTHENTIC, 1))
        figs.append(Figure(s.name, "pixel AUC", _finite(s.pixel_auc), FREE, ONE_IMAGE, 1))
    return figs


@dataclass
class _Pool:
    kind: Kind
    own_threshold: float | None = None
    labels: list[int] = field(default_factory=list)
    scores: list[float] = field(default_factory=list)
    score_labels: list[int] = field(default_factory=list)
    verdicts: list[bool] = field(default_factory=list)
    verdict_labels: list[int] = field(default_factory=list)
    f1: dict[str, list[float]] = field(default_factory=lambda: {"own": [], "half": []})
    iou: dict[str, list[float]] = field(default_factory=lambda: {"own": [], "half": []})
    counts: dict[str, PixelCounts] = field(
        default_factory=lambda: {"own": PixelCounts(), "half": PixelCounts()}
    )
    aucs: list[float] = field(default_factory=list)
    histogram: LevelHistogram = field(default_factory=LevelHistogram.empty)


class TruthSummary:
    """The folder's figures, accumulated one image at a time (no map is kept)."""

    def __init__(self) -> None:
        self.pools: dict[str, _Pool] = {}
        self.images = 0
        self.tampered = 0

    def add(self, image: ImageTruth) -> None:
        label = image.truth.label
        self.images += 1
        self.tampered += label
        for s in image.scores:
            p = self.pools.setdefault(s.name, _Pool(s.kind, s.own_threshold))
            p.labels.append(label)
            if s.score is not None and not math.isnan(s.score):  # NaN: no rank, as no score
                p.scores.append(s.score)
                p.score_labels.append(label)
            if s.manipulated is not None:
                p.verdicts.append(s.manipulated)
                p.verdict_labels.append(label)
            for which, c in (("own", s.own), ("half", s.half)):
                if c is None:
                    continue
                p.counts[which] = p.counts[which] + c
                if label:
                    p.f1[which].append(c.f1())
                    p.iou[which].append(c.iou())
            auc = s.pixel_auc
            if math.isfinite(auc):
                p.aucs.append(auc)
            p.histogram.positives += s.histogram.positives
            p.histogram.negatives += s.histogram.negatives

    def figures(self) -> list[Figure]:
        figs: list[Figure] = []
        for name, p in self.pools.items():
            n, k = len(p.labels), sum(p.labels)
            for which, t in (("own", p.own_threshold), ("half", None)):
                if which == "own" and t is None:
                    continue
                th = _threshold_text(t)
                figs += [
                    Figure(name, "pixel F1", _mean(p.f1[which]), th, PER_IMAGE, k),
                    Figure(name, "pixel F1", p.counts[which].f1(), th, POOLED, n),
                    Figure(name, "pixel IoU", _mean(p.iou[which]), th, PER_IMAGE, k),
                    Figure(name, "pixel IoU", p.counts[which].iou(), th, POOLED, n),
                ]
            figs.append(Figure(name, "pixel AUC", _mean(p.aucs), FREE, AUC_PER_IMAGE, len(p.aucs)))
            figs.append(Figure(name, "pixel AUC", _finite(p.histogram.auc()), FREE, AUC_POOLED, n))
            if p.scores:
                auc = _finite(roc_auc(p.score_labels, p.scores))
                _, interval = auc_interval_words(p.score_labels, p.scores)
                average = f"{IMAGE_AUC}; {interval}"
                figs.append(Figure(name, "image AUC", auc, FREE, average, len(p.scores)))
            if p.verdicts and 0 < sum(p.verdict_labels) < len(p.verdict_labels):
                bacc = balanced_accuracy(p.verdict_labels, p.verdicts)
                figs.append(Figure(name, "balanced accuracy", bacc, VERDICT, BACC, len(p.verdicts)))
            elif p.verdicts:
                figs.append(Figure(name, "balanced accuracy", None, VERDICT, BACC, len(p.verdicts)))
            figs += _rates_at_theta(name, p)
        return figs


def _rates_at_theta(name: str, p: _Pool) -> list[Figure]:
    """The false-alarm rate (authentic images flagged) and detection rate (tampered images
    flagged) of the verdict at θ, their counts in the convention: the balanced accuracy alone
    hid a θ that flagged no tampered image (fine-tune walk-through, 2026-12-06)."""
    if not p.verdicts:
        return []
    y, v = np.asarray(p.verdict_labels, bool), np.asarray(p.verdicts, bool)
    out = []
    kinds = ((False, "false-alarm rate", "authentic"), (True, "detection rate", "tampered"))
    for label, figure, images in kinds:
        n, k = int((y == label).sum()), int((v & (y == label)).sum())
        average = f"verdict at the model's θ: flags {k} of {n} {images} images"
        out.append(Figure(name, figure, k / n if n else None, VERDICT, average, n))
    return out


def figure_rows(figures: Iterable[Figure]) -> list[list[str]]:
    """Table rows (source, figure, value, threshold, average, n) for panels and reports."""
    return [
        [
            f.source,
            f.figure,
            "undefined" if f.value is None else f"{f.value:.3f}",
            f.threshold,
            f.average,
            str(f.n),
        ]
        for f in figures
    ]


FIGURE_HEADER = ["map", "figure", "value", "threshold", "images and convention", "n"]
