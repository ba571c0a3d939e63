"""Image- and pixel-level metrics, each labelled with its convention.

Conventions (recorded next to every figure by :func:`summarize`):

- **Image level**, over all images (authentic label 0, tampered 1):
  ``image_auc`` (ROC AUC of the score, ties counted half, as scikit-learn), ``image_acc``
  (accuracy of the checkpoint's decision rule with its θ), ``image_bacc`` (balanced accuracy:
  mean of the two class recalls), ``image_eer`` (equal error rate: where the false-positive
  rate equals the false-negative rate on the ROC, linearly interpolated). ``image_auc`` and
  ``image_eer`` are NaN (undefined) when a score is NaN: it cannot be ranked; ``image_auc``
  and ``image_bacc`` when the images are of one class only
  (:func:`engine.metrics.two_class_balanced_accuracy`: its one recall read as 1.000 on five
  authentic images, where ``scan --gt`` says "undefined").
- **Pixel level**, computed per tampered image and averaged over tampered images; authentic
  images are excluded, as IMDL-BenCo does (their F1 is undefined: no positive pixel):
  ``pixel_f1`` and ``pixel_iou`` of the mask (heatmap > pixel threshold, 0.5 unless the
  checkpoint says otherwise), ``pixel_auc`` (threshold-free ROC AUC of the heatmap),
  ``pixel_f1_best`` (F1 at the best threshold *for each image*: an oracle upper bound, not a
  deployable figure). Images whose mask has no tampered pixel are left out of the pixel means
  and counted. With ``inverted=True`` each per-image figure is the maximum over the heatmap
  and its inverse (1 - heatmap), the lenient convention some papers report; it is then
  labelled so.

All functions take plain numpy arrays and are checked against scikit-learn in the tests.
``roc_auc``, ``accuracy``, ``balanced_accuracy`` and ``f1_iou`` are :mod:`engine.metrics`'s
(re-exported here), the one implementation the viewer's ground-truth mode uses too.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

import numpy as np
from numpy.typing import ArrayLike, NDArray

from engine.metrics import (
    accuracy,
    auc_interval_words,  # noqa: F401 (re-exported: eval's interval and rates at θ)
    balanced_accuracy,  # noqa: F401 (re-exported: the module docstring)
    f1_iou,
    flagged_words,  # noqa: F401
    roc_auc,
    two_class_balanced_accuracy,
)

CONVENTIONS = {
    "image_auc": "ROC AUC of the image score over all images (ties count half)",
    "image_acc": "accuracy of the decision rule at the checkpoint's θ",
    "image_bacc": "balanced accuracy (mean recall of authentic and manipulated; undefined "
    "with one class)",
    "image_eer": "equal error rate of the image score (FPR = FNR, interpolated)",
    "pixel_f1": "F1 of heatmap > pixel threshold, mean over tampered images",
    "pixel_iou": "IoU of heatmap > pixel threshold, mean over tampered images",
    "pixel_auc": "ROC AUC of the heatmap's pixels, mean over tampered images",
    "pixel_f1_best": "F1 at each image's own best threshold (oracle), mean over tampered images",
}


def roc_curve(
    y_true: ArrayLike, scores: ArrayLike
) -> tuple[NDArray[np.float64], NDArray[np.float64], NDArray[np.float64]]:
    """(fpr, tpr, thresholds) for "positive when score >= threshold", from (0, 0) to (1, 1)."""
    y = np.asarray(y_true).astype(bool).ravel()
    s = np.asarray(scores, dtype=np.float64).ravel()
    order = np.argsort(-s, kind="mergesort")
    s, y = s[order], y[order]
    distinct = np.r_[np.nonzero(np.diff(s))[0], s.size - 1]
    tps = np.cumsum(y)[distinct].astype(np.float64)
    fps = (distinct + 1 - tps).astype(np.float64)
    n_pos, n_neg = max(tps[-1], 1e-300), max(fps[-1], 1e-300)
    fpr = np.r_[0.0, fps / n_neg]
    tpr = np.r_[0.0, tps / n_pos]
    thr = np.r_[np.inf, s[distinct]]
    return fpr, tpr, thr


def eer(y_true: ArrayLike, scores: ArrayLike) -> float:
    """Equal error rate: the rate where FPR = FNR (1 - TPR), interpolated between ROC points."""
    y = np.asarray(y_true).astype(bool).ravel()
    if y.all() or not y.any():
        return float("nan")
    fpr, tpr, _ = roc_curve(y, scores)
    fnr = 1.0 - tpr
    diff = fpr - fnr  # rises from -1 to +1 along the curve
    i = int(np.argmax(diff >= 0))
    if diff[i] == 0 or i == 0:
        return float(fpr[i])
    # Linear interpolation between points i-1 (diff < 0) and i (diff > 0).
    t = -diff[i - 1] / (diff[i] - diff[i - 1])
    return float(fpr[i - 1] + t * (fpr[i] - fpr[i - 1]))


def best_f1(scores: ArrayLike, gt: ArrayLike) -> float:
    """Highest F1 of "score >= t" over every threshold t (the image's own best threshold)."""
    g = np.asarray(gt).astype(bool).ravel()
    n_pos = int(g.sum())
    if n_pos == 0:
        return 0.0
    s = np.asarray(scores, dtype=np.float64).ravel()
    order = np.argsort(-s, kind="mergesort")
    s, g = s[order], g[order]
    distinct = np.r_[np.nonzero(np.diff(s))[0], s.size - 1]
    tp = np.cumsum(g)[distinct].astype(np.float64)
    k = (distinct + 1).astype(np.float64)
    return float((2.0 * tp / (k + n_pos)).max())


@dataclass
class PixelScores:
    """Per-image pixel figures of one tampered image."""

    f1: float
    iou: float
    auc: float
    f1_best: float


def pixel_scores(
    heatmap: NDArray[np.floating],
    gt: NDArray[np.bool_],
    threshold: float = 0.5,
    inverted: bool = False,
) -> PixelScores | None:
    """Pixel figures of one image (mask = heatmap > threshold); None when ``gt`` is empty."""
    g = np.asarray(gt).astype(bool)
    if not g.any():
        return None
    h = np.asarray(heatmap, dtype=np.float64)
    f1, iou = f1_iou(h > threshold, g)
    auc = roc_auc(g, h)
    fb = best_f1(h, g)
    if inverted:
        f1i, ioui = f1_iou(~(h > threshold), g)
        f1, iou = max(f1, f1i), max(iou, ioui)
        auc = max(auc, 1.0 - auc) if np.isfinite(auc) else auc
        fb = max(fb, best_f1(1.0 - h, g))
    return PixelScores(f1, iou, auc, fb)


@dataclass
class MetricAccumulator:
    """Collects per-image results and gives the labelled summary."""

    inverted: bool = False  # pixel figures as max(map, inverted map)
    labels: list[int] = field(default_factory=list)
    scores: list[float] = field(default_factory=list)
    verdicts: list[bool] = field(default_factory=list)
    forged_fractions: list[float] = field(default_factory=list)
    pixel: list[PixelScores] = field(default_factory=list)
    empty_masks: int = 0  # tampered images whose mask has no tampered pixel

    def add(
        self,
        label: int,
        score: float,
        manipulated: bool,
        forged_fraction: float,
        heatmap: NDArray[np.floating] | None = None,
        gt: NDArray[np.bool_] | None = None,
        pixel_threshold: float = 0.5,
    ) -> PixelScores | None:
        self.labels.append(int(label))
        self.scores.append(float(score))
        self.verdicts.append(bool(manipulated))
        self.forged_fractions.append(float(forged_fraction))
        if label != 1 or heatmap is None or gt is None:
            return None
        ps = pixel_scores(heatmap, gt, pixel_threshold, self.inverted)
        if ps is None:
            self.empty_masks += 1
        else:
            self.pixel.append(ps)
        return ps

    def summary(self) -> dict[str, Any]:
        y = np.array(self.labels, dtype=bool)
        s = np.array(self.scores, dtype=np.float64)
        # a NaN score (a network that overflowed on an image) cannot be ranked: the ranking
        # figures are undefined then, not an error that loses the evaluation or the epoch
        ranked = not np.isnan(s).any()
        out: dict[str, Any] = {
            "images": len(self.labels),
            "tampered": int(y.sum()),
            "authentic": int((~y).sum()),
            "image_auc": roc_auc(y, s) if ranked else float("nan"),
            "image_acc": accuracy(y, self.verdicts),
            "image_bacc": two_class_balanced_accuracy(y, self.verdicts),
            "image_eer": eer(y, s) if ranked else float("nan"),
        }
        if self.pixel:
            out["pixel_f1"] = float(np.mean([p.f1 for p in self.pixel]))
            out["pixel_iou"] = float(np.mean([p.iou for p in self.pixel]))
            aucs = [p.auc for p in self.pixel if np.isfinite(p.auc)]
            out["pixel_auc"] = float(np.mean(aucs)) if aucs else float("nan")
            out["pixel_f1_best"] = float(np.mean([p.f1_best for p in self.pixel]))
        out["pixel_images"] = len(self.pixel)
        out["empty_masks"] = self.empty_masks
        return out


def summarize(metrics: dict[str, Any], inverted: bool = False) -> dict[str, str]:
    """The convention of every figure in ``metrics`` (for JSON output and table footers)."""
    conv = {k: v for k, v in CONVENTIONS.items() if k in metrics}
    if inverted:
        for k in conv:
            if k.startswith("pixel_"):
                conv[k] += "; max of heatmap and inverted heatmap per image"
    return conv
